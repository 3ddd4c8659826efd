"""The certificate's embedded faces are the shipped DejaVu fonts trimmed for PDFs, and nothing else."""

from __future__ import annotations

from elearn.certificates.fonts import FACES, FONT_DIR, SOURCE_DIR, trimmed_face
from elearn.certificates.pdf import _FONT_FILES


def test_the_shipped_trimmed_faces_are_what_prepare_fonts_writes_from_the_originals():
    # `flask certificates prepare-fonts` after any change to elearn/static/fonts keeps these equal.
    for name in FACES:
        assert (FONT_DIR / name).read_bytes() == trimmed_face(SOURCE_DIR / name), name


def test_the_renderer_reads_the_trimmed_faces():
    assert set(_FONT_FILES.values()) == set(FACES)
    assert all((FONT_DIR / name).exists() for name in FACES)
    assert (FONT_DIR / "LICENSE").read_text() == (SOURCE_DIR / "LICENSE").read_text()
