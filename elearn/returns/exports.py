"""The signed return and the trust's view as tables (elearn/tabular.py): CSV, XLSX and their published Table Schemas.

A signed return's tables are built from its snapshot only, so its exports are the same bytes whenever they are
made. Two tables: the measures (one row each) and the people behind them (Medway's training-summary shape: name,
training, date, here as the evidence line).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from elearn.downloads import Download
from elearn.errors import NotFound
from elearn.returns.measures import MEASURE_KEYS
from elearn.returns.ratings import RATINGS
from elearn.tabular import Field, Table, download, workbook_download

MEASURES_TABLE = "training-return-measures"
PEOPLE_TABLE = "training-return-people"
TRUST_TABLE = "trust-training-returns"
SCHEMA_NAMES = (MEASURES_TABLE, PEOPLE_TABLE, TRUST_TABLE)
RETURN_FILES = ("return.xlsx", "measures.csv", "people.csv")  # a signed return's files, by their URL name

_MEASURE = Field("measure", "string", "Measure", "The measure's key: the same in every return.",
                 {"required": True, "enum": list(MEASURE_KEYS)})
_RATING = Field("rating", "string", "Rating", "Red, amber or green by the descriptor; not_applicable with nobody.",
                {"required": True, "enum": list(RATINGS)})
_COUNTS = (
    Field("numerator", "integer", "Met", constraints={"required": True, "minimum": 0}),
    Field("denominator", "integer", "Of", constraints={"required": True, "minimum": 0}),
    Field("percent", "number", "Per cent", "Met as a share of the people, to one decimal place; empty when none.",
          {"minimum": 0, "maximum": 100}),
)
MEASURE_FIELDS = (
    Field("setting_id", "integer", "Setting id", constraints={"required": True}),
    Field("setting", "string", "School or setting", constraints={"required": True}),
    Field("academic_year", "string", "Academic year", constraints={"required": True, "pattern": r"\d{4}/\d{2}"}),
    Field("as_at", "date", "As at", constraints={"required": True}),
    Field("version", "integer", "Version", constraints={"required": True, "minimum": 1}),
    Field("signed_by", "string", "Signed by", constraints={"required": True}),
    Field("signed_at", "datetime", "Signed at", constraints={"required": True}),
    _MEASURE,
    Field("label", "string", "What it counts", constraints={"required": True}),
    *_COUNTS,
    _RATING,
    Field("green_from", "integer", "Green from (%)", constraints={"minimum": 0, "maximum": 100}),
    Field("amber_from", "integer", "Amber from (%)", constraints={"minimum": 0, "maximum": 100}),
    Field("comment", "string", "DSL's comment"),
)
PEOPLE_FIELDS = (
    _MEASURE,
    Field("label", "string", "What it counts", constraints={"required": True}),
    Field("name", "string", "Name", constraints={"required": True}),
    Field("met", "boolean", "Met", constraints={"required": True}),
    Field("evidence", "string", "Evidence, or what is missing"),
)
TRUST_FIELDS = (
    Field("setting_id", "integer", "Setting id", constraints={"required": True}),
    Field("setting", "string", "School or setting", constraints={"required": True}),
    Field("phase", "string", "Phase"),
    Field("academic_year", "string", "Academic year", constraints={"required": True}),
    Field("status", "string", "Return", "signed (with its version) or draft (computed now, not signed).",
          {"required": True, "enum": ["signed", "draft"]}),
    Field("version", "integer", "Version", constraints={"minimum": 1}),
    Field("as_at", "date", "As at", constraints={"required": True}),
    _MEASURE,
    *_COUNTS,
    _RATING,
)


def percent(numerator: int, denominator: int, *, places: int = 1) -> Decimal | None:
    """The share to this many decimal places (half up, from the exact fraction), None with nobody: the same
    everywhere (the partnership's whole-number shares too)."""
    if denominator == 0:
        return None
    return (Decimal(numerator * 100) / Decimal(denominator)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _description(snapshot: dict[str, Any]) -> str:
    setting = snapshot["setting"]
    return (f"{setting['name']}: training section of the Section {setting['section']} safeguarding audit, "
            f"{snapshot['academic_year']}, version {snapshot['version']}")


def measures_table(snapshot: dict[str, Any]) -> Table:
    """A signed return's measures, one row each, from its snapshot."""
    setting = snapshot["setting"]
    rows = [(setting["id"], setting["name"], snapshot["academic_year"], date.fromisoformat(snapshot["as_at"]),
             snapshot["version"], snapshot["signed_by"], snapshot["signed_at"], m["key"], m["label"], m["numerator"],
             m["denominator"], percent(m["numerator"], m["denominator"]), m["rating"],
             m.get("descriptor", {}).get("green_from"), m.get("descriptor", {}).get("amber_from"), m["comment"] or None)
            for m in snapshot["measures"]]
    return Table(MEASURES_TABLE, "Training measures", MEASURE_FIELDS, rows, description=_description(snapshot),
                 primary_key=("setting_id", "academic_year", "version", "measure"))


def people_table(snapshot: dict[str, Any]) -> Table:
    """The people behind each measure of a signed return, from its snapshot."""
    labels = {m["key"]: m["label"] for m in snapshot["measures"]}
    rows = [(key, labels[key], line["name"], line["met"], line["evidence"] or None)
            for key in MEASURE_KEYS for line in snapshot["people"].get(key, [])]
    return Table(PEOPLE_TABLE, "People behind the measures", PEOPLE_FIELDS, rows, description=_description(snapshot))


@dataclass(frozen=True)
class TrustLine:
    """One setting's return in the trust's view: signed (its snapshot) or a draft computed now."""

    snapshot: dict[str, Any]  # the signed snapshot, or a draft's body (no signature)
    signed: bool


def trust_table(lines: Iterable[TrustLine], academic_year: str) -> Table:
    """The trust's settings side by side: each measure's figure and rating per setting, for the board."""
    rows = []
    for line in lines:
        snapshot, setting = line.snapshot, line.snapshot["setting"]
        for m in snapshot["measures"]:
            rows.append((setting["id"], setting["name"], setting["phase"], snapshot["academic_year"],
                         "signed" if line.signed else "draft", snapshot.get("version") if line.signed else None,
                         date.fromisoformat(snapshot["as_at"]), m["key"], m["numerator"], m["denominator"],
                         percent(m["numerator"], m["denominator"]), m["rating"]))
    return Table(TRUST_TABLE, f"Training returns {academic_year}", TRUST_FIELDS, rows,
                 primary_key=("setting_id", "measure"))


def empty_table(name: str) -> Table:
    """A table with no rows: what its published schema is made from."""
    fields = {MEASURES_TABLE: MEASURE_FIELDS, PEOPLE_TABLE: PEOPLE_FIELDS, TRUST_TABLE: TRUST_FIELDS}[name]
    titles = {MEASURES_TABLE: "Training measures", PEOPLE_TABLE: "People behind the measures",
              TRUST_TABLE: "Training returns of a trust's settings"}
    keys = {MEASURES_TABLE: ("setting_id", "academic_year", "version", "measure"), PEOPLE_TABLE: (),
            TRUST_TABLE: ("setting_id", "measure")}
    return Table(name, titles[name], fields, [], primary_key=keys[name])


def signed_return_file(snapshot: dict[str, Any], file: str) -> Download:
    """One of a signed return's files (RETURN_FILES), made from its snapshot alone: the same bytes every time."""
    stem = f"{snapshot['setting']['name']} training return {snapshot['academic_year']} v{snapshot['version']}"
    if file == "return.xlsx":
        tables = [measures_table(snapshot), people_table(snapshot)]
        return workbook_download(tables, stem, title=tables[0].description)
    if file == "measures.csv":
        return download(measures_table(snapshot), "csv", f"{stem} measures")
    if file == "people.csv":
        return download(people_table(snapshot), "csv", f"{stem} people")
    raise NotFound("There is no such file.")
