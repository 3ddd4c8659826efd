"""Exports of an organisation's training record: the matrix as CSV, the inspection PDF and a ZIP of certificates.

Each export is scoped to one organisation, lists only the documented columns (no hashes, tokens or
other organisations), and is audited with the filter that produced it.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from typing import Any

from sqlalchemy import select

from elearn.access import MemberAction, get_members
from elearn.certificates.filenames import certificate_filenames
from elearn.certificates.pdf import render_certificate_pdf
from elearn.certificates.service import certificate_document
from elearn.clock import london_today, to_london
from elearn.compliance import reports
from elearn.compliance.compliance import LABELS, TrainingSource
from elearn.compliance.matrix import Cell, Matrix, MatrixQuery, training_matrix
from elearn.compliance.record_pdf import RecordCourse, RecordDocument, RecordRow, render_training_record
from elearn.db import now_utc
from elearn.downloads import Download, audited, csv_bytes, slug
from elearn.errors import InvalidInput
from elearn.extensions import db
from elearn.learning.time_spent import CourseTime, latest_course_times
from elearn.models import Certificate, ExternalTraining, Organisation, User

log = logging.getLogger(__name__)

SOURCE_LABELS = {TrainingSource.CERTIFICATE: "", TrainingSource.EXTERNAL: "external",
                 TrainingSource.IMPORTED: "imported"}
MAX_ZIP_CERTIFICATES = 500  # ~9 ms each to render: a larger selection should be narrowed first



def _filename(org: Organisation, kind: str, extension: str) -> str:
    return f"{kind}-{slug(org.name) or 'organisation'}-{london_today().isoformat()}.{extension}"


def _audited(download: Download, action: str, org: Organisation, actor: User, query: MatrixQuery | None,
             **details: Any) -> Download:
    filters = None if query is None else {
        "q": query.q or None, "group_id": query.group_id, "course_id": query.course_id,
        "status": query.status.value if query.status else None}
    return audited(download, action, actor=actor, organisation_id=org.id, target=f"organisation:{org.id}",
                   filter=filters, **details)


# --- CSV -----------------------------------------------------------------------------------


def matrix_csv(matrix: Matrix) -> bytes:
    """The matrix as UTF-8 CSV with a byte-order mark (so Excel reads the encoding), one row per person; per course
    the status and dates, and the time on its lessons beside the declared minutes (latest cycle)."""
    times = latest_course_times([row.user.id for row in matrix.rows])
    header: list[object] = ["Name", "Email", "Groups"]
    for title in matrix.courses.values():
        header += [f"{title}: status", f"{title}: due", f"{title}: valid until", f"{title}: training",
                   f"{title}: time on lessons", f"{title}: quick completion"]
    lines = [header]
    for row in matrix.rows:
        line: list[object] = [row.user.display_name, row.user.email, "; ".join(row.groups)]
        for course_id in matrix.courses:
            cell = row.cells.get(course_id)
            line += ([LABELS[cell.status], cell.due_on, cell.valid_until, SOURCE_LABELS.get(cell.source, "")]  # type: ignore[arg-type]
                     if cell else ["", "", "", ""])
            time = times.get((row.user.id, course_id))
            line += [time.describe(), "yes" if time.is_quick else ""] if time else ["", ""]
        lines.append(line)
    return csv_bytes(lines)


def export_matrix_csv(org: Organisation, query: MatrixQuery, *, actor: User) -> Download:
    """Every person matching the matrix filters (not just one page) as CSV; audited as export.csv."""
    matrix = training_matrix(org, query, paginate=False)
    content = matrix_csv(matrix)
    download = Download(content, "text/csv; charset=utf-8", _filename(org, "training-matrix", "csv"))
    return _audited(download, "export.csv", org, actor, query, rows=len(matrix.rows))


# --- PDF -----------------------------------------------------------------------------------


def training_record_document(org: Organisation, query: MatrixQuery) -> RecordDocument:
    """What the inspection PDF prints: per course the compliance figures, then each person's status and dates."""
    dashboard = reports.compliance_dashboard(org)
    matrix = training_matrix(org, query, paginate=False)
    courses = [RecordCourse(c.title, c.assigned, c.percent_compliant,
                            tuple((LABELS[s], c.counts.get(s, 0)) for s in dashboard.statuses))
               for c in dashboard.courses if c.course_id in matrix.courses]
    times = latest_course_times([row.user.id for row in matrix.rows])
    rows = []
    for row in matrix.rows:
        cells = []
        for course_id in matrix.courses:
            cell = row.cells.get(course_id)
            cells.append((_cell_text(cell) if cell else "") + _time_text(times.get((row.user.id, course_id))))
        rows.append(RecordRow(row.user.display_name, ", ".join(row.groups), tuple(cells)))
    filtered = bool(query.q or query.group_id or query.course_id or query.status)
    return RecordDocument(organisation=org.name, produced_at=to_london(now_utc()),
                          courses=tuple(courses), course_titles=tuple(matrix.courses.values()), rows=tuple(rows),
                          filtered=filtered)


def _cell_text(cell: Cell) -> str:
    text = LABELS[cell.status]
    if cell.valid_until is not None and cell.status.value in ("compliant", "expiring"):
        text += f"\nuntil {cell.valid_until:%d/%m/%Y}"
    elif cell.due_on is not None:
        text += f"\ndue {cell.due_on:%d/%m/%Y}"
    if cell.source in (TrainingSource.EXTERNAL, TrainingSource.IMPORTED) and cell.status.value in ("compliant", "expiring"):
        text += f"\n({SOURCE_LABELS[cell.source]})"
    return text


def _time_text(time: CourseTime | None) -> str:
    """The lessons' time under a course's status: "lessons 6/55 min" and, when quick, "quick completion"."""
    if time is None or not time.is_known:
        return ""
    return f"\nlessons {time.minutes}/{time.declared_minutes} min" + (
        "\nquick completion" if time.is_quick else "")


def export_training_record(org: Organisation, query: MatrixQuery, *, actor: User) -> Download:
    """The inspection-ready training record as an A4 PDF; audited as export.pdf."""
    document = training_record_document(org, query)
    content = render_training_record(document)
    download = Download(content, "application/pdf", _filename(org, "training-record", "pdf"))
    return _audited(download, "export.pdf", org, actor, query, rows=len(document.rows))


# --- ZIP -----------------------------------------------------------------------------------


def selected_certificates(org: Organisation, user_ids: list[int]) -> list[Certificate]:
    """Each chosen member's newest unrevoked certificate per course, their own or imported; two queries."""
    brought = select(ExternalTraining.certificate_id).where(
        ExternalTraining.organisation_id == org.id, ExternalTraining.user_id.in_(user_ids),
        ExternalTraining.certificate_id.is_not(None))
    candidates = db.session.scalars(
        select(Certificate).where(Certificate.revoked_at.is_(None),
                                  Certificate.user_id.in_(user_ids) | Certificate.id.in_(brought))
        .order_by(Certificate.learner_name, Certificate.course_id, Certificate.issued_at.desc(), Certificate.id.desc())
    )
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


def export_certificates_zip(org: Organisation, *, actor: User, query: MatrixQuery | None = None,
                            user_ids: list[int] | None = None) -> Download:
    """The certificates of ticked members (another organisation's id is NotFound) or of the matrix filters, as
    one ZIP built in memory; audited as export.zip."""
    if user_ids is not None:
        ids = [member.id for member in get_members(list(dict.fromkeys(user_ids)), MemberAction.VIEW, actor=actor,
                                                   organisation=org)]
    else:
        ids = [row.user.id for row in training_matrix(org, query or MatrixQuery(), paginate=False).rows]
    certificates = selected_certificates(org, ids) if ids else []
    if not certificates:
        raise InvalidInput("user_ids", "There are no certificates to download for this selection.")
    if len(certificates) > MAX_ZIP_CERTIFICATES:
        raise InvalidInput("user_ids", f"That is {len(certificates)} certificates; choose at most "
                                       f"{MAX_ZIP_CERTIFICATES} at a time (filter by group or course).")
    # Built in memory (a few MB at most, bounded by MAX_ZIP_CERTIFICATES): nothing is written to disk.
    buffer = io.BytesIO()
    names = unique_entry_names([certificate_filenames(c)[0] for c in certificates])
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, certificate in zip(names, certificates, strict=True):
            archive.writestr(name, render_certificate_pdf(certificate_document(certificate)))
    download = Download(buffer.getvalue(), "application/zip", _filename(org, "certificates", "zip"))
    return _audited(download, "export.zip", org, actor, query if user_ids is None else None,
                    user_ids=ids if user_ids is not None else None, certificates=len(certificates))
