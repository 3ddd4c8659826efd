"""The manager's learner record: the daily attempt limit and the button that allows one more attempt, and
knowledge checks apart from assessment attempts. Two organisations throughout."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from elearn.assessment.service import save_answers, start_attempt, submit_attempt
from elearn.evidence.service import start_precheck
from elearn.extensions import db
from elearn.models import Attempt, AttemptAllowance, AuditEvent, Enrolment
from tests.assessment.helpers import sheet, wrong


def sit_and_fail(enrolment: Enrolment) -> Attempt:
    attempt = start_attempt(enrolment, actor=enrolment.user)
    save_answers(attempt, sheet(attempt, wrong), actor=enrolment.user)
    return submit_attempt(attempt, actor=enrolment.user)


def allowances() -> int:
    return db.session.scalar(select(func.count()).select_from(AttemptAllowance)) or 0


def allow_url(enrolment: Enrolment) -> str:
    return f"/manage/people/{enrolment.user_id}/enrolments/{enrolment.id}/allow-attempt"


@pytest.fixture
def at_limit(cast, make):  # type: ignore[no-untyped-def]
    """Learner A has used the one attempt a day their course allows."""
    enrolment = make.enrolment(user=cast.learner_a, course=make.course(options={"max_attempts_per_day": 1}),
                               lessons_done="all")
    sit_and_fail(enrolment)
    return enrolment


def test_the_record_shows_the_limit_and_a_button_at_the_limit(client, cast, at_limit, sign_in):
    sign_in(cast.manager_a)
    page = client.get(f"/manage/people/{cast.learner_a.id}").get_data(as_text=True)
    assert "At the limit of 1: the next attempt frees" in page
    assert f'action="{allow_url(at_limit)}"' in page
    assert 'Allow one more attempt now<span class="visually-hidden"> at Sample safeguarding refresher</span>' in page


def test_no_button_below_the_limit(client, cast, make, sign_in):
    enrolment = make.enrolment(user=cast.learner_a, course=make.course(options={"max_attempts_per_day": 2}),
                               lessons_done="all")
    sit_and_fail(enrolment)
    sign_in(cast.manager_a)
    page = client.get(f"/manage/people/{cast.learner_a.id}").get_data(as_text=True)
    assert "1 of 2 left" in page and "allow-attempt" not in page


def test_a_manager_allows_one_more_attempt_from_the_record(client, cast, at_limit, sign_in):
    sign_in(cast.manager_a)
    response = client.post(allow_url(at_limit))
    assert response.status_code == 302
    assert response.location == f"/manage/people/{cast.learner_a.id}#enrolments"
    assert allowances() == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "assessment.attempt_allowed")) == 1
    page = client.get(response.location).get_data(as_text=True)
    assert "one more attempt allowed, not used yet" in page and "allow-attempt" not in page
    assert client.post(allow_url(at_limit)).status_code == 409  # a double click allows nothing more
    assert allowances() == 1


def test_an_admin_allows_one_more_attempt_once_the_organisation_is_chosen(client, cast, at_limit, sign_in):
    sign_in(cast.admin)
    assert client.post(allow_url(at_limit) + f"?org={cast.org_b.id}").status_code == 404
    assert client.post(allow_url(at_limit) + f"?org={cast.org_a.id}").status_code == 302
    assert allowances() == 1


def test_a_manager_of_another_organisation_cannot_allow_an_attempt(client, cast, at_limit, sign_in):
    sign_in(cast.manager_b)
    assert client.post(allow_url(at_limit)).status_code == 404
    assert client.get(f"/manage/people/{cast.learner_a.id}").status_code == 404
    # Nor by putting A's enrolment under B's own learner's address.
    assert client.post(f"/manage/people/{cast.learner_b.id}/enrolments/{at_limit.id}/allow-attempt").status_code == 404
    assert allowances() == 0


def test_a_learner_cannot_allow_themselves_an_attempt(client, cast, at_limit, sign_in):
    sign_in(cast.learner_a)
    assert client.post(allow_url(at_limit)).status_code == 403
    assert allowances() == 0


def test_knowledge_checks_have_their_own_section(client, cast, make, sign_in):
    enrolment = make.enrolment(user=cast.learner_a, course=make.course(options={"precheck_questions": 2}))
    check = start_precheck(enrolment, actor=cast.learner_a)
    submit_attempt(check, actor=cast.learner_a)
    sign_in(cast.manager_a)
    page = client.get(f"/manage/people/{cast.learner_a.id}").get_data(as_text=True)
    attempts = page[page.index('id="attempts"'):page.index('id="knowledge-checks"')]
    checks = page[page.index('id="knowledge-checks"'):page.index('id="certificates"')]
    assert "No assessment attempts." in attempts and f"/attempts/{check.id}" not in attempts
    assert f'href="/manage/people/{cast.learner_a.id}/attempts/{check.id}"' in checks
    assert "does not count towards a certificate" in checks and "knowledge check" in checks
    detail = client.get(f"/manage/people/{cast.learner_a.id}/attempts/{check.id}").get_data(as_text=True)
    assert "knowledge check before the course" in detail and "attempt 0" not in detail.lower()
    assert "pass mark" not in detail and "Not passed" not in detail
    sign_in(cast.manager_b)
    assert client.get(f"/manage/people/{cast.learner_a.id}/attempts/{check.id}").status_code == 404
