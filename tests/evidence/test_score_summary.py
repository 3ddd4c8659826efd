"""Test-level statistics (mean, median, SD, alpha/KR-20, SEM) against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from elearn.evidence import statistics
from tests.evidence.test_statistics import MARKS
from tests.makers import questions_of

# Six attempts, each drawing two of four items (0/1 marks); T is the attempt's total.
#
#        Q1 Q2 Q3 Q4 | T
#   A1    1  1  .  . | 2
#   A2    1  .  1  . | 2
#   A3    .  0  0  . | 0
#   A4    0  .  .  0 | 0
#   A5    .  1  .  1 | 2
#   A6    .  .  1  0 | 1
#
# N = 6, k = 2. ΣT = 7, ΣT² = 13: mean 7/6; median of 0,0,1,2,2,2 = 1.5;
# sample variance (6·13 − 49)/(6·5) = 29/30, SD = √(29/30) = 0.98319; population variance 29/36.
# Each item is drawn by 3 attempts with p = 2/3 or 1/3, so σ²ᵢ = pq = 2/9, weighted by 3/6:
# Σ (nᵢ/N) σ²ᵢ = 4 · (1/2) · (2/9) = 4/9.  KR-20 = 2/1 · (1 − (4/9)/(29/36)) = 2 · 13/29 = 26/29 = 0.89655.
# SEM = SD · √(1 − α) = √(29/30) · √(3/29) = √0.1 = 0.31623.
# Item SD of Q1 (marks 1, 1, 0): sample variance ((1/3)² + (1/3)² + (2/3)²)/2 = 1/3, SD 0.57735.
DRAWS = [((0, 1), (1, 1)), ((0, 2), (1, 1)), ((1, 2), (0, 0)), ((0, 3), (0, 0)), ((1, 3), (1, 1)), ((2, 3), (1, 0))]


@pytest.fixture
def six_attempts(make, course):  # type: ignore[no-untyped-def]
    questions = questions_of(course)[:4]
    learners = [make.user() for _ in DRAWS]
    for learner, (drawn, marks) in zip(learners, DRAWS, strict=True):
        make.attempt(user=learner, course=course, marks={questions[i]: m for i, m in zip(drawn, marks, strict=True)})
    return questions, learners


def test_the_test_level_figures_match_the_hand_computation(six_attempts, cast):
    questions, _ = six_attempts
    stats = statistics.version_statistics(questions[0].version, actor=cast.admin)
    summary = stats.summary
    assert (summary.attempts, summary.items_per_attempt, summary.is_kr20) == (6, 2, True)
    assert summary.mean == pytest.approx(7 / 6)
    assert summary.median == 1.5
    assert summary.sd == pytest.approx(math.sqrt(29 / 30))
    assert summary.alpha == pytest.approx(26 / 29)
    assert summary.sem == pytest.approx(math.sqrt(0.1))
    rows = {q.key: q for q in stats.questions}
    assert rows[questions[0].key].sd == pytest.approx(math.sqrt(1 / 3))
    assert [q.sd for q in stats.questions if q.attempts == 0] == [None, None]  # never drawn


def test_first_attempts_only_leaves_out_retakes(six_attempts, make, course, cast):
    questions, learners = six_attempts
    # A retake by A3 (T = 0 the first time) scoring 2: counted among all attempts, not among first attempts.
    make.attempt(user=learners[2], course=course, marks={questions[1]: 1, questions[2]: 1}, number=2)
    everything = statistics.version_statistics(questions[0].version, actor=cast.admin)
    assert everything.summary.attempts == everything.attempts == 7
    assert everything.summary.median == 2
    first = statistics.version_statistics(questions[0].version, actor=cast.admin, first_only=True)
    assert first.first_only and first.attempts == first.summary.attempts == 6
    assert first.summary.alpha == pytest.approx(26 / 29)
    assert {q.key: q.attempts for q in first.questions}[questions[1].key] == 3
    assert {q.key: q.attempts for q in everything.questions}[questions[1].key] == 4


def test_kr20_of_the_five_attempts_where_every_item_is_drawn():
    """MARKS (test_statistics): T = 3,2,1,1,2, population variance 0.56; Σpq = .16 + .24 + .24 = .64;
    KR-20 = 3/2 · (1 − .64/.56) = −0.21429 (the items disagree: a negative alpha is shown as it is)."""
    totals = [sum(row) for row in MARKS]
    items = [statistics.ItemSums(5, sum(r[i] for r in MARKS) * 10**4, sum(r[i] for r in MARKS) * 10**8, 0, 0, 0)
             for i in range(3)]
    summary = statistics.score_summary(5, sum(totals) * 10**4, sum(t * t for t in totals) * 10**8, 2 * 10**4, items)
    assert (summary.mean, summary.median, summary.items_per_attempt) == (1.8, 2.0, 3)
    assert summary.sd == pytest.approx(math.sqrt(0.7))
    assert summary.alpha == pytest.approx(-0.2142857)
    assert summary.sem == pytest.approx(math.sqrt(0.7) * math.sqrt(1.2142857))


def test_partial_marks_make_it_cronbachs_alpha_not_kr20():
    half = statistics.ItemSums(2, 10**4, 5 * 10**7, 0, 0, 0)  # marks 0.5 and 0.5
    assert not statistics.score_summary(2, 2 * 10**4, 2 * 10**8, 10**4, [half, half]).is_kr20


@pytest.mark.parametrize(("n", "sum_t", "sum_tt"), [(0, 0, 0), (1, 20000, 4 * 10**8), (3, 30000, 3 * 10**8)])
def test_alpha_is_undefined_without_two_attempts_or_any_spread(n, sum_t, sum_tt):
    item = statistics.ItemSums(n, sum_t // 2, sum_tt // 4, 0, 0, 0)
    summary = statistics.score_summary(n, sum_t, sum_tt, None, [item, item])
    assert summary.alpha is None and summary.sem is None


def test_the_page_shows_the_figures_and_the_filter(six_attempts, client, login_as, cast):
    questions, _ = six_attempts
    login_as(cast.admin)
    page = client.get(f"/admin/question-statistics/{questions[0].version_id}").get_data(as_text=True)
    assert "KR-20" in page and "0.90" in page and "0.32" in page and 'aria-current="page"' in page
    first = client.get(f"/admin/question-statistics/{questions[0].version_id}?attempts=first")
    assert first.status_code == 200 and "First attempts only" in first.get_data(as_text=True)
