"""The manager guard (elearn/manage/access.py): every /manage route is behind it, and it holds on every route
of every blueprint that uses it: personas × routes, read from app.url_map.

A new route is covered automatically. A route under /manage on a blueprint that does not call access.guard()
fails test_every_manager_url_is_guarded; a route with a new URL argument fails the matrix until the argument
is given an object of organisation A below.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.routing import Rule

from elearn.contacts.service import ContactInput, add_contact
from elearn.extensions import db
from elearn.jobs import exports as export_jobs
from elearn.manage import access
from elearn.models import (
    Assignment,
    Attempt,
    Duty,
    ExternalTraining,
    Group,
    GroupMembership,
    Invitation,
    MemberDuty,
    MemberKind,
    OrganisationKind,
    PartnershipMember,
    Placement,
    RequirementItem,
    SafeguardingContact,
    SignoffKind,
    TrainingRequirement,
    User,
)
from elearn.people import service
from elearn.people.domains import add_domain
from elearn.people.invitations import invite_person
from elearn.signoffs import service as signoffs
from elearn.sso.service import add_connection
from elearn.training.service import ExternalInput, record_external
from elearn.training.sessions import SessionInput, record_session
from elearn.uploads import Upload
from tests.makers import days

# Admins only, even within the manager's own organisation (a domain claim captures self-registrations).
ADMIN_ONLY = {"people.add_domain", "people.remove_domain"}
PERSONAS = ("anonymous", "learner_a", "manager_a", "manager_b", "admin", "admin_of_b")
# Courses belong to the platform, not to an organisation: another organisation's manager may open a course's
# manager pages (which count only their own people).
SHARED_ARGUMENTS = {"course_id"}
OWNER_ONLY = {"compliance.export_status", "compliance.export_download"}


@pytest.fixture
def objects_a(cast, course, make):  # type: ignore[no-untyped-def]
    """One object of each kind in organisation A, by URL argument name."""
    org, actor = cast.org_a, cast.manager_a
    group = service.create_group(org, "Teaching staff", actor=actor)
    certificate = make.certificate(user=cast.learner_a, course=course, expires_on=days(200))
    assignment = make.assignment(user=cast.learner_a, course=course, due_in_days=30)
    invitation = invite_person(org, "Ivy Invitee", "ivy@alder.sch.uk", group_id=group.id, actor=actor)
    rule = service.save_new_starter_rule(org, course.id, 30, actor=actor)
    domain = add_domain(org, "alder.sch.uk", actor=cast.admin)
    contact = add_contact(org, ContactInput("dsl", "Dee Lead", "01632 960 101", "dsl@alder.sch.uk"), actor=actor)
    training = record_external(org, cast.learner_a.id, ExternalInput(
        course.id, "Level 1 safeguarding", "County council", days(-100), days(265)), actor=actor)
    sso_connection = add_connection(org, "google", "alder.sch.uk", auto_join=False, require_sso=False, actor=actor)
    session = record_session(org, SessionInput("INSET", "Dee Lead", days(-3), Decimal(2), [course.id]),
                             user_ids=[cast.learner_a.id], group_ids=[], actor=actor,
                             register=Upload(b"%PDF-1.4", "application/pdf", "register.pdf"))
    document = signoffs.publish_document(org, SignoffKind.KCSIE, "", signoffs.DocumentInput("September 2025"),
                                         actor=actor)
    export = export_jobs.start_export(org, "csv", actor=actor)
    partnership = make.org(name="Shire Partnership", kind=OrganisationKind.PARTNERSHIP)
    membership = PartnershipMember(partnership_id=partnership.id, organisation_id=org.id,
                                   consent_given_by="Head teacher", consent_given_on=days(-30))
    duty = MemberDuty(user_id=cast.learner_a.id, organisation_id=org.id, duty=Duty.DSL, since=days(-30))
    placement = Placement(user_id=cast.learner_a.id, organisation_id=make.org(name="Alder annexe").id,
                          kind=MemberKind.PERIPATETIC, started_on=days(-30))
    requirement = TrainingRequirement(organisation_id=org.id, applies_to="governor", item=RequirementItem.COURSE,
                                      course_id=course.id, every_months=36)
    db.session.add_all([membership, duty, placement, requirement])
    db.session.commit()
    return {
        "membership_id": membership.id, "duty_id": duty.id, "placement_id": placement.id,
        "requirement_id": requirement.id,
        "export_id": export.id, "training_session_id": session.id, "document_id": document.id,
        "user_id": cast.learner_a.id, "attempt_id": certificate.attempt_id, "assignment_id": assignment.id,
        "group_id": group.id, "invitation_id": invitation.id, "rule_id": rule.id, "domain_id": domain.id,
        "certificate_id": certificate.id, "contact_id": contact.id, "training_id": training.id,
        "course_id": course.id, "connection_id": sso_connection.id, "enrolment_id": db.session.get_one(Attempt, certificate.attempt_id).enrolment_id,
    }


def _blueprint(rule: Rule) -> str:
    return rule.endpoint.rpartition(".")[0]


def unguarded_manager_rules(app: Flask) -> list[str]:
    """The rules under /manage whose blueprint has not been through access.guard()."""
    return sorted(f"{rule.rule} ({rule.endpoint})" for rule in app.url_map.iter_rules()
                  if rule.rule.startswith("/manage") and _blueprint(rule) not in access.GUARDED)


def guarded_routes(app: Flask) -> list[tuple[Rule, str]]:
    """(rule, method) for every route of every guarded blueprint."""
    return [(rule, method) for rule in app.url_map.iter_rules() if _blueprint(rule) in access.GUARDED
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})]


def test_every_manager_url_is_guarded(app):
    assert unguarded_manager_rules(app) == []


def test_a_manager_url_outside_the_guard_is_caught():
    from flask import Blueprint

    stray = Blueprint("stray", __name__, url_prefix="/manage/stray")
    stray.add_url_rule("/", "page", lambda: "")
    other = Flask("stray_app")
    other.register_blueprint(stray)
    assert unguarded_manager_rules(other) == ["/manage/stray/ (stray.page)"]


def test_the_guard_covers_every_manager_blueprint(app):
    assert {"people", "compliance", "contacts", "training", "evidence_manage"} <= access.GUARDED
    endpoints = {rule.endpoint for rule, _ in guarded_routes(app)}
    assert {"people.index", "people.invite", "people.member_groups", "people.deactivate", "people.groups",
            "people.new_starters", "people.settings", "people.add_domain", "people.correct_learner_name",
            "compliance.dashboard", "compliance.matrix", "compliance.learner", "compliance.assign_learner",
            "compliance.assign", "compliance.export_csv", "compliance.export_pdf", "compliance.export_zip",
            "training.external_training", "training.record_external", "training.import_certificate", "training.delete_external",
            "contacts.contact_list", "contacts.edit_contact", "contacts.delete_contact",
            "evidence_manage.gain_courses"} <= endpoints


def _counts():  # type: ignore[no-untyped-def]
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Assignment, Group, GroupMembership, Invitation, User, SafeguardingContact,
                               ExternalTraining))


@pytest.mark.parametrize("persona", PERSONAS)
def test_access_matrix(persona, app, client, cast, objects_a, sign_in):
    """anonymous → login; learner → 403; manager of A → allowed; manager of B and an admin looking at B → 404
    for A's objects (their own lists, and pages of a course, are allowed); an admin → allowed once organisation A
    is chosen."""
    user = {"anonymous": None, "learner_a": cast.learner_a, "manager_a": cast.manager_a, "manager_b": cast.manager_b,
            "admin": cast.admin, "admin_of_b": cast.admin}[persona]
    org_param = {"admin": cast.org_a.id, "admin_of_b": cast.org_b.id}.get(persona)
    adapter = app.url_map.bind("localhost")
    failures = []
    for rule, method in guarded_routes(app):
        missing = set(rule.arguments) - set(objects_a)
        assert not missing, f"{rule}: give the argument(s) {missing} an object of organisation A in objects_a"
        url = adapter.build(rule.endpoint, {name: objects_a[name] for name in rule.arguments})
        if org_param:
            url += f"?org={org_param}"
        sign_in(user)  # each request starts from the persona (a POST may have deactivated someone)
        before = _counts()
        response = client.open(url, method=method, data={})
        status, location = response.status_code, response.headers.get("Location", "")
        has_ids = bool(set(rule.arguments) - SHARED_ARGUMENTS)
        if persona == "anonymous":
            ok = status == 302 and "/login" in location
        elif persona == "learner_a":
            ok = status == 403
        elif persona in ("manager_b", "admin_of_b") and has_ids:
            ok = status == 404 and _counts() == before
        elif persona == "admin" and rule.endpoint in OWNER_ONLY:
            ok = status == 404  # an export is for the manager who asked for it, not for an admin either
        elif persona in ("manager_a", "manager_b") and rule.endpoint in ADMIN_ONLY:
            ok = status == 403 and _counts() == before
        else:
            ok = status in (200, 302, 400, 409, 422) and "/login" not in location
        if not ok:
            failures.append(f"{method} {url} → {status} {location}")
    assert not failures, "\n".join(failures)


def test_an_admin_without_a_chosen_organisation_is_asked_to_choose(client, cast, sign_in):
    sign_in(cast.admin)
    page = client.get("/manage/")
    assert page.status_code == 200
    assert "Alder Primary" in page.get_data(as_text=True) and "Birch Academy" in page.get_data(as_text=True)
    assert client.get("/manage/matrix").status_code == 302


def test_a_manager_cannot_pick_another_organisation_with_the_org_parameter(client, cast, sign_in):
    sign_in(cast.manager_b)
    assert client.get(f"/manage/?org={cast.org_a.id}").status_code == 404
    assert client.get(f"/manage/matrix?org={cast.org_a.id}").status_code == 404
    assert client.get(f"/manage/?org={cast.org_b.id}").status_code == 200


def test_a_manager_cannot_see_another_organisations_learner(client, cast, objects_a, sign_in):
    sign_in(cast.manager_b)
    assert client.get(f"/manage/people/{cast.learner_a.id}").status_code == 404
    assert client.get(f"/manage/people/{cast.learner_a.id}/attempts/{objects_a['attempt_id']}").status_code == 404
    # An attempt of A under B's own learner's address is not found either.
    assert client.get(f"/manage/people/{cast.learner_b.id}/attempts/{objects_a['attempt_id']}").status_code == 404


def test_a_manager_cannot_assign_to_another_organisations_group_by_editing_the_form(client, cast, course, objects_a, sign_in):
    sign_in(cast.manager_b)
    before = _counts()
    response = client.post("/manage/assignments", data={
        "course_id": course.id, "audience": "group", "group_id": objects_a["group_id"],
        "due_on": days(30).isoformat()})
    assert response.status_code == 404
    assert _counts() == before


def test_a_manager_cannot_put_their_learner_in_another_organisations_group(client, cast, objects_a, sign_in):
    sign_in(cast.manager_b)
    before = _counts()
    response = client.post(f"/manage/people/{cast.learner_b.id}/groups", data={"group_ids": [objects_a["group_id"]]})
    assert response.status_code == 404
    assert _counts() == before


def test_a_manager_cannot_invite_into_another_organisations_group(client, cast, objects_a, sign_in, outbox):
    sign_in(cast.manager_b)
    sent = len(outbox)
    response = client.post("/manage/people/invite", data={
        "display_name": "Eve", "email": "eve@example.org", "group_id": objects_a["group_id"]})
    assert response.status_code == 404
    assert len(outbox) == sent


def test_another_organisations_learner_detail_lists_no_certificate_of_theirs(client, cast, objects_a, sign_in):
    sign_in(cast.manager_b)
    page = client.get(f"/manage/people/{cast.learner_b.id}").get_data(as_text=True)
    assert "Ann Learner" not in page


def test_learners_never_reach_manager_pages(client, cast, sign_in):
    sign_in(cast.learner_a)
    for url in ("/manage/", "/manage/matrix", f"/manage/people/{cast.learner_a.id}"):
        assert client.get(url).status_code == 403


def test_the_manage_link_shows_only_to_managers_and_admins(client, cast, sign_in):
    sign_in(cast.learner_a)
    assert 'href="/manage/"' not in client.get("/my-learning").get_data(as_text=True)
    sign_in(cast.manager_a)
    assert 'href="/manage/"' in client.get("/my-learning").get_data(as_text=True)


def test_an_attempt_page_shows_score_but_no_answers(client, cast, objects_a, sign_in):
    sign_in(cast.manager_a)
    page = client.get(f"/manage/people/{cast.learner_a.id}/attempts/{objects_a['attempt_id']}")
    assert page.status_code == 200
    assert "90%" in page.get_data(as_text=True)
    attempt = db.session.get(Attempt, objects_a["attempt_id"])
    assert attempt.score_percent == Decimal(90)
