"""The partnership's aggregates: sums worked by hand, and the disclosure rule (nothing under 5, nothing that
subtraction gives away) checked on hand-made cases and on random partnerships."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.partnerships.aggregates import MEASURES, RATINGS, Aggregates, Returned, compute_aggregates, read_snapshot
from tests.partnerships.makers import SECRET_COMMENT, SECRET_NAMES, canonical

KEYS = [key for key, _ in MEASURES]


def returned(setting_id: int, phase: str | None, trust: str | None, num: int = 9, den: int = 10,
             rating: str = "green", **measures: tuple[int, int, str]) -> Returned:
    values = {key: (num, den, rating) for key in KEYS}
    values.update(measures)
    return Returned(setting_id, phase, trust, values)


def group(aggregates: Aggregates, key: str):  # type: ignore[no-untyped-def]
    return next(g for g in aggregates.all_groups if g.key == key)


def measure(aggregates: Aggregates, group_key: str, measure_key: str):  # type: ignore[no-untyped-def]
    return next(m for m in group(aggregates, group_key).measures if m.key == measure_key)


def test_sums_and_share_worked_by_hand():
    returns = [returned(1, "primary", "Oak", induction=(4, 6, "amber")),
               returned(2, "primary", "Oak", induction=(7, 7, "green")),
               returned(3, "primary", "Oak", induction=(5, 8, "red")),
               returned(4, "primary", "Oak", induction=(6, 9, "red")),
               returned(5, "primary", "Oak", induction=(8, 10, "amber")),
               returned(6, "primary", "Oak", induction=(10, 10, "green"))]
    overall = measure(compute_aggregates(returns), "overall", "induction")
    # 4+7+5+6+8+10 = 40 of 6+7+8+9+10+10 = 50: 80%; ratings 2 green, 2 amber, 2 red (all under 5)
    assert (overall.numerator.value, overall.denominator.value, overall.share) == (40, 50, 80)
    assert all(overall.ratings[r].is_suppressed for r in RATINGS)


def test_a_measure_with_fewer_than_5_counted_or_not_meeting_it_is_suppressed():
    few_counted = [returned(n, "primary", None, dsl_within_two_years=(0, 0, "not_applicable")) for n in range(1, 4)]
    few_counted += [returned(n, "primary", None, dsl_within_two_years=(1, 1, "green")) for n in range(4, 7)]
    dsl = measure(compute_aggregates(few_counted), "overall", "dsl_within_two_years")
    assert dsl.numerator.is_suppressed and dsl.denominator.is_suppressed and dsl.share is None
    nearly_all = [returned(n, "primary", None, num=10, den=10) for n in range(1, 6)] + [returned(6, "primary", None)]
    # 59 of 60: one person not trained, given away by subtraction: suppressed
    assert measure(compute_aggregates(nearly_all), "overall", "induction").numerator.is_suppressed


def test_a_phase_with_fewer_than_5_settings_takes_a_second_phase_with_it():
    returns = [returned(n, "primary", None) for n in range(1, 7)]
    returns += [returned(n, "secondary", None) for n in range(7, 12)]
    returns += [returned(12, "special", None)]
    aggregates = compute_aggregates(returns)
    assert group(aggregates, "phase:special").settings.is_suppressed
    # Overall minus primary minus secondary would give the special school's figures: the smaller of those goes too.
    assert measure(aggregates, "phase:secondary", "induction").numerator.is_suppressed
    assert not measure(aggregates, "phase:primary", "induction").numerator.is_suppressed
    assert measure(aggregates, "overall", "induction").numerator.value == 108


def test_a_trust_inside_a_phase_is_suppressed_when_the_difference_is_one_school():
    returns = [returned(n, "primary", "Oak") for n in range(1, 6)] + [returned(6, "primary", None)]
    returns += [returned(n, "secondary", "Elm") for n in range(7, 12)]
    aggregates = compute_aggregates(returns)
    assert not measure(aggregates, "phase:primary", "induction").numerator.is_suppressed
    assert measure(aggregates, "trust:Oak", "induction").numerator.is_suppressed  # primary minus Oak = one school
    assert measure(aggregates, "trust:Elm", "induction").numerator.value == 45


def test_a_rating_count_under_5_is_withheld_and_cannot_be_recovered_from_the_group_total():
    returns = [returned(n, "primary", None, rating="green") for n in range(1, 9)]
    returns += [returned(n, "primary", None, rating="red") for n in range(9, 11)]
    ratings = measure(compute_aggregates(returns), "overall", "induction").ratings
    # 8 green, 0 amber, 2 red of 10 settings: showing 8 green would give away amber + red = 2
    assert all(ratings[r].is_suppressed for r in RATINGS)
    more = returns + [returned(n, "primary", None, rating="amber") for n in range(11, 16)]
    ratings = measure(compute_aggregates(more), "overall", "induction").ratings
    # 8 green, 5 amber, 2 red: red withheld, and amber too, or 15 - 8 - 5 would give red away
    assert ratings["green"].value == 8 and ratings["amber"].is_suppressed and ratings["red"].is_suppressed


def test_a_snapshot_is_read_for_its_counts_only():
    snapshot = canonical({"schema": 1, "setting": {"id": 3, "name": "Alder", "phase": "primary", "trust": None},
                          "signed_by": SECRET_NAMES[0],
                          "measures": [{"key": "induction", "label": "x", "numerator": 3, "denominator": 4,
                                        "rating": "amber", "comment": SECRET_COMMENT}],
                          "people": {"induction": [{"name": SECRET_NAMES[1], "met": True}]}})
    kept = read_snapshot(3, snapshot)
    assert kept == Returned(3, "primary", None, {"induction": (3, 4, "amber")})
    assert SECRET_NAMES[0] not in repr(kept) and SECRET_COMMENT not in repr(kept)


# --- the rule on random partnerships ----------------------------------------------------------------------------

PHASES = st.sampled_from(["primary", "secondary", "special", None])
TRUSTS = st.sampled_from(["Oak", "Elm", "Ash", None])


@st.composite
def partnerships(draw):  # type: ignore[no-untyped-def]
    count = draw(st.integers(0, 30))
    returns = []
    for setting_id in range(1, count + 1):
        values = {}
        for key in KEYS:
            den = draw(st.integers(0, 12))
            values[key] = (draw(st.integers(0, den)), den, draw(st.sampled_from([*RATINGS, "not_applicable"])))
        returns.append(Returned(setting_id, draw(PHASES), draw(TRUSTS), values))
    return returns


def _sums(returns: Sequence[Returned], ids: set[int], key: str) -> tuple[int, ...]:
    chosen = [r.measures[key] for r in returns if r.setting_id in ids]
    num, den = sum(c[0] for c in chosen), sum(c[1] for c in chosen)
    return (len(chosen), num, den, den - num)


def _ids(returns: Sequence[Returned], group_key: str) -> set[int]:
    dimension, _, value = group_key.partition(":")
    if dimension == "overall":
        return {r.setting_id for r in returns}
    return {r.setting_id for r in returns if ((r.phase if dimension == "phase" else r.trust) or "") == value}


def _safe(figures: tuple[int, ...]) -> bool:
    return all(f >= 5 for f in figures)


@settings(max_examples=150, deadline=None)
@given(partnerships())
def test_no_figure_under_5_is_shown_or_given_away_by_subtraction(returns):
    aggregates = compute_aggregates(returns)
    for g in aggregates.all_groups:
        assert g.settings.is_suppressed or g.settings.value >= 5  # type: ignore[operator]
        for m in g.measures:
            shown = [f.value for f in (m.numerator, m.denominator, *m.ratings.values()) if not f.is_suppressed]
            assert all(v >= 5 for v in shown)  # type: ignore[operator]
            if not m.numerator.is_suppressed:
                assert m.denominator.value - m.numerator.value >= 5  # type: ignore[operator]
    for key in KEYS:
        shown = {g.key for g in aggregates.all_groups
                 if not next(m for m in g.measures if m.key == key).numerator.is_suppressed}
        if "overall" in shown:  # the total minus the shown groups of a breakdown
            for dimension in ("phase", "trust"):
                hidden = {r.setting_id for r in returns} - set().union(
                    *(_ids(returns, k) for k in shown if k.startswith(dimension + ":")))
                assert not hidden or _safe(_sums(returns, hidden, key))
        for outer in shown:  # one shown group inside another
            for inner in shown:
                a, b = _ids(returns, outer), _ids(returns, inner)
                if b < a:
                    assert _safe(_sums(returns, a - b, key))
        for g in aggregates.all_groups:  # a group's settings minus its shown rating counts
            m = next(m for m in g.measures if m.key == key)
            counted = [f.value for f in m.ratings.values() if not f.is_suppressed]
            if counted:
                rest = len(_ids(returns, g.key)) - sum(counted)  # type: ignore[arg-type]
                assert rest >= 5 or (rest == 0 and len(counted) == len(RATINGS))


@pytest.mark.parametrize(("met", "of", "shown"), [(1, 8, 13), (5, 8, 63), (7, 8, 88), (40, 50, 80), (0, 6, 0)])
def test_a_share_rounds_half_up_as_the_returns_own_percentages_do(met, of, shown):
    """12.5 % is 13 %, as returns.exports.percent rounds it (Python's round() gave 12: half to even)."""
    from elearn.partnerships.aggregates import Figure, MeasureFigures
    from elearn.returns.exports import percent

    figures = MeasureFigures("induction", "Trained at induction", Figure(met), Figure(of), {})
    assert figures.share == shown == int(percent(met, of, places=0))
