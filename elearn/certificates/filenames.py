"""Certificate download file names: slugs safe in any browser and file system, and the header that carries them.

`cpd-certificate-<course>-<learner>.pdf` in plain ASCII for old clients, and in full Unicode
(RFC 6266 `filename*`) when the learner's name is not ASCII. The manager exports send their
files with the same `content_disposition` header.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from elearn.models import Certificate

_MAX_SLUG = 60


def _slug(text: str, *, ascii_only: bool) -> str:
    """Lower-case letters and digits joined by single dashes; no dots, slashes, quotes or controls."""
    if ascii_only:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    else:
        text = unicodedata.normalize("NFC", text)
    slug = "-".join("".join(ch if ch.isalnum() else " " for ch in text.casefold()).split())
    if len(slug) > _MAX_SLUG:  # cut at a word boundary when there is one
        slug = slug[:_MAX_SLUG]
        slug = slug[: slug.rindex("-")] if "-" in slug else slug
    return slug


def certificate_filenames(certificate: Certificate) -> tuple[str, str]:
    """`cpd-certificate-<course-slug>-<name-slug>.pdf`, as an ASCII fallback and in full Unicode."""
    course = _slug(certificate.course.slug, ascii_only=True) or "course"
    ascii_name = _slug(certificate.learner_name, ascii_only=True) or "learner"
    name = _slug(certificate.learner_name, ascii_only=False) or ascii_name
    return f"cpd-certificate-{course}-{ascii_name}.pdf", f"cpd-certificate-{course}-{name}.pdf"


def content_disposition(ascii_filename: str, filename: str) -> str:
    """An RFC 6266 attachment header: a plain ASCII name, plus `filename*` when the real name is not ASCII."""
    header = f'attachment; filename="{ascii_filename}"'
    if filename != ascii_filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header
