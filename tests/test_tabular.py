"""Tables people download (elearn/tabular.py): CSV, XLSX and Table Schema from one description.

The CSV validates against its own schema with frictionless; the XLSX is the same bytes for the same table on any
day, opens in LibreOffice (run headless) and converts back to the same cells; no cell is ever a formula.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import zipfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from frictionless import Resource, Schema, validate
from openpyxl import load_workbook

from elearn import tabular
from elearn.tabular import Field, Table

IN_CI = bool(os.environ.get("CI"))

FIELDS = (
    Field("name", "string", "Name", constraints={"required": True}),
    Field("count", "integer", "Count", constraints={"minimum": 0}),
    Field("share", "number", "Share"),
    Field("met", "boolean", "Met"),
    Field("on", "date", "Date"),
    Field("at", "datetime", "Signed at"),
    Field("rating", "string", "Rating", constraints={"enum": ["green", "amber", "red", "not_applicable"]}),
)
ROWS = [
    ("Ann Ash", 12, 0.5, True, date(2027, 7, 15), datetime(2027, 7, 15, 10, 0, tzinfo=UTC), "green"),
    ("=HYPERLINK(\"http://evil\")", 0, -1.25, False, None, None, "red"),  # a formula must stay text
    ("Zoë Ørsted, \"Zed\"", 3, None, None, date(2026, 9, 1), None, "not_applicable"),
]


def table(rows: Sequence[Sequence[object]] = ROWS) -> Table:
    return Table(name="sample", title="Sample: a table / with [odd] characters in its title", fields=FIELDS,
                 rows=rows, primary_key=("name",))


def test_a_row_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(ValueError, match="Row 1"):
        Table(name="t", title="T", fields=FIELDS, rows=[("only one",)])


def test_the_csv_has_the_field_names_as_header_and_no_cell_a_spreadsheet_runs() -> None:
    text = tabular.csv_bytes(table()).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == [f.name for f in FIELDS]
    assert rows[1] == ["Ann Ash", "12", "0.5", "true", "2027-07-15", "2027-07-15T10:00:00+00:00", "green"]
    assert rows[2][0] == "'=HYPERLINK(\"http://evil\")"
    assert rows[2][2] == "-1.25"  # a negative number is a number, not a formula
    assert rows[3][:5] == ["Zoë Ørsted, \"Zed\"", "3", "", "", "2026-09-01"]


def test_the_csv_validates_against_its_table_schema_with_frictionless(tmp_path: Path) -> None:
    (tmp_path / "sample.csv").write_bytes(tabular.csv_bytes(table()))
    schema = json.loads(tabular.schema_json(table()))
    resource = Resource(path="sample.csv", basepath=str(tmp_path), schema=Schema.from_descriptor(schema))
    report = validate(resource)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_frictionless_catches_a_csv_that_breaks_the_schema(tmp_path: Path) -> None:
    """The check above can fail: a negative count breaks the schema's minimum."""
    bad = [("Ann Ash", -1, None, None, None, None, "green")]
    (tmp_path / "bad.csv").write_bytes(tabular.csv_bytes(table(bad)))
    schema = Schema.from_descriptor(json.loads(tabular.schema_json(table())))
    report = validate(Resource(path="bad.csv", basepath=str(tmp_path), schema=schema))
    assert not report.valid


def test_the_schema_describes_every_field_with_its_type_title_and_constraints() -> None:
    schema = json.loads(tabular.schema_json(table()))
    assert [f["name"] for f in schema["fields"]] == [f.name for f in FIELDS]
    assert schema["fields"][1] == {"name": "count", "type": "integer", "title": "Count",
                                   "constraints": {"minimum": 0}}
    assert schema["primaryKey"] == ["name"]
    assert tabular.schema_json(table()) == tabular.schema_json(table())


def test_the_xlsx_is_the_same_bytes_for_the_same_table_whenever_it_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    first = tabular.xlsx_bytes(table())
    import time
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 86400 * 400)  # zip entries would be dated from now
    assert tabular.xlsx_bytes(table()) == first
    core = zipfile.ZipFile(io.BytesIO(first)).read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core


def test_the_xlsx_has_typed_cells_and_text_that_is_never_a_formula() -> None:
    sheet = load_workbook(io.BytesIO(tabular.xlsx_bytes(table()))).active
    assert sheet is not None
    assert sheet.title == "Sample  a table   with  odd  ch"
    assert [c.value for c in sheet[1]] == [f.title for f in FIELDS]
    assert sheet["B2"].value == 12 and sheet["C3"].value == -1.25
    assert sheet["E2"].value == datetime(2027, 7, 15)
    assert sheet["A3"].data_type == "s" and sheet["A3"].value == "'=HYPERLINK(\"http://evil\")"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_a_download_names_the_file_safely_and_sends_the_right_type() -> None:
    file = tabular.download(table(), "xlsx", "Zoë's school 2026/27")
    assert file.filename == "zoë-s-school-2026-27.xlsx" and file.ascii_filename == "zoe-s-school-2026-27.xlsx"
    assert file.mimetype == tabular.MIMETYPES["xlsx"]
    assert tabular.download(table(), "schema", "x").filename == "x.schema.json"


def libreoffice_csv(xlsx: bytes, folder: Path) -> list[list[str]]:
    """The workbook converted to CSV by LibreOffice run headless, as rows (UTF-8, comma-separated)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        reason = "LibreOffice (apt install libreoffice-calc-nogui) converts the XLSX in this test"
        if IN_CI:
            pytest.fail(f"{reason}; CI is set, so it must run", pytrace=False)
        pytest.skip(reason)
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "table.xlsx"
    source.write_bytes(xlsx)
    profile = folder / "profile"  # its own profile: no clash with another LibreOffice running on the machine
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(folder), str(source)],
                   check=True, capture_output=True, timeout=180)
    return list(csv.reader(io.StringIO((folder / "table.csv").read_text("utf-8-sig"))))


def test_libreoffice_opens_the_xlsx_and_reads_the_same_cells(tmp_path: Path) -> None:
    rows = libreoffice_csv(tabular.xlsx_bytes(table()), tmp_path)
    assert rows[0] == [f.title for f in FIELDS]
    ours = list(csv.reader(io.StringIO(tabular.csv_bytes(table()).decode("utf-8-sig"))))
    assert rows[1:] == ours[1:]
    assert Decimal(rows[2][2]) == Decimal("-1.25")


def test_a_workbook_holds_a_sheet_per_table_in_order() -> None:
    other = Table(name="other", title="Sample: a table / with [odd] characters in its title", fields=FIELDS[:1],
                  rows=[("Bea",)])
    book = load_workbook(io.BytesIO(tabular.workbook_bytes([table(), other], title="Both")))
    assert [sheet.max_row for sheet in book.worksheets] == [4, 2]
    assert len({sheet.title for sheet in book.worksheets}) == 2
    assert tabular.workbook_bytes([table(), other]) == tabular.workbook_bytes([table(), other])
