"""The partnership's downloads: the year's returns and the figures across settings, each as CSV, XLSX and the Table
Schema both follow (elearn/tabular.py). A withheld figure is an empty cell, the schema's missing value; the XLSX
carries a second sheet saying why."""

from __future__ import annotations

from datetime import date

from elearn.clock import to_london
from elearn.downloads import Download
from elearn.models import Organisation
from elearn.partnerships.aggregates import RATINGS, RULE, Aggregates, GroupFigures, MeasureFigures
from elearn.partnerships.service import Overview
from elearn.returns.service import AcademicYear
from elearn.tabular import Field, Format, Table, download, workbook_download

WITHHELD = ("Empty when withheld: under 5, or one that would let a figure under 5 be worked out by subtraction "
            "from the others.")
_COUNT = {"minimum": 0}


def _day(moment: object) -> date | None:
    return to_london(moment).date() if moment is not None else None  # type: ignore[arg-type]


def returns_table(overview: Overview) -> Table:
    """One row per member setting: returned or not for the year, when it was signed off, when last reminded."""
    return Table(
        name="partnership-returns", title=f"Training section returns {overview.label}",
        description="The member settings of a safeguarding partnership (joined with consent, not left) and whether "
                    "each has returned the training section of its safeguarding audit for the academic year.",
        fields=(
            Field("academic_year", "string", "Academic year", constraints={"required": True}),
            Field("setting", "string", "Setting", constraints={"required": True}),
            Field("phase", "string", "Phase"),
            Field("trust", "string", "Trust", "Empty for a setting in no trust."),
            Field("returned", "boolean", "Returned", constraints={"required": True}),
            Field("signed_on", "date", "Signed off", "The day the latest version was signed (London)."),
            Field("version", "integer", "Version", constraints={"minimum": 1}),
            Field("last_reminded_on", "date", "Last reminded", "The partnership's last reminder for the year."),
        ),
        rows=[(overview.label, s.name, s.phase, s.trust or None, s.has_returned, _day(s.signed_at), s.version,
               _day(s.last_reminded_at)) for s in overview.statuses],
    )


def _measure_row(label: str, group: GroupFigures, measure: MeasureFigures) -> tuple[object, ...]:
    return (label, group.dimension, group.label, measure.key, measure.label, group.settings.value,
            measure.numerator.value, measure.denominator.value, measure.share,
            *(measure.ratings[rating].value for rating in RATINGS))


def figures_table(aggregates: Aggregates, year: int) -> Table:
    """One row per group and measure: the people who meet it, those counted, the share, and settings by rating."""
    label = AcademicYear(year).label
    return Table(
        name="partnership-figures", title=f"Figures across settings {label}",
        description="Each measure of the audit's training section summed over the member settings that returned it "
                    "(latest signed version), overall, by phase and by trust. " + WITHHELD,
        fields=(
            Field("academic_year", "string", "Academic year", constraints={"required": True}),
            Field("breakdown", "string", "Breakdown", constraints={"required": True,
                                                                   "enum": ["overall", "phase", "trust"]}),
            Field("group", "string", "Group", constraints={"required": True}),
            Field("measure", "string", "Measure key", constraints={"required": True}),
            Field("measure_label", "string", "Measure"),
            Field("settings", "integer", "Settings returned", WITHHELD, _COUNT),
            Field("numerator", "integer", "People who meet it", WITHHELD, _COUNT),
            Field("denominator", "integer", "People counted", WITHHELD, _COUNT),
            Field("share_percent", "integer", "Share (%)", "Whole percent; empty when withheld or none counted.",
                  {"minimum": 0, "maximum": 100}),
            *(Field(f"settings_{rating}", "integer", f"Settings rated {rating}", WITHHELD, _COUNT)
              for rating in RATINGS),
        ),
        rows=[_measure_row(label, group, measure) for group in aggregates.all_groups for measure in group.measures],
        primary_key=("breakdown", "group", "measure"),
    )


def rule_table() -> Table:
    """The withholding rule, as a sheet beside the figures."""
    return Table(name="withheld-figures", title="How figures are withheld",
                 fields=(Field("rule", "string", "How figures are withheld"),), rows=[(line,) for line in RULE])


def _stem(partnership: Organisation, what: str, year: int) -> str:
    return f"{partnership.name} {what} {AcademicYear(year).label.replace('/', '-')}"


def returns_download(partnership: Organisation, overview: Overview, fmt: Format) -> Download:
    """The returns table as a CSV, XLSX or its Table Schema."""
    return download(returns_table(overview), fmt, _stem(partnership, "returns", overview.year))


def figures_download(partnership: Organisation, aggregates: Aggregates, year: int, fmt: Format) -> Download:
    """The figures as a CSV or its Table Schema, or an XLSX with the withholding rule on a second sheet."""
    table, stem = figures_table(aggregates, year), _stem(partnership, "figures", year)
    if fmt != "xlsx":
        return download(table, fmt, stem)
    return workbook_download([table, rule_table()], stem)
