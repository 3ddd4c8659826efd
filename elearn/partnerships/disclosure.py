"""Which aggregate figures a partnership may see: none under 5, and none that subtraction gives away. Pure, no database.

The figures are sums over groups of settings (all of them, each phase, each trust). The rule, for one kind of
figure at a time (a measure's people counts, or how many settings were rated green for it):

1. Primary: a group's figure is suppressed when the group has fewer than 5 settings or any of its parts is under
   5 (for people counts: the numerator, the denominator and those not meeting the measure).
2. Across a breakdown: the suppressed groups of one breakdown (phase, or trust), taken together, are what the
   total minus the shown groups gives away; unless that sum passes the primary test, the smallest shown group is
   suppressed too (and the total, when there is none left), until it does.
3. Nested groups: when one shown group lies inside another (a trust whose schools are all primary, the phase
   inside the total), their difference is given away; unless it passes the primary test, the smaller is suppressed.

Rules 2 and 3 run until nothing changes. Groups of one breakdown never overlap, and a breakdown covers every
setting (a setting without a trust is in "No trust"), so the sums the rules check are the ones a reader can form
from two figures on the page. Sums of three or more groups across breakdowns are not checked: the breakdowns are
shown side by side, never crossed (no phase-by-trust table).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

THRESHOLD = 5  # the smallest figure shown; under it a figure reads "fewer than 5"
OVERALL = "overall"

Figures = tuple[int, ...]


@dataclass(frozen=True)
class Group:
    """A set of settings the aggregates are summed over: all of them, one phase, one trust."""

    key: str  # "overall", "phase:primary", "trust:Oak Trust"
    label: str
    dimension: str  # "overall", "phase" or "trust"
    setting_ids: frozenset[int]


def is_safe(figures: Figures) -> bool:
    """Whether every part of a figure may be shown."""
    return all(value >= THRESHOLD for value in figures)


def summed(per_setting: Mapping[int, Figures], setting_ids: Iterable[int], width: int) -> Figures:
    """The figures of a set of settings: the number of settings, then each part summed."""
    totals = [0] * width
    count = 0
    for setting_id in setting_ids:
        count += 1
        for index, value in enumerate(per_setting[setting_id]):
            totals[index] += value
    return (count, *totals)


def _plus(a: Figures, b: Figures) -> Figures:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def _minus(a: Figures, b: Figures) -> Figures:
    return tuple(x - y for x, y in zip(a, b, strict=True))


class Suppression:
    """The suppressed groups for one kind of figure (per_setting gives each setting's parts, all of one width).

    Each group's figures are summed once; what the rules check is formed from those sums (a breakdown's groups do
    not overlap, and a nested group is a subset), so settling costs no pass over the settings."""

    def __init__(self, groups: Sequence[Group], per_setting: Mapping[int, Figures], width: int) -> None:
        self.groups = list(groups)
        self.totals = {g.key: summed(per_setting, g.setting_ids, width) for g in self.groups}
        self.suppressed = {g.key for g in self.groups if not is_safe(self.totals[g.key])}
        self._nested = [(outer, inner) for outer in self.groups for inner in self.groups
                        if inner.setting_ids < outer.setting_ids]
        self._zero: Figures = (0,) * (width + 1)
        self.settle()

    def is_shown(self, group: Group) -> bool:
        return group.key not in self.suppressed

    def suppress(self, group: Group) -> None:
        """Suppress one more group (another rule's need, e.g. a rating count), then settle the rules again."""
        self.suppressed.add(group.key)
        self.settle()

    def settle(self) -> None:
        """Apply rules 2 and 3 until nothing changes (each pass only adds to the suppressed set, so it ends)."""
        # Nested groups first: suppressing the inner group often settles its breakdown too, with less withheld.
        while self._nested_groups() or self._across_breakdowns():
            pass

    def _across_breakdowns(self) -> bool:
        overall = next((g for g in self.groups if g.dimension == OVERALL), None)
        if overall is None or not self.is_shown(overall):
            return False
        for dimension in sorted({g.dimension for g in self.groups} - {OVERALL}):
            members = [g for g in self.groups if g.dimension == dimension]
            hidden = [g for g in members if not self.is_shown(g)]
            given_away = self._zero
            for g in hidden:
                given_away = _plus(given_away, self.totals[g.key])
            if hidden and not is_safe(given_away):
                shown = sorted((g for g in members if self.is_shown(g)), key=lambda g: (len(g.setting_ids), g.key))
                self.suppressed.add((shown[0] if shown else overall).key)
                return True
        return False

    def _nested_groups(self) -> bool:
        for outer, inner in self._nested:
            if self.is_shown(outer) and self.is_shown(inner) and \
                    not is_safe(_minus(self.totals[outer.key], self.totals[inner.key])):
                self.suppressed.add(inner.key)
                return True
        return False
