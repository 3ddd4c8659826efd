"""Exports: the matrix as CSV (formula-safe), the inspection PDF and a ZIP of certificates (SECURITY-TESTS E1–E5)."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from elearn.certificates.codes import format_code
from elearn.clock import london_today, to_london, uk_date
from elearn.compliance import exports
from elearn.compliance.matrix import MatrixQuery
from elearn.contacts.service import ContactInput, add_contact
from elearn.extensions import db
from elearn.models import AuditEvent, Certificate, ExportFile, Role, User
from elearn.training.service import ExternalInput, record_external
from tests.makers import days
from tests.test_downloads import HOSTILE


def _csv(response):  # type: ignore[no-untyped-def]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark, so that Excel reads the encoding
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _prepared(client, url, data=None):  # type: ignore[no-untyped-def]
    """Start an export as the matrix's button does (a job, run inline here), follow it to its status page and
    download the file by the link the page shows."""
    started = client.post(url, data=data or {})
    assert started.status_code == 302, started.get_data(as_text=True)
    status = client.get(started.headers["Location"])
    assert status.status_code == 200 and "Your file is ready" in status.get_data(as_text=True)
    link = re.search(r'href="([^"]+/download[^"]*)"', status.get_data(as_text=True))
    assert link is not None
    return client.get(link.group(1).replace("&amp;", "&"))


def _attachment_ok(response, mimetype: str, extension: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response.headers["Content-Type"] == mimetype
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.endswith(f'.{extension}"')
    assert "\r" not in disposition and "\n" not in disposition and "/" not in disposition
    assert "no-store" in response.headers["Cache-Control"]


def test_the_csv_neutralises_formulas_and_round_trips_awkward_names(client, cast, course, make, sign_in):
    awkward = ["Smith, Jo", 'Jo "JJ" Jones', "broken", *HOSTILE[:6], "spaced"]
    for name in awkward:
        make.user(name=name, org=cast.org_a)
    # The name rule collapses whitespace and refuses controls; rows older than the rule might not.
    spaced = db.session.scalars(select(User).where(User.display_name == "spaced")).one()
    spaced.display_name = "  =1+1"
    broken = db.session.scalars(select(User).where(User.display_name == "broken")).one()
    broken.display_name = "Line\nBreak"
    db.session.commit()
    make.assignment(user=cast.learner_a, course=course, due_in_days=-3)
    sign_in(cast.manager_a)
    response = client.get("/manage/matrix/export.csv")
    _attachment_ok(response, "text/csv; charset=utf-8", "csv")
    rows = _csv(response)
    learners = db.session.scalar(select(func.count()).where(
        db.metadata.tables["users"].c.organisation_id == cast.org_a.id)) or 0
    assert len(rows) - 1 == learners  # one row per active member of A (the manager included)
    names = [row[0] for row in rows[1:]]
    for name in ["Smith, Jo", 'Jo "JJ" Jones', "Line\nBreak"]:
        assert name in names
    for hostile in [*HOSTILE[:6], "  =1+1"]:
        assert "'" + hostile in names
    for row in rows:
        for cell in row:
            assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r", "\0")), cell
    ann = next(row for row in rows if row[0] == "Ann Learner")
    assert ann[3] == "Overdue" and ann[4] == days(-3).isoformat()


def test_the_csv_has_only_the_documented_columns_and_organisation_a(client, cast, sign_in):
    sign_in(cast.manager_a)
    rows = _csv(client.get("/manage/matrix/export.csv"))
    header = rows[0]
    assert header[:3] == ["Name", "Email", "Groups"]
    assert all(h.endswith(tuple(f": {column}" for column in exports.CSV_COLUMNS)) for h in header[3:])
    assert len(header) == 3 + len(exports.CSV_COLUMNS) * (len(header) - 3) // len(exports.CSV_COLUMNS)
    text = "\n".join(",".join(row) for row in rows)
    assert "Bea Learner" not in text and cast.learner_b.email not in text
    assert cast.learner_a.password_hash not in text and "pbkdf2" not in text and "scrypt" not in text
    assert len(rows) == 1 + 3  # Ann, Abe, Mo


def test_the_csv_follows_the_matrix_filters_and_is_audited_with_them(client, cast, make, course, sign_in):
    make.assignment(user=cast.learner_a, course=course, due_in_days=-3)
    sign_in(cast.manager_a)
    rows = _csv(client.get(f"/manage/matrix/export.csv?status=overdue&course={course.id}"))
    assert [row[0] for row in rows[1:]] == ["Ann Learner"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.csv")).one()
    assert event.actor_id == cast.manager_a.id and event.organisation_id == cast.org_a.id
    assert event.details["filter"]["status"] == "overdue" and event.details["filter"]["course_id"] == course.id


def test_external_and_imported_training_are_marked_in_the_csv(client, cast, course, sign_in):
    record_external(cast.org_a, cast.learner_a.id, ExternalInput(
        course.id, "Level 1", "County", days(-10), days(300)), actor=cast.manager_a)
    sign_in(cast.manager_a)
    rows = _csv(client.get("/manage/matrix/export.csv"))
    ann = next(row for row in rows if row[0] == "Ann Learner")
    assert ann[3:10] == ["Compliant", "", "", "", "", days(300).isoformat(), "external"]


def test_the_training_record_pdf_reads_as_an_inspection_record(client, cast, course, make, sign_in):
    for n in range(70):  # enough rows for a second page
        person = make.user(name=f"Staff Member {n:02d}", org=cast.org_a)
        make.assignment(user=person, course=course, due_in_days=-2 if n % 2 else 20)
    make.certificate(user=cast.learner_a, course=course, expires_on=days(200))
    add_contact(cast.org_a, ContactInput("dsl", "Dee Lead", "101"), actor=cast.manager_a)
    sign_in(cast.manager_a)
    response = _prepared(client, "/manage/training-record.pdf")
    _attachment_ok(response, "application/pdf", "pdf")
    reader = PdfReader(io.BytesIO(response.get_data()))
    assert len(reader.pages) >= 2
    assert reader.metadata is not None and reader.metadata.title == "Safeguarding training record: Alder Primary"
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert {round(float(width)), round(float(height))} == {842, 595}  # A4
    pages = [page.extract_text() for page in reader.pages]
    first = pages[0]
    assert "Safeguarding training record" in first and "Alder Primary" in first and "Produced on" in first
    assert "Compliance by course" in first and "% compliant" in first
    assert "Ann Learner" in "".join(pages) and "Staff Member 69" in "".join(pages)
    assert "Bea Learner" not in "".join(pages)
    today = london_today()
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Name" in text and "Groups" in text  # the table header repeats on every page
        assert "Alder Primary" in text and f"Produced {uk_date(today)}" in text and "Showing: Everyone" in text
    text = "".join(pages)
    certificate = db.session.scalars(select(Certificate).where(Certificate.user_id == cast.learner_a.id)).one()
    assert format_code(certificate.code) in text and "90%" in text  # the certificate and the score
    assert f"{to_london(certificate.completed_at):%d/%m/%Y}" in text  # the date completed
    assert f"{days(200):%d/%m/%Y}" in text  # its expiry
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "export.pdf")) == 1


def test_the_zip_holds_the_ticked_peoples_certificates_with_safe_unique_names(client, cast, course, make, sign_in):
    twin_a = make.user(name="../../etc/passwd", org=cast.org_a)
    twin_b = make.user(name="../../etc/passwd", org=cast.org_a)
    for person in (twin_a, twin_b, cast.learner_a):
        make.certificate(user=person, course=course, expires_on=days(200))
    sign_in(cast.manager_a)
    response = _prepared(client, "/manage/certificates.zip", {"selection": "ticked", "user_ids": [twin_a.id, twin_b.id]})
    _attachment_ok(response, "application/zip", "zip")
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    names = archive.namelist()
    assert len(names) == 2 and len(set(names)) == 2
    for name in names:
        assert "/" not in name and "\\" not in name and ".." not in name and name.endswith(".pdf")
        assert archive.read(name).startswith(b"%PDF")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.zip")).one()
    assert sorted(event.details["user_ids"]) == sorted([twin_a.id, twin_b.id]) and event.details["certificates"] == 2


def test_the_zip_follows_the_matrix_filters(client, cast, course, make, sign_in):
    for person in (cast.learner_a, cast.second_learner_a, cast.learner_b):
        make.certificate(user=person, course=course, expires_on=days(200))
    sign_in(cast.manager_a)
    response = _prepared(client, "/manage/certificates.zip?q=ann")
    assert len(zipfile.ZipFile(io.BytesIO(response.get_data())).namelist()) == 1
    everyone = zipfile.ZipFile(io.BytesIO(_prepared(client, "/manage/certificates.zip").get_data())).namelist()
    assert len(everyone) == 2  # A's two learners; never B's


def test_a_course_filter_gives_that_courses_certificates_only(client, cast, course, make, sign_in):
    make.certificate(user=cast.learner_a, course=course, expires_on=days(200))
    make.certificate(user=cast.learner_a, course=make.course(slug="second-course"), expires_on=days(200))
    make.assignment(user=cast.learner_a, course=course)  # a course filter shows the people assigned it
    sign_in(cast.manager_a)
    names = zipfile.ZipFile(io.BytesIO(_prepared(client, f"/manage/certificates.zip?course={course.id}")
                                       .get_data())).namelist()
    assert len(names) == 1
    page = client.get(f"/manage/certificates.zip?course={course.id}").get_data(as_text=True)
    assert "1 certificate of" in page


@pytest.mark.parametrize("how", ["get", "post"])
def test_a_zip_with_nothing_in_it_says_so_on_the_page(how, client, cast, sign_in):
    sign_in(cast.manager_a)
    response = getattr(client, how)("/manage/certificates.zip?status=overdue")
    assert response.status_code == (200 if how == "get" else 422)
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in response.headers
    assert "There are no certificates to download for this selection" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ExportFile)) == 0


def test_the_matrix_links_download_nothing_that_could_be_a_page(client, cast, sign_in):
    sign_in(cast.manager_a)
    assert " download>" not in client.get("/manage/matrix").get_data(as_text=True)
    assert " download>" not in client.get("/manage/").get_data(as_text=True)


def test_a_manager_cannot_tick_another_organisations_learner(client, cast, course, make, sign_in):
    make.certificate(user=cast.learner_a, course=course, expires_on=days(200))
    sign_in(cast.manager_b)
    response = client.post("/manage/certificates.zip", data={"selection": "ticked", "user_ids": [cast.learner_a.id]})
    assert response.status_code == 404
    response = client.post("/manage/certificates.zip", data={"selection": "ticked",
                                                             "user_ids": [cast.learner_b.id, cast.learner_a.id]})
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "export.zip")) == 0


def test_another_organisations_manager_exports_only_their_own(client, cast, course, make, sign_in):
    make.certificate(user=cast.learner_a, course=course, expires_on=days(200))
    sign_in(cast.manager_b)
    rows = _csv(client.get("/manage/matrix/export.csv"))
    assert [row[0] for row in rows[1:]] == ["Bea Learner", "Bo Learner", "Max Manager"]
    pdf = "".join(p.extract_text() for p in PdfReader(io.BytesIO(_prepared(client, "/manage/training-record.pdf")
                                                                 .get_data())).pages)
    assert "Ann Learner" not in pdf and "Alder Primary" not in pdf
    assert client.get(f"/manage/matrix/export.csv?org={cast.org_a.id}").status_code == 404


@pytest.mark.parametrize("url", ["/manage/matrix/export.csv", "/manage/training-record.pdf", "/manage/certificates.zip"])
def test_learners_cannot_export(url, client, cast, sign_in):
    sign_in(cast.learner_a)
    assert client.get(url).status_code == 403


def test_entry_names_are_sanitised_and_unique():
    assert exports.unique_entry_names(["a.pdf", "a.pdf", "A.PDF", "../x/../y.pdf", "ŵ.pdf", ".pdf"]) == [
        "a.pdf", "a-2.pdf", "a-3.pdf", "x-y.pdf", "certificate.pdf", "certificate-2.pdf"]


def test_the_csv_export_runs_a_bounded_number_of_queries(cast, course, make, count_queries):
    for n in range(30):
        make.assignment(user=make.user(name=f"P{n}", org=cast.org_a), course=course, due_in_days=5)
    with count_queries() as counter:
        list(exports.matrix_csv_rows(cast.org_a, MatrixQuery()))
    # A batch of people: cells, groups, certificates, times; once per export: the course titles, the documents to
    # read and understand, the face-to-face topics the requirements name, and whether anyone is placed here from
    # elsewhere (access.members_of).
    assert counter.count <= 10, counter.statements


def test_manager_role_is_needed_even_for_a_manager_of_no_organisation(client, make, sign_in):
    manager = make.user(name="Lone", role=Role.MANAGER)
    sign_in(manager)
    assert client.get("/manage/matrix/export.csv").status_code in (302, 404)
