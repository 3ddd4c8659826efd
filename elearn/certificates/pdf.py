"""Render a CPD certificate as an A4 landscape PDF (one page, or more for long outcomes); pure, same bytes every time.

Layout is computed first (`layout_certificate`) as plain positioned text runs and a QR
placement, then drawn; tests check the layout's boxes against the page.

Fonts: DejaVu Sans and DejaVu Serif (Bitstream Vera licence, shipped in
`elearn/static/fonts/`, trimmed for embedding in `elearn/certificates/fonts/`), embedded as subsets of the
glyphs used. They cover Latin with diacritics, Greek,
Cyrillic; DejaVu Sans also covers Hebrew and Arabic letters. A text that the serif cannot
draw falls back to the sans. Characters no shipped font has (CJK, most emoji) are drawn
as the font's visible "missing glyph" box, one per character, so the gap is obvious and
nothing moves out of place; they are lost from copy/paste. Rendering never fails on them.

Limitation: right-to-left scripts are drawn in logical order without bidi reordering or
Arabic joining (ReportLab's canvas does no shaping without the optional rlbidi and
uharfbuzz packages), so Hebrew reads reversed and Arabic letters appear unjoined. The
HTML verification page shows such names correctly.

Text is never cut: the learner's name and the course title shrink, then wrap, to fit their
boxes; only input far beyond any real name (hundreds of characters) ends in an ellipsis.
Every learning outcome is printed in full, wrapped between words: those that fit go on the first page,
the rest continue on a second page (named with the learner, course and code), never splitting an outcome
between pages unless one alone is longer than a page. The guidance
editions the course version was aligned to follow "Version N" on its line, shortened with "…" if long.
"""

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from elearn.certificates.codes import format_code
from elearn.certificates.qr import qr_matrix
from elearn.clock import uk_date

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
FONT_DIR = Path(__file__).resolve().parent / "fonts"  # trimmed for embedding: elearn/certificates/fonts.py
SANS, SANS_BOLD, SERIF = "ElearnSans", "ElearnSans-Bold", "ElearnSerif"
_FONT_FILES = {SANS: "DejaVuSans.ttf", SANS_BOLD: "DejaVuSans-Bold.ttf", SERIF: "DejaVuSerif.ttf"}

INK = HexColor("#1f2933")
MUTED = HexColor("#5f6b7a")
NAVY = HexColor("#1d3557")
GOLD = HexColor("#a8864a")
RULE = HexColor("#d5d9de")

LEFT, RIGHT = 84.0, PAGE_WIDTH - 84.0
CENTRE = PAGE_WIDTH / 2
CONTENT_WIDTH = RIGHT - LEFT
QR_SIZE = 74.0
FACTS_LEFT, FACTS_RIGHT = LEFT + 40, RIGHT - 40
@dataclass(frozen=True)
class CertificateDocument:
    """Everything printed on one certificate, already in display form (dates in Europe/London)."""

    code: str
    learner_name: str
    course_title: str
    course_version: int
    cpd_hours: Decimal
    outcomes: tuple[str, ...]
    score_percent: int
    completed_on: date
    expires_on: date
    verify_url: str
    platform_name: str = "elearn"
    status_note: str | None = None
    aligned_to: tuple[str, ...] = ()  # the guidance editions the course version followed
    organisation_name: str | None = None  # "Issued for": the learner's organisation when it was issued
    accredited_by: str | None = None  # only a body the deployment named: no claim of accreditation without one


@dataclass(frozen=True)
class TextRun:
    """One line of text placed on the page: left edge x, baseline y, width in points."""

    text: str
    font: str
    size: float
    x: float
    y: float
    width: float
    colour: Color = INK
    char_space: float = 0.0

    @property
    def top(self) -> float:
        return self.y + pdfmetrics.getAscent(self.font, self.size)

    @property
    def bottom(self) -> float:
        return self.y + pdfmetrics.getDescent(self.font, self.size)


@dataclass(frozen=True)
class QrPlacement:
    """The QR symbol's module matrix (True = dark, quiet zone excluded) and where it goes."""

    matrix: tuple[tuple[bool, ...], ...]
    x: float
    y: float
    size: float


@dataclass(frozen=True)
class Layout:
    """Every text run and the QR code, in page coordinates (points, origin bottom left); `runs` and `qr` are the
    first page, `more_pages` the runs of each continuation page."""

    runs: tuple[TextRun, ...]
    qr: QrPlacement
    more_pages: tuple[tuple[TextRun, ...], ...] = ()


def render_certificate_pdf(doc: CertificateDocument) -> bytes:
    """Return the certificate as PDF bytes; the same document always gives the same bytes."""
    layout = layout_certificate(doc)
    buffer = io.BytesIO()
    # invariant=1 drops the random document id and the wall-clock timestamps.
    # pageCompression=0: zlib on the three font subsets cost ~3 ms of ~9 ms per render,
    # to save ~50 KiB (118 KiB instead of 66 KiB); see bench/certificates/RESULTS.md.
    # initialFontName: otherwise ReportLab adds an unused, unembedded Helvetica resource.
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=0,
                    initialFontName=SANS)
    _set_metadata(canvas, doc)
    _draw_border_and_rules(canvas, layout)
    _draw_text(canvas, layout.runs)
    _draw_qr(canvas, layout.qr)
    canvas.showPage()
    for runs in layout.more_pages:
        _draw_frame(canvas)
        _draw_text(canvas, runs)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def layout_certificate(doc: CertificateDocument) -> Layout:
    """Place every element of the certificate; pure, so tests can check the geometry."""
    register_fonts()
    runs: list[TextRun] = []
    runs += _centred_fit(doc.platform_name.upper(), SANS_BOLD, 11, 516, GOLD, char_space=2.5)
    runs += _centred_fit("Certificate of CPD", SERIF, 34, 472, NAVY)
    runs += _centred_fit("This is to certify that", SANS, 11, 432, MUTED)
    runs += _fit_block(doc.learner_name, _font_for(doc.learner_name, SERIF), 30, 374, 422, INK)
    runs += _centred_fit("has successfully completed", SANS, 11, 354, MUTED)
    runs += _title_block(doc.course_title, doc.course_version, doc.aligned_to)
    runs += _facts_row(doc)
    first, rest = _outcomes(doc.outcomes)
    runs += first
    runs += _footer_text(doc)
    qr = QrPlacement(qr_matrix(doc.verify_url), LEFT, 54.0, QR_SIZE)
    return Layout(tuple(runs), qr, tuple(_continuation_page(doc, page, number)
                                         for number, page in enumerate(rest, start=2)))


@functools.cache
def register_fonts() -> None:
    """Register the shipped DejaVu fonts with ReportLab once per process."""
    # asciiReadable=False: embed only the glyphs drawn. ReportLab's default adds all of ASCII to each face's subset
    # so that content streams read as ASCII text, which nobody reads; text extraction goes through the ToUnicode
    # map either way, and the space keeps code 32. 46 KiB -> 29 KiB and about 0.5 ms less subsetting and writing.
    for name, filename in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename), asciiReadable=False))


def qr_runs(matrix: Sequence[Sequence[bool]]) -> list[tuple[int, int, int]]:
    """Return the dark modules as (row, first column, length) horizontal runs."""
    runs = []
    for row_index, row in enumerate(matrix):
        start = None
        for col, dark in enumerate((*row, False)):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                runs.append((row_index, start, col - start))
                start = None
    return runs


def hours_text(hours: Decimal) -> str:
    """Format CPD hours without trailing zeros: "1 hour", "1.5 hours", "12 hours"."""
    shown = f"{hours.normalize():f}"
    return f"{shown} hour" if hours == 1 else f"{shown} hours"


# --- layout helpers ---------------------------------------------------------------------


def _font_for(text: str, preferred: str) -> str:
    """Use the preferred font if it has every glyph, else the sans, which covers more."""
    char_to_glyph = pdfmetrics.getFont(preferred).face.charToGlyph
    return preferred if all(ord(ch) in char_to_glyph for ch in text if not ch.isspace()) else SANS


def _width(text: str, font: str, size: float, char_space: float = 0.0) -> float:
    return pdfmetrics.stringWidth(text, font, size) + char_space * max(len(text) - 1, 0)


def _run(text: str, font: str, size: float, x: float, y: float, colour: Color,
         char_space: float = 0.0, align: str = "left") -> TextRun:
    width = _width(text, font, size, char_space)
    left = {"left": x, "centre": x - width / 2, "right": x - width}[align]
    return TextRun(text, font, size, left, y, width, colour, char_space)


def _centred_fit(text: str, font: str, size: float, y: float, colour: Color,
                 char_space: float = 0.0) -> list[TextRun]:
    """One centred line, shrunk (spacing first, then size) if wider than the content."""
    if _width(text, font, size, char_space) > CONTENT_WIDTH:
        char_space = 0.0
        size = max(6.0, min(size, size * CONTENT_WIDTH / _width(text, font, size)))
        text = _ellipsise(text, font, size, CONTENT_WIDTH)
    return [_run(text, font, size, CENTRE, y, colour, char_space, align="centre")]


def _fit_block(text: str, font: str, max_size: float, bottom: float, top: float,
               colour: Color, min_size: float = 8.0) -> list[TextRun]:
    """Centre text in a box: the largest size, from max_size down, whose wrapped lines fit."""
    text = " ".join(text.split())
    size = max_size
    while True:
        leading = size * 1.18
        lines = _wrap(text, font, size, CONTENT_WIDTH)
        if len(lines) * leading <= top - bottom or size <= min_size:
            break
        size = max(min_size, size - 1.0 if size > 14 else size - 0.5)
    max_lines = max(1, int((top - bottom) // leading))
    if len(lines) > max_lines:  # only for absurd input: keep what fits, mark the cut
        lines = lines[:max_lines]
        lines[-1] = _ellipsise(lines[-1] + " …", font, size, CONTENT_WIDTH)
    ascent = pdfmetrics.getAscent(font, size)
    block_height = ascent + (len(lines) - 1) * leading
    first_baseline = top - ((top - bottom) - block_height) / 2 - ascent
    return [_run(line, font, size, CENTRE, first_baseline - i * leading, colour, align="centre")
            for i, line in enumerate(lines)]


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a word wider than the line is broken between characters."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if _width(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while _width(current, font, size) > width:
            cut = _longest_prefix(current, font, size, width)
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    return lines or [""]


def _longest_prefix(text: str, font: str, size: float, width: float) -> int:
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if _width(text[:middle], font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return low


def _ellipsise(text: str, font: str, size: float, width: float) -> str:
    """Shorten text with a trailing "…" so that it fits the width."""
    if _width(text, font, size) <= width:
        return text
    cut = _longest_prefix(text, font, size, width - _width("…", font, size))
    return text[:cut].rstrip(" ,;:.") + "…"


def _title_block(title: str, version: int, aligned_to: tuple[str, ...] = ()) -> list[TextRun]:
    """Course title in bold, shrunk and wrapped to its box, with "Version N" just below, followed on the same
    line by the guidance editions the version was aligned to (one line: shortened with "…" if long)."""
    runs = _fit_block(title, _font_for(title, SANS_BOLD), 19, 304, 344, NAVY)
    version_y = min(runs[-1].bottom - 11, 291)
    editions = "; ".join(" ".join(edition.split()) for edition in aligned_to if edition.strip())
    line = f"Version {version} · Aligned to {editions}" if editions else f"Version {version}"
    font = _font_for(line, SANS)
    return runs + [_run(_ellipsise(line, font, 8.5, CONTENT_WIDTH), font, 8.5, CENTRE, version_y, MUTED,
                        align="centre")]


def _facts_row(doc: CertificateDocument) -> list[TextRun]:
    """Four labelled facts in equal columns: hours, score, completion and expiry."""
    facts = (("CPD HOURS", hours_text(doc.cpd_hours)), ("SCORE", f"{doc.score_percent}%"),
             ("COMPLETED", uk_date(doc.completed_on)), ("VALID UNTIL", uk_date(doc.expires_on)))
    column = (FACTS_RIGHT - FACTS_LEFT) / len(facts)
    runs = []
    for index, (label, value) in enumerate(facts):
        middle = FACTS_LEFT + column * (index + 0.5)
        runs.append(_run(label, SANS, 7, middle, 254, MUTED, char_space=1.2, align="centre"))
        runs.append(_run(value, SANS_BOLD, 12.5, middle, 236, INK, align="centre"))
    return runs


OUTCOME_SIZE, OUTCOME_LEADING, OUTCOME_INDENT = 9.0, 12.0, 12.0
FIRST_PAGE_OUTCOME_WIDTH = CONTENT_WIDTH - 132
FIRST_PAGE_OUTCOME_LINES = 4  # baselines 187 down to 151, above the rule over the QR code
MORE_PAGE_TOP, MORE_PAGE_BOTTOM = 424.0, 48.0  # outcome baselines on a continuation page, under its heading
MORE_PAGE_OUTCOME_LINES = int((MORE_PAGE_TOP - MORE_PAGE_BOTTOM) // OUTCOME_LEADING) + 1

Lines = list[tuple[str, str]]  # (text, font) of one wrapped outcome; the first line takes the bullet


def _outcome_lines(outcome: str, width: float) -> Lines:
    font = _font_for(outcome, SANS)
    return [(line, font) for line in _wrap(outcome, font, OUTCOME_SIZE, width - OUTCOME_INDENT)]


def _outcomes(outcomes: tuple[str, ...]) -> tuple[list[TextRun], list[list[Lines]]]:
    """Every outcome in full, wrapped: the first page's runs, and the wrapped outcomes of each further page."""
    shown = [" ".join(o.split()) for o in outcomes if o.strip()]
    if not shown:
        return [], []
    wrapped = [_outcome_lines(outcome, FIRST_PAGE_OUTCOME_WIDTH) for outcome in shown]
    if sum(map(len, wrapped)) <= FIRST_PAGE_OUTCOME_LINES:
        return _first_page_outcomes(wrapped, continued=False), []
    first: list[Lines] = []
    used = 0
    # One line is kept for "Continued on page 2".
    while wrapped and used + len(wrapped[0]) <= FIRST_PAGE_OUTCOME_LINES - 1:
        used += len(wrapped[0])
        first.append(wrapped.pop(0))
    rest = [_outcome_lines(outcome, CONTENT_WIDTH) for outcome in shown[len(first):]]
    return _first_page_outcomes(first, continued=True), _paginate(rest)


def _paginate(wrapped: list[Lines]) -> list[list[Lines]]:
    """Fill continuation pages with whole outcomes; only one longer than a page is split between pages."""
    pages: list[list[Lines]] = [[]]
    used = 0
    for lines in wrapped:
        while lines:
            if used and used + len(lines) > MORE_PAGE_OUTCOME_LINES:
                pages.append([])
                used = 0
            part, lines = lines[:MORE_PAGE_OUTCOME_LINES], lines[MORE_PAGE_OUTCOME_LINES:]
            pages[-1].append(part)
            used += len(part)
    return pages


def _bulleted(wrapped: list[Lines], left: float, first_baseline: float) -> list[TextRun]:
    runs = []
    y = first_baseline
    for lines in wrapped:
        runs.append(_run("•", SANS, OUTCOME_SIZE, left, y, GOLD))
        for text, font in lines:
            runs.append(_run(text, font, OUTCOME_SIZE, left + OUTCOME_INDENT, y, INK))
            y -= OUTCOME_LEADING
    return runs


def _first_page_outcomes(wrapped: list[Lines], *, continued: bool) -> list[TextRun]:
    """The outcomes that fit, centred as a block under their centred heading; bullets hang to its left."""
    widths = [_width(text, font, OUTCOME_SIZE) for lines in wrapped for text, font in lines]
    block_left = CENTRE - (max(widths, default=0.0) + OUTCOME_INDENT) / 2
    runs = [_run("LEARNING OUTCOMES", SANS, 7, CENTRE, 202, MUTED, 1.2, "centre")]
    runs += _bulleted(wrapped, block_left, 187)
    if continued:
        y = 187 - OUTCOME_LEADING * sum(map(len, wrapped))
        runs.append(_run("Continued on page 2", SANS, 8, CENTRE, y, MUTED, align="centre"))
    return runs


def _continuation_page(doc: CertificateDocument, wrapped: list[Lines], number: int) -> tuple[TextRun, ...]:
    """A further page of outcomes, headed so that it still says whose certificate it belongs to."""
    name_font = _font_for(doc.learner_name, SANS_BOLD)
    runs = [
        *_centred_fit(f"Certificate of CPD · page {number}", SERIF, 16, 520, NAVY),
        *_centred_fit(" ".join(doc.learner_name.split()), name_font, 12, 498, INK),
        *_centred_fit(" ".join(doc.course_title.split()), _font_for(doc.course_title, SANS), 10, 482, MUTED),
        _run(f"Certificate code {format_code(doc.code)}", SANS, 8, CENTRE, 468, MUTED, align="centre"),
        _run("LEARNING OUTCOMES (CONTINUED)", SANS, 7, LEFT, MORE_PAGE_TOP + 18, MUTED, 1.2),
    ]
    return tuple(runs + _bulleted(wrapped, LEFT, MORE_PAGE_TOP))


def _footer_text(doc: CertificateDocument) -> list[TextRun]:
    """Beside the QR code: where and how to check; on the right: issuer and any status note."""
    text_left = LEFT + QR_SIZE + 14
    url_width = CENTRE + 60 - text_left
    url_size = min(9.0, 9.0 * url_width / max(_width(doc.verify_url, SANS, 9.0), 1))
    runs = [
        _run("Check this certificate at", SANS, 8, text_left, 112, MUTED),
        _run(_ellipsise(doc.verify_url, SANS, url_size, url_width), SANS, url_size, text_left, 99, NAVY),
        _run("CERTIFICATE CODE", SANS, 7, text_left, 77, MUTED, char_space=1.2),
        _run(format_code(doc.code), SANS_BOLD, 12, text_left, 61, INK, char_space=0.8),
    ]
    issuer_width = RIGHT - (CENTRE + 90)
    issuer_size = min(11.0, 11.0 * issuer_width / max(_width(doc.platform_name, SANS_BOLD, 11.0), 1))
    runs.append(_run("Issued by", SANS, 8, RIGHT, 116, MUTED, align="right"))
    runs.append(_run(_ellipsise(doc.platform_name, SANS_BOLD, issuer_size, issuer_width), SANS_BOLD, issuer_size,
                     RIGHT, 103, NAVY, align="right"))
    lines = [f"on {uk_date(doc.completed_on)}"]
    if doc.organisation_name:
        lines.append(f"Issued for {' '.join(doc.organisation_name.split())}")
    if doc.accredited_by:
        lines.append(f"Accredited by {' '.join(doc.accredited_by.split())}")
    for index, line in enumerate(lines):
        runs.append(_right_fit(line, 8.5, 91 - 11.5 * index, issuer_width, INK))
    if doc.status_note:
        runs.append(_right_fit(" ".join(doc.status_note.split()), 7.5, 91 - 11.5 * len(lines) - 2, issuer_width,
                               MUTED))
    return runs


def _right_fit(text: str, size: float, y: float, width: float, colour: Color) -> TextRun:
    """One right-aligned line, shrunk to fit down to 6 points, then shortened with "…" (only absurd input)."""
    font = _font_for(text, SANS)
    size = max(6.0, min(size, size * width / max(_width(text, font, size), 1)))
    return _run(_ellipsise(text, font, size, width), font, size, RIGHT, y, colour, align="right")


# --- drawing ------------------------------------------------------------------------------


def _set_metadata(canvas: Canvas, doc: CertificateDocument) -> None:
    canvas.setTitle(f"Certificate of CPD – {doc.course_title}")
    canvas.setAuthor(doc.platform_name)
    canvas.setSubject(f"CPD certificate {format_code(doc.code)} for {doc.course_title}")
    canvas.setCreator(doc.platform_name)
    # A fixed creation date from the completion day keeps the bytes reproducible.
    stamp = f"D:{doc.completed_on:%Y%m%d}000000+00'00'"
    canvas.setDateFormatter(lambda *_: stamp)


def _draw_border_and_rules(canvas: Canvas, layout: Layout) -> None:
    """A navy frame with a fine gold line inside; a gold rule under the heading; hairlines."""
    _draw_frame(canvas)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(1)
    canvas.line(CENTRE - 32, 456, CENTRE + 32, 456)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(FACTS_LEFT, 272, FACTS_RIGHT, 272)
    canvas.line(FACTS_LEFT, 220, FACTS_RIGHT, 220)
    canvas.line(LEFT, layout.qr.y + layout.qr.size + 12, RIGHT, layout.qr.y + layout.qr.size + 12)


def _draw_frame(canvas: Canvas) -> None:
    canvas.setStrokeColor(NAVY)
    canvas.setLineWidth(3)
    canvas.rect(22, 22, PAGE_WIDTH - 44, PAGE_HEIGHT - 44, stroke=1, fill=0)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(0.8)
    canvas.rect(30, 30, PAGE_WIDTH - 60, PAGE_HEIGHT - 60, stroke=1, fill=0)


def _draw_text(canvas: Canvas, runs: Sequence[TextRun]) -> None:
    """Draw all runs in one text object, setting font and colour only when they change."""
    text = canvas.beginText()
    font, colour, char_space = None, None, 0.0
    for run in runs:
        if (run.font, run.size) != font:
            font = (run.font, run.size)
            text.setFont(run.font, run.size)
        if run.colour != colour:
            colour = run.colour
            text.setFillColor(run.colour)
        if run.char_space != char_space:
            char_space = run.char_space
            text.setCharSpace(run.char_space)
        text.setTextOrigin(run.x, run.y)
        text.textOut(run.text)
    canvas.drawText(text)


def _draw_qr(canvas: Canvas, qr: QrPlacement) -> None:
    """Draw dark modules as one filled path of merged horizontal runs, in module units.

    Scaling the coordinate system to one module lets every rectangle be written with
    small integers: formatting floats for ~300 rectangles was the slowest part of a render.
    """
    module = qr.size / len(qr.matrix)
    canvas.saveState()
    canvas.setFillColor(INK)
    # Origin at the top-left module, y pointing down, so row r spans y = r .. r + 1.
    canvas.transform(module, 0, 0, -module, qr.x, qr.y + qr.size)
    rects = " ".join(f"{col} {row} {length} 1 re" for row, col, length in qr_runs(qr.matrix))
    canvas.addLiteral(f"n {rects} f")
    canvas.restoreState()
