"""Time render_certificate_pdf against the common ReportLab recipe for the same page.

Run from the repository root:  .venv/bin/python bench/certificates/bench_certificate_pdf.py
Options: --renders N (default 200), --warmup N (default 20), --pure-python (ignore rl_accel).
Other processes skew the figures on a 2-core machine, so the two renderers alternate render
by render, and the load average is printed with the results.
"""

import argparse
import io
import os
import platform
import statistics
import sys
import time
import types
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

# --pure-python measures without ReportLab's optional C accelerator even when rl_accel is
# installed; ReportLab looks for it once, at import, so this must come before that import.
if "--pure-python" in sys.argv:
    sys.modules["_rl_accel"] = None  # type: ignore[assignment]

import reportlab
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfgen.canvas import Canvas

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from elearn.certificates.codes import format_code
from elearn.certificates.pdf import CertificateDocument, hours_text, render_certificate_pdf
from elearn.clock import uk_date

SAMPLE = CertificateDocument(
    code="7KQM2XPD9HTA4RWC",
    # Latin-1 only, so that the recipe's built-in Helvetica can draw the same name.
    learner_name="Zoë Ó Súilleabháin",
    course_title="Safeguarding Adults: Level 2 for Health and Social Care Staff",
    course_version=3,
    cpd_hours=Decimal("3.5"),
    outcomes=(
        "Recognise the signs and types of abuse and neglect in adults at risk",
        "Explain the six principles of adult safeguarding in the Care Act 2014",
        "Respond to a disclosure and record it accurately, using the person's own words",
        "Know when and how to raise a concern with your safeguarding lead or the local authority",
    ),
    score_percent=92,
    completed_on=date(2026, 11, 23),
    expires_on=date(2027, 11, 23),
    verify_url="https://elearn.example/verify/7KQM-2XPD-9HTA-4RWC",
)


def render_with_common_recipe(doc: CertificateDocument) -> bytes:
    """The usual tutorial approach: Helvetica, drawString calls, QrCodeWidget in a Drawing."""
    width, height = landscape(A4)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height))
    canvas.setTitle(f"Certificate of CPD – {doc.course_title}")
    canvas.setAuthor(doc.platform_name)
    canvas.setLineWidth(3)
    canvas.rect(22, 22, width - 44, height - 44)
    canvas.setLineWidth(0.8)
    canvas.rect(30, 30, width - 60, height - 60)
    middle = width / 2
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawCentredString(middle, 516, doc.platform_name.upper())
    canvas.setFont("Times-Roman", 34)
    canvas.drawCentredString(middle, 472, "Certificate of CPD")
    canvas.setFont("Helvetica", 11)
    canvas.drawCentredString(middle, 432, "This is to certify that")
    canvas.setFont("Times-Roman", 30)
    canvas.drawCentredString(middle, 390, doc.learner_name)
    canvas.setFont("Helvetica", 11)
    canvas.drawCentredString(middle, 354, "has successfully completed")
    canvas.setFont("Helvetica-Bold", 19)
    canvas.drawCentredString(middle, 318, doc.course_title)
    canvas.setFont("Helvetica", 8.5)
    canvas.drawCentredString(middle, 291, f"Version {doc.course_version}")
    facts = (("CPD HOURS", hours_text(doc.cpd_hours)), ("SCORE", f"{doc.score_percent}%"),
             ("COMPLETED", uk_date(doc.completed_on)), ("VALID UNTIL", uk_date(doc.expires_on)))
    for index, (label, value) in enumerate(facts):
        x = 124 + (width - 248) / 4 * (index + 0.5)
        canvas.setFont("Helvetica", 7)
        canvas.drawCentredString(x, 254, label)
        canvas.setFont("Helvetica-Bold", 12.5)
        canvas.drawCentredString(x, 236, value)
    canvas.setFont("Helvetica", 9)
    for index, outcome in enumerate(doc.outcomes[:4]):
        canvas.drawString(180, 187 - index * 12, f"• {outcome}")
    qr = QrCodeWidget(doc.verify_url)
    left, bottom, right, top = qr.getBounds()
    drawing = Drawing(74, 74, transform=[74 / (right - left), 0, 0, 74 / (top - bottom), 0, 0])
    drawing.add(qr)
    renderPDF.draw(drawing, canvas, 84, 54)
    canvas.setFont("Helvetica", 8)
    canvas.drawString(172, 112, "Check this certificate at")
    canvas.drawString(172, 99, doc.verify_url)
    canvas.setFont("Helvetica-Bold", 12)
    canvas.drawString(172, 61, format_code(doc.code))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def has_rl_accel() -> bool:
    """Whether ReportLab found its optional C accelerator (the rl_accel package)."""
    return isinstance(fp_str, types.BuiltinFunctionType)


def time_interleaved(renders: dict[str, Callable[[CertificateDocument], bytes]], rounds: int,
                     warmup: int) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Return per-render wall times in ms, and the mean CPU ms per render of this process (which other work on a
    shared machine hardly changes); renderers alternate so that load hits both alike."""
    for render in renders.values():
        for _ in range(warmup):
            render(SAMPLE)
    timings: dict[str, list[float]] = {name: [] for name in renders}
    cpu: dict[str, float] = dict.fromkeys(renders, 0.0)
    for _ in range(rounds):
        for name, render in renders.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            render(SAMPLE)
            timings[name].append((time.perf_counter() - start) * 1000)
            cpu[name] += (time.process_time() - start_cpu) * 1000
    return timings, {name: total / rounds for name, total in cpu.items()}


def main() -> None:
    """Print mean, median and fastest ms per certificate for both renderers, and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--pure-python", action="store_true", help="ignore the rl_accel C accelerator")
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, ReportLab {reportlab.Version}, {os.cpu_count()} cores, "
          f"rl_accel {'on' if has_rl_accel() else 'off'}, {args.renders} renders each after "
          f"{args.warmup} warm-up, interleaved, load average {os.getloadavg()[0]:.2f}")
    renders = {"elearn render_certificate_pdf": render_certificate_pdf,
               "common ReportLab recipe": render_with_common_recipe}
    timings, cpu = time_interleaved(renders, args.renders, args.warmup)
    for name, times in timings.items():
        print(f"{name:30} mean {statistics.mean(times):6.2f} ms  median {statistics.median(times):6.2f} ms"
              f"  min {min(times):6.2f} ms  CPU {cpu[name]:6.2f} ms  {len(renders[name](SAMPLE)) / 1024:5.1f} KiB")
    ours, recipe = (statistics.median(times) for times in timings.values())
    print(f"recipe / elearn (median): {recipe / ours:.2f}x")


if __name__ == "__main__":
    main()
