"""The public verification page: anyone, no login; states, input forms, not found, privacy and the rate limit."""

from __future__ import annotations

import re

import pytest

from elearn.certificates.codes import format_code
from elearn.certificates.service import certificate_document
from elearn.extensions import db
from tests.makers import days_ago

XSS = '"><script>alert(1)</script>'


def without_echo(page: str) -> str:
    return re.sub(r' value="[^"]*"', "", page)


@pytest.mark.parametrize(
    ("age_days", "revoke", "says", "badge"),
    [
        (10, False, "This certificate is valid</strong> until", "Valid"),
        (350, False, "and expires soon", "Expiring soon"),
        (400, False, "This certificate has expired", "Expired"),
        (10, True, "This certificate has been revoked", "Revoked"),
        (400, True, "This certificate has been revoked", "Revoked"),
    ],
)
def test_the_page_states_the_status(client, make, age_days, revoke, says, badge):
    certificate = make.certificate(user=make.user(name="Jo Bloggs"), submitted_at=days_ago(age_days))
    if revoke:
        from elearn.db import now_utc

        certificate.revoked_at, certificate.revoked_reason = now_utc(), "Issued in error"
        db.session.commit()
    response = client.get(f"/verify/{format_code(certificate.code)}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert says in page and f">{badge}<" in page
    if revoke or age_days >= 400:
        assert "is valid" not in page
    assert "Jo Bloggs" in page and "Sample safeguarding refresher" in page and "0.5 hours" in page


def test_the_page_shows_name_course_hours_and_dates_and_nothing_else_personal(client, make):
    learner = make.user(name="Jo Bloggs", email="jo.bloggs@school.example", org=make.org(name="St Custard's"))
    certificate = make.certificate(user=learner, score=87)
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    completed = certificate_document(certificate).completed_on
    assert "Jo Bloggs" in page and f"{completed.day} {completed:%B %Y}" in page
    # The code is random and shown grouped (C87H-EVA8-...): take it out before looking for the score's digits.
    without_code = page.replace(format_code(certificate.code), "").replace(certificate.code, "")
    assert "jo.bloggs" not in page and "Custard" not in page and "87%" not in page and "87" not in without_code


@pytest.mark.parametrize(
    "typed",
    ["{dashed}", "{lower}", "{spaced}", "  {dashed_lower}  ", "{mixed}"],
)
def test_codes_match_in_any_case_with_dashes_or_spaces(client, make, typed):
    certificate = make.certificate()
    code = certificate.code
    raw = typed.format(dashed=format_code(code), lower=code.lower(), dashed_lower=format_code(code).lower(),
                       spaced=" ".join(code[i:i + 4] for i in range(0, 16, 4)), mixed=code[:8].lower() + code[8:])
    by_form = client.get("/verify", query_string={"code": raw})
    by_link = client.get(f"/verify/{raw.strip()}")
    for response in (by_form, by_link):
        assert response.status_code == 200
        assert f"Certificate {format_code(code)}" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "raw",
    ["2222-3333-4444-5555", "ABCD", "0000-0000-0000-0000", "ÄBCD-EFGH-JKMN-PQRS", "А" * 16, "x" * 10_000,
     "../../etc/passwd", "%00", "' OR 1=1 --", XSS, ""],
)
def test_unknown_and_malformed_codes_get_the_same_not_found_page(client, make, raw):
    make.certificate()
    reference = client.get("/verify", query_string={"code": "2222-3333-4444-5555"})
    response = client.get("/verify", query_string={"code": raw})
    assert response.status_code == reference.status_code == 404
    page = response.get_data(as_text=True)
    assert "Certificate not found" in page and "Traceback" not in page
    assert "<script>alert(1)</script>" not in page
    # The same page, apart from the echo of what was typed.
    assert without_echo(page) == without_echo(reference.get_data(as_text=True))


@pytest.mark.parametrize("path", ["/verify/2222-3333-4444-5555", "/verify/not-a-code", "/verify/a/b/c",
                                  "/verify/%3Cscript%3E"])
def test_not_found_by_link_is_a_404_page(client, path):
    response = client.get(path)
    assert response.status_code == 404 and "Certificate not found" in response.get_data(as_text=True)


def test_the_empty_form_is_a_plain_page(client):
    response = client.get("/verify")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Check a certificate" in page and 'name="code"' in page
    assert 'method="get"' in page


def test_the_learner_name_is_escaped(client, make):
    certificate = make.certificate(user=make.user(name=XSS))
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_corrected_name_shows_under_the_same_code_with_a_note(client, make):
    certificate = make.certificate(user=make.user(name="Jo Blogs"))
    from elearn.certificates.names import correct_name

    correct_name(certificate.user, "Jo Bloggs", actor=certificate.user)
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "Jo Bloggs" in page and "Jo Blogs<" not in page and "corrected name" in page


def test_the_qr_code_in_the_pdf_points_at_the_verify_page(client, make):
    certificate = make.certificate()
    url = certificate_document(certificate).verify_url
    assert url.startswith("https://elearn.test/verify/")
    path = url.removeprefix("https://elearn.test")
    assert client.get(path).status_code == 200


def test_verification_is_rate_limited_per_address(make_app, make):
    certificate = make.certificate()
    client = make_app(RATELIMIT_ENABLED=True).test_client()
    statuses = [client.get(f"/verify/{certificate.code}").status_code for _ in range(30)]
    assert statuses == [200] * 30
    assert client.get("/verify", query_string={"code": certificate.code}).status_code == 429
    assert client.get(f"/verify/{certificate.code}").status_code == 429
    other = client.get(f"/verify/{certificate.code}", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 200


def test_verification_needs_no_login_and_changes_nothing(client, make, count_queries):
    from sqlalchemy import func, select

    from elearn.models import AuditEvent

    certificate = make.certificate()
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert client.get(f"/verify/{certificate.code}").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_the_page_names_the_accrediting_body_only_when_the_certificate_was_issued_under_one(
        client, make, app, monkeypatch):
    plain = make.certificate(user=make.user())
    assert "ccredit" not in client.get(f"/verify/{format_code(plain.code)}").get_data(as_text=True)
    monkeypatch.setitem(app.config, "ACCREDITING_BODY", "The CPD Standards Office")
    accredited = make.certificate(user=make.user())
    page = client.get(f"/verify/{format_code(accredited.code)}").get_data(as_text=True)
    assert "Accredited by</dt><dd>The CPD Standards Office" in page
