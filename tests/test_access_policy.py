"""The access policy (elearn/access.py): every member action, for every persona of two organisations towards every
other, in the shape of Zulip's check_has_permission_policies; then the 404-or-403 rule, on the services and through
real routes.

The table below is the rule written out in full. Changing who may do what means changing a line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from elearn import access
from elearn.access import MemberAction
from elearn.errors import NotAllowed, NotFound
from elearn.extensions import db
from elearn.models import Organisation, Role, User
from elearn.privacy.service import delete_account
from tests.makers import Makers, days

PERSONAS = ("learner_a", "second_learner_a", "manager_a", "manager_a2", "deleted_a", "deactivated_a",
            "learner_b", "manager_b", "admin")


@dataclass
class Cast:
    org_a: Organisation
    org_b: Organisation
    people: dict[str, User]

    def __getattr__(self, name: str) -> User:
        return self.__dict__["people"][name]


@pytest.fixture
def cast(cast, make: Makers) -> Cast:  # type: ignore[no-untyped-def]
    """The shared cast (tests/conftest.py), widened with what only the policy needs: a fellow manager in
    organisation A, a deleted learner and a deactivated one."""
    people = {name: cast.persona(name) for name in ("learner_a", "second_learner_a", "manager_a", "learner_b",
                                                     "manager_b", "admin")}
    people["manager_a2"] = make.two_factor_done(make.user(name="Mia Manager", role=Role.MANAGER, org=cast.org_a))
    people["deleted_a"] = make.user(name="Del Learner", org=cast.org_a)
    people["deactivated_a"] = make.user(name="Dee Learner", org=cast.org_a)
    delete_account(people["deleted_a"], make.PASSWORD, actor=people["deleted_a"])
    people["deactivated_a"].is_active_account = False
    db.session.commit()
    return Cast(cast.org_a, cast.org_b, people)


# --- the table ---------------------------------------------------------------------------------

NOBODY: frozenset[str] = frozenset()
ALIVE = frozenset(PERSONAS) - {"deleted_a"}
ORG_A = frozenset({"learner_a", "second_learner_a", "manager_a", "manager_a2", "deactivated_a"})  # deleted_a is no one's
LEARNERS_A = frozenset({"learner_a", "second_learner_a", "deactivated_a"})
ORG_B = frozenset({"learner_b", "manager_b"})


def own(persona: str) -> frozenset[str]:
    return frozenset({persona})


# actor → the targets they may act on; every other pair is refused. The deleted and the deactivated account act on
# no one (they cannot sign in either).
EXPECTED: dict[MemberAction, dict[str, frozenset[str]]] = {
    MemberAction.VIEW: {
        "learner_a": own("learner_a"), "second_learner_a": own("second_learner_a"), "learner_b": own("learner_b"),
        "manager_a": ORG_A, "manager_a2": ORG_A, "manager_b": ORG_B,
        "admin": ALIVE,
    },
    MemberAction.MANAGE: {
        "manager_a": ORG_A, "manager_a2": ORG_A, "manager_b": ORG_B,
        "admin": ALIVE,
    },
    MemberAction.RENAME: {
        "learner_a": own("learner_a"), "second_learner_a": own("second_learner_a"), "learner_b": own("learner_b"),
        "manager_a": LEARNERS_A | own("manager_a"), "manager_a2": LEARNERS_A | own("manager_a2"),
        "manager_b": own("learner_b") | own("manager_b"),
        "admin": ALIVE,
    },
    MemberAction.SET_ACTIVE: {
        "manager_a": LEARNERS_A, "manager_a2": LEARNERS_A, "manager_b": own("learner_b"),
        "admin": ALIVE - own("admin"),
    },
    MemberAction.SET_ROLE: {
        "admin": ALIVE - own("admin"),
    },
    MemberAction.MOVE: {
        "admin": ALIVE,
    },
    MemberAction.PERSONAL_DATA: {
        "learner_a": own("learner_a"), "second_learner_a": own("second_learner_a"), "learner_b": own("learner_b"),
        "manager_a": own("manager_a"), "manager_a2": own("manager_a2"), "manager_b": own("manager_b"),
        "admin": own("admin"),
    },
    # A manager lifts the attempt limit only for a learner of their organisation; a peer's is the admin's job.
    MemberAction.GRANT_ATTEMPT: {
        "manager_a": LEARNERS_A, "manager_a2": LEARNERS_A, "manager_b": own("learner_b"),
        "admin": ALIVE - own("admin"),
    },
}


def test_the_table_covers_every_action():
    assert set(EXPECTED) == set(MemberAction)
    assert all(set(row) <= set(PERSONAS) and all(targets <= set(PERSONAS) for targets in row.values())
               for row in EXPECTED.values())


@pytest.mark.parametrize("action", list(MemberAction))
def test_who_may_act_on_whom(cast, action):
    wrong = [f"{actor} → {target}: expected {'allow' if allowed else 'prevent'}"
             for actor in PERSONAS for target in PERSONAS
             if (allowed := target in EXPECTED[action].get(actor, NOBODY))
             != access.may_act_on(cast.people[actor], cast.people[target], action)]
    assert not wrong, "\n".join(wrong)


# --- 404 or 403 --------------------------------------------------------------------------------


@pytest.mark.parametrize("action", list(MemberAction))
def test_a_refusal_is_404_when_the_actor_may_not_see_the_person_and_403_when_they_may(cast, action):
    wrong = []
    for actor in PERSONAS:
        for target in PERSONAS:
            if target in EXPECTED[action].get(actor, NOBODY):
                continue
            visible = target in EXPECTED[MemberAction.VIEW].get(actor, NOBODY)
            try:
                access.check_may_act_on(cast.people[actor], cast.people[target], action)
            except NotAllowed:
                if not visible:
                    wrong.append(f"{actor} → {target}: 403, expected 404 (the person is not theirs to see)")
            except NotFound:
                if visible:
                    wrong.append(f"{actor} → {target}: 404, expected 403 with the reason")
            else:
                wrong.append(f"{actor} → {target}: allowed")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("actor", "target", "action", "error", "reason"), [
    ("manager_a", "manager_a2", MemberAction.SET_ACTIVE, NotAllowed, "Only an administrator"),
    ("manager_a", "manager_a2", MemberAction.RENAME, NotAllowed, "Only an administrator"),
    ("manager_a", "manager_a", MemberAction.SET_ACTIVE, NotAllowed, "your own account"),
    ("admin", "admin", MemberAction.SET_ACTIVE, NotAllowed, "your own account"),
    ("admin", "admin", MemberAction.SET_ROLE, NotAllowed, "your own role"),
    ("learner_a", "learner_a", MemberAction.MANAGE, NotAllowed, "manager"),
    ("manager_a", "learner_a", MemberAction.PERSONAL_DATA, NotAllowed, "themselves"),
    ("manager_a", "learner_b", MemberAction.SET_ACTIVE, NotFound, "no one"),
    ("learner_a", "second_learner_a", MemberAction.RENAME, NotFound, "no one"),
    ("admin", "deleted_a", MemberAction.VIEW, NotFound, "no one"),
    ("admin", "deleted_a", MemberAction.SET_ACTIVE, NotFound, "no one"),
])
def test_each_refusal_says_why(cast, actor, target, action, error, reason):
    with pytest.raises(error) as refused:
        access.check_may_act_on(cast.people[actor], cast.people[target], action)
    assert reason in refused.value.message


def test_a_manager_page_reaches_no_one_of_another_organisation_not_even_for_an_admin(cast):
    learner_a = cast.learner_a.id
    assert access.get_member(learner_a, MemberAction.VIEW, actor=cast.admin, organisation=cast.org_a).id == learner_a
    with pytest.raises(NotFound):
        access.get_member(learner_a, MemberAction.VIEW, actor=cast.admin, organisation=cast.org_b)
    with pytest.raises(NotFound):
        access.get_member(10**6, MemberAction.VIEW, actor=cast.admin)


@pytest.mark.parametrize(("actor", "organisation", "manages"), [
    ("manager_a", "org_a", True), ("manager_a", "org_b", False), ("admin", "org_a", True), ("admin", "org_b", True),
    ("learner_a", "org_a", False), ("manager_a", None, False),
])
def test_who_manages_an_organisation(cast, actor, organisation, manages):
    org_id = getattr(cast, organisation).id if organisation else None
    assert access.is_manager_of(cast.people[actor], org_id) is manages


@pytest.mark.parametrize(("role", "manage", "admin"), [
    (Role.LEARNER, False, False), (Role.MANAGER, True, False), (Role.ADMIN, True, True),
])
def test_who_may_enter_each_area(make, role, manage, admin):
    user = make.user(role=role)
    assert (access.may_enter(user, access.Area.MANAGE), access.may_enter(user, access.Area.ADMIN)) == (manage, admin)
    assert access.is_admin(user) is admin


def _admin_only_services(cast: Cast) -> dict[str, Callable[[User], object]]:
    from elearn.admin import service as admin
    from elearn.certificates import service as certificates
    from elearn.evidence import feedback, statistics
    from elearn.manage.access import list_organisations
    from elearn.people.domains import add_domain

    return {
        "admin: users": lambda actor: admin.search_users("", 1, actor=actor),
        "admin: courses": lambda actor: admin.list_courses(actor=actor),
        "certificates: search": lambda actor: certificates.list_certificates("", actor=actor),
        "certificates: revoke": lambda actor: certificates.get_certificate_to_revoke(1, actor=actor),
        "evidence: question statistics": lambda actor: statistics.list_versions(actor=actor),
        "evidence: course feedback": lambda actor: feedback.list_summaries(actor=actor),
        "manage: organisation chooser": lambda actor: list_organisations(actor=actor),
        "people: email domains": lambda actor: add_domain(cast.org_a, "alder.sch.uk", actor=actor),
    }


@pytest.mark.parametrize("persona", ["learner_a", "manager_a"])
def test_every_admin_only_service_answers_403_to_anyone_else(cast, persona):
    answers = {}
    for name, call in _admin_only_services(cast).items():
        try:
            call(cast.people[persona])
        except NotAllowed:
            continue
        except Exception as error:  # noqa: BLE001 - the test names whatever came instead
            answers[name] = type(error).__name__
        else:
            answers[name] = "allowed"
    assert answers == {}


# --- through real routes -----------------------------------------------------------------------


def _url(cast: Cast, make: Makers, pattern: str) -> str:
    values: dict[str, int] = {name: user.id for name, user in cast.people.items()}
    values.update(org_a=cast.org_a.id, org_b=cast.org_b.id)
    if "{attempt_a2}" in pattern:
        values["attempt_a2"] = make.certificate(user=cast.second_learner_a, course=make.course(), expires_on=days(200)).attempt_id
    if "{certificate_b}" in pattern:
        values["certificate_b"] = make.certificate(user=cast.learner_b, course=make.course(), expires_on=days(200)).id
    return pattern.format(**values)


@pytest.mark.parametrize(("persona", "method", "url", "status", "says"), [
    # Nobody signed in: the sign-in page.
    ("anonymous", "GET", "/manage/", 302, None),
    ("anonymous", "GET", "/admin", 302, None),
    ("anonymous", "POST", "/manage/people/{learner_a}/deactivate", 302, None),
    # A role the area is not for: 403, saying whom it is for.
    ("learner_a", "GET", "/manage/", 403, "for managers and administrators"),
    ("learner_a", "GET", "/manage/people/{learner_a}", 403, "for managers and administrators"),
    ("manager_a", "GET", "/admin", 403, "for administrators"),
    ("manager_a", "GET", "/admin/certificates", 403, "for administrators"),
    ("manager_a", "GET", "/admin/question-statistics", 403, "for administrators"),
    # An object of another organisation, or another person's own: 404.
    ("manager_a", "GET", "/manage/people/{learner_b}", 404, None),
    ("manager_a", "POST", "/manage/people/{learner_b}/deactivate", 404, None),
    ("manager_b", "GET", "/manage/?org={org_a}", 404, None),
    ("admin", "GET", "/manage/people/{learner_a}?org={org_b}", 404, None),
    ("manager_a", "GET", "/certificates/{certificate_b}/download", 404, None),
    ("learner_a", "GET", "/attempts/{attempt_a2}", 404, None),
    ("learner_a", "GET", "/manage/people/{second_learner_a}/attempts/{attempt_a2}", 403, None),  # the area comes first
    # Someone they can see, an action they may not take: 403 with the reason.
    ("manager_a", "POST", "/manage/people/{manager_a2}/deactivate", 403, "Only an administrator"),
    ("manager_a", "POST", "/manage/people/{manager_a}/deactivate", 403, "your own account"),
    ("manager_a", "GET", "/manage/learners/{manager_a2}/name", 403, "Only an administrator"),
    ("admin", "POST", "/admin/users/{admin}/deactivate", 403, "your own account"),
    ("admin", "POST", "/admin/users/{admin}/role", 403, "your own role"),
    # A deleted account is no one's to act on: 404, for anyone.
    ("manager_a", "GET", "/manage/people/{deleted_a}", 404, None),
    ("manager_a", "POST", "/manage/people/{deleted_a}/reactivate", 404, None),
    ("manager_a", "GET", "/manage/learners/{deleted_a}/name", 404, None),
    ("admin", "GET", "/admin/users/{deleted_a}", 404, None),
    ("admin", "POST", "/admin/users/{deleted_a}/activate", 404, None),
    # And what they may do, they can.
    ("manager_a", "GET", "/manage/people/{deactivated_a}", 200, None),
    ("manager_a", "POST", "/manage/people/{learner_a}/deactivate", 302, None),
    ("admin", "GET", "/admin/users/{manager_a}", 200, None),
])
def test_each_kind_of_refusal_through_the_routes(cast, make, client, sign_in, persona, method, url, status, says):
    sign_in(None if persona == "anonymous" else cast.people[persona])
    address = _url(cast, make, url)
    response = client.open(address, method=method, data={"role": "learner", "role-role": "learner"})
    assert response.status_code == status, address
    if status == 302 and persona == "anonymous":
        assert "/login" in response.headers["Location"]
    if says:
        assert says in response.get_data(as_text=True)


def test_a_refused_request_changes_no_account(cast, client, sign_in):
    sign_in(cast.manager_a)
    client.post(f"/manage/people/{cast.deleted_a.id}/reactivate")
    client.post(f"/manage/people/{cast.manager_a2.id}/deactivate")
    db.session.expire_all()
    assert not db.session.get(User, cast.deleted_a.id).is_active_account
    assert db.session.get(User, cast.manager_a2.id).is_active_account


# --- what the pages offer follows the policy ---------------------------------------------------


def test_the_leavers_list_links_deactivated_members_but_not_deleted_accounts(cast, client, sign_in):
    sign_in(cast.manager_a)
    page = client.get("/manage/people").get_data(as_text=True)
    assert f'href="/manage/people/{cast.deactivated_a.id}"' in page
    assert f'href="/manage/people/{cast.deleted_a.id}"' not in page


def test_the_admin_user_list_sends_a_deleted_account_to_its_audit_events_not_to_a_page(cast, client, sign_in):
    sign_in(cast.admin)
    page = client.get("/admin/users").get_data(as_text=True)
    assert f'href="/admin/users/{cast.learner_a.id}"' in page
    assert f'href="/admin/users/{cast.deleted_a.id}"' not in page
    assert f'href="/admin/audit?person=deleted-{cast.deleted_a.id}@deleted.invalid"' in page


def test_a_deleted_accounts_certificate_stays_revocable_but_is_no_ones_to_download(cast, make, client, sign_in):
    leaver = make.user(name="Lee Leaver", org=cast.org_a)
    certificate = make.certificate(user=leaver, course=make.course(), expires_on=days(200))
    delete_account(leaver, make.PASSWORD, actor=leaver)
    sign_in(cast.admin)
    listed = client.get("/admin/certificates").get_data(as_text=True)
    assert f"/certificates/{certificate.id}/download" not in listed
    assert f"/admin/certificates/{certificate.id}/revoke" in listed
    assert client.get(f"/certificates/{certificate.id}/download").status_code == 404
    response = client.post(f"/admin/certificates/{certificate.id}/revoke", data={"reason": "Issued in error"})
    assert response.status_code == 302
    db.session.expire_all()
    assert certificate.revoked_at is not None
