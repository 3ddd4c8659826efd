"""Certificate pages over HTTP: who may download, what the PDF holds, names, revocation and refreshers."""

from __future__ import annotations

import io
import re
from datetime import UTC

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from elearn.certificates.codes import format_code
from elearn.extensions import db
from elearn.models import AuditEvent, Certificate, Enrolment
from tests.makers import days_ago

XSS = '"><script>alert(1)</script>'


def pdf_text(data: bytes) -> str:
    return PdfReader(io.BytesIO(data)).pages[0].extract_text()


def audit_count(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)) or 0


# --- download access matrix ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "owner", "expected"),
    [
        ("learner_a", "learner_a", 200),
        ("second_learner_a", "learner_a", 404),
        ("learner_b", "learner_a", 404),
        ("manager_a", "learner_a", 200),
        ("manager_a", "learner_b", 404),
        ("manager_b", "learner_a", 404),
        ("manager_b", "learner_b", 200),
        ("admin", "learner_a", 200),
        ("admin", "learner_b", 200),
        ("anonymous", "learner_a", 302),
    ],
)
def test_download_access_matrix(client, make, sign_in, cast, persona, owner, expected):
    certificate = make.certificate(user=cast.persona(owner))
    if persona != "anonymous":
        sign_in(cast.persona(persona))
    response = client.get(f"/certificates/{certificate.id}/download")
    assert response.status_code == expected
    if expected == 302:
        assert response.location.startswith("/login")
    if expected == 404:
        assert b"%PDF" not in response.data and certificate.code not in response.get_data(as_text=True)
    audited = persona not in ("anonymous", owner) and expected == 200
    assert audit_count("certificate.downloaded") == (1 if audited else 0)


def test_an_unknown_certificate_id_is_the_same_404(client, make, sign_in, cast):
    sign_in(cast.learner_a)
    assert client.get("/certificates/999999/download").status_code == 404


# --- the PDF ------------------------------------------------------------------------------


def test_the_pdf_holds_name_course_hours_score_dates_code_and_verify_url(client, make, sign_in, cast):
    from datetime import datetime

    certificate = make.certificate(user=cast.learner_a, score=92,
                                   submitted_at=datetime(2026, 5, 4, 9, 0, tzinfo=UTC))
    sign_in(cast.learner_a)
    text = pdf_text(client.get(f"/certificates/{certificate.id}/download").data)
    for expected in ("Ann Learner", "Sample safeguarding refresher", "0.5 hours", "92%", "4 May 2026", "4 May 2027",
                     format_code(certificate.code), f"https://elearn.test/verify/{format_code(certificate.code)}"):
        assert expected in text


def test_the_download_headers_are_pdf_attachment_no_store(client, make, sign_in, cast):
    certificate = make.certificate(user=cast.learner_a)
    sign_in(cast.learner_a)
    response = client.get(f"/certificates/{certificate.id}/download")
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="cpd-certificate-sample-course-ann-learner.pdf"'
    assert response.headers["Cache-Control"] == "private, no-store"


def test_each_download_is_the_same_bytes(client, make, sign_in, cast):
    certificate = make.certificate(user=cast.learner_a)
    sign_in(cast.learner_a)
    first = client.get(f"/certificates/{certificate.id}/download").data
    assert client.get(f"/certificates/{certificate.id}/download").data == first


@pytest.mark.parametrize(
    ("name", "fallback", "encoded"),
    [
        ("Zoë O'Brien", "zoe-o-brien", "zo%C3%AB-o-brien"),
        ('Quote" ; Semi', "quote-semi", None),
        ("../../etc/passwd", "etc-passwd", None),
        ("王小明", "learner", "%E7%8E%8B%E5%B0%8F%E6%98%8E"),
    ],
)
def test_the_filename_header_is_safe(client, make, sign_in, cast, name, fallback, encoded):
    certificate = make.certificate(user=cast.learner_a)
    certificate.learner_name = name
    db.session.commit()
    sign_in(cast.learner_a)
    header = client.get(f"/certificates/{certificate.id}/download").headers["Content-Disposition"]
    expected = f'attachment; filename="cpd-certificate-sample-course-{fallback}.pdf"'
    if encoded:
        expected += f"; filename*=UTF-8''cpd-certificate-sample-course-{encoded}.pdf"
    assert header == expected


def test_a_name_with_cr_lf_cannot_split_the_header(client, make, sign_in, cast):
    certificate = make.certificate(user=cast.learner_a)
    certificate.learner_name = "Alice\r\nSet-Cookie: x=1"
    db.session.commit()
    sign_in(cast.learner_a)
    response = client.get(f"/certificates/{certificate.id}/download")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers.get("Content-Disposition")
    assert "x=1" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize(
    "name",
    [XSS, "Amy 👩‍🏫 Smith", "مريم الحسن", "דוד כהן", "王小明", "Siân Ŵyn Ó Súilleabháin", "W" * 120,
     "{{7*7}} {% raw %}"],
)
def test_hostile_names_still_download_as_a_valid_pdf(client, make, sign_in, cast, name):
    certificate = make.certificate(user=cast.learner_a)
    certificate.learner_name = name
    db.session.commit()
    sign_in(cast.learner_a)
    response = client.get(f"/certificates/{certificate.id}/download")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1 and format_code(certificate.code) in reader.pages[0].extract_text()


def test_revoked_and_unpublished_course_certificates_still_render(client, make, sign_in, cast):
    certificate = make.certificate(user=cast.learner_a)
    certificate.course.is_published = False
    db.session.commit()
    sign_in(cast.admin)
    client.post(f"/admin/certificates/{certificate.id}/revoke", data={"reason": "Issued in error"})
    response = client.get(f"/certificates/{certificate.id}/download")
    assert response.status_code == 200 and "REVOKED" in pdf_text(response.data)


# --- my certificates --------------------------------------------------------------------------


def test_my_certificates_lists_course_dates_status_code_and_download_link(client, make, sign_in, cast):
    valid = make.certificate(user=cast.learner_a)
    expiring = make.certificate(user=cast.learner_a, course=make.course(slug="second-course"),
                                submitted_at=days_ago(350))
    expired = make.certificate(user=cast.learner_a, course=make.course(slug="third-course"),
                               submitted_at=days_ago(400))
    other = make.certificate(user=cast.second_learner_a)
    sign_in(cast.learner_a)
    page = client.get("/my-certificates").get_data(as_text=True)
    for certificate in (valid, expiring, expired):
        assert format_code(certificate.code) in page
        assert f'href="/certificates/{certificate.id}/download"' in page
    assert format_code(other.code) not in page
    assert "Valid" in page and "Expiring soon" in page and "Expired" in page
    assert "Sample safeguarding refresher" in page and "0.5 hours" in page


def test_my_certificates_is_a_read_that_writes_nothing(client, make, sign_in, cast, count_queries):
    make.certificate(user=cast.learner_a)
    sign_in(cast.learner_a)
    with count_queries() as counter:
        assert client.get("/my-certificates").status_code == 200
    assert counter.writes == []


def test_my_certificates_needs_a_login(client):
    assert client.get("/my-certificates").location.startswith("/login")


def test_names_and_titles_are_escaped_in_lists(client, make, sign_in, cast):
    certificate = make.certificate(user=cast.learner_a)
    certificate.course_title = XSS
    certificate.learner_name = XSS
    db.session.commit()
    sign_in(cast.admin)
    page = client.get("/admin/certificates").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    sign_in(cast.learner_a)
    page = client.get("/my-certificates").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


# --- name corrections -------------------------------------------------------------------------


def test_a_learner_corrects_their_name_and_keeps_the_same_code(client, make, sign_in, cast):
    certificate = make.certificate(user=cast.learner_a)
    code = certificate.code
    sign_in(cast.learner_a)
    form = client.get("/account/name").get_data(as_text=True)
    assert "Ann Learner" in form and "same codes" in form
    response = client.post("/account/name", data={"display_name": "Ann Lerner"})
    assert response.status_code == 302
    assert "re-issued" in client.get(response.location).get_data(as_text=True)
    db.session.refresh(certificate)
    assert (certificate.code, certificate.learner_name) == (code, "Ann Lerner") and certificate.reissued_at
    assert audit_count("account.name_corrected") == 1
    text = pdf_text(client.get(f"/certificates/{certificate.id}/download").data)
    assert "Ann Lerner" in text and "corrected name" in text
    assert "Ann Lerner" in client.get(f"/verify/{code}").get_data(as_text=True)


def test_a_manager_corrects_a_learner_in_their_own_organisation_only(client, make, sign_in, cast):
    mine = make.certificate(user=cast.learner_a)
    theirs = make.certificate(user=cast.learner_b)
    sign_in(cast.manager_a)
    assert client.get(f"/manage/learners/{cast.learner_a.id}/name").status_code == 200
    assert client.post(f"/manage/learners/{cast.learner_a.id}/name", data={"display_name": "Ann Lerner"}).status_code == 302
    assert client.get(f"/manage/learners/{cast.learner_b.id}/name").status_code == 404
    assert client.post(f"/manage/learners/{cast.learner_b.id}/name", data={"display_name": "Hacked"}).status_code == 404
    db.session.refresh(mine)
    db.session.refresh(theirs)
    assert (mine.learner_name, theirs.learner_name) == ("Ann Lerner", "Bea Learner")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.name_corrected")).one()
    assert event.actor_id == cast.manager_a.id and event.subject_user_id == cast.learner_a.id


def test_a_learner_cannot_use_the_manager_name_route(client, make, sign_in, cast):
    sign_in(cast.second_learner_a)
    assert client.post(f"/manage/learners/{cast.learner_a.id}/name", data={"display_name": "X"}).status_code in (403, 404)
    db.session.refresh(cast.learner_a)
    assert cast.learner_a.display_name == "Ann Learner"


@pytest.mark.parametrize("name", ["", "x" * 10_000, "Ann Learner"])
def test_a_bad_name_is_shown_as_a_form_error_and_changes_nothing(client, make, sign_in, cast, name):
    make.certificate(user=cast.learner_a)
    sign_in(cast.learner_a)
    response = client.post("/account/name", data={"display_name": name})
    assert response.status_code == 422 and "There is a problem" in response.get_data(as_text=True)
    assert audit_count("account.name_corrected") == 0


def test_the_name_form_escapes_the_current_name(client, make, sign_in, cast):
    cast.learner_a.display_name = XSS
    db.session.commit()
    sign_in(cast.learner_a)
    page = client.get("/account/name").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page


# --- revocation -------------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "expected"), [("learner_a", 403), ("manager_a", 403), ("anonymous", 302)])
def test_only_admins_reach_revocation_and_the_certificate_list(client, make, sign_in, cast, persona, expected):
    certificate = make.certificate(user=cast.learner_a)
    if persona != "anonymous":
        sign_in(cast.persona(persona))
    assert client.get("/admin/certificates").status_code == expected
    assert client.get(f"/admin/certificates/{certificate.id}/revoke").status_code == expected
    assert client.post(f"/admin/certificates/{certificate.id}/revoke", data={"reason": "x"}).status_code == expected
    db.session.refresh(certificate)
    assert certificate.revoked_at is None and audit_count("certificate.revoked") == 0


def test_an_admin_revokes_with_a_reason_and_verification_says_revoked(client, make, sign_in, cast):
    certificate = make.certificate(user=cast.learner_a)
    sign_in(cast.admin)
    refused = client.post(f"/admin/certificates/{certificate.id}/revoke", data={"reason": "  "})
    assert refused.status_code == 422 and "Give the reason" in refused.get_data(as_text=True)
    response = client.post(f"/admin/certificates/{certificate.id}/revoke", data={"reason": "Taken by someone else"})
    assert response.status_code == 302
    listing = client.get(response.location).get_data(as_text=True)
    assert "Revoked" in listing and "Taken by someone else" in listing
    db.session.refresh(certificate)
    assert certificate.revoked_reason == "Taken by someone else" and certificate.revoked_by_id == cast.admin.id
    assert audit_count("certificate.revoked") == 1
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "has been revoked" in page and "Taken by someone else" not in page
    assert client.post(f"/admin/certificates/{certificate.id}/revoke", data={"reason": "again"}).status_code == 409


def test_revoking_an_unknown_certificate_is_404(client, sign_in, cast):
    sign_in(cast.admin)
    assert client.post("/admin/certificates/424242/revoke", data={"reason": "x"}).status_code == 404


def test_the_admin_list_searches_by_code_or_name(client, make, sign_in, cast):
    ann = make.certificate(user=cast.learner_a)
    bea = make.certificate(user=cast.learner_b)
    sign_in(cast.admin)
    by_code = client.get("/admin/certificates", query_string={"q": ann.code.lower()}).get_data(as_text=True)
    assert format_code(ann.code) in by_code and format_code(bea.code) not in by_code
    by_name = client.get("/admin/certificates", query_string={"q": "bea"}).get_data(as_text=True)
    assert format_code(bea.code) in by_name and format_code(ann.code) not in by_name


# --- refresher --------------------------------------------------------------------------------


def test_the_refresher_is_offered_and_a_second_certificate_joins_the_first(client, make, sign_in, cast):
    first = make.certificate(user=cast.learner_a, submitted_at=days_ago(345))
    sign_in(cast.learner_a)
    dashboard = client.get("/my-learning").get_data(as_text=True)
    assert "Start the refresher" in dashboard and 'href="/my-certificates"' in dashboard
    response = client.post("/courses/sample-course/refresher")
    assert response.location == "/courses/sample-course/lessons/1"
    client.post("/courses/sample-course/refresher")  # a double click
    cycles = db.session.scalars(select(Enrolment.cycle).order_by(Enrolment.cycle)).all()
    assert cycles == [1, 2]
    assert "Start the refresher" not in client.get("/my-learning").get_data(as_text=True)

    refresher = db.session.scalars(select(Enrolment).where(Enrolment.cycle == 2)).one()
    second = make.certificate(enrolment=refresher)
    page = client.get("/my-certificates").get_data(as_text=True)
    assert format_code(first.code) in page and format_code(second.code) in page
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 2
    assert page.index(format_code(second.code)) < page.index(format_code(first.code))


def test_no_refresher_offer_while_the_certificate_is_valid_for_long(client, make, sign_in, cast):
    make.certificate(user=cast.learner_a)
    sign_in(cast.learner_a)
    assert "Start the refresher" not in client.get("/my-learning").get_data(as_text=True)
    response = client.post("/courses/sample-course/refresher")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 1


def test_the_dashboard_runs_a_bounded_number_of_queries(client, make, sign_in, cast, count_queries):
    for n in range(3):
        make.certificate(user=cast.learner_a, course=make.course(slug=f"course-{n}"), submitted_at=days_ago(350))
    sign_in(cast.learner_a)
    with count_queries() as three:
        client.get("/my-learning")
    make.certificate(user=cast.learner_a, course=make.course(slug="course-9"), submitted_at=days_ago(350))
    with count_queries() as four:
        page = client.get("/my-learning").get_data(as_text=True)
    assert four.count == three.count
    assert len(re.findall("Start the refresher", page)) == 4
