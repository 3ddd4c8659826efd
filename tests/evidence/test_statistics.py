"""Question statistics: facility and discrimination against values worked out by hand."""

from __future__ import annotations

import pytest

from elearn.access import is_admin
from elearn.errors import NotAllowed
from elearn.evidence import statistics
from elearn.evidence.statistics import ItemSums, flags_for, item_indices
from tests.makers import questions_of

# Five submitted final attempts × three questions (marks 0/1). Each attempt's total t and, per
# question, the rest of the test y = t − x, as Moodle's discrimination index uses it.
#
#        Q1 Q2 Q3 | t
#   A1    1  1  1 | 3
#   A2    1  1  0 | 2
#   A3    1  0  0 | 1
#   A4    0  1  0 | 1
#   A5    1  0  1 | 2
MARKS = [(1, 1, 1), (1, 1, 0), (1, 0, 0), (0, 1, 0), (1, 0, 1)]

# By hand, with r = (nΣxy − ΣxΣy) / √((nΣx² − (Σx)²)(nΣy² − (Σy)²)) and n = 5:
# Q1: x = 1,1,1,0,1  y = 2,1,0,1,1  Σx=4 Σx²=4 Σy=5 Σy²=7  Σxy=4  r = (20−20)/√(4·10)  = 0
# Q2: x = 1,1,0,1,0  y = 2,1,1,0,2  Σx=3 Σx²=3 Σy=6 Σy²=10 Σxy=3  r = (15−18)/√(6·14)  = −3/√84 = −0.32733
# Q3: x = 1,0,0,0,1  y = 2,2,1,1,1  Σx=2 Σx²=2 Σy=7 Σy²=11 Σxy=3  r = (15−14)/√(6·6)   = 1/6   = 0.16667
EXPECTED = {0: (0.8, 0.0), 1: (0.6, -0.32733), 2: (0.4, 0.16667)}


@pytest.fixture
def five_attempts(make, course):  # type: ignore[no-untyped-def]
    questions = questions_of(course)[:3]
    learners = [make.user() for _ in MARKS]
    for learner, marks in zip(learners, MARKS, strict=True):
        make.attempt(user=learner, course=course, marks=dict(zip(questions, marks, strict=True)))
    return questions, learners


def _by_key(stats):  # type: ignore[no-untyped-def]
    return {q.key: q for q in stats.questions}


def test_facility_and_discrimination_match_the_hand_computation(make, course, five_attempts, cast):
    questions, learners = five_attempts
    # Neither a knowledge check nor an unsubmitted attempt counts.
    make.attempt(user=learners[0], course=course, marks={questions[0]: 0, questions[1]: 0}, kind="precheck", number=0)
    make.attempt(user=learners[1], course=course, marks={questions[0]: 0, questions[2]: 0}, number=2, submitted=False)
    admin = cast.admin
    stats = statistics.version_statistics(questions[0].version, actor=admin)
    rows = _by_key(stats)
    assert stats.attempts == 5
    for index, (facility, discrimination) in EXPECTED.items():
        row = rows[questions[index].key]
        assert row.attempts == 5
        assert row.facility == pytest.approx(facility)
        assert row.discrimination == pytest.approx(discrimination, abs=1e-5)
    untouched = [q for q in stats.questions if q.key not in {q.key for q in questions}]
    assert all(q.attempts == 0 and q.facility is None and q.discrimination is None for q in untouched)


def test_flags_follow_the_thresholds(make, course, five_attempts, cast):
    questions, _ = five_attempts
    rows = _by_key(statistics.version_statistics(questions[0].version, actor=cast.admin))
    assert rows[questions[0].key].flags == ("discriminates poorly",)  # 0.8, r = 0
    assert rows[questions[2].key].flags == ("discriminates poorly",)  # 0.4, r = 0.167


def test_option_choices_are_counted_per_option(make, course, five_attempts, cast):
    questions, _ = five_attempts
    rows = _by_key(statistics.version_statistics(questions[0].version, actor=cast.admin))
    q1 = rows[questions[0].key]
    correct = [o for o in q1.options if o.is_correct]
    assert [o.picks for o in correct] == [4] and correct[0].share == pytest.approx(0.8)
    assert sum(o.picks for o in q1.options) == 5


def in_units(n: int, sx: float, sxx: float, st: float, stt: float, sxt: float) -> ItemSums:
    """Sums written in marks, as the running sums keep them: whole 1/10,000ths (squares: 1/10,000²)."""
    return ItemSums(n, round(sx * 10**4), round(sxx * 10**8), round(st * 10**4), round(stt * 10**8), round(sxt * 10**8))


@pytest.mark.parametrize(("sums", "facility", "discrimination"), [
    (in_units(0, 0, 0, 0, 0, 0), None, None),
    # everyone right: no variance in x, so no correlation
    (in_units(3, 3, 3, 6, 14, 6), 1.0, None),
    # partial credit: marks 0.5, 1, 0 with totals 2.5, 3, 1 → facility is the mean mark 0.5;
    # y = 2, 2, 1: Σx=1.5 Σx²=1.25 Σy=5 Σy²=9 Σxy=3 → r = (9 − 7.5)/√((3.75 − 2.25)(27 − 25)) = 1.5/√3 = 0.86603
    (in_units(3, 1.5, 1.25, 6.5, 16.25, 4.25), 0.5, 0.86603),
    # everyone scored 1/3 (0.3333), the rest y = 0,1,0,1,…: t = 0.3333 + y over ten attempts; x has exactly
    # no variance (Σx² = 1.1108889, which four places would round to 1.1109 and make 0.00011 of variance)
    (in_units(10, 3.333, 1.1108889, 8.333, 9.4438889, 2.7773889), 0.3333, None),
])
def test_item_indices_from_sums(sums, facility, discrimination):
    got_facility, got_discrimination = item_indices(sums)
    assert got_facility == (None if facility is None else pytest.approx(facility))
    assert got_discrimination == (None if discrimination is None else pytest.approx(discrimination, abs=1e-5))


@pytest.mark.parametrize(("n", "facility", "discrimination", "flags"), [
    (4, 0.99, -0.5, ()),  # too few attempts to say anything
    (5, 0.96, 0.5, ("too easy",)),
    (5, 0.95, 0.5, ()),
    (5, 0.29, 0.5, ("too hard",)),
    (5, 0.30, 0.19, ("discriminates poorly",)),
    (5, 0.2, None, ("too hard",)),
])
def test_flags(n, facility, discrimination, flags):
    assert flags_for(n, facility, discrimination) == flags


def test_only_admins_may_read_statistics(cast, course):
    version = questions_of(course)[0].version
    for persona in (cast.learner_a, cast.manager_a):
        with pytest.raises(NotAllowed):  # admin-only: 403, as every admin-only check
            statistics.version_statistics(version, actor=persona)


def test_the_statistics_page_runs_the_same_queries_for_5_and_40_attempts(make, cast, course, client, sign_in,
                                                                         count_queries):
    questions = questions_of(course)
    admin = sign_in(cast.admin)

    def page_queries() -> int:
        with count_queries() as counter:
            response = client.get(f"/admin/question-statistics/{questions[0].version_id}")
        assert response.status_code == 200
        return counter.count

    for i in range(5):
        make.attempt(user=make.user(), course=course, marks={q: (i + j) % 2 for j, q in enumerate(questions[:4])})
    small = page_queries()
    for i in range(35):
        make.attempt(user=make.user(), course=course, marks={q: (i * j) % 3 == 0 for j, q in enumerate(questions[2:])})
    assert page_queries() == small
    assert is_admin(admin)
