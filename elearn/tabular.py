"""Tables people download: one description of a table, three files from it (CSV, XLSX, its Table Schema).

A `Table` is a list of typed `Field`s (a Frictionless Table Schema, https://specs.frictionlessdata.io/table-schema/)
and its rows. From it:

- `csv_bytes(table)`: UTF-8 CSV with a byte-order mark, a header row of the field names (what the schema's
  fields are called, so `frictionless validate` reads the file against the schema), every cell made safe against
  formula injection by `downloads.safe_cell` (the project's one helper for it).
- `xlsx_bytes(table)` (or `workbook_bytes(tables)`, a sheet per table): an Excel workbook through openpyxl: one sheet, a bold header of the field titles, typed
  cells (numbers as numbers, dates as dates, text always as text, never a formula), and fixed document properties
  and zip timestamps, so the same table gives the same bytes on any day (a signed return's export is reproducible).
- `schema_json(table)`: the Table Schema as canonical JSON bytes, to publish at a stable URL.
- `download(table, fmt, stem)`: any of the three as a `downloads.Download`, ready for `downloads.send`.

Field types used: string, integer, number, boolean, date, datetime (ISO 8601 text in every format). None is an
empty cell (the schema's missing value). Rows are sequences in field order.

Usage (elearn/returns and elearn/partnerships):

    table = Table(name="training-return", title="Training section", fields=(
        Field("measure", "string", "Measure", required=True),
        Field("numerator", "integer", "Met", constraints={"minimum": 0}),
    ), rows=[("induction", 12)])
    send(download(table, "xlsx", "alder-primary-2026-27"))
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Font

from elearn.downloads import Download, safe_cell, slug
from elearn.downloads import csv_bytes as _csv_rows_bytes

FieldType = Literal["string", "integer", "number", "boolean", "date", "datetime"]
Format = Literal["csv", "xlsx", "schema"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "schema")

MIMETYPES: dict[Format, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "schema": "application/json",
}
_EXTENSIONS: dict[Format, str] = {"csv": "csv", "xlsx": "xlsx", "schema": "schema.json"}

# Fixed stamps for the workbook: its "created"/"modified" properties and every zip entry's date. A workbook is
# data, not a document with a history; the date it was made belongs in a column when it matters.
_FIXED_STAMP = datetime(2000, 1, 1)
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)
_SHEET_TITLE_MAX = 31  # Excel's limit
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Field:
    """A column: its name in the CSV header and schema, its type, its human title and any constraints
    (Table Schema constraints: required, minimum, maximum, enum...)."""

    name: str
    type: FieldType
    title: str
    description: str = ""
    constraints: dict[str, Any] = field(default_factory=dict)

    def descriptor(self) -> dict[str, Any]:
        described: dict[str, Any] = {"name": self.name, "type": self.type, "title": self.title}
        if self.description:
            described["description"] = self.description
        if self.constraints:
            described["constraints"] = dict(self.constraints)
        if self.type == "datetime":
            described["format"] = "any"  # ISO 8601 with an offset, e.g. 2027-07-15T10:00:00+00:00
        return described


@dataclass(frozen=True)
class Table:
    """A named table: its fields and its rows (sequences in field order)."""

    name: str  # lower-case, dashes: the Table Schema resource name and the default file name
    title: str
    fields: tuple[Field, ...]
    rows: Sequence[Sequence[object]]
    description: str = ""
    primary_key: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        width = len(self.fields)
        for number, row in enumerate(self.rows, start=1):
            if len(row) != width:
                raise ValueError(f"Row {number} of {self.name} has {len(row)} cells for {width} fields.")


def table_schema(table: Table) -> dict[str, Any]:
    """The table's Table Schema as a dict (with its name, title and description as extra properties)."""
    schema: dict[str, Any] = {"name": table.name, "title": table.title,
                              "fields": [f.descriptor() for f in table.fields], "missingValues": [""]}
    if table.description:
        schema["description"] = table.description
    if table.primary_key:
        schema["primaryKey"] = list(table.primary_key)
    return schema


def schema_json(table: Table) -> bytes:
    """The Table Schema as canonical JSON (sorted keys, two-space indent, UTF-8): the same table, the same bytes."""
    return (json.dumps(table_schema(table), sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _text_value(value: object, type_: FieldType) -> object:
    """A cell as the CSV wants it: typed values as the schema reads them; text through safe_cell later."""
    if value is None:
        return None
    if type_ == "boolean":
        return "true" if value else "false"
    if type_ == "number" and isinstance(value, float):
        return Decimal(repr(value))  # a number is data: safe_cell leaves Decimals alone, even negative
    if type_ == "datetime" and isinstance(value, datetime):
        return value.isoformat()
    return value


def csv_bytes(table: Table) -> bytes:
    """The table as CSV: a header of field names, then the rows, every cell safe against formula injection."""
    types = [f.type for f in table.fields]
    rows = [[_text_value(value, type_) for value, type_ in zip(row, types, strict=True)] for row in table.rows]
    return _csv_rows_bytes([[f.name for f in table.fields], *rows])


def _sheet_title(title: str) -> str:
    cleaned = _SHEET_TITLE_FORBIDDEN.sub(" ", title).strip() or "Sheet"
    return cleaned[:_SHEET_TITLE_MAX]


def _xlsx_value(value: object, type_: FieldType) -> object:
    if value is None:
        return None
    if type_ in ("integer", "number") and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    if type_ == "date" and isinstance(value, date) and not isinstance(value, datetime):
        return value
    if type_ == "boolean":
        return "true" if value else "false"
    return safe_cell(value)  # text (and datetimes, as ISO text): the same cell the CSV has


def _deterministic_zip(data: bytes) -> bytes:
    """The same zip with every entry dated _ZIP_DATE and the workbook's "modified" stamp fixed (openpyxl sets it to
    now on save)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>" + _FIXED_STAMP.isoformat().encode() + rb"Z\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content)
    return out.getvalue()


def _write_sheet(workbook: Workbook, table: Table, position: int, taken: set[str]) -> None:
    title = _sheet_title(table.title)
    while title in taken:  # two tables with the same title: number the later ones
        title = f"{title[:_SHEET_TITLE_MAX - 4]} {len(taken) + 1}"
    taken.add(title)
    sheet = workbook.create_sheet(title, position)
    bold = Font(bold=True)
    for column, described in enumerate(table.fields, start=1):
        cell = sheet.cell(row=1, column=column, value=safe_cell(described.title))
        cell.data_type = "s"
        cell.font = bold
        sheet.column_dimensions[cell.column_letter].width = max(10, min(60, len(described.title) + 2))
    for row_number, row in enumerate(table.rows, start=2):
        for column, (value, described) in enumerate(zip(row, table.fields, strict=True), start=1):
            cell = sheet.cell(row=row_number, column=column, value=_xlsx_value(value, described.type))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text is text: openpyxl would read "=..." as a formula
            elif described.type == "date" and cell.value is not None:
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"


def workbook_bytes(tables: Sequence[Table], *, title: str | None = None) -> bytes:
    """Several tables as one XLSX workbook, a sheet each in order, byte for byte the same for the same tables."""
    if not tables:
        raise ValueError("A workbook needs at least one table.")
    workbook = Workbook()
    workbook.properties.creator = "elearn"
    workbook.properties.title = title or tables[0].title
    workbook.properties.created = _FIXED_STAMP
    workbook.properties.modified = _FIXED_STAMP
    taken: set[str] = set()
    for position, table in enumerate(tables):
        _write_sheet(workbook, table, position, taken)
    workbook.remove(workbook.worksheets[-1])  # the empty sheet a new workbook starts with
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _deterministic_zip(buffer.getvalue())


def xlsx_bytes(table: Table) -> bytes:
    """The table as an XLSX workbook of one sheet, byte for byte the same for the same table."""
    return workbook_bytes([table])


def file_bytes(table: Table, fmt: Format) -> bytes:
    """The table in one of FORMATS."""
    if fmt == "csv":
        return csv_bytes(table)
    if fmt == "xlsx":
        return xlsx_bytes(table)
    if fmt == "schema":
        return schema_json(table)
    raise ValueError(f"Unknown format {fmt!r}; one of {', '.join(FORMATS)}.")


def download(table: Table, fmt: Format, stem: str) -> Download:
    """The table as a file to send: `stem` (any text, e.g. a school's name and the year) becomes a safe file name."""
    name = f"{slug(stem, ascii_only=False) or table.name}.{_EXTENSIONS[fmt]}"
    ascii_name = f"{slug(stem) or table.name}.{_EXTENSIONS[fmt]}"
    return Download(file_bytes(table, fmt), MIMETYPES[fmt], name, ascii_name)
