"""Invitations, CSV import, self-registration by domain, leavers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from elearn.db import now_utc
from elearn.errors import InvalidInput, NotAllowed, NotFound
from elearn.extensions import db
from elearn.models import Assignment, AuditEvent, GroupMembership, Invitation, User
from elearn.people import service
from elearn.people.csv_import import RowOutcome, import_people
from elearn.people.domains import add_domain, set_domain_signup
from elearn.people.invitations import accept_invitation, invite_person
from tests.makers import days


def _token(outbox) -> str:  # type: ignore[no-untyped-def]
    body = outbox[-1].get_content()
    return body.split("/invitations/")[1].split()[0]


def test_an_invitation_is_emailed_once_and_stores_only_a_hash(cast, outbox):
    invitation = invite_person(cast.org_a, "Ivy Invitee", "Ivy@Alder.sch.uk", group_id=None, actor=cast.manager_a)
    assert len(outbox) == 1 and outbox[0]["To"] == "ivy@alder.sch.uk"
    token = _token(outbox)
    assert outbox[0].get_content().count("https://elearn.test/invitations/") == 1
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "invitation.sent")) == 1


def test_accepting_an_invitation_creates_the_account_in_the_organisation_and_group(cast, outbox):
    group = service.create_group(cast.org_a, "Support staff", actor=cast.manager_a)
    invite_person(cast.org_a, "Ivy Invitee", "ivy@alder.sch.uk", group_id=group.id, actor=cast.manager_a)
    user = accept_invitation(_token(outbox), "Ivy M. Invitee", "a long invitee passphrase")
    assert user.organisation_id == cast.org_a.id and user.display_name == "Ivy M. Invitee"
    assert user.joined_organisation_at is not None
    assert db.session.scalar(select(GroupMembership).where(GroupMembership.user_id == user.id)).group_id == group.id


def test_an_invitation_works_only_once(cast, outbox):
    invite_person(cast.org_a, "Ivy", "ivy@alder.sch.uk", group_id=None, actor=cast.manager_a)
    token = _token(outbox)
    accept_invitation(token, "Ivy", "a long invitee passphrase")
    with pytest.raises(InvalidInput):
        accept_invitation(token, "Ivy", "a long invitee passphrase")


def test_an_expired_invitation_is_refused(cast, outbox):
    invitation = invite_person(cast.org_a, "Ivy", "ivy@alder.sch.uk", group_id=None, actor=cast.manager_a)
    invitation.expires_at = now_utc() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(InvalidInput):
        accept_invitation(_token(outbox), "Ivy", "a long invitee passphrase")
    assert db.session.scalar(select(User).where(User.email == "ivy@alder.sch.uk")) is None


def test_inviting_again_replaces_the_earlier_link(cast, outbox):
    invite_person(cast.org_a, "Ivy", "ivy@alder.sch.uk", group_id=None, actor=cast.manager_a)
    first = _token(outbox)
    invite_person(cast.org_a, "Ivy", "ivy@alder.sch.uk", group_id=None, actor=cast.manager_a)
    with pytest.raises(InvalidInput):
        accept_invitation(first, "Ivy", "a long invitee passphrase")
    assert accept_invitation(_token(outbox), "Ivy", "a long invitee passphrase").organisation_id == cast.org_a.id


def test_the_invitation_page_sets_a_password_and_logs_in(client, cast, outbox):
    invite_person(cast.org_a, "Ivy Invitee", "ivy@alder.sch.uk", group_id=None, actor=cast.manager_a)
    url = f"/invitations/{_token(outbox)}"
    page = client.get(url)
    assert page.status_code == 200 and 'value="Ivy Invitee"' in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = client.post(url, data={"display_name": "Ivy Invitee", "password": "a long invitee passphrase",
                                      "confirm": "a long invitee passphrase"})
    assert response.status_code == 302
    assert client.get("/my-learning").status_code == 200
    assert client.get(url).status_code == 400


def test_an_existing_account_joins_only_after_logging_in_and_accepting(client, cast, make, outbox, sign_in):
    loner = make.user(name="Lou Loner", email="lou@example.org")
    invite_person(cast.org_a, "Lou Loner", "lou@example.org", group_id=None, actor=cast.manager_a)
    url = f"/invitations/{_token(outbox)}"
    assert "Log in to accept" in client.get(url).get_data(as_text=True)
    assert db.session.get(User, loner.id).organisation_id is None
    sign_in(loner)
    assert client.post(url, data={}).status_code == 302
    assert db.session.get(User, loner.id).organisation_id == cast.org_a.id


def test_a_member_of_another_organisation_is_invited_like_anyone_and_stays_where_they_are(cast, outbox):
    # The manager must not learn who has an account elsewhere; the acceptance page turns them away
    # (tests/security/test_enumeration.py).
    invite_person(cast.org_a, "Bea", cast.learner_b.email, group_id=None, actor=cast.manager_a)
    assert [message["To"] for message in outbox] == [cast.learner_b.email]
    assert db.session.get(User, cast.learner_b.id).organisation_id == cast.org_b.id


def test_csv_import_reports_every_row(cast, outbox):
    service.create_group(cast.org_a, "Teaching staff", actor=cast.manager_a)
    content = (
        "Name,Email,Group\n"
        "Tara Teacher,tara@alder.sch.uk,Teaching staff\n"
        ",nameless@alder.sch.uk,\n"
        "Bad Email,not-an-email,\n"
        "Tara Again,TARA@alder.sch.uk,\n"
        f"Bea Learner,{cast.learner_b.email},\n"
        "Gus Groupless,gus@alder.sch.uk,Dinner ladies\n"
        "=cmd|' /C calc'!A0,formula@alder.sch.uk,\n"
    ).encode()
    report = import_people(cast.org_a, content, actor=cast.manager_a)
    outcomes = {row.line: (row.outcome, row.reason) for row in report.rows}
    assert outcomes[2][0] == RowOutcome.INVITED
    assert "name" in outcomes[3][1].lower()
    assert "email address" in outcomes[4][1].lower()
    assert "Duplicate of line 2" in outcomes[5][1]
    assert outcomes[6][0] == RowOutcome.INVITED  # another organisation's member: invited like anyone (no tell)
    assert "no group called" in outcomes[7][1]
    assert outcomes[8][0] == RowOutcome.INVITED
    assert (report.invited, report.rejected) == (3, 4)
    assert len(outbox) == 3
    stored = db.session.scalar(select(Invitation).where(Invitation.email == "formula@alder.sch.uk"))
    assert stored.display_name == "=cmd|' /C calc'!A0"  # text, as typed; exports neutralise it
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "people.imported")) == 1


@pytest.mark.parametrize("content", [
    b"%PDF-1.7\x00\x01binary",
    "name;email\nAnn;ann@x.org\n".encode("utf-16"),
    b"just some text without the columns\n",
    b"",
])
def test_a_file_that_is_not_a_csv_imports_nothing(cast, outbox, content):
    with pytest.raises(InvalidInput, match="Nothing was imported"):
        import_people(cast.org_a, content, actor=cast.manager_a)
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
    assert outbox == []


def test_the_import_page_shows_the_report(client, cast, sign_in, outbox):
    import io

    sign_in(cast.manager_a)
    response = client.post("/manage/people/import", data={
        "file": (io.BytesIO(b"name,email\nTara,tara@alder.sch.uk\n,x@alder.sch.uk\n"), "staff.csv")},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "1 invited, 1 not imported" in page and "Enter the person" in page


def test_self_registration_on_the_organisations_domain_joins_it(cast, course):
    add_domain(cast.org_a, "@Alder.sch.uk", actor=cast.admin)
    rule = service.save_new_starter_rule(cast.org_a, course.id, 14, actor=cast.manager_a)
    outsider = service.sign_up("Olly", "olly@alder.sch.uk", "a long test passphrase")
    assert outsider.organisation_id is None  # the organisation has not switched it on
    set_domain_signup(cast.org_a, True, actor=cast.manager_a)
    joiner = service.sign_up("Jo", "jo@alder.sch.uk", "a long test passphrase")
    other = service.sign_up("Pat", "pat@gmail.com", "a long test passphrase")
    assert joiner.organisation_id == cast.org_a.id and other.organisation_id is None
    assignment = db.session.scalar(select(Assignment).where(Assignment.user_id == joiner.id))
    assert assignment.course_id == rule.course_id and assignment.due_on == days(14)


def test_only_an_admin_can_claim_an_email_domain(cast):
    with pytest.raises(NotAllowed):
        add_domain(cast.org_a, "gmail.com", actor=cast.manager_a)


def test_a_deactivated_leaver_keeps_their_records_and_cannot_log_in(client, cast, course, make):
    enrolment = make.enrolment(user=cast.learner_a, course=course)
    service.set_active(cast.org_a, cast.learner_a.id, False, actor=cast.manager_a)
    response = client.post("/login", data={"email": cast.learner_a.email, "password": make.PASSWORD})
    assert response.status_code != 302 or "/login" in response.headers.get("Location", "")
    assert db.session.get(User, cast.learner_a.id).organisation_id == cast.org_a.id
    assert enrolment.id is not None
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "member.deactivated")) == 1


def test_a_manager_cannot_deactivate_themselves_or_another_manager(cast, make):
    with pytest.raises(NotAllowed):
        service.set_active(cast.org_a, cast.manager_a.id, False, actor=cast.manager_a)
    from elearn.models import Role

    colleague = make.user(role=Role.MANAGER, org=cast.org_a)
    with pytest.raises(NotAllowed):
        service.set_active(cast.org_a, colleague.id, False, actor=cast.manager_a)


def test_a_manager_cannot_reactivate_a_deleted_account(client, cast, make):
    from elearn.privacy.service import delete_account

    delete_account(cast.learner_a, make.PASSWORD, actor=cast.learner_a)
    with pytest.raises(NotFound):  # a deleted account is no one's to act on
        service.set_active(cast.org_a, cast.learner_a.id, True, actor=cast.manager_a)
    assert db.session.get(User, cast.learner_a.id).is_active_account is False


def test_the_member_page_offers_the_organisations_groups_and_saves_them(client, cast, sign_in):
    teachers = service.create_group(cast.org_a, "Teaching staff", actor=cast.manager_a)
    service.create_group(cast.org_b, "Birch governors", actor=cast.manager_b)
    sign_in(cast.manager_a)
    page = client.get(f"/manage/people/{cast.learner_a.id}").get_data(as_text=True)
    assert f'action="/manage/people/{cast.learner_a.id}/groups"' in page
    assert "Teaching staff" in page and "Birch governors" not in page
    assert client.post(f"/manage/people/{cast.learner_a.id}/groups", data={"group_ids": [teachers.id]}).status_code == 302
    page = client.get(f"/manage/people/{cast.learner_a.id}").get_data(as_text=True)
    assert f'value="{teachers.id}" id="group-{teachers.id}" checked' in page


def test_the_people_page_reads_the_invitations_groups_in_the_same_queries_for_one_or_five(client, cast, make,
                                                                                         sign_in, count_queries):
    sign_in(cast.manager_a)

    def page_queries(invitations: int) -> int:
        for n in range(invitations):
            make.invitation(org=cast.org_a, group=make.group(org=cast.org_a, name=f"Group {n} of {invitations}"))
        with count_queries() as counter:
            assert client.get("/manage/people").status_code == 200
        return counter.count

    assert page_queries(1) == page_queries(5)


def test_setting_a_members_groups_reads_them_in_the_same_queries_for_one_group_or_five(cast, make, count_queries):
    """The chosen groups are looked up together; only the memberships written grow with their number."""
    groups = [make.group(org=cast.org_a, name=f"Group {n}") for n in range(5)]

    def queries(chosen: list) -> int:
        ids = [g.id for g in chosen]
        db.session.expire_all()  # as in a request: nothing already loaded
        with count_queries() as counter:
            service.set_member_groups(cast.org_a, cast.learner_a.id, ids, actor=cast.manager_a)
        return len([sql for sql in counter.statements if sql.lstrip().upper().startswith("SELECT")])

    assert queries(groups[:1]) == queries(groups)


def test_a_group_of_another_organisation_among_the_chosen_is_not_found_and_changes_nothing(cast, make):
    mine, theirs = make.group(org=cast.org_a, name="Mine"), make.group(org=cast.org_b, name="Theirs")
    service.set_member_groups(cast.org_a, cast.learner_a.id, [mine.id], actor=cast.manager_a)
    with pytest.raises(NotFound):
        service.set_member_groups(cast.org_a, cast.learner_a.id, [mine.id, theirs.id], actor=cast.manager_a)
    db.session.rollback()
    assert [m.group_id for m in db.session.scalars(select(GroupMembership).where(
        GroupMembership.user_id == cast.learner_a.id))] == [mine.id]


def _leaver_of_a(cast, make):  # type: ignore[no-untyped-def]
    """learner_a with a certificate and a group in school A, deactivated by A's manager as a leaver."""
    from elearn.auth.service import set_account_active

    certificate = make.certificate(user=cast.learner_a)
    group = service.create_group(cast.org_a, "Year 3 team", actor=cast.manager_a)
    service.add_to_group(cast.learner_a, group)
    set_account_active(cast.learner_a, False, actor=cast.manager_a, event="member", organisation_id=cast.org_a.id)
    return certificate


def test_a_leaver_deactivated_by_one_school_joins_the_next_with_their_certificates(cast, make, outbox):
    certificate = _leaver_of_a(cast, make)
    invite_person(cast.org_b, "Amy New", cast.learner_a.email, group_id=None, actor=cast.manager_b)
    assert "set your password" in outbox[-1].get_content()  # they cannot sign in to accept
    user = accept_invitation(_token(outbox), "Amy Learner", "a long leaver passphrase")
    assert user.id == cast.learner_a.id and user.organisation_id == cast.org_b.id and user.is_active_account
    assert db.session.scalar(select(func.count()).select_from(GroupMembership)
                             .where(GroupMembership.user_id == user.id)) == 0  # A's groups are A's
    from elearn.certificates.service import list_my_certificates

    assert [entry.certificate.id for entry in list_my_certificates(user)] == [certificate.id]


def test_the_leaver_accepts_on_the_invitation_page_and_is_signed_in(client, cast, make, outbox):
    _leaver_of_a(cast, make)
    invite_person(cast.org_b, "Amy", cast.learner_a.email, group_id=None, actor=cast.manager_b)
    url = f"/invitations/{_token(outbox)}"
    assert "password" in client.get(url).get_data(as_text=True).lower()
    response = client.post(url, data={"display_name": "Amy Learner", "password": "a long leaver passphrase",
                                      "confirm": "a long leaver passphrase"})
    assert response.status_code == 302
    assert client.get("/my-learning").status_code == 200


def test_an_active_member_of_another_school_still_cannot_take_the_set_password_route(cast, outbox):
    invite_person(cast.org_a, "Bea", cast.learner_b.email, group_id=None, actor=cast.manager_a)
    with pytest.raises(InvalidInput):
        accept_invitation(_token(outbox), "Bea", "a long takeover passphrase")
    assert db.session.get(User, cast.learner_b.id).organisation_id == cast.org_b.id
