"""No page repeats an id, even where it holds two forms (each WTForm that shares a page has its own prefix):
a repeated id breaks label and error links, and the HTML checker counts each one."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from elearn.models import SignoffKind
from elearn.people.domains import add_domain
from elearn.signoffs import service as signoffs
from elearn.signoffs.service import DocumentInput
from elearn.training import sessions
from elearn.training.sessions import SessionInput
from tests.makers import days


def repeated_ids(page: str) -> dict[str, int]:
    class Ids(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.ids: Counter[str] = Counter()

        def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
            self.ids.update(value for name, value in attrs if name == "id" and value)

    parser = Ids()
    parser.feed(page)
    return {name: count for name, count in parser.ids.items() if count > 1}


@pytest.fixture
def browser(make_app):  # type: ignore[no-untyped-def]
    """A client of an app with CSRF on, as in production: every form renders its token field."""
    return make_app(WTF_CSRF_ENABLED=True).test_client()


PAGES = {
    "admin": ["/admin/users/{learner}", "/admin/users", "/admin/organisations", "/admin/certificates", "/account",
              "/manage/settings?org={org}"],  # an admin sees both the domain form and the self-registration one
    "manager_a": ["/manage/", "/manage/people/{learner}", "/manage/people/{learner}/training", "/manage/matrix",
                  "/manage/groups", "/manage/new-starters", "/manage/contacts", "/manage/settings", "/manage/people",
                  "/manage/signoffs/{document}", "/manage/sessions/{session}", "/manage/sso", "/account"],
    "learner_a": ["/my-learning", "/courses/sample-course", "/my-certificates", "/account"],
}


@pytest.mark.parametrize(("persona", "path"), [(p, path) for p, paths in PAGES.items() for path in paths])
def test_no_page_repeats_an_id(browser, cast, make, sign_in, persona, path):
    course = make.course()
    make.certificate(user=cast.learner_a, course=course)
    make.assignment(user=cast.learner_a, course=course)
    add_domain(cast.org_a, "alder.sch.uk", actor=cast.admin)  # the settings page shows its second form
    document = signoffs.publish_document(cast.org_a, SignoffKind.POLICY, "Child protection policy",
                                         DocumentInput("v1", url="https://example.org/policy.pdf"), actor=cast.manager_a)
    session = sessions.record_session(cast.org_a, SessionInput("INSET", "Priya Shah", days(-1), Decimal("1.5")),
                                      user_ids=[cast.learner_a.id], group_ids=[], register=None, actor=cast.manager_a)
    sign_in(cast.persona(persona), via=browser)
    response = browser.get(path.format(learner=cast.learner_a.id, org=cast.org_a.id, document=document.id,
                                       session=session.id))
    assert response.status_code == 200
    assert repeated_ids(response.text) == {}


def test_the_prefixed_forms_still_work(client, cast, make, sign_in):
    sign_in(cast.admin)
    learner = cast.learner_a
    assert client.post(f"/admin/users/{learner.id}/role", data={"role-role": "manager"}).status_code == 302
    assert learner.role == "manager"
    sign_in(cast.manager_a)
    response = client.post(f"/manage/people/{cast.second_learner_a.id}/training", data={
        "training-title": "Level 2", "training-provider": "LSCP", "training-completed_on": "2026-01-10"})
    assert response.status_code == 302
    add_domain(cast.org_a, "alder.sch.uk", actor=cast.admin)
    assert client.post("/manage/settings/signup", data={"signup-allow": "y"}).status_code == 302
    assert cast.org_a.allow_domain_signup is True
