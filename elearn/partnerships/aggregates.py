"""A partnership's aggregates: each measure of the audit's training section summed across the member settings that
returned it, overall, by phase and by trust, from the signed snapshots' counts only, with disclosure.py's rule.

A snapshot is read for its `setting` (phase, trust), `measures[*].key/numerator/denominator/rating` and nothing
else: the names under `people` and the DSL's comments never leave this module (the snapshot contract, schema 1).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from elearn.partnerships.disclosure import OVERALL, Group, Suppression
from elearn.returns.exports import percent
from elearn.returns.measures import LABELS, MEASURE_KEYS
from elearn.wording import PHASE_LABELS

# The measures of the training section, in the snapshot contract's order, with the returns feature's words.
MEASURES: tuple[tuple[str, str], ...] = tuple((key, LABELS[key]) for key in MEASURE_KEYS)
RATINGS = ("green", "amber", "red")
NO_PHASE = "Phase not recorded"
NO_TRUST = "No trust (standalone)"
# disclosure.py's rule in words, on the page and beside the downloads.
RULE = (
    "A group of fewer than 5 settings shows none of its figures.",
    ("A measure's figures for a group are withheld when the people who meet it, the people counted, or those who do "
    "not meet it number fewer than 5."),
    "A count of settings given a rating is withheld when it is under 5; settings not rated are never counted.",
    ("Whenever withheld figures could be worked out from the others (the total minus the other phases or trusts, one "
    "group inside another, a group's settings minus its shown ratings), more are withheld, smallest group first."),
)


@dataclass(frozen=True)
class Returned:
    """What a partnership takes from one setting's signed return: where it sits, and each measure's counts."""

    setting_id: int
    phase: str | None
    trust: str | None
    measures: Mapping[str, tuple[int, int, str]]  # key -> (numerator, denominator, rating)


def read_return(setting_id: int, setting: dict[str, Any] | None, measures: list[dict[str, Any]] | None) -> Returned:
    """From a snapshot's "setting" and "measures", what a partnership may read: the phase, the trust, and each known
    measure's counts and rating (never its comment)."""
    setting = setting or {}
    known = dict(MEASURES)
    counts = {m["key"]: (int(m["numerator"]), int(m["denominator"]), str(m["rating"]))
              for m in measures or [] if m.get("key") in known}
    return Returned(setting_id, setting.get("phase"), setting.get("trust"), counts)


def read_snapshot(setting_id: int, snapshot: str) -> Returned:
    """The same from a whole snapshot's text."""
    data: dict[str, Any] = json.loads(snapshot)
    return read_return(setting_id, data.get("setting"), data.get("measures"))


@dataclass(frozen=True)
class Figure:
    """A number as the partnership sees it: its value, or None when suppressed ("fewer than 5")."""

    value: int | None

    @property
    def is_suppressed(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class MeasureFigures:
    key: str
    label: str
    numerator: Figure
    denominator: Figure
    ratings: Mapping[str, Figure]  # green, amber, red: how many settings were rated so

    @property
    def share(self) -> int | None:
        """The whole-number percentage met, or None when suppressed or there is no one to count."""
        num, den = self.numerator.value, self.denominator.value
        share = percent(num, den, places=0) if num is not None and den else None
        return int(share) if share is not None else None


@dataclass(frozen=True)
class GroupFigures:
    key: str
    label: str
    dimension: str
    settings: Figure
    measures: Sequence[MeasureFigures]


@dataclass(frozen=True)
class Aggregates:
    overall: GroupFigures
    by_phase: Sequence[GroupFigures]
    by_trust: Sequence[GroupFigures]

    @property
    def all_groups(self) -> list[GroupFigures]:
        return [self.overall, *self.by_phase, *self.by_trust]


def groups_of(returns: Sequence[Returned]) -> list[Group]:
    """All settings, each phase and each trust present (a setting without one in its own group), in reading order."""
    groups = [Group(OVERALL, "All returned settings", OVERALL, frozenset(r.setting_id for r in returns))]
    for dimension in ("phase", "trust"):
        members: dict[str, set[int]] = {}
        for r in returns:
            members.setdefault((r.phase if dimension == "phase" else r.trust) or "", set()).add(r.setting_id)
        order = sorted(members, key=lambda k: (k == "", _group_label(dimension, k).casefold()))
        groups += [Group(f"{dimension}:{k}", _group_label(dimension, k), dimension, frozenset(members[k]))
                   for k in order]
    return groups


def _group_label(dimension: str, key: str) -> str:
    if dimension == "phase":
        return PHASE_LABELS.get(key, key) if key else NO_PHASE
    return key or NO_TRUST


def _measure_parts(returns: Iterable[Returned], key: str) -> dict[int, tuple[int, ...]]:
    """Per setting: numerator, denominator, and those not meeting it (a setting without the measure counts 0)."""
    parts: dict[int, tuple[int, ...]] = {}
    for r in returns:
        num, den, _ = r.measures.get(key, (0, 0, "not_applicable"))
        parts[r.setting_id] = (num, den, den - num)
    return parts


def _rating_suppressions(groups: Sequence[Group], rated: Mapping[int, str]) -> dict[str, Suppression]:
    """Per rating, which groups' counts of settings so rated are suppressed. Within a group, the settings not rated
    green, amber or red are never shown, so the group's settings minus its shown counts gives away the rest: that
    must come to 5 or more (or to nothing, with nothing suppressed), else the smallest shown count goes too."""
    found = {rating: Suppression(groups, {s: (int(v == rating),) for s, v in rated.items()}, 1) for rating in RATINGS}
    counts = {g.key: {rating: found[rating].totals[g.key][1] for rating in RATINGS} for g in groups}
    changed = True
    while changed:
        changed = False
        for group in groups:
            shown = [rating for rating in RATINGS if found[rating].is_shown(group)]
            given_away = len(group.setting_ids) - sum(counts[group.key][rating] for rating in shown)
            if shown and given_away < 5 and (given_away > 0 or len(shown) < len(RATINGS)):
                found[min(shown, key=lambda rating: (counts[group.key][rating], rating))].suppress(group)
                changed = True
    return found


def compute_aggregates(returns: Sequence[Returned]) -> Aggregates:
    """The partnership's figures for these returns, every one under 5 or given away by subtraction suppressed."""
    groups = groups_of(returns)
    settings = Suppression(groups, {r.setting_id: () for r in returns}, 0)
    measures: dict[str, list[MeasureFigures]] = {group.key: [] for group in groups}
    for key, label in MEASURES:
        parts = _measure_parts(returns, key)
        rated = {r.setting_id: r.measures.get(key, (0, 0, ""))[2] for r in returns}
        totals, ratings = Suppression(groups, parts, 3), _rating_suppressions(groups, rated)
        for group in groups:
            _, num, den, _ = totals.totals[group.key]
            counts = {rating: _figure(ratings[rating].totals[group.key][1], ratings[rating].is_shown(group))
                      for rating in RATINGS}
            measures[group.key].append(MeasureFigures(key, label, _figure(num, totals.is_shown(group)),
                                                      _figure(den, totals.is_shown(group)), counts))
    built = [GroupFigures(group.key, group.label, group.dimension,
                          _figure(settings.totals[group.key][0], settings.is_shown(group)), measures[group.key])
             for group in groups]
    return Aggregates(built[0], [g for g in built if g.dimension == "phase"],
                      [g for g in built if g.dimension == "trust"])


def _figure(value: int, shown: bool) -> Figure:
    return Figure(value if shown else None)
