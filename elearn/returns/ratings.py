"""Red, amber or green for each measure of the training section: configurable descriptors with built-in defaults.

The model is Bristol Safeguarding Children Partnership's published Section 175/157 audit, which describes for each
item what red, amber and green look like: green when the arrangement is fully in place, amber when it is partly in
place, red when it is not. Here that becomes a share of the people behind a measure:

    green  when numerator / denominator >= green_from %
    amber  when it is >= amber_from %
    red    below amber_from %
    not_applicable when the denominator is 0 (nobody the measure is about: no joiners this year, no volunteers)

Built-in defaults (DEFAULTS below): what KCSIE requires of everyone (induction, an annual update, the DSL and
deputies every two years, governors, KCSIE read, safer recruitment every three years, supply staff, volunteers and
peripatetic staff covered) is green only at 100% and amber from 90%; the "drip feed" (updates on more than one
day across the year), good practice rather than statute, is green from 80% and amber from 50%.

Resolution, measure by measure: the setting's own threshold, else its trust's, else the strictest (highest green,
then highest amber) of the partnerships it has joined and not left, else the default. Comparisons are exact
integer arithmetic (numerator * 100 >= threshold * denominator), so 9 of 10 is exactly 90%.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select

from elearn.access import is_own_manager_of
from elearn.audit import record_event
from elearn.db import now_utc
from elearn.errors import InvalidInput, NotFound
from elearn.extensions import db
from elearn.models import Organisation, PartnershipMember, RatingThreshold, User
from elearn.returns.measures import MEASURE_KEYS

GREEN, AMBER, RED, NOT_APPLICABLE = "green", "amber", "red", "not_applicable"
RATINGS = (GREEN, AMBER, RED, NOT_APPLICABLE)
RATING_LABELS = {GREEN: "Green", AMBER: "Amber", RED: "Red", NOT_APPLICABLE: "Not applicable"}


@dataclass(frozen=True)
class Threshold:
    green_from: int
    amber_from: int
    set_by: str  # the organisation's name, or "Default"


STATUTORY = Threshold(100, 90, "Default")
DEFAULTS: dict[str, Threshold] = {key: STATUTORY for key in MEASURE_KEYS}
DEFAULTS["updated_more_than_once"] = Threshold(80, 50, "Default")


def rate(numerator: int, denominator: int, threshold: Threshold) -> str:
    """The rating of a figure against a threshold (see the module docstring)."""
    if denominator == 0:
        return NOT_APPLICABLE
    if numerator * 100 >= threshold.green_from * denominator:
        return GREEN
    if numerator * 100 >= threshold.amber_from * denominator:
        return AMBER
    return RED


def thresholds_for(setting: Organisation) -> dict[str, Threshold]:
    """Each measure's threshold for this setting (one query): setting, trust, strictest partnership, default."""
    return thresholds_for_each([setting])[setting.id]


def thresholds_for_each(settings: Sequence[Organisation]) -> dict[int, dict[str, Threshold]]:
    """thresholds_for for many settings in one statement: each threshold row of a setting or its trust, and each
    of a partnership with the setting (by id) among its members, split by setting in Python."""
    levels_of = {s.id: [s.id] + ([s.trust_id] if s.trust_id is not None else []) for s in settings}
    ids = list(levels_of)
    member = and_(PartnershipMember.partnership_id == RatingThreshold.organisation_id,
                  PartnershipMember.organisation_id.in_(ids), PartnershipMember.left_at.is_(None))
    rows = db.session.execute(
        select(RatingThreshold.organisation_id, RatingThreshold.measure, RatingThreshold.green_from,
               RatingThreshold.amber_from, Organisation.name, PartnershipMember.organisation_id)
        .join(Organisation, Organisation.id == RatingThreshold.organisation_id)
        .outerjoin(PartnershipMember, member)
        .where(RatingThreshold.organisation_id.in_(sorted({level for ls in levels_of.values() for level in ls}))
               | PartnershipMember.id.is_not(None))).all()
    return {setting_id: _resolve(levels, [row for row in rows if row[0] in levels or row[5] == setting_id])
            for setting_id, levels in levels_of.items()}


def _resolve(levels: list[int], rows: Iterable[Any]) -> dict[str, Threshold]:
    """One setting's thresholds from its rows: its own, else its trust's, else the strictest of its partnerships'
    (rows of organisations not in levels), else the default."""
    by_level: dict[str, dict[int, Threshold]] = {}
    partnership_rows: dict[str, list[Threshold]] = {}
    for org_id, measure, green_from, amber_from, name, _member in rows:
        threshold = Threshold(green_from, amber_from, name)
        if org_id in levels:
            by_level.setdefault(measure, {})[org_id] = threshold
        else:
            partnership_rows.setdefault(measure, []).append(threshold)
    resolved: dict[str, Threshold] = {}
    for key in MEASURE_KEYS:
        own = by_level.get(key, {})
        chosen = next((own[level] for level in levels if level in own), None)
        if chosen is None and partnership_rows.get(key):
            chosen = max(partnership_rows[key], key=lambda t: (t.green_from, t.amber_from, t.set_by))
        resolved[key] = chosen or DEFAULTS[key]
    return resolved


def thresholds_set_by(organisation: Organisation) -> dict[str, RatingThreshold]:
    """The thresholds an organisation has set itself, by measure."""
    return {row.measure: row for row in db.session.scalars(
        select(RatingThreshold).where(RatingThreshold.organisation_id == organisation.id))}


def _check(measure: str, green_from: int, amber_from: int) -> None:
    if measure not in MEASURE_KEYS:
        raise InvalidInput("measure", "Choose one of the measures.")
    if not 0 <= green_from <= 100:
        raise InvalidInput(f"green_{measure}", "Green starts at a percentage from 0 to 100.")
    if not 0 <= amber_from <= green_from:
        raise InvalidInput(f"amber_{measure}", "Amber starts at a percentage from 0 up to where green starts.")


def may_set_thresholds(actor: User, organisation: Organisation) -> bool:
    """A manager of the organisation itself (a setting, a trust or a partnership) or an admin: a trust sets its
    own descriptors, which its schools follow unless they set theirs, but never a school's."""
    return is_own_manager_of(actor, organisation.id)


def save_thresholds(organisation: Organisation, chosen: dict[str, tuple[int, int] | None], *,
                    actor: User) -> None:
    """Set each measure's threshold (green from, amber from), or clear it with None so the next level's applies;
    everything is checked before anything is written, in one commit."""
    if not may_set_thresholds(actor, organisation):
        raise NotFound("There is no such organisation among yours.")
    for measure, pair in chosen.items():
        if pair is not None:
            _check(measure, *pair)
        elif measure not in MEASURE_KEYS:
            raise InvalidInput("measure", "Choose one of the measures.")
    held = thresholds_set_by(organisation)
    for measure, pair in chosen.items():
        row = held.get(measure)
        if pair is None:
            if row is not None:
                db.session.delete(row)
                record_event("return.threshold_cleared", actor=actor, organisation_id=organisation.id,
                             target=f"measure:{measure}")
            continue
        green_from, amber_from = pair
        if row is not None and (row.green_from, row.amber_from) == pair:
            continue
        if row is None:
            row = RatingThreshold(organisation_id=organisation.id, measure=measure, green_from=green_from,
                                  amber_from=amber_from, set_by_id=actor.id)
            db.session.add(row)
        row.green_from, row.amber_from, row.set_by_id, row.set_at = green_from, amber_from, actor.id, now_utc()
        record_event("return.threshold_set", actor=actor, organisation_id=organisation.id,
                     target=f"measure:{measure}", green_from=green_from, amber_from=amber_from)
    db.session.commit()


def set_threshold(organisation: Organisation, measure: str, green_from: int, amber_from: int, *,
                  actor: User) -> None:
    """Set (or change) an organisation's threshold for one measure; 0 <= amber <= green <= 100."""
    save_thresholds(organisation, {measure: (green_from, amber_from)}, actor=actor)


def clear_threshold(organisation: Organisation, measure: str, *, actor: User) -> None:
    """Remove an organisation's own threshold: the next level's (or the default) applies again."""
    save_thresholds(organisation, {measure: None}, actor=actor)
