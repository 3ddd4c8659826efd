"""The CSV import at size: a bounded number of queries whatever the file's length, every invitation with its own
link, and the emails handed to the workers in batches."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from elearn.extensions import db
from elearn.jobs import queue
from elearn.models import AuditEvent, Invitation, MemberKind, OutboxEmail
from elearn.people.csv_import import RowOutcome, import_people
from elearn.people.invitations import invite_person
from elearn.security import token_hash


def staff_file(count: int, start: int = 0) -> bytes:
    return ("name,email\n" + "".join(f"Person {n},person{n}@alder.sch.uk\n" for n in range(start, start + count))).encode()


@pytest.fixture
def queued_jobs(monkeypatch) -> list[tuple[str, tuple[object, ...]]]:
    """The jobs handed to the queue, kept instead of run (so that counting queries counts the import's alone)."""
    jobs: list[tuple[str, tuple[object, ...]]] = []
    monkeypatch.setattr(queue, "enqueue", lambda name, *args: jobs.append((name, args)) or True)
    return jobs


def test_an_import_runs_as_many_queries_for_three_hundred_rows_as_for_three(cast, count_queries, queued_jobs):
    import_people(cast.org_a, staff_file(1, start=1000), actor=cast.manager_a)  # both counted imports start alike
    with count_queries() as small:
        import_people(cast.org_a, staff_file(3), actor=cast.manager_a)
    with count_queries() as large:
        import_people(cast.org_a, staff_file(300, start=3), actor=cast.manager_a)
    assert large.count == small.count == 11, large.statements
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 304


def test_the_emails_go_to_the_workers_in_batches_once_the_import_commits(cast, queued_jobs):
    import_people(cast.org_a, staff_file(250), actor=cast.manager_a)
    outbox_ids = list(db.session.scalars(select(OutboxEmail.id).order_by(OutboxEmail.id)))
    assert len(outbox_ids) == 250
    assert [(name, len(args[0])) for name, args in queued_jobs] == [(queue.DELIVER_EMAILS, 100),
                                                                    (queue.DELIVER_EMAILS, 100),
                                                                    (queue.DELIVER_EMAILS, 50)]
    assert [outbox_id for _, args in queued_jobs for outbox_id in args[0]] == outbox_ids  # each once


def test_each_invitation_gets_its_own_link_and_the_wording_for_its_reader(cast, outbox):
    content = f"name,email\nNew Person,new@alder.sch.uk\nBea Learner,{cast.learner_b.email}\n".encode()
    import_people(cast.org_a, content, actor=cast.manager_a)
    by_email = {message["To"]: message.get_content() for message in outbox}
    assert "set your password" in by_email["new@alder.sch.uk"]
    assert "log in with your existing account" in by_email[cast.learner_b.email]
    for email, body in by_email.items():
        token = body.split("/invitations/")[1].split()[0]
        invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
        assert invitation is not None and invitation.email == email
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.target == f"invitation:{invitation.id}"))
        assert event.action == "invitation.sent" and event.organisation_id == cast.org_a.id
    assert db.session.scalar(select(AuditEvent.subject_user_id).where(
        AuditEvent.action == "invitation.sent", AuditEvent.subject_user_id.is_not(None))) == cast.learner_b.id


def test_importing_someone_invited_already_withdraws_the_earlier_invitation(cast, outbox):
    earlier = invite_person(cast.org_a, "Ivy", "ivy@alder.sch.uk", group_id=None, actor=cast.manager_a)
    report = import_people(cast.org_a, b"name,email\nIvy Invitee,ivy@alder.sch.uk\n", actor=cast.manager_a)
    assert [row.outcome for row in report.rows] == [RowOutcome.INVITED]
    db.session.expire_all()
    assert db.session.get(Invitation, earlier.id).cancelled_at is not None
    [open_one] = db.session.scalars(select(Invitation).where(Invitation.cancelled_at.is_(None))).all()
    assert open_one.display_name == "Ivy Invitee" and len(outbox) == 2


def test_a_member_in_the_file_is_refused_with_the_reason_and_the_rest_invited(cast, outbox):
    content = f"name,email\nAmy,{cast.learner_a.email}\nNew Person,new@alder.sch.uk\n".encode()
    report = import_people(cast.org_a, content, actor=cast.manager_a)
    assert [(row.line, row.outcome, row.reason) for row in report.rows] == [
        (2, RowOutcome.REJECTED, "This person is already a member of your organisation."),
        (3, RowOutcome.INVITED, "")]
    assert [message["To"] for message in outbox] == ["new@alder.sch.uk"]


def test_the_kind_column_takes_the_kinds_values_or_labels_in_any_case_and_staff_when_empty(cast, outbox):
    content = (b"name,email,kind\n"
               b"Sam Staff,sam@alder.sch.uk,\n"
               b"Sue Supply,sue@alder.sch.uk,Supply staff\n"
               b"Pip Peri,pip@alder.sch.uk,PERIPATETIC\n"
               b"Val Volunteer,val@alder.sch.uk, volunteer \n"
               b"Gil Governor,gil@alder.sch.uk,Governor\n"
               b"Tam Trustee,tam@alder.sch.uk,trustee\n")
    report = import_people(cast.org_a, content, actor=cast.manager_a)
    assert report.invited == 6 and report.rejected == 0
    kinds = dict(db.session.execute(select(Invitation.email, Invitation.member_kind)).all())
    assert kinds == {"sam@alder.sch.uk": MemberKind.STAFF, "sue@alder.sch.uk": MemberKind.SUPPLY,
                     "pip@alder.sch.uk": MemberKind.PERIPATETIC, "val@alder.sch.uk": MemberKind.VOLUNTEER,
                     "gil@alder.sch.uk": MemberKind.GOVERNOR, "tam@alder.sch.uk": MemberKind.TRUSTEE}
    kind_events = [event.details.get("kind") for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "invitation.sent"))]
    assert sorted(kind_events) == sorted(kind.value for kind in MemberKind)


def test_an_unknown_kind_refuses_that_line_alone_and_says_which_kinds_there_are(cast, outbox):
    content = b"name,email,kind\nCal Caretaker,cal@alder.sch.uk,caretaker\nGil Governor,gil@alder.sch.uk,governor\n"
    report = import_people(cast.org_a, content, actor=cast.manager_a)
    [refused, invited] = report.rows
    assert (refused.line, refused.outcome) == (2, RowOutcome.REJECTED)
    assert "There is no kind of member called “caretaker”" in refused.reason
    assert "staff, supply, peripatetic, volunteer, governor, trustee" in refused.reason
    assert (invited.line, invited.outcome) == (3, RowOutcome.INVITED)
    assert db.session.scalars(select(Invitation.email)).all() == ["gil@alder.sch.uk"]
    assert [message["To"] for message in outbox] == ["gil@alder.sch.uk"]


def test_the_import_page_explains_the_kind_column(client, cast, sign_in):
    sign_in(cast.manager_a)
    page = client.get("/manage/people/import").get_data(as_text=True)
    assert "<code>kind</code> (optional)" in page
    assert "<code>governor</code> (Governor)" in page
