"""The certificate's fonts: DejaVu Sans, Sans Bold and Serif, trimmed for embedding in PDFs.

ReportLab embeds a subset of each TrueType face, holding only the glyphs a certificate uses, but it copies some
tables whole: the `name` table (DejaVu's runs to 15 KiB, every licence text in many languages) and each glyph's
hinting instructions (which screens use at small sizes and PDF viewers and printers do not need). So the faces
the renderer reads are the shipped DejaVu files (`elearn/static/fonts/`) with the hinting, the layout tables the
canvas never reads (it does no shaping) and all but the essential English names dropped, every character kept:
that halves each embedded subset. `flask certificates prepare-fonts` writes them from the originals with
fontTools (a development dependency, never needed at run time); tests/certificates/test_fonts.py checks that the
files shipped in `elearn/certificates/fonts/` are exactly what it writes.
"""

from __future__ import annotations

import io
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parents[1] / "static" / "fonts"
FONT_DIR = Path(__file__).resolve().parent / "fonts"
FACES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf")

# Copyright, family, subfamily, unique id, full name, version, PostScript name, and the licence's address.
KEPT_NAMES = (0, 1, 2, 3, 4, 5, 6, 14)
WINDOWS_UNICODE = 3  # the platform of the `name` records kept (the Mac records repeat them)


def trimmed_face(source: Path) -> bytes:
    """The TrueType face at `source` with every character, without hinting, layout tables and extra names."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.hinting = False
    options.layout_features = []
    options.name_IDs = list(KEPT_NAMES)
    options.name_languages = [0x409]  # English (United States), the only language of DejaVu's own names
    options.notdef_outline = True  # the visible "missing glyph" box for characters no face has
    options.glyph_names = False
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "hdmx", "LTSH", "VDMX", "gasp", "FFTM", "MATH"]
    font = TTFont(str(source), recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=font.getBestCmap().keys())
    subsetter.subset(font)
    font["name"].names = [record for record in font["name"].names if record.platformID == WINDOWS_UNICODE]
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def prepare_certificate_fonts(target: Path = FONT_DIR) -> list[Path]:
    """Write the trimmed faces into `target`; the same bytes every time."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in FACES:
        path = target / name
        path.write_bytes(trimmed_face(SOURCE_DIR / name))
        written.append(path)
    return written
