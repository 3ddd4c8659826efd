"""Certificate rules, called directly: issue, status, documents, file names, names, revocation, refreshers."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from elearn.certificates import filenames, names, service
from elearn.certificates.codes import ALPHABET, CODE_LENGTH, normalise_code
from elearn.certificates.pdf import render_certificate_pdf
from elearn.certificates.service import CertificateStatus, certificate_status
from elearn.downloads import content_disposition
from elearn.errors import Conflict, InvalidInput, NotAllowed, NotFound
from elearn.extensions import db
from elearn.learning import service as learning
from elearn.models import Attempt, AuditEvent, Certificate, Enrolment
from tests.makers import days_ago

TODAY = date(2026, 6, 15)


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


# --- issue ---------------------------------------------------------------------------------


def test_issuing_twice_for_one_pass_returns_the_same_certificate(make):
    certificate = make.certificate()
    attempt = db.session.get(Attempt, certificate.attempt_id)
    assert service.issue_certificate(attempt).id == certificate.id
    db.session.commit()
    assert count(Certificate) == 1


def test_a_failed_or_unsubmitted_attempt_earns_no_certificate(make):
    enrolment = make.enrolment(lessons_done="all")
    attempt = Attempt(enrolment_id=enrolment.id, user_id=enrolment.user_id, version_id=enrolment.version_id,
                      number=1, submitted_at=days_ago(0), score_percent=Decimal(40), passed=False)
    db.session.add(attempt)
    db.session.flush()
    with pytest.raises(ValueError):
        service.issue_certificate(attempt)
    attempt.submitted_at = None
    with pytest.raises(ValueError):
        service.issue_certificate(attempt)


def test_the_code_is_random_with_at_least_60_bits_and_stored_normalised(make):
    first, second = make.certificate(), make.certificate(user=make.user())
    assert CODE_LENGTH * math.log2(len(ALPHABET)) >= 60
    assert normalise_code(first.code) == first.code and len(first.code) == CODE_LENGTH
    assert first.code != second.code


def test_the_certificate_snapshots_name_course_hours_score_and_expires_after_12_months(make):
    user = make.user(name="Jo Bloggs")
    certificate = make.certificate(user=user, score=87,
                                   submitted_at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    assert (certificate.learner_name, certificate.course_title) == ("Jo Bloggs", "Sample safeguarding refresher")
    assert (certificate.cpd_hours, certificate.score_percent, certificate.course_version_number) == (Decimal("0.5"), 87, 1)
    assert certificate.outcomes == ["Name the four categories of abuse.", "Say who to tell about a concern."]
    # 23:30 UTC on 31 March is 00:30 on 1 April in London (BST): the London date counts.
    assert certificate.expires_on == date(2027, 4, 1)


def test_a_later_name_change_outside_the_correction_flow_does_not_alter_the_snapshot(make):
    user = make.user(name="Jo Bloggs")
    certificate = make.certificate(user=user)
    user.display_name = "Someone Else"
    db.session.commit()
    assert service.certificate_document(certificate).learner_name == "Jo Bloggs"


# --- status -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expires_on", "revoked", "status"),
    [
        (date(2027, 6, 15), False, CertificateStatus.VALID),
        (date(2026, 7, 16), False, CertificateStatus.VALID),  # 31 days left
        (date(2026, 7, 15), False, CertificateStatus.EXPIRING),  # 30 days left
        (date(2026, 6, 15), False, CertificateStatus.EXPIRING),  # last valid day
        (date(2026, 6, 14), False, CertificateStatus.EXPIRED),
        (date(2027, 6, 15), True, CertificateStatus.REVOKED),
        (date(2020, 1, 1), True, CertificateStatus.REVOKED),  # revoked beats expired
    ],
)
def test_status_rule(expires_on, revoked, status):
    certificate = Certificate(expires_on=expires_on, revoked_at=datetime(2026, 1, 1, tzinfo=UTC) if revoked else None)
    assert certificate_status(certificate, TODAY) == status


def test_my_certificates_lists_only_mine_newest_first_in_one_query(make, count_queries):
    me, other = make.user(), make.user()
    course_b = make.course(slug="second-course")
    old = make.certificate(user=me, submitted_at=days_ago(400))
    new = make.certificate(user=me, course=course_b)
    make.certificate(user=other)
    assert me.id  # loaded, as the logged-in user is in a request
    with count_queries() as counter:
        entries = service.list_my_certificates(me)
    assert [e.certificate.id for e in entries] == [new.id, old.id]
    assert [e.status for e in entries] == [CertificateStatus.VALID, CertificateStatus.EXPIRED]
    assert counter.count == 1


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [("learner_a", True), ("second_learner_a", False), ("learner_b", False),
     ("manager_a", True), ("manager_b", False), ("admin", True)],
)
def test_who_may_get_learner_a1s_certificate(make, cast, actor, allowed):
    certificate = make.certificate(user=cast.learner_a)
    if allowed:
        assert service.get_certificate(certificate.id, actor=cast.persona(actor)).id == certificate.id
    else:
        with pytest.raises(NotFound):
            service.get_certificate(certificate.id, actor=cast.persona(actor))


def test_a_manager_without_an_organisation_sees_no_unattached_learners_certificate(make):
    from elearn.models import Role

    certificate = make.certificate(user=make.user())
    with pytest.raises(NotFound):
        service.get_certificate(certificate.id, actor=make.user(role=Role.MANAGER))


def test_a_download_by_the_learner_writes_nothing_but_one_by_a_manager_is_audited(make, cast):
    certificate = make.certificate(user=cast.learner_a)
    before = count(AuditEvent)
    service.download_certificate(certificate.id, actor=cast.learner_a)
    assert count(AuditEvent) == before
    service.download_certificate(certificate.id, actor=cast.manager_a)
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.actor_id, event.subject_user_id) == ("certificate.downloaded", cast.manager_a.id,
                                                                     cast.learner_a.id)
    assert event.target == f"certificate:{certificate.id}"


# --- the document ---------------------------------------------------------------------------


def test_the_document_comes_from_the_snapshots_with_london_dates_and_the_public_verify_url(make, app):
    certificate = make.certificate(submitted_at=datetime(2026, 7, 1, 23, 15, tzinfo=UTC))
    document = service.certificate_document(certificate)
    assert document.completed_on == date(2026, 7, 2)  # 00:15 BST
    assert document.verify_url == f"https://elearn.test/verify/{certificate.code[:4]}-{certificate.code[4:8]}-" \
                                  f"{certificate.code[8:12]}-{certificate.code[12:]}"
    assert document.status_note is None
    assert document.platform_name == app.config["PLATFORM_NAME"]


def test_the_pdf_is_the_same_bytes_every_time(make):
    certificate = make.certificate()
    first = render_certificate_pdf(service.certificate_document(certificate))
    assert render_certificate_pdf(service.certificate_document(certificate)) == first


def test_a_certificate_of_an_unpublished_course_still_renders_from_its_snapshot(make):
    certificate = make.certificate()
    certificate.course.is_published = False
    db.session.commit()
    assert service.download_certificate(certificate.id, actor=certificate.user).body.startswith(b"%PDF-")


@pytest.mark.parametrize(
    "name",
    ['"><script>alert(1)</script>', "Zoë Ní Dhomhnaill", "Siân Ŵyn", "مريم الحسن", "דוד כהן", "王小明",
     "Amy 👩‍🏫 Smith", "Ä" * 200, "x" * 200, "<b>&amp;</b> O'Neil \\ ; \"quoted\""],
)
def test_hostile_and_long_names_still_give_a_pdf(make, name):
    # The renderer takes any string; the database caps stored names at 120 characters (see the view tests).
    certificate = make.certificate()
    document = service.certificate_document(certificate)
    pdf = render_certificate_pdf(document.__class__(**{**document.__dict__, "learner_name": name}))
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")


# --- file names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "ascii_name", "unicode_name"),
    [
        ("Jo Bloggs", "jo-bloggs", "jo-bloggs"),
        ("Zoë O'Brien", "zoe-o-brien", "zoë-o-brien"),
        ('Evil"; filename=x.exe', "evil-filename-x-exe", "evil-filename-x-exe"),
        ("Line\r\nBreak: x", "line-break-x", "line-break-x"),
        ("../../etc/passwd", "etc-passwd", "etc-passwd"),
        ("王小明", "learner", "王小明"),
        ("🙂🙂", "learner", "learner"),
        ("ŁUKASZ Żółć", "ukasz-zoc", "łukasz-żółć"),
    ],
)
def test_download_filename(make, name, ascii_name, unicode_name):
    certificate = make.certificate()
    certificate.learner_name = name
    ascii_file, unicode_file = filenames.certificate_filenames(certificate)
    assert ascii_file == f"cpd-certificate-sample-course-{ascii_name}.pdf"
    assert unicode_file == f"cpd-certificate-sample-course-{unicode_name}.pdf"
    header = content_disposition(ascii_file, unicode_file)
    assert header.startswith("attachment; ")
    assert not any(ch in header for ch in "\r\n\\") and "../" not in header and header.count('"') == 2
    assert header.isascii()


def test_a_very_long_name_gives_a_bounded_filename(make):
    certificate = make.certificate()
    certificate.learner_name = ("Bartholomew " * 10).strip()  # 119 characters
    ascii_file, _ = filenames.certificate_filenames(certificate)
    assert len(ascii_file) <= len("cpd-certificate-sample-course-.pdf") + 60
    assert not ascii_file.endswith("-.pdf")


# --- verification lookup -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["existing", "unknown", "malformed", "too long"])
def test_every_lookup_is_one_indexed_query(make, count_queries, kind):
    certificate = make.certificate()
    raw = {"existing": certificate.code, "unknown": "2222-3333-4444-5555", "malformed": "not a code!",
           "too long": "A" * 10_000}[kind]
    with count_queries() as counter:
        result = service.verify_certificate(raw)
    assert counter.count == 1
    assert (result is not None) == (kind == "existing")


def test_the_public_result_holds_no_email_organisation_or_score(make):
    certificate = make.certificate()
    result = service.verify_certificate(certificate.code)
    fields = set(result.__dataclass_fields__)
    assert not fields & {"email", "organisation", "organisation_id", "score_percent", "user_id", "revoked_reason"}


# --- name corrections -------------------------------------------------------------------------


def test_correcting_a_name_reissues_every_unrevoked_certificate_under_the_same_code(make, cast):
    first = make.certificate(user=cast.learner_a)
    second = make.certificate(user=cast.learner_a, course=make.course(slug="second-course"))
    revoked = make.certificate(user=cast.learner_a, course=make.course(slug="third-course"))
    service.revoke_certificate(revoked.id, "Issued in error", actor=cast.admin)
    codes = {first.code, second.code}

    reissued = names.correct_name(cast.learner_a, "  Ann   Lerner ", actor=cast.learner_a)

    assert {c.code for c in reissued} == codes
    assert all(c.learner_name == "Ann Lerner" and c.reissued_at is not None for c in reissued)
    assert (revoked.learner_name, revoked.reissued_at) == ("Ann Learner", None)
    assert cast.learner_a.display_name == "Ann Lerner"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.name_corrected")).one()
    assert event.details["old_name"] == "Ann Learner" and event.details["new_name"] == "Ann Lerner"
    assert sorted(event.details["certificate_ids"]) == sorted([first.id, second.id])
    assert "corrected name" in service.certificate_document(first).status_note


@pytest.mark.parametrize(
    ("actor", "target", "allowed"),
    [("learner_a", "learner_a", True), ("manager_a", "learner_a", True), ("admin", "learner_b", True),
     ("second_learner_a", "learner_a", False), ("manager_b", "learner_a", False), ("manager_a", "manager_b", False),
     ("manager_a", "learner_b", False)],
)
def test_who_may_correct_a_name(make, cast, actor, target, allowed):
    """Refused with 404: none of these may even see the person (elearn/access.py; tests/test_access_policy.py has
    the full table, including a fellow manager's name, which is a 403)."""
    user = cast.persona(target)
    if allowed:
        names.correct_name(user, "New Name", actor=cast.persona(actor))
        assert user.display_name == "New Name"
    else:
        with pytest.raises(NotFound):
            names.correct_name(user, "New Name", actor=cast.persona(actor))
        db.session.rollback()
        assert user.display_name != "New Name"
        assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.name_corrected")).all()


@pytest.mark.parametrize("name", ["", "   ", "x" * 121, "Bad\x00Name", "Ann Learner"])
def test_a_bad_or_unchanged_name_is_refused_and_nothing_changes(make, cast, name):
    certificate = make.certificate(user=cast.learner_a)
    with pytest.raises(InvalidInput) as error:
        names.correct_name(cast.learner_a, name, actor=cast.learner_a)
    assert error.value.field == "display_name"
    db.session.rollback()
    assert (certificate.learner_name, certificate.reissued_at) == ("Ann Learner", None)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "account.name_corrected")) == 0


# --- revocation -------------------------------------------------------------------------------


def test_revoking_records_who_when_and_why_and_is_audited(make, cast):
    certificate = make.certificate(user=cast.learner_a)
    service.revoke_certificate(certificate.id, "  Attempt taken by someone else ", actor=cast.admin)
    assert certificate.revoked_by_id == cast.admin.id and certificate.revoked_at is not None
    assert certificate.revoked_reason == "Attempt taken by someone else"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate.revoked")).one()
    assert event.details == {"reason": "Attempt taken by someone else"} and event.subject_user_id == cast.learner_a.id
    assert service.verify_certificate(certificate.code).status == CertificateStatus.REVOKED
    assert service.certificate_document(certificate).status_note.startswith("REVOKED")


@pytest.mark.parametrize("actor", ["learner_a", "manager_a", "manager_b"])
def test_only_an_admin_may_revoke(make, cast, actor):
    certificate = make.certificate(user=cast.learner_a)
    with pytest.raises(NotAllowed):  # admin-only: 403, as every admin-only check
        service.revoke_certificate(certificate.id, "reason", actor=cast.persona(actor))
    db.session.rollback()
    assert certificate.revoked_at is None


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_revoking_needs_a_reason(make, cast, reason):
    certificate = make.certificate(user=cast.learner_a)
    with pytest.raises(InvalidInput):
        service.revoke_certificate(certificate.id, reason, actor=cast.admin)
    db.session.rollback()
    assert certificate.revoked_at is None


def test_revoking_twice_is_a_conflict(make, cast):
    certificate = make.certificate(user=cast.learner_a)
    service.revoke_certificate(certificate.id, "Issued in error", actor=cast.admin)
    with pytest.raises(Conflict):
        service.revoke_certificate(certificate.id, "Again", actor=cast.admin)


def test_admin_search_finds_by_code_in_any_format_or_by_part_of_the_name(make, cast):
    mine = make.certificate(user=cast.learner_a)
    make.certificate(user=cast.learner_b)
    spaced = " ".join(mine.code[i:i + 4] for i in range(0, 16, 4)).lower()
    assert [e.certificate.id for e in service.list_certificates(spaced, actor=cast.admin)] == [mine.id]
    assert [e.certificate.id for e in service.list_certificates("ann", actor=cast.admin)] == [mine.id]
    assert len(service.list_certificates("", actor=cast.admin)) == 2
    assert service.list_certificates("100%_", actor=cast.admin) == []
    with pytest.raises(NotAllowed):
        service.list_certificates("", actor=cast.manager_a)


# --- refreshers -------------------------------------------------------------------------------


def test_no_refresher_while_the_certificate_has_more_than_30_days_left(make):
    certificate = make.certificate(submitted_at=days_ago(300))
    enrolment = service.start_refresher(certificate.course, actor=certificate.user)
    assert enrolment.id == certificate.enrolment_id and count(Enrolment) == 1
    assert service.list_refreshers_due(certificate.user) == {}


@pytest.mark.parametrize("age_days", [340, 500])  # expiring soon; expired
def test_a_refresher_starts_a_new_cycle_on_the_newest_version(make, age_days):
    certificate = make.certificate(submitted_at=days_ago(age_days))
    offers = service.list_refreshers_due(certificate.user)
    assert list(offers) == [certificate.course_id]
    refresher = service.start_refresher(certificate.course, actor=certificate.user)
    assert refresher.cycle == 2 and refresher.passed_at is None
    assert service.start_refresher(certificate.course, actor=certificate.user).id == refresher.id  # double click
    assert count(Enrolment) == 2
    assert service.list_refreshers_due(certificate.user) == {}  # the refresher is under way


def test_no_refresher_before_a_pass(make):
    enrolment = make.enrolment(lessons_done="all")
    assert service.start_refresher(enrolment.course, actor=enrolment.user).id == enrolment.id
    with pytest.raises(NotFound):
        service.start_refresher(enrolment.course, actor=make.user())


def test_passing_the_refresher_adds_a_certificate_and_keeps_the_old_one(make):
    old = make.certificate(submitted_at=days_ago(350))
    refresher = service.start_refresher(old.course, actor=old.user)
    new = make.certificate(enrolment=refresher)
    assert new.id != old.id and new.code != old.code and new.enrolment_id == refresher.id
    assert [e.certificate.id for e in service.list_my_certificates(old.user)] == [new.id, old.id]
    assert service.list_refreshers_due(old.user) == {}
    assert new.expires_on > old.expires_on + timedelta(days=300)


# --- honest certificates -------------------------------------------------------------------------


def test_the_certificate_stores_the_learners_organisation_and_keeps_it_when_they_move(make):
    school = make.org(name="Northshire Academy")
    user = make.user(org=school)
    certificate = make.certificate(user=user)
    assert certificate.organisation_name == "Northshire Academy"
    user.organisation_id = make.org(name="Southshire College").id
    school.name = "Renamed Academy"
    db.session.commit()
    assert service.certificate_document(certificate).organisation_name == "Northshire Academy"


def test_a_learner_without_an_organisation_gets_no_issued_for(make):
    assert make.certificate(user=make.user()).organisation_name is None


def test_no_accreditation_is_claimed_unless_the_deployment_names_a_body(make, app, monkeypatch):
    assert service.certificate_document(make.certificate()).accredited_by is None
    monkeypatch.setitem(app.config, "ACCREDITING_BODY", "The CPD Standards Office")
    certificate = make.certificate(user=make.user())
    assert service.certificate_document(certificate).accredited_by == "The CPD Standards Office"
    assert service.verify_certificate(certificate.code).accredited_by == "The CPD Standards Office"


# --- a revoked certificate: train again ----------------------------------------------------------


def test_a_revoked_certificate_opens_a_new_cycle_and_learner_and_manager_agree(make, cast):
    from elearn.compliance.compliance import ComplianceStatus
    from elearn.compliance.learners import list_assigned_courses

    learner = cast.learner_a
    certificate = make.certificate(user=learner)
    make.assignment(user=learner, course=certificate.course)
    assert list_assigned_courses(learner)[0].status == ComplianceStatus.COMPLIANT
    service.revoke_certificate(certificate.id, "Attempt taken by someone else", actor=cast.admin)

    current = learning.find_current_enrolment(certificate.course, actor=learner)
    assert current.cycle == 2 and current.passed_at is None
    mine = {entry.course.id: entry.progress.status for entry in learning.list_my_learning(actor=learner)}
    assert mine[certificate.course_id] == learning.LearningStatus.IN_PROGRESS  # not "Passed"
    assert list_assigned_courses(learner)[0].status == ComplianceStatus.IN_PROGRESS
    # The old cycle and its revoked certificate stay on the record.
    assert db.session.get(Enrolment, certificate.enrolment_id).passed_at is not None


def test_the_learner_can_take_the_assessment_again_after_a_revocation(make, cast):
    from elearn.assessment import service as assessment

    certificate = make.certificate(user=cast.learner_a)
    service.revoke_certificate(certificate.id, "Issued in error", actor=cast.admin)
    enrolment = learning.get_enrolment(certificate.course, actor=cast.learner_a)
    for lesson in learning.list_lessons(enrolment):
        learning.record_lesson_read(enrolment, lesson, actor=cast.learner_a)
    attempt = assessment.start_attempt(enrolment, actor=cast.learner_a)  # was 409: "already passed"
    assert attempt.enrolment_id == enrolment.id and enrolment.cycle == 2


def test_revoking_an_old_cycles_certificate_leaves_the_newer_cycle_alone(make, cast):
    old = make.certificate(user=cast.learner_a, submitted_at=days_ago(400))
    refresher = service.start_refresher(old.course, actor=cast.learner_a)
    service.revoke_certificate(old.id, "Issued in error", actor=cast.admin)
    assert count(Enrolment) == 2
    assert learning.find_current_enrolment(old.course, actor=cast.learner_a).id == refresher.id
