"""The inspection-ready training record: an A4 landscape PDF of an organisation's compliance (ReportLab platypus).

Per course the compliance figures and per read-and-understood document how many have read it, then per person
each course on record (status, due date, date completed, score, certificate code, valid until, time on its lessons)
and each document they were asked to read (due, and the date they confirmed it). Every page carries the school's name, the filter and
the date produced (a page callback draws them at the top) and "Page n of m"; the tables' headers repeat.
Text goes through `escape` before any Paragraph (ReportLab reads Paragraph text as markup).

Accessibility: the PDF names its title, subject and language (en-GB) and its text runs in reading order
(header, content, page number). ReportLab 4/5 (open source) cannot write a structure tree, so the file is not
a *tagged* PDF (PDF/UA): a screen reader gets the text in order but no table or heading structure. The CSV
holds the same facts for anyone who needs them in a structured form.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from elearn.certificates.pdf import SANS, SANS_BOLD, register_fonts
from elearn.clock import uk_date

PAGE = landscape(A4)
MARGIN = 14 * mm
NAVY = colors.HexColor("#1d3557")
RULE = colors.HexColor("#d5d9de")
SHADE = colors.HexColor("#f1f3f5")


@dataclass(frozen=True)
class RecordCourse:
    """One course's figures: how many are assigned it, the percentage compliant, and the count per status."""

    title: str
    assigned: int
    percent_compliant: int
    counts: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class RecordLine:
    """One course on a person's record, in display form (dates as dd/mm/yyyy, "" where there is none)."""

    course: str
    status: str
    due: str
    completed: str
    score: str
    certificate: str
    valid_until: str
    time_spent: str


@dataclass(frozen=True)
class RecordSignoff:
    """A document to read and understand, in the version in force: of the people printed, how many were asked to
    read it, have confirmed they read it, and are overdue."""

    title: str
    label: str
    asked: int
    read: int
    overdue: int


@dataclass(frozen=True)
class RecordRow:
    name: str
    groups: str
    lines: tuple[RecordLine, ...]


@dataclass(frozen=True)
class RecordDocument:
    """Everything the training record prints, already in display form."""

    organisation: str
    produced_at: datetime  # Europe/London
    courses: tuple[RecordCourse, ...]
    rows: tuple[RecordRow, ...]
    filter_text: str = "Everyone"
    person: str | None = None  # a one-person record for a staff file
    signoffs: tuple[RecordSignoff, ...] = ()  # read and understood, per document (not on a one-person record)

    @property
    def produced(self) -> str:
        return f"{uk_date(self.produced_at)} at {self.produced_at:%H:%M}"


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=SANS, fontSize=8, leading=10)
    return {
        "title": ParagraphStyle("title", parent=base, fontName=SANS_BOLD, fontSize=18, leading=22, textColor=NAVY),
        "h2": ParagraphStyle("h2", parent=base, fontName=SANS_BOLD, fontSize=12, leading=15, spaceBefore=8,
                             spaceAfter=4, textColor=NAVY),
        "body": ParagraphStyle("body", parent=base, fontSize=9, leading=12),
        "cell": base,
        "head": ParagraphStyle("head", parent=base, fontName=SANS_BOLD),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


class _NumberedCanvas(Canvas):
    """Holds every page until the end, so each can say "Page n of m"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - ReportLab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(SANS, 8)
            self.setFillColor(colors.HexColor("#5f6b7a"))
            self.drawRightString(PAGE[0] - MARGIN, 8 * mm, f"Page {number} of {total}")
            super().showPage()
        super().save()


def _course_table(document: RecordDocument, styles: dict[str, ParagraphStyle]) -> Table:
    statuses = [label for label, _ in document.courses[0].counts] if document.courses else []
    head = [_p(h, styles["head"]) for h in ("Course", "Assigned", "% compliant", *statuses)]
    body = [[_p(c.title, styles["cell"]), str(c.assigned), f"{c.percent_compliant}%", *(str(n) for _, n in c.counts)]
            for c in document.courses]
    table = Table([head, *body], repeatRows=1, hAlign="LEFT")
    table.setStyle(_table_style())
    return table


def _signoff_table(document: RecordDocument, styles: dict[str, ParagraphStyle]) -> Table:
    head = [_p(h, styles["head"]) for h in ("Document", "Version", "Asked to read it", "Read and understood",
                                             "Overdue")]
    body = [[_p(s.title, styles["cell"]), _p(s.label, styles["cell"]), str(s.asked), str(s.read), str(s.overdue)]
            for s in document.signoffs]
    table = Table([head, *body], repeatRows=1, hAlign="LEFT")
    table.setStyle(_table_style())
    return table


PEOPLE_COLUMNS = ("Name", "Groups", "Course", "Status", "Due", "Completed", "Score", "Certificate",
                  "Valid until", "Time on lessons")
TABLE_ROWS = 120  # people per table: ReportLab splits one huge table across pages far more slowly than many


def _people_tables(rows: tuple[RecordRow, ...], styles: dict[str, ParagraphStyle]) -> list[Table]:
    # wide enough for "Completed", "Score", "100%" and a certificate code on one line (ReportLab breaks words)
    widths = [35 * mm, 24 * mm, 38 * mm, 22 * mm, 21 * mm, 23 * mm, 15 * mm, 41 * mm, 21 * mm, None]
    head = [_p(h, styles["head"]) for h in PEOPLE_COLUMNS]
    tables = []
    for start in range(0, len(rows), TABLE_ROWS):
        body = []
        for row in rows[start:start + TABLE_ROWS]:
            lines = row.lines or (RecordLine("No courses on record", "", "", "", "", "", "", ""),)
            for n, line in enumerate(lines):
                who = [_p(row.name, styles["cell"]), _p(row.groups or "—", styles["cell"])] if n == 0 else ["", ""]
                body.append([*who, *(_p(text, styles["cell"]) for text in (
                    line.course, line.status, line.due, line.completed, line.score, line.certificate,
                    line.valid_until, line.time_spent))])
        table = Table([head, *body], colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(_table_style())
        tables.append(table)
    return tables


def _page_header(document: RecordDocument) -> Callable[[Canvas, Any], None]:
    """Draws the school's name, the filter and the date produced at the top of every page."""

    def draw(canvas: Canvas, _doc: Any) -> None:
        canvas.saveState()
        top = PAGE[1] - MARGIN + 2 * mm
        canvas.setFillColor(NAVY)
        canvas.setFont(SANS_BOLD, 9)
        canvas.drawString(MARGIN, top, document.organisation[:90])
        canvas.setFont(SANS, 8)
        canvas.drawRightString(PAGE[0] - MARGIN, top, f"Produced {document.produced} (UK time)")
        canvas.setFillColor(colors.HexColor("#5f6b7a"))
        canvas.drawString(MARGIN, top - 4 * mm, f"Safeguarding training record. Showing: {document.filter_text}"[:160])
        canvas.setStrokeColor(RULE)
        canvas.line(MARGIN, top - 6 * mm, PAGE[0] - MARGIN, top - 6 * mm)
        canvas.restoreState()

    return draw


def _table_style() -> TableStyle:
    return TableStyle([
        ("FONT", (0, 0), (-1, -1), SANS, 8),
        ("FONT", (0, 0), (-1, 0), SANS_BOLD, 8),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ])


def render_training_record(document: RecordDocument) -> bytes:
    """The training record as PDF bytes."""
    register_fonts()
    styles = _styles()
    buffer = io.BytesIO()
    title = (f"Safeguarding training record: {document.person}, {document.organisation}" if document.person
             else f"Safeguarding training record: {document.organisation}")
    pdf = SimpleDocTemplate(buffer, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + 8 * mm,
                            bottomMargin=MARGIN + 4 * mm, title=title, author="elearn", lang="en-GB",
                            subject=f"Training record. Showing: {document.filter_text}. Produced {document.produced}.",
                            initialFontName=SANS)
    people = "1 person" if len(document.rows) == 1 else f"{len(document.rows)} people"
    story: list[Any] = [
        _p(document.person or "Safeguarding training record", styles["title"]),
        _p(document.organisation, styles["h2"]),
        _p(f"Produced on {document.produced} (UK time). Showing: {document.filter_text} ({people}, active staff).",
           styles["body"]),
        _p("Compliant means holding a valid certificate (expiring ones included). Training done elsewhere and "
           "certificates brought from a previous employer are marked (external) and (imported). Completed, score "
           "and certificate are those of the newest valid certificate; the code can be checked on the verify page.",
           styles["body"]),
        _p("Time on lessons: the time the server saw the person on the course's lessons (latest cycle) beside the "
           "minutes the course declares, and \"quick\" when every lesson was marked complete in under a quarter of "
           "that time. Certificates keep the declared CPD hours.", styles["body"]),
        _p("Read and understood: the documents each person was asked to read (the version in force), with the date "
           "due and the date they confirmed they had read and understood it.", styles["body"]),
    ]
    if not document.person:
        story += [_p("Compliance by course", styles["h2"]),
                  _course_table(document, styles) if document.courses else _p("No courses.", styles["body"]),
                  Spacer(1, 4 * mm)]
        if document.signoffs:
            story += [_p("Read and understood", styles["h2"]), _signoff_table(document, styles), Spacer(1, 4 * mm)]
    story.append(_p("Courses on record" if document.person else "Staff", styles["h2"]))
    story += _people_tables(document.rows, styles) if document.rows else [_p("Nobody matches.", styles["body"])]
    header = _page_header(document)
    pdf.build(story, onFirstPage=header, onLaterPages=header, canvasmaker=_NumberedCanvas)
    return buffer.getvalue()
