"""The inspection-ready training record: an A4 landscape PDF of an organisation's compliance (ReportLab platypus).

Organisation, date produced, per course the compliance figures, then one row per person with each
course's status and dates; the table's header repeats on every page and each page says "Page n of m".
Text goes through `escape` before any Paragraph (ReportLab reads Paragraph text as markup).
"""

from __future__ import annotations

import io
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
class RecordRow:
    name: str
    groups: str
    cells: tuple[str, ...]  # per course: status, then its date and marker on further lines


@dataclass(frozen=True)
class RecordDocument:
    """Everything the training record prints, already in display form."""

    organisation: str
    produced_at: datetime  # Europe/London
    courses: tuple[RecordCourse, ...]
    course_titles: tuple[str, ...]
    rows: tuple[RecordRow, ...]
    filtered: bool = False


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


def _people_table(document: RecordDocument, styles: dict[str, ParagraphStyle]) -> Table:
    width = PAGE[0] - 2 * MARGIN
    name_w, groups_w = 60 * mm, 40 * mm
    course_w = (width - name_w - groups_w) / max(1, len(document.course_titles))
    head = [_p("Name", styles["head"]), _p("Groups", styles["head"]),
            *(_p(t, styles["head"]) for t in document.course_titles)]
    body = [[_p(r.name, styles["cell"]), _p(r.groups or "—", styles["cell"]), *(_p(c, styles["cell"]) for c in r.cells)]
            for r in document.rows]
    table = Table([head, *body], colWidths=[name_w, groups_w, *([course_w] * len(document.course_titles))],
                  repeatRows=1, hAlign="LEFT")
    table.setStyle(_table_style())
    return table


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
    pdf = SimpleDocTemplate(buffer, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN + 4 * mm, title=f"Safeguarding training record: {document.organisation}",
                            author="elearn", initialFontName=SANS)
    produced = f"{uk_date(document.produced_at)} at {document.produced_at:%H:%M}"
    story: list[Any] = [
        _p("Safeguarding training record", styles["title"]),
        _p(document.organisation, styles["h2"]),
        _p(f"Produced on {produced} (UK time). {len(document.rows)} active staff"
           f"{' matching the filters chosen' if document.filtered else ''}.", styles["body"]),
        _p("Compliant means holding a valid certificate (expiring ones included). Training done elsewhere and "
           "certificates brought from a previous employer are marked (external) and (imported).", styles["body"]),
        _p("\"lessons 6/55 min\": the time the server saw the person on the course's lessons (latest cycle) beside the "
           "minutes the course declares; \"quick completion\": every lesson marked complete in under a quarter of "
           "that time. Certificates keep the declared CPD hours.", styles["body"]),
        _p("Compliance by course", styles["h2"]),
        _course_table(document, styles) if document.courses else _p("No courses.", styles["body"]),
        Spacer(1, 4 * mm),
        _p("Staff", styles["h2"]),
        _people_table(document, styles) if document.rows else _p("Nobody matches.", styles["body"]),
    ]
    pdf.build(story, canvasmaker=_NumberedCanvas)
    return buffer.getvalue()
