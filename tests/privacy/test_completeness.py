"""Privacy, completely: the export holds every row elearn keeps about a person, and erasure reaches the audit log."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from sqlalchemy import func, select

from elearn.audit import ERASED, PERSONAL_DETAILS
from elearn.certificates.names import correct_name
from elearn.db import Base
from elearn.extensions import db
from elearn.models import AuditEvent, ConfidenceRating, CourseEvaluation, ReminderLog
from elearn.privacy.service import delete_account

# Every column that ties a row to a person, and where the person finds that row in their export, or why
# the row is not theirs to download. A new table that points at users or enrolments must be added here.
COVERED = {
    ("users", "id"): "account",
    ("group_memberships", "user_id"): "groups",
    ("assignments", "user_id"): "assignments",
    ("enrolments", "user_id"): "enrolments",
    ("lesson_progress", "enrolment_id"): "enrolments",
    ("attempts", "user_id"): "attempts",
    ("attempts", "enrolment_id"): "attempts",
    ("attempt_allowances", "enrolment_id"): "attempt_allowances",
    ("certificates", "user_id"): "certificates",
    ("certificates", "enrolment_id"): "certificates",
    ("external_training", "user_id"): "external_training",
    ("confidence_ratings", "enrolment_id"): "confidence_ratings",
    ("course_evaluations", "enrolment_id"): "course_evaluations",
    ("invitations", "user_id"): "invitations",
    ("reminder_logs", "user_id"): "reminders",
    ("audit_events", "subject_user_id"): "audit_events",
    ("user_sessions", "user_id"): "sessions",
    ("sso_identities", "user_id"): "sign_in_accounts",
    ("training_session_attendees", "user_id"): "face_to_face_sessions",
    ("signoff_assignments", "user_id"): "read_and_understood",
    ("signoff_confirmations", "user_id"): "read_and_understood",
    ("placements", "user_id"): "placements",
    ("member_duties", "user_id"): "duties",
}
NOT_THEIRS = {
    ("password_reset_tokens", "user_id"): "a secret, never exported",
    ("recovery_codes", "user_id"): "secrets, never exported",
    # Who did something to someone else: the row is about the other person.
    ("assignments", "assigned_by_id"): "the manager who assigned it",
    ("enrolments", "assigned_by_id"): "the manager who assigned it",
    ("invitations", "invited_by_id"): "the manager who sent it",
    ("new_starter_rules", "created_by_id"): "the manager who made the rule",
    ("reminder_schedules", "updated_by_id"): "the manager who last changed the organisation's reminder schedule",
    ("organisation_domains", "added_by_id"): "the admin who added the domain",
    ("certificates", "revoked_by_id"): "the admin who revoked it",
    ("external_training", "recorded_by_id"): "the manager who recorded it",
    ("attempt_allowances", "granted_by_id"): "the manager or admin who allowed another attempt",
    ("training_sessions", "recorded_by_id"): "the manager who recorded the session",
    ("signoff_documents", "created_by_id"): "the manager who published the document",
    ("signoff_versions", "published_by_id"): "the manager who published the version",
    ("signoff_assignments", "assigned_by_id"): "the manager who asked",
    ("audit_events", "actor_id"): "events about themselves are exported by subject; others' are about others",
    ("sso_connections", "created_by_id"): "the manager or admin who connected the tenant",
    ("placements", "created_by_id"): "the manager who recorded someone else's placement",
    ("member_duties", "created_by_id"): "the manager who recorded someone else's duty",
    ("partnership_members", "recorded_by_id"): "the manager who recorded a setting's consent",
    ("training_requirements", "created_by_id"): "the manager who set a requirement",
    ("audit_returns", "signed_by_id"): "the DSL who signed a setting's return, about the setting's staff",
    ("partnership_reminders", "sent_by_id"): "the partnership officer who reminded a setting about its return",
    ("rating_thresholds", "set_by_id"): "the manager who set a measure's red/amber/green descriptor",
    ("export_files", "requested_by_id"): "a manager's export of other people's records, deleted within 24 hours",
}
# Detail keys that name something but not a person.
NOT_PERSONAL_DETAILS = {"certificate_names_kept", "keep_certificate_names", "names_matched"}  # booleans


def _person_columns() -> set[tuple[str, str]]:
    columns = {("users", "id")}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name in ("users", "enrolments") for fk in column.foreign_keys):
                columns.add((table.name, column.name))
    return columns


def test_every_row_about_a_person_is_in_the_export_or_said_why_not():
    assert _person_columns() == set(COVERED) | set(NOT_THEIRS)


def test_the_export_holds_confidence_ratings_evaluations_invitations_and_reminders(client, make, login_as):
    org = make.org(name="Hill Primary")
    user = make.user(name="Grace Hopper", email="grace@hill.sch.uk", org=org)
    enrolment = make.enrolment(user=user)
    db.session.add_all([
        ConfidenceRating(enrolment_id=enrolment.id, outcome_key="LO1", stage="before", rating=2),
        CourseEvaluation(enrolment_id=enrolment.id, course_id=enrolment.version.course_id, relevance=5, clarity=4,
                         comment="I will write down what a child tells me, in their words."),
        ReminderLog(user_id=user.id, kind="overdue", week="2026-W49"),
    ])
    db.session.commit()
    login_as(user)
    data = json.loads(client.get("/account/data").get_data(as_text=True))
    assert set(COVERED.values()) <= data.keys()
    [rating] = data["confidence_ratings"]
    assert (rating["outcome"], rating["stage"], rating["rating"]) == ("LO1", "before", 2)
    [evaluation] = data["course_evaluations"]
    assert evaluation["comment"] == "I will write down what a child tells me, in their words."
    assert [r["kind"] for r in data["reminders"]] == ["overdue"]


def test_the_export_lists_an_invitation_sent_to_the_person_without_its_token(client, make, login_as):
    from elearn.people.invitations import invite_person

    org = make.org(name="Hill Primary")
    manager = make.user(name="Mo Manager", org=org)
    invitation = invite_person(org, "Ivy Invitee", "ivy@hill.sch.uk", group_id=None, actor=manager)
    ivy = make.user(name="Ivy Invitee", email="ivy@hill.sch.uk")
    login_as(ivy)
    body = client.get("/account/data").get_data(as_text=True)
    [row] = json.loads(body)["invitations"]
    assert row["organisation"] == "Hill Primary" and row["accepted_at"] is None
    assert invitation.token_hash not in body


def test_deleting_an_account_erases_the_names_in_its_audit_events_but_keeps_the_events(make):
    org = make.org()
    org.keep_certificate_names = False
    user = make.user(name="Jo Smiht", org=org)
    correct_name(user, "Jo Smith", actor=user)
    delete_account(user, make.PASSWORD, actor=user)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.name_corrected")).one()
    assert event.subject_user_id == user.id
    assert event.details["old_name"] == ERASED and event.details["new_name"] == ERASED
    everything = json.dumps([e.details for e in db.session.scalars(select(AuditEvent))])
    assert "Smiht" not in everything and "Jo Smith" not in everything


def test_every_audit_detail_that_could_hold_a_name_is_erased_with_the_person():
    """A record_event(..., new_detail=...) whose name says it holds a name or an email must be in PERSONAL_DETAILS."""
    root = Path(__file__).resolve().parents[2] / "elearn"
    keys: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "record_event":
                keys |= {kw.arg for kw in node.keywords if kw.arg}
    assert "new_name" in keys, "the scan found no record_event calls"
    suspicious = {k for k in keys if any(word in k for word in ("name", "email", "comment", "note", "phone"))}
    assert suspicious <= PERSONAL_DETAILS | NOT_PERSONAL_DETAILS


def test_the_export_lists_sessions_with_their_address_and_deletion_removes_them(client, make, login_as):
    from elearn.models import UserSession

    user = make.user(email="grace@hill.sch.uk")
    login_as(user)
    body = client.get("/account/data").get_data(as_text=True)
    [session] = json.loads(body)["sessions"]
    assert session["ip"] == "127.0.0.1" and session["ended_at"] is None
    [row] = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id))
    assert row.key_hash not in body
    delete_account(user, make.PASSWORD, actor=user)
    assert db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)) == 0
