import dataclasses
import io
import re
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import segno
from pypdf import PdfReader

from elearn.certificates.pdf import (
    PAGE_HEIGHT,
    PAGE_WIDTH,
    CertificateDocument,
    hours_text,
    layout_certificate,
    qr_matrix,
    qr_runs,
    render_certificate_pdf,
)

ROOT = Path(__file__).resolve().parents[2]
# The inner edge of the drawn border: nothing may be printed outside it.
INNER_FRAME = (30.0, 30.0, PAGE_WIDTH - 30.0, PAGE_HEIGHT - 30.0)

DOC = CertificateDocument(
    code="7KQM2XPD9HTA4RWC",
    learner_name="Zoë Łukasiewicz-Ó Súilleabháin",
    course_title="Safeguarding Adults: Level 2",
    course_version=3,
    cpd_hours=Decimal("3.5"),
    outcomes=(
        "Recognise the signs and types of abuse and neglect",
        "Explain the six principles of adult safeguarding",
        "Respond to a disclosure and record it accurately",
    ),
    score_percent=92,
    completed_on=date(2026, 11, 23),
    expires_on=date(2027, 11, 23),
    verify_url="https://elearn.example/verify/7KQM-2XPD-9HTA-4RWC",
)

NAMES = {
    "latin diacritics": "Zoë Łukasiewicz-Ó Súilleabháin",
    "welsh": "Siân Ŵyn",
    "greek": "Αλέξανδρος Παπαδόπουλος",
    "cyrillic": "Наталья Иванова",
    "html": '"><script>alert(1)</script> <b>Bold</b> &amp; Co',
}
UNSUPPORTED_NAMES = {
    "arabic": "محمد عبد الله",
    "hebrew": "שרה כהן",
    "cjk": "王小明",
    "emoji": "Sam 🦊🎉",
    "mixed": "Anna 王 Αλέξ Ивa محمد",
}
LONG = {
    "100 chars": "Maximilian Alexander " * 5,
    "200 chars": "Bartholomew Fitzwilliam-Montgomery " * 5 + "Esq. of the Realm",
    "200 chars unbroken": "W" * 200,
    "2000 chars": "Anastasia " * 200,
}


def render(**changes: object) -> bytes:
    return render_certificate_pdf(dataclasses.replace(DOC, **changes))


def page_text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_one_page_of_a4_landscape():
    reader = PdfReader(io.BytesIO(render()))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)


def test_text_holds_every_fact_of_the_certificate():
    text = page_text(render())
    for expected in (
        "Certificate of CPD",
        "Zoë Łukasiewicz-Ó Súilleabháin",
        "Safeguarding Adults: Level 2",
        "Version 3",
        "3.5 hours",
        "92%",
        "23 November 2026",
        "23 November 2027",
        "7KQM-2XPD-9HTA-4RWC",
        "https://elearn.example/verify/7KQM-2XPD-9HTA-4RWC",
        "Check this certificate at",
        "Recognise the signs and types of abuse and neglect",
        "elearn",
    ):
        assert expected in text


def test_status_note_is_printed_when_given():
    assert "Re-issued 3 March 2027" in page_text(render(status_note="Re-issued 3 March 2027"))


def test_metadata_names_the_course_and_platform():
    pdf = render(platform_name="Northshire Learning")
    info = PdfReader(io.BytesIO(pdf)).metadata
    assert info.title == "Certificate of CPD – Safeguarding Adults: Level 2"
    assert info.author == "Northshire Learning"
    assert "7KQM-2XPD-9HTA-4RWC" in info.subject
    assert info["/CreationDate"].startswith("D:20261123")


def test_same_document_gives_identical_bytes():
    assert render() == render()


def test_identical_bytes_across_processes():
    script = (
        "import sys; from tests.certificates.test_pdf import render;"
        "sys.stdout.buffer.write(render())"
    )
    other = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, check=True, cwd=ROOT
    ).stdout
    assert other == render()


def test_different_name_gives_different_bytes():
    assert render() != render(learner_name="Siân Ŵyn")


def test_fonts_are_embedded():
    page = PdfReader(io.BytesIO(render())).pages[0]
    fonts = page["/Resources"]["/Font"]
    assert fonts
    for ref in fonts.values():
        font = ref.get_object()
        descriptor = _descriptor(font)
        assert "/FontFile2" in descriptor, font.get("/BaseFont")


def test_a_certificate_weighs_at_most_60_kib_with_its_three_faces_and_qr_code():
    # A ZIP of 1,000 staff's certificates stays under 60 MB: the embedded subsets hold the glyphs used, from faces
    # trimmed of hinting and extra names (elearn/certificates/fonts.py).
    pdf = render()
    fonts = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    assert len(fonts) == 3 and all("/FontFile2" in _descriptor(ref.get_object()) for ref in fonts.values())
    assert b" re f" in pdf  # the QR code's path of dark modules
    assert len(pdf) <= 60 * 1024, len(pdf)


def test_each_embedded_subset_holds_only_the_characters_drawn_in_its_face():
    # ReportLab's default also embeds every ASCII glyph in each face, used or not (its "ASCII-readable" content
    # streams): more glyphs to subset, write and download, and three longer width arrays to format.
    layout = layout_certificate(DOC)
    drawn: dict[str, set[str]] = {}
    for run in layout.runs:
        drawn.setdefault(run.font, set()).update(run.text)
    fonts = PdfReader(io.BytesIO(render())).pages[0]["/Resources"]["/Font"]
    for ref in fonts.values():
        font = ref.get_object()
        face = {"DejaVuSans": "ElearnSans", "DejaVuSans-Bold": "ElearnSans-Bold", "DejaVuSerif": "ElearnSerif"}[
            font["/BaseFont"].split("+", 1)[1]]
        cmap = font["/ToUnicode"].get_object().get_data().decode("ascii")
        embedded = {chr(int(code, 16)) for code in re.findall(r"<[0-9A-F]{2}> <([0-9A-F]{4})>", cmap)}
        assert embedded - {"\0", " "} == drawn[face] - {" "}, face


def _descriptor(font):
    if "/FontDescriptor" in font:
        return font["/FontDescriptor"].get_object()
    return font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_names_round_trip_through_text_extraction(name):
    assert name in page_text(render(learner_name=name))


@pytest.mark.parametrize(
    "name", [*NAMES.values(), *UNSUPPORTED_NAMES.values(), *LONG.values()],
    ids=[*NAMES.keys(), *UNSUPPORTED_NAMES.keys(), *LONG.keys()],
)
def test_any_name_gives_a_one_page_pdf(name):
    reader = PdfReader(io.BytesIO(render(learner_name=name)))
    assert len(reader.pages) == 1


@pytest.mark.parametrize("name", LONG.values(), ids=LONG.keys())
def test_long_names_stay_inside_the_frame(name):
    assert_inside_frame(dataclasses.replace(DOC, learner_name=name))


@pytest.mark.parametrize("name", ["Maximilian Alexander " * 5, "Bartholomew Montgomery " * 9])
def test_long_names_are_printed_whole(name):
    layout = layout_certificate(dataclasses.replace(DOC, learner_name=name))
    printed = " ".join(run.text for run in layout.runs if run.font == "ElearnSerif")
    assert printed.replace("Certificate of CPD ", "", 1) == " ".join(name.split())


@pytest.mark.parametrize(
    "title",
    [
        ("Safeguarding Children and Young People: Level 3 for Designated Safeguarding Leads, "
         "Deputies and Senior Leaders in Schools, Colleges and Early Years Settings"),
        "Prevent duty " * 30,
        "X" * 400,
    ],
)
def test_long_course_titles_stay_inside_the_frame(title):
    assert_inside_frame(dataclasses.replace(DOC, course_title=title))


def test_everything_stays_inside_the_frame_when_all_fields_are_long():
    assert_inside_frame(dataclasses.replace(
        DOC,
        learner_name=LONG["200 chars"],
        course_title="Safeguarding " * 20,
        outcomes=tuple("Describe " * 30 for _ in range(9)),
        organisation_name="The Northshire Multi-Academy Trust for Primary and Secondary Education " * 3,
        accredited_by="The Northshire Council for Continuing Professional Development Standards " * 3,
        platform_name="Northshire Safeguarding Children Partnership Learning Hub " * 3,
        status_note="Re-issued with a corrected name " * 10,
        verify_url="https://training.northshire-safeguarding-partnership.example/verify/7KQM-2XPD-9HTA-4RWC",
    ))


def assert_inside_frame(doc: CertificateDocument) -> None:
    layout = layout_certificate(doc)
    left, bottom, right, top = INNER_FRAME
    for run in (run for page in (layout.runs, *layout.more_pages) for run in page):
        assert left < run.x and run.x + run.width < right, run
        assert bottom < run.bottom and run.top < top, run
    qr = layout.qr
    assert left < qr.x and qr.x + qr.size < right and bottom < qr.y and qr.y + qr.size < top
    # And what was actually drawn: every text origin pypdf sees lies within the frame.
    for x, y in drawn_text_origins(render_certificate_pdf(doc)):
        assert left < x < right and bottom < y < top, (x, y)


def drawn_text_origins(pdf: bytes) -> list[tuple[float, float]]:
    origins = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            origins.append((tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    assert origins
    return origins


def test_html_in_a_name_is_printed_literally():
    name = '"><script>alert(1)</script> <b>x</b> &amp;'
    assert name in page_text(render(learner_name=name))


LONG_OUTCOMES = tuple(
    f"Outcome {n}: recognise when a child may be at risk of harm, record what was seen and said in their own "
    f"words, and pass the concern to the designated safeguarding lead the same day, without investigating"
    for n in range(1, 9)
)


def all_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def printed_words(doc: CertificateDocument) -> str:
    layout = layout_certificate(doc)
    return " ".join(run.text for page in (layout.runs, *layout.more_pages) for run in page)


def test_every_outcome_is_printed_in_full_and_none_is_cut_mid_word():
    printed = printed_words(dataclasses.replace(DOC, outcomes=LONG_OUTCOMES))
    assert "…" not in printed and "more outcomes" not in printed
    for outcome in LONG_OUTCOMES:
        assert outcome in " ".join(printed.split())


def test_outcomes_that_do_not_fit_continue_on_a_second_page():
    reader = PdfReader(io.BytesIO(render(outcomes=LONG_OUTCOMES)))
    assert len(reader.pages) == 2
    assert "Continued on page 2" in reader.pages[0].extract_text()
    second = reader.pages[1].extract_text()
    assert "Zoë Łukasiewicz-Ó Súilleabháin" in second and "7KQM-2XPD-9HTA-4RWC" in second
    assert "Outcome 8" in second


def test_a_few_short_outcomes_stay_on_one_page():
    assert len(PdfReader(io.BytesIO(render())).pages) == 1


def test_long_outcomes_stay_inside_the_frame_on_every_page():
    assert_inside_frame(dataclasses.replace(DOC, outcomes=LONG_OUTCOMES * 4))


def test_long_outcomes_give_identical_bytes_across_processes():
    script = (
        "import sys; from tests.certificates.test_pdf import render, LONG_OUTCOMES;"
        "sys.stdout.buffer.write(render(outcomes=LONG_OUTCOMES, organisation_name='Northshire Academy',"
        " accredited_by='The CPD Standards Office'))"
    )
    other = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True, cwd=ROOT).stdout
    assert other == render(outcomes=LONG_OUTCOMES, organisation_name="Northshire Academy",
                           accredited_by="The CPD Standards Office")


def test_the_certificate_names_the_learners_organisation_and_the_platform_as_issuer():
    text = page_text(render(organisation_name="Northshire Academy", platform_name="Northshire Learning"))
    assert "Issued for Northshire Academy" in text
    assert "Issued by" in text and "Northshire Learning" in text


def test_a_learner_with_no_organisation_has_no_issued_for_line():
    assert "Issued for" not in page_text(render(organisation_name=None))


def test_accreditation_is_claimed_only_when_an_accrediting_body_is_named():
    assert "ccredit" not in all_text(render(outcomes=LONG_OUTCOMES))
    assert "Accredited by The CPD Standards Office" in page_text(render(accredited_by="The CPD Standards Office"))


def test_no_outcomes_leaves_out_the_heading():
    assert "LEARNING OUTCOMES" not in page_text(render(outcomes=()))


def test_drawn_qr_matrix_is_segnos_for_the_verify_url():
    expected = segno.make(DOC.verify_url, error="m", micro=False).matrix
    drawn = layout_certificate(DOC).qr.matrix
    assert drawn == tuple(tuple(bool(m) for m in row) for row in expected)
    assert drawn == qr_matrix(DOC.verify_url)


def test_qr_matrix_can_be_read_back_from_the_pdf_drawing():
    contents = PdfReader(io.BytesIO(render())).pages[0].get_contents().get_data().decode("latin-1")
    path = re.search(r"\bn ((?:\d+ \d+ \d+ 1 re ?)+)f\b", contents)
    assert path, "QR path not found in the page content"
    size = len(qr_matrix(DOC.verify_url))
    rebuilt = [[False] * size for _ in range(size)]
    for col, row, length in re.findall(r"(\d+) (\d+) (\d+) 1 re", path.group(1)):
        for c in range(int(col), int(col) + int(length)):
            rebuilt[int(row)][c] = True
    assert tuple(map(tuple, rebuilt)) == qr_matrix(DOC.verify_url)


@pytest.mark.parametrize(
    ("matrix", "expected"),
    [
        ([[True, True, False, True]], [(0, 0, 2), (0, 3, 1)]),
        ([[False, False], [True, True]], [(1, 0, 2)]),
        ([[False]], []),
    ],
)
def test_qr_runs_merge_horizontal_neighbours(matrix, expected):
    assert qr_runs(matrix) == expected


@pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
    reason="needs pdftoppm (poppler-utils) and zbarimg (zbar-tools) from apt",
)
def test_printed_qr_code_scans_to_the_verify_url(tmp_path):
    pdf_path = tmp_path / "certificate.pdf"
    pdf_path.write_bytes(render())
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(pdf_path),
                    str(tmp_path / "page")], check=True)
    scanned = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")],
                             capture_output=True, text=True, check=True).stdout
    assert scanned.strip() == DOC.verify_url



@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        (Decimal(1), "1 hour"),
        (Decimal("1.00"), "1 hour"),
        (Decimal("1.5"), "1.5 hours"),
        (Decimal("0.75"), "0.75 hours"),
        (Decimal(10), "10 hours"),
        (Decimal("100.0"), "100 hours"),
    ],
)
def test_hours_text(hours, expected):
    assert hours_text(hours) == expected

