"""The certificate's QR code: segno's symbol, with the data mask chosen by a fast evaluation of the same penalties.

Why this module exists: ISO/IEC 18004 (7.8.3.1) asks the encoder to try all eight data masks and keep the one with
the lowest penalty (N1 runs of five or more, N2 2×2 blocks, N3 finder-like 1:1:3:1:1 patterns, N4 dark
proportion); a fixed mask gives codes that scan worse. segno does that module by module in pure Python: about 2.3 ms
of a 5.6 ms certificate (bench/certificates/RESULTS.md). Here the penalties are computed on whole symbols at once:
the symbol is held as one Python int with a bit per module row by row, and a second int column by column, so each
rule is a few shifts, ANDs and bit counts over about a thousand bits, for all rows (or columns) together.

The scores are segno's own, quirks included: its N3 scan skips a pattern that overlaps one it has just counted,
and ties go to the lowest mask number. So the mask chosen is the one segno would choose, and the symbol drawn is
module for module `segno.make(url, error="m", micro=False)` (tests/certificates/test_qr.py checks both for many
URLs, and the penalty against segno's `evaluate_mask` on random matrices). segno still does all the encoding, once,
with mask 0 (`segno.encoder.encode`, what `segno.make` calls); the chosen mask then turns over the data modules where
it differs from mask 0, and segno's `add_format_info` writes its format information. Building the symbol a second
time with `segno.make(..., mask=chosen)` would give the same modules but cost another 0.55 ms. The function
patterns come from segno's encoder too, once per symbol size, so segno stays the one place that knows the layout.
These are segno's module-level functions rather than its documented API; segno is pinned (requirements.txt), and
the tests fail if another version lays out or scores a symbol differently.

Not cached per URL: every certificate has its own URL, so such a cache would only grow.
"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from segno import encoder

QrMatrix = tuple[tuple[bool, ...], ...]

_REGION, _DARK = 0x2, 0x1  # segno's template: 0x2 marks a data module, 0/1 the fixed modules it scores with
_AS_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
_FINDER_LIKE = 40  # N3 points per pattern, as segno scores them
_N2_BLOCK = 3


def qr_matrix(url: str) -> QrMatrix:
    """Return the QR module matrix drawn for a URL (True = dark, quiet zone excluded): segno's automatic symbol."""
    symbol = unmasked_symbol(url)
    return masked_matrix(symbol, _lowest_penalty_mask(symbol))


def best_mask(url: str) -> int:
    """The data mask (0–7) that segno's own evaluation would choose for this URL."""
    return _lowest_penalty_mask(unmasked_symbol(url))


@dataclass(frozen=True)
class UnmaskedSymbol:
    """An encoded symbol before masking, as segno scores it (no format or version information yet), as bits."""

    rows: int  # bit i * width + j is module (row i, column j); 1 = dark
    columns: int  # bit j * width + i is the same module
    grid: "_Grid"
    first: encoder.Code  # the symbol segno built with mask 0, from which this one was unmasked


def unmasked_symbol(url: str) -> UnmaskedSymbol:
    """Encode the URL with segno (mask 0, no evaluation), then undo the mask and blank what segno adds after it."""
    first = encoder.encode(url, error="m", mask=0, micro=False)
    width = len(first.matrix)
    grid = _grid(width)
    rows, columns = _bits(b"".join(first.matrix), width)
    # Data modules: mask 0 undone. Fixed modules: segno's template, in which the format and version information
    # and the dark module are still light while it scores.
    return UnmaskedSymbol(((rows & grid.region_rows) ^ grid.mask_rows[0]) | grid.fixed_dark_rows,
                          ((columns & grid.region_columns) ^ grid.mask_columns[0]) | grid.fixed_dark_columns,
                          grid, first)


def mask_penalty(symbol: UnmaskedSymbol, mask: int) -> int:
    """The penalty N1 + N2 + N3 + N4 of the symbol with this data mask, as segno's `evaluate_mask` scores it."""
    grid = symbol.grid
    return _penalty(symbol.rows ^ grid.mask_rows[mask], symbol.columns ^ grid.mask_columns[mask], grid)


def penalty(matrix: Sequence[bytes | bytearray]) -> int:
    """The penalty of a square matrix of 0/1 modules, as segno's `evaluate_mask` scores it."""
    width = len(matrix)
    rows, columns = _bits(b"".join(matrix), width)
    return _penalty(rows, columns, _grid(width))


def masked_matrix(symbol: UnmaskedSymbol, mask: int) -> QrMatrix:
    """The final symbol with this mask: segno's mask-0 symbol with the data modules where mask 0 and this mask
    differ turned over, and the format information for this mask (version information does not depend on it)."""
    width = symbol.grid.width
    # One byte per module, so XOR of the big-endian ints is XOR module by module.
    flipped = int.from_bytes(b"".join(symbol.first.matrix), "big") ^ symbol.grid.mask_0_to[mask]
    modules = flipped.to_bytes(width * width, "big")
    rows = [bytearray(modules[start:start + width]) for start in range(0, width * width, width)]
    encoder.add_format_info(rows, symbol.first.version, symbol.first.error, mask)
    return tuple(tuple(map(bool, row)) for row in rows)


def _lowest_penalty_mask(symbol: UnmaskedSymbol) -> int:
    # min keeps the first of equal scores: segno replaces its best only on a strictly lower one.
    return min(range(8), key=lambda mask: mask_penalty(symbol, mask))


def _bits(modules: bytes, width: int) -> tuple[int, int]:
    """The modules (width × width bytes of 0/1, row by row) as a row-major and a column-major int."""
    columns = b"".join(modules[j::width] for j in range(width))
    # int(..., 2) reads the last digit as bit 0, so the module order is reversed first.
    return int(modules.translate(_AS_DIGITS)[::-1], 2), int(columns.translate(_AS_DIGITS)[::-1], 2)


def _penalty(rows: int, columns: int, grid: "_Grid") -> int:
    width = grid.width
    same_as_right = ~(rows ^ (rows >> 1)) & grid.has_right
    same_as_below = ~(rows ^ (rows >> width)) & grid.has_below
    n2 = _N2_BLOCK * (same_as_right & (same_as_right >> width) & same_as_below).bit_count()
    # N4 in segno's own float arithmetic, so that a boundary case rounds the same way.
    percent = float(rows.bit_count()) / (width**2)
    n4 = 10 * int(abs(percent * 100 - 50) / 5)
    return _runs_and_finder_like(rows, grid) + _runs_and_finder_like(columns, grid) + n2 + n4


def _runs_and_finder_like(lines: int, grid: "_Grid") -> int:
    """N1 and N3 of every line (row, or column in the column-major int) at once."""
    # N1: a run of n ≥ 5 same-coloured modules scores n - 2 = (n - 4 windows of five) + 2 for its start.
    # A window never spans two lines: `has_right` is 0 in the last column, which every spanning window contains.
    same = ~(lines ^ (lines >> 1)) & grid.has_right
    five = same & (same >> 1) & (same >> 2) & (same >> 3)
    n1 = five.bit_count() + 2 * (five & ~(five << 1)).bit_count()
    # N3: dark-light-dark-dark-dark-light-dark starting at each bit, with four light modules before or after it
    # (the quiet zone outside the symbol is light).
    light = lines ^ grid.full
    found = (lines & (light >> 1) & (lines >> 2) & (lines >> 3) & (lines >> 4) & (light >> 5) & (lines >> 6)
             & grid.seven_fit)
    if not found:
        return n1
    before = ((light << 1) | grid.first_columns[1]) & ((light << 2) | grid.first_columns[2]) \
        & ((light << 3) | grid.first_columns[3]) & ((light << 4) | grid.first_columns[4])
    after = ((light >> 7) | grid.last_columns[7]) & ((light >> 8) | grid.last_columns[8]) \
        & ((light >> 9) | grid.last_columns[9]) & ((light >> 10) | grid.last_columns[10])
    counted = found & (before | after)
    if not found & ((found >> 4) | (found >> 6)):  # no two overlap (a pattern can only overlap one 4 or 6 on)
        return n1 + _FINDER_LIKE * counted.bit_count()
    return n1 + _FINDER_LIKE * _counted_as_segno_scans(found, counted)


def _counted_as_segno_scans(found: int, counted: int) -> int:
    """segno searches each line left to right and, after counting a pattern, resumes seven modules on: a pattern
    overlapping a counted one is not looked at."""
    total, resume_at = 0, 0
    while found:
        lowest = found & -found
        found ^= lowest
        position = lowest.bit_length() - 1
        if position >= resume_at and counted >> position & 1:
            total += 1
            resume_at = position + 7
    return total


@dataclass(frozen=True)
class _Grid:
    """Bit masks for one symbol size: where neighbours exist, and segno's template and mask patterns."""

    width: int
    full: int
    has_right: int  # every column but the last
    has_below: int  # every row but the last
    seven_fit: int  # columns where seven modules fit before the edge
    first_columns: dict[int, int]  # k -> the first k columns
    last_columns: dict[int, int]  # k -> the last k columns
    region_rows: int
    region_columns: int
    fixed_dark_rows: int
    fixed_dark_columns: int
    mask_rows: tuple[int, ...]  # mask k -> the data modules it turns over
    mask_columns: tuple[int, ...]
    mask_0_to: tuple[int, ...]  # mask k -> a byte per module, 1 where masks 0 and k differ on a data module


@functools.cache  # one entry per symbol size (at most 40)
def _grid(width: int) -> _Grid:
    def cells(test) -> tuple[int, int]:
        row_major = column_major = 0
        for i in range(width):
            for j in range(width):
                if test(i, j):
                    row_major |= 1 << (i * width + j)
                    column_major |= 1 << (j * width + i)
        return row_major, column_major

    def columns(test) -> int:
        return cells(lambda i, j: test(j))[0]

    template = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(template, width, width)
    encoder.add_alignment_patterns(template, width, width)
    region = cells(lambda i, j: template[i][j] == _REGION)
    fixed_dark = cells(lambda i, j: template[i][j] == _DARK)
    patterns = encoder.get_data_mask_functions(False)
    masks = [cells(lambda i, j, k=k: template[i][j] == _REGION and patterns[k](i, j)) for k in range(8)]
    return _Grid(
        width=width,
        full=(1 << width * width) - 1,
        has_right=columns(lambda j: j < width - 1),
        has_below=(1 << width * (width - 1)) - 1,
        seven_fit=columns(lambda j: j <= width - 7),
        first_columns={k: columns(lambda j, k=k: j < k) for k in range(1, 5)},
        last_columns={k: columns(lambda j, k=k: j >= width - k) for k in range(7, 11)},
        region_rows=region[0],
        region_columns=region[1],
        fixed_dark_rows=fixed_dark[0],
        fixed_dark_columns=fixed_dark[1],
        mask_rows=tuple(rows for rows, _ in masks),
        mask_columns=tuple(columns for _, columns in masks),
        mask_0_to=tuple(int.from_bytes(bytes(template[i][j] == _REGION and patterns[0](i, j) != patterns[k](i, j)
                                             for i in range(width) for j in range(width)), "big")
                        for k in range(8)),
    )
