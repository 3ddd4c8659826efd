"""A certificate prints the guidance editions its course version was aligned to, taken at issue."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

from elearn.certificates import service
from elearn.certificates.pdf import render_certificate_pdf
from tests.certificates.test_pdf import DOC, ROOT, assert_inside_frame, page_text, render
from tests.updates.helpers import EDITION, TwoVersions

ALIGNED = (EDITION,)


def test_the_editions_follow_the_version_on_one_line():
    text = page_text(render(aligned_to=ALIGNED))
    assert f"Version 3 · Aligned to {EDITION}" in text


def test_without_editions_the_line_is_the_version_alone():
    assert "Aligned to" not in page_text(render())


def test_long_editions_are_shortened_and_stay_inside_the_frame():
    many = tuple(f"{EDITION} part {n}" for n in range(10))
    assert_inside_frame(dataclasses.replace(DOC, aligned_to=many))
    assert "…" in page_text(render(aligned_to=many))


def test_the_same_editions_give_identical_bytes_across_processes():
    script = ("import sys; from tests.certificates.test_currency import ALIGNED; "
              "from tests.certificates.test_pdf import render; sys.stdout.buffer.write(render(aligned_to=ALIGNED))")
    other = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True, cwd=ROOT).stdout
    assert other == render(aligned_to=ALIGNED)


def test_the_certificate_keeps_the_editions_of_the_version_it_was_issued_for(make, client):
    versions = TwoVersions(make)
    early = make.certificate(course=versions.course)
    course = versions.publish_update()
    late = make.certificate(course=course)
    assert early.aligned_to == [] and late.aligned_to == [EDITION]
    assert service.certificate_document(late).aligned_to == ALIGNED
    assert f"Aligned to {EDITION}" in page_text(render_certificate_pdf(service.certificate_document(late)))
    page = client.get(f"/verify/{late.code}").text
    assert "<dt>Aligned to</dt>" in page and EDITION in page
    assert "<dt>Aligned to</dt>" not in client.get(f"/verify/{early.code}").text
