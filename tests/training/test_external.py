"""Training that arrives with a new starter: imported elearn certificates and training done elsewhere count
towards compliance until they expire, and are marked as such."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from elearn.certificates.codes import format_code
from elearn.compliance import reports
from elearn.compliance.compliance import ComplianceStatus as S
from elearn.compliance.compliance import TrainingSource as T
from elearn.compliance.compliance import compliance_status, latest_training
from elearn.compliance.matrix import MatrixQuery, training_matrix
from elearn.db import now_utc
from elearn.errors import InvalidInput
from elearn.extensions import db
from elearn.models import ExternalTraining
from elearn.training.service import ExternalInput, import_certificate, names_match, preview_certificate, record_external
from tests.makers import days

D = date(2026, 11, 23)


@pytest.mark.parametrize(("certificate_until", "external", "expected"), [
    (None,            [],                                              (None, None)),
    (date(2027, 1, 1), [],                                             (date(2027, 1, 1), T.CERTIFICATE)),
    (None,            [(date(2027, 5, 1), False)],                     (date(2027, 5, 1), T.EXTERNAL)),
    (None,            [(date(2027, 5, 1), True)],                      (date(2027, 5, 1), T.IMPORTED)),
    (date(2027, 1, 1), [(date(2027, 5, 1), False)],                    (date(2027, 5, 1), T.EXTERNAL)),
    (date(2027, 9, 1), [(date(2027, 5, 1), True)],                     (date(2027, 9, 1), T.CERTIFICATE)),
    (date(2027, 5, 1), [(date(2027, 5, 1), True)],                     (date(2027, 5, 1), T.CERTIFICATE)),  # tie: ours
    (None,            [(None, False)],                                 (None, None)),  # no expiry: never counts
    (None,            [(date(2027, 1, 1), False), (date(2027, 3, 1), True)], (date(2027, 3, 1), T.IMPORTED)),
])
def test_the_latest_training_wins_and_says_where_it_comes_from(certificate_until, external, expected):
    assert latest_training(certificate_until=certificate_until, external=external) == expected


@pytest.mark.parametrize(("external_until", "due_on", "expected"), [
    (date(2027, 5, 1),   date(2026, 11, 1), S.COMPLIANT),
    (date(2026, 12, 10), date(2026, 11, 1), S.EXPIRING),
    (date(2026, 11, 22), date(2026, 11, 1), S.OVERDUE),   # expired external training no longer counts
    (date(2026, 11, 23), date(2026, 12, 1), S.EXPIRING),  # valid on its last day
])
def test_external_training_counts_in_the_compliance_rule_until_it_expires(external_until, due_on, expected):
    valid_until, _ = latest_training(certificate_until=None, external=[(external_until, False)])
    assert compliance_status(assigned=True, due_on=due_on, valid_until=valid_until, in_progress=False,
                             today=D) == expected


@pytest.mark.parametrize(("a", "b", "match"), [
    ("Ann Learner", "Ann Learner", True),
    ("ann learner", "ANN LEARNER", True),
    ("Siân O'Neil", "Sian ONeil", False),
    ("Siân O'Neil", "Sian O Neil", True),
    ("Ann Marie Learner", "Ann Learner", True),
    ("Learner Ann", "Ann Learner", True),
    ("Ann Learner", "Ann Smith", False),
    ("Bob", "", False),
])
def test_names_match_reasonably(a, b, match):
    assert names_match(a, b) is match


def _external(cast, course, expires_on):  # type: ignore[no-untyped-def]
    return record_external(cast.org_a, cast.learner_a.id, ExternalInput(
        course.id if course else None, "Level 1 safeguarding", "County council", days(-300), expires_on),
        actor=cast.manager_a)


def test_external_training_makes_an_assigned_person_compliant_until_it_expires(cast, make, course):
    make.assignment(user=cast.learner_a, course=course, due_in_days=-5)
    assert reports.status_of(cast.learner_a.id, course.id, cast.org_a) == S.OVERDUE
    _external(cast, course, days(200))
    assert reports.status_of(cast.learner_a.id, course.id, cast.org_a) == S.COMPLIANT
    cell = training_matrix(cast.org_a, MatrixQuery(q="ann")).rows[0].cells[course.id]
    assert (cell.status, cell.valid_until, cell.source) == (S.COMPLIANT, days(200), T.EXTERNAL)
    counts = next(c for c in reports.compliance_dashboard(cast.org_a).courses if c.course_id == course.id).counts
    assert counts == {S.COMPLIANT: 1}


def test_expired_external_training_does_not_count(cast, make, course):
    make.assignment(user=cast.learner_a, course=course, due_in_days=-5)
    record = _external(cast, course, days(200))
    record.expires_on = days(-1)
    db.session.commit()
    assert reports.status_of(cast.learner_a.id, course.id, cast.org_a) == S.OVERDUE


def test_another_organisations_external_training_does_not_count_here(cast, course, make):
    make.assignment(user=cast.learner_b, course=course, due_in_days=-5)
    db.session.add(ExternalTraining(organisation_id=cast.org_a.id, user_id=cast.learner_b.id, course_id=course.id,
                                    title="x", provider="y", completed_on=days(-3), expires_on=days(300)))
    db.session.commit()
    assert reports.status_of(cast.learner_b.id, course.id, cast.org_b) == S.OVERDUE


@pytest.mark.parametrize(("completed", "expires", "for_course", "field"), [
    (None, 200, True, "completed_on"),
    (5, 200, True, "completed_on"),          # in the future
    (-10, -20, True, "expires_on"),          # expires before it was completed
    (-10, None, True, "expires_on"),         # counts for a course: needs an expiry date
])
def test_external_training_dates_are_checked(cast, course, completed, expires, for_course, field):
    with pytest.raises(InvalidInput) as error:
        record_external(cast.org_a, cast.learner_a.id, ExternalInput(
            course.id if for_course else None, "T", "P", days(completed) if completed is not None else None,
            days(expires) if expires is not None else None), actor=cast.manager_a)
    assert error.value.field == field


def test_training_kept_on_record_only_needs_no_expiry(cast):
    assert _external(cast, None, None).course_id is None


def _previous_employer_certificate(cast, make, course, *, name: str, expires_in: int = 300):  # type: ignore[no-untyped-def]
    old_account = make.user(name=name, org=cast.org_b)
    return make.certificate(user=old_account, course=course, expires_on=days(expires_in))


def test_a_new_starters_certificate_counts_once_imported(cast, course, make):
    certificate = _previous_employer_certificate(cast, make, course, name="Ann Learner")
    make.assignment(user=cast.learner_a, course=course, due_in_days=-1)
    preview = preview_certificate(cast.org_a, cast.learner_a.id, format_code(certificate.code).lower(), actor=cast.manager_a)
    assert preview.learner_name == "Ann Learner" and preview.names_match
    record = import_certificate(cast.org_a, cast.learner_a.id, certificate.code, name_confirmed=False,
                                actor=cast.manager_a)
    assert (record.certificate_id, record.expires_on) == (certificate.id, certificate.expires_on)
    cell = training_matrix(cast.org_a, MatrixQuery(q="ann")).rows[0].cells[course.id]
    assert (cell.status, cell.source) == (S.COMPLIANT, T.IMPORTED)
    certificate.revoked_at = now_utc()  # revoked later: it stops counting
    db.session.commit()
    assert reports.status_of(cast.learner_a.id, course.id, cast.org_a) == S.OVERDUE


def test_a_certificate_in_another_name_needs_the_managers_confirmation(cast, course, make):
    certificate = _previous_employer_certificate(cast, make, course, name="Ann Smith")
    assert not preview_certificate(cast.org_a, cast.learner_a.id, certificate.code, actor=cast.manager_a).names_match
    with pytest.raises(InvalidInput) as error:
        import_certificate(cast.org_a, cast.learner_a.id, certificate.code, name_confirmed=False, actor=cast.manager_a)
    assert error.value.field == "confirm"
    import_certificate(cast.org_a, cast.learner_a.id, certificate.code, name_confirmed=True, actor=cast.manager_a)


@pytest.mark.parametrize("case", ["unknown", "malformed", "revoked", "expired", "twice", "own"])
def test_only_a_valid_certificate_can_be_imported(cast, course, make, case):
    certificate = _previous_employer_certificate(cast, make, course, name="Ann Learner",
                                                 expires_in=-1 if case == "expired" else 300)
    code = certificate.code
    if case == "unknown":
        code = "2" * 16
    elif case == "malformed":
        code = "=1+1"
    elif case == "revoked":
        certificate.revoked_at = now_utc()
        db.session.commit()
    elif case == "twice":
        import_certificate(cast.org_a, cast.learner_a.id, code, name_confirmed=False, actor=cast.manager_a)
    elif case == "own":
        code = make.certificate(user=cast.learner_a, course=course, expires_on=days(100)).code
    before = db.session.scalar(select(func.count()).select_from(ExternalTraining))
    with pytest.raises(InvalidInput) as error:
        import_certificate(cast.org_a, cast.learner_a.id, code, name_confirmed=True, actor=cast.manager_a)
    assert error.value.field == "code"
    assert db.session.scalar(select(func.count()).select_from(ExternalTraining)) == before


def test_the_import_pages_show_the_name_then_add_the_certificate(client, cast, course, make, sign_in):
    certificate = _previous_employer_certificate(cast, make, course, name="Annie Smith")
    sign_in(cast.manager_a)
    url = f"/manage/people/{cast.learner_a.id}/training/import"
    page = client.post(url, data={"import-code": format_code(certificate.code)}).get_data(as_text=True)
    assert "Annie Smith" in page and "This is not the name we hold" in page
    assert client.post(url, data={"import-code": certificate.code, "import": "1"}).status_code == 422
    assert client.post(url, data={"import-code": certificate.code, "import": "1", "import-confirm": "y"}).status_code == 302
    page = client.get(f"/manage/people/{cast.learner_a.id}/training").get_data(as_text=True)
    assert "imported" in page
    assert "(imported)" in client.get("/manage/matrix").get_data(as_text=True)


def test_external_training_is_recorded_and_removed_through_the_pages(client, cast, course, sign_in):
    sign_in(cast.manager_a)
    url = f"/manage/people/{cast.learner_a.id}/training"
    response = client.post(url, data={"training-course_id": course.id, "training-title": "Level 2",
                                      "training-provider": "LSCP", "training-completed_on": days(-20).isoformat(),
                                      "training-expires_on": days(700).isoformat()})
    assert response.status_code == 302
    [record] = db.session.scalars(select(ExternalTraining)).all()
    assert "(external)" in client.get("/manage/matrix").get_data(as_text=True)
    assert client.post(f"/manage/training/{record.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(ExternalTraining)) == 0


def test_a_manager_cannot_reach_another_organisations_training_records(client, cast, course, make, sign_in):
    record = _external(cast, course, days(200))
    certificate = _previous_employer_certificate(cast, make, course, name="Ann Learner")
    sign_in(cast.manager_b)
    a = cast.learner_a.id
    assert client.get(f"/manage/people/{a}/training").status_code == 404
    assert client.post(f"/manage/people/{a}/training", data={
        "training-title": "x", "training-provider": "y", "training-completed_on": days(-1).isoformat()}).status_code == 404
    assert client.post(f"/manage/people/{a}/training/import", data={
        "import-code": certificate.code, "import": "1", "import-confirm": "y"}).status_code == 404
    assert client.post(f"/manage/training/{record.id}/delete").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(ExternalTraining)) == 1


def test_learners_cannot_record_training(client, cast, sign_in):
    sign_in(cast.learner_a)
    assert client.get(f"/manage/people/{cast.learner_a.id}/training").status_code == 403
