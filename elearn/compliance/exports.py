"""Exports of an organisation's training record: the matrix as CSV, the inspection PDF and a ZIP of certificates.

Each export is scoped to one organisation, lists only the documented columns (no hashes, tokens or
other organisations), and is audited with the filter that produced it.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from flask import current_app
from sqlalchemy import select

from elearn.access import MemberAction, get_members
from elearn.catalog.service import course_titles
from elearn.certificates.codes import format_code
from elearn.certificates.filenames import certificate_filenames
from elearn.certificates.pdf import render_certificate_pdf
from elearn.certificates.service import certificate_document
from elearn.clock import london_today, to_london
from elearn.compliance import reports
from elearn.compliance.compliance import LABELS, ComplianceStatus, TrainingSource
from elearn.compliance.matrix import (
    MatrixQuery,
    MatrixRow,
    count_matching,
    iter_matrix,
    rows_of,
    sessions_read,
    training_matrix,
)
from elearn.compliance.record_pdf import (
    RecordCourse,
    RecordDocument,
    RecordLine,
    RecordRow,
    RecordSignoff,
    render_training_record,
)
from elearn.compliance.session_grid import SessionCell, SessionGrid, session_grid
from elearn.db import now_utc
from elearn.downloads import Download, audited, csv_stream, slug
from elearn.errors import InvalidInput
from elearn.extensions import db
from elearn.learning.time_spent import CourseTime, latest_course_times
from elearn.models import Certificate, ExternalTraining, Group, Organisation, User
from elearn.signoffs.grid import DocumentColumn, SignoffCell, SignoffGrid, cell_value, signoff_grid
from elearn.wording import MEMBER_KIND_LABELS

log = logging.getLogger(__name__)

SOURCE_LABELS = {TrainingSource.CERTIFICATE: "", TrainingSource.EXTERNAL: "external",
                 TrainingSource.IMPORTED: "imported"}
MAX_ZIP_CERTIFICATES = 500  # ~9 ms each to render: a larger selection should be narrowed first



def filename(org: Organisation, kind: str, extension: str) -> str:
    return f"{kind}-{slug(org.name) or 'organisation'}-{london_today().isoformat()}.{extension}"


def filters_of(query: MatrixQuery | None) -> dict[str, Any] | None:
    """The filters as plain values: for the audit log and for a job to rebuild the query."""
    return None if query is None else {
        "q": query.q or None, "group_id": query.group_id, "course_id": query.course_id, "kind": query.kind,
        "status": query.status.value if query.status else None, **({"topic": query.topic} if query.topic else {})}


def query_from(filters: dict[str, Any] | None) -> MatrixQuery:
    filters = filters or {}
    status = filters.get("status")
    return MatrixQuery(q=filters.get("q") or "", group_id=filters.get("group_id"), course_id=filters.get("course_id"),
                       status=ComplianceStatus(status) if status else None, kind=filters.get("kind"),
                       topic=filters.get("topic"))


def _audited(download: Download, action: str, org: Organisation, actor: User, query: MatrixQuery | None,
             **details: Any) -> Download:
    return audited(download, action, actor=actor, organisation_id=org.id, target=f"organisation:{org.id}",
                   filter=filters_of(query), **details)


# --- what each person × course shows ------------------------------------------------------


@dataclass(frozen=True)
class CertificateFacts:
    """The newest unrevoked certificate of a person for a course: what an inspector asks to see."""

    code: str
    completed_on: date
    score_percent: int
    expires_on: date


def certificate_facts(user_ids: list[int]) -> dict[tuple[int, int], CertificateFacts]:
    """Per (user id, course id), the newest unrevoked certificate's code, completion date, score and expiry;
    one query for a batch of people."""
    if not user_ids:
        return {}
    facts: dict[tuple[int, int], CertificateFacts] = {}
    for user_id, course_id, code, completed_at, score, expires_on in db.session.execute(
        select(Certificate.user_id, Certificate.course_id, Certificate.code, Certificate.completed_at,
               Certificate.score_percent, Certificate.expires_on)
        .where(Certificate.user_id.in_(user_ids), Certificate.revoked_at.is_(None))
        .order_by(Certificate.issued_at, Certificate.id)
    ):
        facts[(user_id or 0, course_id)] = CertificateFacts(format_code(code), to_london(completed_at).date(), score, expires_on)
    return facts  # ordered by issue: the newest stays


@dataclass(frozen=True)
class PersonCourse:
    """One person's line for one course, in display form (the CSV's cells and the PDF's row)."""

    course: str
    status: str
    due_on: date | None
    completed_on: date | None
    score: str
    certificate: str
    valid_until: date | None
    training: str
    time_spent: str
    quick: str


def person_courses(row: MatrixRow, columns: dict[int, str], certificates: dict[tuple[int, int], CertificateFacts],
                   times: dict[tuple[int, int], CourseTime]) -> list[tuple[int, PersonCourse | None]]:
    """Per course of the export, what this person's line shows (None where the cell is empty)."""
    result: list[tuple[int, PersonCourse | None]] = []
    for course_id, title in columns.items():
        cell = row.cells.get(course_id)
        certificate = certificates.get((row.user.id, course_id))
        time = times.get((row.user.id, course_id))
        if cell is None:
            result.append((course_id, None))
            continue
        result.append((course_id, PersonCourse(
            course=title, status=LABELS[cell.status], due_on=cell.due_on,
            completed_on=certificate.completed_on if certificate else None,
            score=f"{certificate.score_percent}%" if certificate else "",
            certificate=certificate.code if certificate else "", valid_until=cell.valid_until,
            training=SOURCE_LABELS.get(cell.source, "") if cell.source else "",
            time_spent=time.describe() if time else "", quick="yes" if time and time.is_quick else "")))
    return result


def _is_on_record(line: PersonCourse | None) -> bool:
    """A line worth printing: assigned, under way, or trained (not a course nobody asked them to do)."""
    return line is not None and (line.status != LABELS[ComplianceStatus.NOT_ASSIGNED] or line.valid_until is not None
                                 or bool(line.certificate))


# --- CSV -----------------------------------------------------------------------------------

CSV_COLUMNS = ("status", "due", "completed", "score", "certificate", "valid until", "training", "time on lessons",
               "quick completion")
SESSION_CSV_COLUMNS = ("status", "due", "valid until", "last attended", "evidence")
STREAM_BATCH = 1000  # people per batch of a streamed export: the memory an export holds at once
CSV_JOB_ROWS = 10_000  # beyond this many people a CSV is made by a job (EXPORT_CSV_JOB_ROWS overrides)


def csv_job_threshold() -> int:
    return int(current_app.config.get("EXPORT_CSV_JOB_ROWS", CSV_JOB_ROWS))


def session_csv_cells(cell: SessionCell | None) -> list[object]:
    """A face-to-face session requirement's cells for one person (blank: not required of them)."""
    if cell is None:
        return [""] * len(SESSION_CSV_COLUMNS)
    return [LABELS[cell.status], cell.due_on, cell.valid_until, cell.last_on, cell.evidence]


def matrix_csv_rows(org: Organisation, query: MatrixQuery, *, progress: Callable[[int], None] | None = None,
                    sessions: SessionGrid | None = None) -> Iterator[list[object]]:
    """The matrix as CSV rows, produced lazily: the header first, then a batch of people at a time (twelve queries
    a batch at most). Per course: status, due, completed, score, certificate code, valid until, where the training
    was done, the time on its lessons beside the declared minutes (latest cycle) and whether that was quick. Then
    per face-to-face session requirement: status, due, valid until, the latest attendance and what it was (blank:
    not required of them). Then per read-and-understood document: the date the person confirmed the version in force, "not yet" or "overdue"
    (blank: not asked).

    The queries are built now and run as the rows are read (after the request's commit, for a streamed download).
    When the filters read every member's session cells (matrix.sessions_read; given, or read here), the batches
    take theirs from that grid instead of reading them again.
    """
    whole = sessions or sessions_read(org, query, london_today())
    columns, batches = iter_matrix(org, query, batch_size=STREAM_BATCH, sessions=whole)
    documents = signoff_grid(org, []).columns
    topics = whole.columns if whole is not None else session_grid(org, []).columns
    if query.topic in {topic.key for topic in topics}:  # a topic picked: its columns alone, as on the page
        topics = [topic for topic in topics if topic.key == query.topic]
    header: list[object] = ["Name", "Email", "Groups"]
    for title in columns.values():
        header += [f"{title}: {column}" for column in CSV_COLUMNS]
    for topic in topics:
        header += [f"{topic.topic} (face-to-face): {column}" for column in SESSION_CSV_COLUMNS]
    header += [f"{d.title} ({d.label}): read and understood" for d in documents]

    org_id = org.id  # a streamed download reads the rows after the request's commit has expired `org`

    def rows() -> Iterator[list[object]]:
        yield header
        done = 0
        owner = db.session.get(Organisation, org_id) if documents or topics else None
        for batch in batches:
            ids = [row.user.id for row in batch]
            certificates, times = certificate_facts(ids), latest_course_times(ids)
            signoffs = signoff_grid(owner, ids) if owner is not None and documents else None
            sessions = whole if whole is not None else (
                session_grid(owner, ids) if owner is not None and topics else None)
            for row in batch:
                line: list[object] = [row.user.display_name, row.user.email, "; ".join(row.groups)]
                for _, course in person_courses(row, columns, certificates, times):
                    line += ([course.status, course.due_on, course.completed_on, course.score, course.certificate,
                              course.valid_until, course.training, course.time_spent, course.quick]
                             if course else [""] * len(CSV_COLUMNS))
                if sessions is not None:
                    required = sessions.cells.get(row.user.id, {})
                    for topic in topics:
                        line += session_csv_cells(required.get(topic.key))
                if signoffs is not None:
                    mine = signoffs.cells.get(row.user.id, {})
                    line += [cell_value(mine.get(d.document_id), signoffs.today) for d in documents]
                yield line
            done += len(batch)
            if progress:
                progress(done)

    return rows()


def export_matrix_csv(org: Organisation, query: MatrixQuery, *, actor: User,
                      sessions: SessionGrid | None = None) -> Download:
    """Every person matching the matrix filters (not just one page) as a streamed CSV; audited as export.csv.
    `sessions`: every member's session cells, when the caller has read them for these filters (sessions_read)."""
    sessions = sessions or sessions_read(org, query, london_today())
    rows = count_matching(org, query, sessions=sessions)
    download = Download(csv_stream(matrix_csv_rows(org, query, sessions=sessions)), "text/csv; charset=utf-8",
                        filename(org, "training-matrix", "csv"))
    return _audited(download, "export.csv", org, actor, query, rows=rows)


# --- PDF -----------------------------------------------------------------------------------


def describe_filters(org: Organisation, query: MatrixQuery | None) -> str:
    """The filter in words, printed on every page: "Everyone", or e.g. "Group: Early years; status: Overdue"."""
    if query is None:
        return "Everyone"
    parts = []
    if query.q:
        parts.append(f"search: \u201c{query.q}\u201d")
    if query.group_id is not None:
        group = db.session.get(Group, query.group_id)
        parts.append(f"group: {group.name if group and group.organisation_id == org.id else 'unknown'}")
    if query.kind is not None:
        parts.append(f"kind of member: {MEMBER_KIND_LABELS.get(query.kind, 'unknown').lower()}")
    if query.course_id is not None:
        parts.append(f"course: {course_titles().get(query.course_id, 'unknown')}")
    if query.topic is not None:
        topics = {column.key: column.topic for column in session_grid(org, []).columns}
        parts.append(f"face-to-face session: {topics.get(query.topic, 'unknown')}")
    if query.status is not None:
        parts.append(f"status: {LABELS[query.status]}")
    return "; ".join(parts).capitalize() if parts else "Everyone"


def _record_rows(org: Organisation, rows: list[MatrixRow], columns: dict[int, str],
                 tally: SignoffTally | None = None) -> list[RecordRow]:
    """Each person's lines: the courses on record, the face-to-face sessions their roles need, then the documents
    they were asked to read and understand."""
    ids = [row.user.id for row in rows]
    certificates, times = certificate_facts(ids), latest_course_times(ids)
    signoffs = signoff_grid(org, ids)
    sessions = session_grid(org, ids)
    if tally is not None:
        tally.add(signoffs)
    result = []
    for row in rows:
        lines = [line for _, line in person_courses(row, columns, certificates, times) if _is_on_record(line)]
        mine = signoffs.cells.get(row.user.id, {})
        result.append(RecordRow(row.user.display_name, ", ".join(row.groups), (
            *(RecordLine(line.course, line.status + (f" ({line.training})" if line.training else ""),
                         _uk(line.due_on), _uk(line.completed_on), line.score, line.certificate, _uk(line.valid_until),
                         line.time_spent) for line in lines if line is not None),
            *(_session_line(topic.topic, required[topic.key]) for topic in sessions.columns
              if topic.key in (required := sessions.cells.get(row.user.id, {}))),
            *(_signoff_line(document, mine[document.document_id], signoffs.today)
              for document in signoffs.columns if document.document_id in mine))))
    return result


def _session_line(topic: str, cell: SessionCell) -> RecordLine:
    """A face-to-face session requirement on a person's record, in the course columns: status, due, last
    attended (as "completed") and until when it counts."""
    return RecordLine(f"Face-to-face: {topic}", LABELS[cell.status], _uk(cell.due_on), _uk(cell.last_on), "", "",
                      _uk(cell.valid_until), "")


SIGNOFF_STATUS = {"read": "Read and understood", "overdue": "Not yet: overdue", "not_yet": "Not yet"}


def _signoff_state(cell: SignoffCell, today: date) -> str:
    if cell.confirmed_at is not None:
        return "read"
    return "overdue" if cell.is_overdue(today) else "not_yet"


def _signoff_line(document: DocumentColumn, cell: SignoffCell, today: date) -> RecordLine:
    """A document on a person's record, in the course columns: its title and version, read or not, due, read on."""
    read_on = to_london(cell.confirmed_at).date() if cell.confirmed_at else None
    return RecordLine(f"Read and understood: {document.title} ({document.label})",
                      SIGNOFF_STATUS[_signoff_state(cell, today)], _uk(cell.due_on), _uk(read_on), "", "", "", "")


@dataclass
class SignoffTally:
    """Per document, how many of the people printed were asked to read it, have read it and are overdue."""

    documents: dict[int, DocumentColumn] = field(default_factory=dict)
    counts: dict[int, dict[str, int]] = field(default_factory=dict)

    def add(self, grid: SignoffGrid) -> None:
        for document in grid.columns:
            self.documents.setdefault(document.document_id, document)
            self.counts.setdefault(document.document_id, {"asked": 0, "read": 0, "overdue": 0, "not_yet": 0})
        for cells in grid.cells.values():
            for document_id, cell in cells.items():
                counts = self.counts[document_id]
                counts["asked"] += 1
                counts[_signoff_state(cell, grid.today)] += 1

    def summary(self) -> tuple[RecordSignoff, ...]:
        return tuple(RecordSignoff(d.title, d.label, self.counts[i]["asked"], self.counts[i]["read"],
                                   self.counts[i]["overdue"]) for i, d in self.documents.items())


def _uk(value: date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def training_record_document(org: Organisation, query: MatrixQuery, *,
                             progress: Callable[[int], None] | None = None) -> RecordDocument:
    """What the inspection PDF prints: per course the compliance figures and per read-and-understood document how
    many have read it, then per person each course on record with its status, dates, score, certificate and time
    spent, and each document they were asked to read with the date they confirmed it."""
    dashboard = reports.compliance_dashboard(org)
    columns, batches = iter_matrix(org, query, batch_size=STREAM_BATCH)
    courses = [RecordCourse(c.title, c.assigned, c.percent_compliant,
                            tuple((LABELS[s], c.counts.get(s, 0)) for s in dashboard.statuses))
               for c in dashboard.courses if c.course_id in columns]
    rows: list[RecordRow] = []
    tally = SignoffTally()
    for batch in batches:
        rows += _record_rows(org, batch, columns, tally)
        if progress:
            progress(len(rows))
    return RecordDocument(organisation=org.name, produced_at=to_london(now_utc()), courses=tuple(courses),
                          rows=tuple(rows), filter_text=describe_filters(org, query), signoffs=tally.summary())


def person_record_document(org: Organisation, member: User) -> RecordDocument:
    """One person's record for their staff file: every course on record, with the same columns."""
    columns, rows = rows_of(org, [member])
    return RecordDocument(organisation=org.name, produced_at=to_london(now_utc()), courses=(),
                          rows=tuple(_record_rows(org, rows, columns)), filter_text=f"One person: {member.display_name}",
                          person=member.display_name)


def export_training_record(org: Organisation, query: MatrixQuery, *, actor: User) -> Download:
    """The inspection-ready training record as an A4 PDF; audited as export.pdf."""
    document = training_record_document(org, query)
    content = render_training_record(document)
    download = Download(content, "application/pdf", filename(org, "training-record", "pdf"))
    return _audited(download, "export.pdf", org, actor, query, rows=len(document.rows))


def export_person_record(org: Organisation, member: User, *, actor: User) -> Download:
    """One person's training record as a PDF (small: made in the request); audited as export.pdf."""
    content = render_training_record(person_record_document(org, member))
    name = f"training-record-{slug(member.display_name) or 'person'}-{london_today().isoformat()}.pdf"
    download = Download(content, "application/pdf", name)
    return _audited(download, "export.pdf", org, actor, None, user_id=member.id, rows=1)


# --- ZIP -----------------------------------------------------------------------------------


def selected_certificates(org: Organisation, user_ids: list[int], course_id: int | None = None) -> list[Certificate]:
    """Each chosen member's newest unrevoked certificate per course (only this course's when given), their own or
    imported; two queries."""
    brought = select(ExternalTraining.certificate_id).where(
        ExternalTraining.organisation_id == org.id, ExternalTraining.user_id.in_(user_ids),
        ExternalTraining.certificate_id.is_not(None))
    statement = select(Certificate).where(Certificate.revoked_at.is_(None),
                                          Certificate.user_id.in_(user_ids) | Certificate.id.in_(brought))
    if course_id is not None:
        statement = statement.where(Certificate.course_id == course_id)
    candidates = db.session.scalars(statement.order_by(
        Certificate.learner_name, Certificate.course_id, Certificate.issued_at.desc(), Certificate.id.desc()))
    chosen: dict[tuple[int | None, int], Certificate] = {}
    for certificate in candidates:
        chosen.setdefault((certificate.user_id, certificate.course_id), certificate)
    return list(chosen.values())


def unique_entry_names(names: list[str]) -> list[str]:
    """Safe, distinct ZIP entry names: letters, digits, dashes and one extension; "-2", "-3" … for repeats."""
    seen: set[str] = set()
    result = []
    for raw in names:
        stem, _, extension = raw.rpartition(".")
        stem = "-".join(re.findall(r"[a-z0-9]+", stem.lower())) or "certificate"
        extension = "".join(re.findall(r"[a-z0-9]", extension.lower())) or "pdf"
        name, n = f"{stem}.{extension}", 1
        while name in seen:
            n += 1
            name = f"{stem}-{n}.{extension}"
        seen.add(name)
        result.append(name)
    return result


def certificates_to_export(org: Organisation, *, actor: User, query: MatrixQuery | None = None,
                           user_ids: list[int] | None = None) -> list[Certificate]:
    """The certificates of ticked members (another organisation's id is NotFound) or of the matrix filters (a course
    filter: that course's certificates only); InvalidInput, with the reason, when there are none or too many."""
    course_id = None
    if user_ids is not None:
        ids = [member.id for member in get_members(list(dict.fromkeys(user_ids)), MemberAction.VIEW, actor=actor,
                                                   organisation=org)]
    else:
        query = query or MatrixQuery()
        course_id = query.course_id if query.course_id in course_titles() else None
        ids = [row.user.id for row in training_matrix(org, query, paginate=False).rows]
    certificates = selected_certificates(org, ids, course_id) if ids else []
    if not certificates:
        raise InvalidInput("user_ids", "There are no certificates to download for this selection: nobody in it "
                                       "holds a current certificate" + (" for this course." if course_id else "."))
    if len(certificates) > MAX_ZIP_CERTIFICATES:
        raise InvalidInput("user_ids", f"That is {len(certificates)} certificates; choose at most "
                                       f"{MAX_ZIP_CERTIFICATES} at a time (filter by group or course).")
    return certificates


def write_certificates_zip(certificates: list[Certificate], fileobj: IO[bytes], *,
                           progress: Callable[[int], None] | None = None) -> None:
    """The certificates' PDFs as a ZIP written to fileobj (which need not seek): one PDF in memory at a time."""
    names = unique_entry_names([certificate_filenames(c)[0] for c in certificates])
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, (name, certificate) in enumerate(zip(names, certificates, strict=True), start=1):
            archive.writestr(name, render_certificate_pdf(certificate_document(certificate)))
            if progress and done % 10 == 0:
                progress(done)


def export_certificates_zip(org: Organisation, *, actor: User, query: MatrixQuery | None = None,
                            user_ids: list[int] | None = None) -> Download:
    """The certificates of `certificates_to_export` as one ZIP built in memory; audited as export.zip."""
    certificates = certificates_to_export(org, actor=actor, query=query, user_ids=user_ids)
    buffer = io.BytesIO()
    write_certificates_zip(certificates, buffer)
    download = Download(buffer.getvalue(), "application/zip", filename(org, "certificates", "zip"))
    return _audited(download, "export.zip", org, actor, query if user_ids is None else None,
                    user_ids=user_ids, certificates=len(certificates))
