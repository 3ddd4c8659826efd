"""The running sums are exact on SQLite as on PostgreSQL: no drift, and no variance where there is none."""

from __future__ import annotations

import pytest

from elearn.evidence import statistics, tallies
from tests.makers import questions_of

THIRD = 0.3333  # a partial mark (one of three correct options ticked), at the 4 places a mark is stored to


def test_a_question_everybody_scored_the_same_on_has_no_discrimination(make, course, cast, client, login_as):
    """Everybody scored 1/3 on Q1: no variance, so no discrimination ("—"), never "0.00, discriminates poorly"."""
    questions = questions_of(course)[:3]
    # Ten attempts: Σx² = 10 × 0.11108889 = 1.1108889, which four places would round up to 1.1109.
    for rest in [(1, 1), (1, 0), (0, 1), (0, 0), (1, 1), (0, 1), (1, 0), (0, 0), (1, 1), (0, 0)]:
        make.attempt(user=make.user(), course=course, marks=dict(zip(questions, (THIRD, *rest), strict=True)))
    rows = {q.key: q for q in statistics.version_statistics(questions[0].version, actor=cast.admin).questions}
    q1 = rows[questions[0].key]
    assert q1.attempts == 10 and q1.facility == pytest.approx(THIRD)
    assert q1.discrimination is None and q1.flags == ()
    login_as(cast.admin)
    page = client.get(f"/admin/question-statistics/{questions[0].version_id}").get_data(as_text=True)
    cells = page.split(questions[0].key + "</a>", 1)[1].split("</tr>", 1)[0].split('<td class="num">')[1:]
    assert [cell.split("</td>")[0] for cell in cells] == ["10", "33%", "0.00", "—"]  # attempts, facility, SD, discr.
    assert "discriminates poorly" not in cells[-1]


def test_sums_over_many_batches_stay_exact(make, course, cast):
    """Thirds added batch by batch: the same indices as counting all at once, to the last digit."""
    questions = questions_of(course)[:2]
    version = questions[0].version
    for i in range(9):
        make.attempt(user=make.user(), course=course, marks={questions[0]: THIRD * (i % 3), questions[1]: i % 2})
        statistics.version_statistics(version, actor=cast.admin)  # one batch per attempt
    by_batch = _indices(version, cast.admin)
    tallies.recount(version.id)
    assert _indices(version, cast.admin) == by_batch


def _indices(version, admin):  # type: ignore[no-untyped-def]
    return {q.key: (q.facility, q.discrimination) for q in statistics.version_statistics(version, actor=admin).questions}
