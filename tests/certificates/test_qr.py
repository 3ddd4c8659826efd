"""The certificate's QR code is exactly the symbol segno would choose: same data mask, same modules.

elearn.certificates.qr scores the eight data masks itself (bit-parallel), so these tests hold it to segno's own
evaluation (segno.encoder.evaluate_mask) on random matrices, on the patterns where segno's scan has quirks, and on
whole symbols for many URLs.
"""

import random

import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st
from segno import encoder

from elearn.certificates import qr
from elearn.certificates.codes import ALPHABET, format_code
from elearn.certificates.pdf import qr_matrix

# database=None: keep Hypothesis from writing .hypothesis/ into the shared working tree.
MANY = settings(max_examples=150, deadline=None, database=None)

VERIFY_URLS = st.builds(
    lambda host, code: f"https://{host}/verify/{format_code(code)}",
    st.sampled_from(["elearn.example", "training.northshire-safeguarding-partnership.example", "cpd.nhs.example",
                     "localhost:5000"]),
    st.text(alphabet=ALPHABET, min_size=16, max_size=16),
)
# Printable ASCII reaches numeric, alphanumeric and byte mode; up to 250 characters reaches version 10, whose
# version information areas segno leaves blank while it scores the masks.
ANY_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=250)
SIZES = [21, 25, 33, 45, 57]  # versions 1, 2, 4, 7 (the first with version information) and 10


def segnos_symbol(url: str) -> segno.QRCode:
    return segno.make(url, error="m", micro=False)


def as_bools(matrix) -> tuple[tuple[bool, ...], ...]:
    return tuple(tuple(bool(module) for module in row) for row in matrix)


def segnos_penalty(matrix: list[bytearray]) -> int:
    return encoder.evaluate_mask(matrix, len(matrix), len(matrix))


@MANY
@given(st.one_of(VERIFY_URLS, ANY_TEXT))
def test_the_chosen_mask_is_the_one_segno_chooses(url):
    assert qr.best_mask(url) == segnos_symbol(url).mask


@MANY
@given(st.one_of(VERIFY_URLS, ANY_TEXT))
def test_the_symbol_is_segnos_automatic_symbol_module_for_module(url):
    assert qr_matrix(url) == as_bools(segnos_symbol(url).matrix)


@pytest.mark.parametrize("url", [
    "https://elearn.example/verify/7KQM-2XPD-9HTA-4RWC",
    "https://training.northshire-safeguarding-partnership.example/verify/7KQM-2XPD-9HTA-4RWC",
    "1234567890",
    "HELLO WORLD",
    "x" * 300,
])
def test_every_mask_scores_and_draws_what_segno_does_with_it(url):
    unmasked = qr.unmasked_symbol(url)
    for mask in range(8):
        expected = segno.make(url, error="m", micro=False, mask=mask)
        assert qr.mask_penalty(unmasked, mask) == segnos_penalty(_as_segno_evaluates_it(expected)), mask
        assert qr.masked_matrix(unmasked, mask) == as_bools(expected.matrix), mask


def _as_segno_evaluates_it(symbol: segno.QRCode) -> list[bytearray]:
    """The masked symbol before format and version information are written, which is what segno scores."""
    width = len(symbol.matrix)
    template = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(template, width, width)
    encoder.add_alignment_patterns(template, width, width)
    return [bytearray(module if template[i][j] == 0x2 else template[i][j] for j, module in enumerate(row))
            for i, row in enumerate(symbol.matrix)]


@settings(max_examples=300, deadline=None, database=None)
@given(st.sampled_from(SIZES), st.sampled_from([0.1, 0.3, 0.5, 0.7, 0.9]), st.integers(0, 2**32))
def test_the_penalty_of_any_matrix_is_segnos(width, density, seed):
    rng = random.Random(seed)
    matrix = [bytearray(int(rng.random() < density) for _ in range(width)) for _ in range(width)]
    assert qr.penalty(matrix) == segnos_penalty(matrix)


FINDER_LIKE = "1011101"


@pytest.mark.parametrize("row", [
    "0000" + FINDER_LIKE + "0000",              # light on both sides
    FINDER_LIKE + "1111",                       # at the left edge: the quiet zone counts as light
    "1111" + FINDER_LIKE + ">",                 # at the right edge (">": drawn against the right edge)
    "11" + FINDER_LIKE + "11",                  # neither side four light modules
    "0000" + "1011101011101" + "0000",          # two sharing a dark module: segno's scan skips the second
    "0000" + "10111011101" + "0000",            # two sharing three modules: skipped as well
    "1111" + "10111011101" + "0000",            # the first not counted, so the second is
    "0000" + "10111011101011101" + "0000",      # a chain of three
    "0000" + FINDER_LIKE + "0000" + FINDER_LIKE + "0000",
    "11111" + "00000" + "111111",               # runs of five and six: N1 only
])
def test_the_penalty_follows_segnos_scan_of_a_row_and_a_column(row):
    width = 57
    filler = "1101" * width
    if row.endswith(">"):
        row = (filler + row[:-1])[-width:]
    else:
        row = (row + filler)[:width]
    bits = [int(bit) for bit in row]
    rng = random.Random(row)
    for place in (0, 9, width - 1):
        matrix = [bytearray(rng.random() < 0.5 for _ in range(width)) for _ in range(width)]
        matrix[place] = bytearray(bits)
        for i in range(width):  # the same pattern down one column
            matrix[i][place] = bits[i]
        assert qr.penalty(matrix) == segnos_penalty(matrix), place


def test_the_mask_is_chosen_without_segnos_module_by_module_evaluation(monkeypatch):
    # That evaluation is most of the time a certificate takes (bench/certificates/RESULTS.md); the symbol must
    # still be the same, which the tests above check.
    def refuse(*args):
        raise AssertionError("segno evaluated the masks")

    url = "https://elearn.example/verify/7KQM-2XPD-9HTA-4RWC"
    expected = as_bools(segnos_symbol(url).matrix)
    monkeypatch.setattr(encoder, "evaluate_mask", refuse)
    assert qr_matrix(url) == expected
