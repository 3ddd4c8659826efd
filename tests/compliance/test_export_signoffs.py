"""Read and understood in the compliance exports: the matrix CSV has a column per document (the date the person
confirmed the version in force, "not yet", "overdue", blank when not asked; formula-safe), and the inspection PDF
counts each document's readers and lists the documents on each person's record, the one-person record too."""

from __future__ import annotations

import csv
import io

from pypdf import PdfReader
from sqlalchemy import update

from elearn.clock import london_today
from elearn.compliance import exports
from elearn.compliance.matrix import MatrixQuery
from elearn.extensions import db
from elearn.models import SignoffAssignment, SignoffKind
from elearn.signoffs import service as signoffs
from elearn.signoffs.service import DocumentInput
from tests.makers import days


def _policy(cast, title="Child protection policy", label="v1"):  # type: ignore[no-untyped-def]
    """A policy Ann has read, Abe is overdue on, and the manager was not asked to read."""
    document = signoffs.publish_document(cast.org_a, SignoffKind.POLICY, title,
                                         DocumentInput(label, url="https://example.org/policy.pdf"), actor=cast.manager_a)
    signoffs.assign_document(cast.org_a, document.id, days(10), actor=cast.manager_a, audience="people",
                             user_ids=[cast.learner_a.id, cast.second_learner_a.id])
    version = signoffs.current_versions([document.id])[document.id]
    signoffs.confirm_read(document.id, version.id, actor=cast.learner_a)
    db.session.execute(update(SignoffAssignment).where(SignoffAssignment.user_id == cast.second_learner_a.id)
                       .values(due_on=days(-2)))  # the state a missed deadline leaves
    db.session.commit()
    return document


def _csv_rows(cast) -> list[list[str]]:  # type: ignore[no-untyped-def]
    text = b"".join(exports.export_matrix_csv(cast.org_a, MatrixQuery(), actor=cast.manager_a).body).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def _words(body: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages).split())


def test_the_csv_has_a_read_and_understood_column_per_document(cast) -> None:
    _policy(cast)
    header, *rows = _csv_rows(cast)
    assert header[-1] == "Child protection policy (v1): read and understood"
    by_name = {row[0]: row for row in rows}
    assert by_name["Ann Learner"][-1] == london_today().isoformat()
    assert by_name["Abe Learner"][-1] == "overdue"
    assert by_name[cast.manager_a.display_name][-1] == ""  # not asked
    assert all(len(row) == len(header) for row in rows)


def test_a_document_asked_again_in_a_new_version_reads_not_yet(cast) -> None:
    document = _policy(cast)
    signoffs.publish_version(cast.org_a, document.id, DocumentInput("v2", url="https://example.org/policy-2.pdf"),
                             actor=cast.manager_a)
    header, *rows = _csv_rows(cast)
    assert header[-1] == "Child protection policy (v2): read and understood"
    assert next(row for row in rows if row[0] == "Ann Learner")[-1] == "not yet"


def test_a_document_title_that_looks_like_a_formula_is_neutralised(cast) -> None:
    _policy(cast, title="=HYPERLINK(\"http://evil.example\",\"Click\")", label="@v1")
    header, *_ = _csv_rows(cast)
    assert header[-1].startswith("'=HYPERLINK(")
    for cell in header:
        assert not cell.lstrip(" ").startswith(("=", "+", "-", "@")), cell


def test_without_documents_the_csv_has_no_signoff_columns(cast) -> None:
    header, *_ = _csv_rows(cast)
    assert not any("read and understood" in cell for cell in header)


def test_the_inspection_pdf_counts_each_documents_readers_and_lists_them_per_person(cast) -> None:
    _policy(cast)
    signoffs.publish_document(cast.org_a, SignoffKind.KCSIE, "", DocumentInput("September 2026"), actor=cast.manager_a)
    document = exports.training_record_document(cast.org_a, MatrixQuery())
    assert [(s.title, s.label, s.asked, s.read, s.overdue) for s in document.signoffs] == [
        ("Child protection policy", "v1", 2, 1, 1),
        ("Keeping children safe in education: Part one", "September 2026", 0, 0, 0),
    ]
    words = _words(exports.export_training_record(cast.org_a, MatrixQuery(), actor=cast.manager_a).body)
    assert "Read and understood Document Version Asked to read it Read and understood Overdue" in words
    assert "Child protection policy v1 2 1 1" in words
    today, due = f"{london_today():%d/%m/%Y}", f"{days(-2):%d/%m/%Y}"
    assert f"Read and understood: Child protection policy (v1) Read and understood {days(10):%d/%m/%Y} {today}" in words
    assert f"Read and understood: Child protection policy (v1) Not yet: overdue {due}" in words


def test_the_one_person_record_lists_the_documents_they_were_asked_to_read(cast) -> None:
    _policy(cast)
    download = exports.export_person_record(cast.org_a, cast.learner_a, actor=cast.manager_a)
    words = _words(download.body)
    assert "Read and understood: Child protection policy (v1) Read and understood" in words
    assert f"{london_today():%d/%m/%Y}" in words
    assert "Document Version Asked to read it" not in words  # the figures are for the whole record only


def test_the_signoff_columns_cost_a_fixed_number_of_queries_per_batch(cast, course, make, count_queries) -> None:
    _policy(cast)

    def statements() -> int:
        with count_queries() as counter:
            list(exports.matrix_csv_rows(cast.org_a, MatrixQuery()))
            exports.training_record_document(cast.org_a, MatrixQuery())
        return counter.count

    few = statements()
    for n in range(30):
        make.assignment(user=make.user(name=f"P{n}", org=cast.org_a), course=course, due_in_days=5)
    assert statements() == few


def test_the_streamed_download_carries_the_signoff_column(client, cast, sign_in) -> None:
    _policy(cast)
    sign_in(cast.manager_a)
    response = client.get("/manage/matrix/export.csv")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))
    assert rows[0][-1] == "Child protection policy (v1): read and understood"
    assert next(row for row in rows if row[0] == "Ann Learner")[-1] == london_today().isoformat()
