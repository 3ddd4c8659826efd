"""Certificate download file names: slugs safe in any browser and file system, and the header that carries them.

`cpd-certificate-<course>-<learner>.pdf` in plain ASCII for old clients, and in full Unicode
(RFC 6266 `filename*`) when the learner's name is not ASCII; `elearn.downloads` builds the header.
"""

from __future__ import annotations

from elearn.downloads import slug
from elearn.models import Certificate


def certificate_filenames(certificate: Certificate) -> tuple[str, str]:
    """`cpd-certificate-<course-slug>-<name-slug>.pdf`, as an ASCII fallback and in full Unicode."""
    course = slug(certificate.course.slug, ascii_only=True) or "course"
    ascii_name = slug(certificate.learner_name, ascii_only=True) or "learner"
    name = slug(certificate.learner_name, ascii_only=False) or ascii_name
    return f"cpd-certificate-{course}-{ascii_name}.pdf", f"cpd-certificate-{course}-{name}.pdf"
