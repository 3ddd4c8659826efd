"""The running sums behind the question statistics: every submitted final attempt counted once, whenever it arrives."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from elearn.evidence import statistics, tallies
from elearn.extensions import db
from elearn.models import Attempt, OptionTally, QuestionTally, VersionTally
from tests.assessment.test_integrity import run_together
from tests.conftest import ON_POSTGRES
from tests.evidence.test_statistics import EXPECTED, MARKS
from tests.makers import questions_of


def _indices(version, admin):  # type: ignore[no-untyped-def]
    stats = statistics.version_statistics(version, actor=admin)
    return stats.attempts, {q.key: (q.attempts, q.facility, q.discrimination, tuple(o.picks for o in q.options))
                            for q in stats.questions}


def test_attempts_counted_one_view_at_a_time_give_the_hand_computed_values(make, course, cast):
    questions = questions_of(course)[:3]
    version, admin = questions[0].version, cast.admin
    for count, marks in enumerate(MARKS, start=1):
        make.attempt(user=make.user(), course=course, marks=dict(zip(questions, marks, strict=True)))
        attempts, _ = _indices(version, admin)  # each view counts the one new attempt as its own batch
        assert attempts == count
    assert db.session.scalar(select(VersionTally.batches).where(VersionTally.version_id == version.id)) == 5
    stats = statistics.version_statistics(version, actor=admin)
    rows = {q.key: q for q in stats.questions}
    for index, (facility, discrimination) in EXPECTED.items():
        assert rows[questions[index].key].facility == pytest.approx(facility)
        assert rows[questions[index].key].discrimination == pytest.approx(discrimination, abs=1e-5)


def test_counting_in_batches_equals_counting_everything_at_once(make, course, cast):
    questions = questions_of(course)
    version, admin = questions[0].version, cast.admin
    for i in range(12):
        # Partial marks as well as 0/1, and a different subset of the bank each time.
        drawn = questions[i % 4: i % 4 + 6]
        make.attempt(user=make.user(), course=course, marks={q: ((i * 7 + j * 3) % 5) / 4 for j, q in enumerate(drawn)})
        if i % 5 == 0:
            statistics.version_statistics(version, actor=admin)
    in_batches = _indices(version, admin)
    assert tallies.recount(version.id) == 12
    _assert_same(_indices(version, admin), in_batches)
    assert in_batches[0] == 12
    assert any(discrimination is not None for _, _, discrimination, _ in in_batches[1].values())


def test_the_recount_command_rebuilds_the_sums_of_one_or_every_version(make, course, runner, cast):
    questions = questions_of(course)[:3]
    version, admin = questions[0].version, cast.admin
    for marks in MARKS:
        make.attempt(user=make.user(), course=course, marks=dict(zip(questions, marks, strict=True)))
    before = _indices(version, admin)
    db.session.execute(update(QuestionTally).values(n=999))  # sums damaged by hand
    db.session.commit()

    result = runner.invoke(args=["statistics", "recount", "--version", str(version.id)])
    assert result.exit_code == 0, result.output
    assert f"course version {version.id}: counted 5 submitted final attempt(s)" in result.output
    _assert_same(_indices(version, admin), before)
    assert runner.invoke(args=["statistics", "recount"]).exit_code == 0

    missing = runner.invoke(args=["statistics", "recount", "--version", "987654"])
    assert missing.exit_code == 1 and "there is no course version 987654" in missing.output


def _assert_same(got, expected) -> None:  # type: ignore[no-untyped-def]
    assert got[0] == expected[0] and got[1].keys() == expected[1].keys()
    for key, (n, facility, discrimination, picks) in got[1].items():
        n_e, facility_e, discrimination_e, picks_e = expected[1][key]
        assert (n, picks) == (n_e, picks_e), key
        assert facility == pytest.approx(facility_e) and discrimination == pytest.approx(discrimination_e), key


def test_knowledge_checks_and_open_attempts_wait_uncounted_until_submitted(make, course, cast):
    questions = questions_of(course)[:2]
    version, admin, learner = questions[0].version, cast.admin, make.user()
    make.attempt(user=learner, course=course, marks={questions[0]: 1, questions[1]: 0}, kind="precheck", number=0)
    open_attempt = make.attempt(user=learner, course=course, marks={questions[0]: 1, questions[1]: 1}, submitted=False)
    assert statistics.version_statistics(version, actor=admin).attempts == 0
    assert db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.tally_batch.is_not(None))) == 0

    open_attempt = db.session.get_one(Attempt, open_attempt.id)  # now submitted, as submit_attempt would
    open_attempt.submitted_at = open_attempt.started_at
    for row in open_attempt.questions:
        row.mark = 1
    db.session.commit()
    stats = statistics.version_statistics(version, actor=admin)
    assert stats.attempts == 1
    assert [q.facility for q in stats.questions if q.attempts] == [1.0, 1.0]


def test_a_view_with_nothing_new_to_count_reads_and_writes_nothing_else(make, course, count_queries, cast):
    questions = questions_of(course)[:3]
    version, admin = questions[0].version, cast.admin
    for marks in MARKS:
        make.attempt(user=make.user(), course=course, marks=dict(zip(questions, marks, strict=True)))
    with count_queries() as first:
        statistics.version_statistics(version, actor=admin)
    with count_queries() as again:
        statistics.version_statistics(version, actor=admin)
    writes = [s for s in again.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert again.count < first.count


def test_the_sums_are_stored_per_question_and_option_of_the_version(make, course, cast):
    questions = questions_of(course)[:3]
    version, admin = questions[0].version, cast.admin
    for marks in MARKS:
        make.attempt(user=make.user(), course=course, marks=dict(zip(questions, marks, strict=True)))
    statistics.version_statistics(version, actor=admin)
    q1 = db.session.get_one(QuestionTally, questions[0].id)
    # Q1 (see test_statistics): x = 1,1,1,0,1 and t = 3,2,1,1,2; kept in 1/10,000ths (squares: 1/10,000²).
    assert (q1.n, q1.sum_x, q1.sum_xx, q1.sum_t, q1.sum_tt, q1.sum_xt) == (5, 4 * 10**4, 4 * 10**8, 9 * 10**4,
                                                                          19 * 10**8, 8 * 10**8)
    picks = db.session.scalar(select(func.sum(OptionTally.picks)).where(OptionTally.version_id == version.id))
    assert picks == 15  # one answer per drawn question: 5 attempts × 3 questions


def test_the_upgrade_to_exact_sums_forgets_the_old_ones_and_the_next_view_counts_all_again(make, course, cast):
    questions = questions_of(course)
    version, admin = questions[0].version, cast.admin
    for i in range(8):
        drawn = questions[i % 3: i % 3 + 5]
        make.attempt(user=make.user(), course=course, marks={q: ((i * 2 + j * j) % 3) / 2 for j, q in enumerate(drawn)})
    make.attempt(user=make.user(), course=course, marks={questions[0]: 1}, kind="precheck", number=0)
    by_service = _indices(version, admin)

    migration = _load_migration("keep_the_question_statistics_running_")
    migration.forget_running_sums(db.session.connection())
    db.session.commit()
    assert tallies.counted_attempts(version.id) == 0
    assert db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.tally_batch.is_not(None))) == 0

    _assert_same(_indices(version, admin), by_service)
    assert tallies.counted_attempts(version.id) == 8
    assert any(discrimination is not None for _, _, discrimination, _ in by_service[1].values())


def _load_migration(name_part: str):  # type: ignore[no-untyped-def]
    [path] = Path(__file__).resolve().parents[2].glob(f"migrations/versions/*{name_part}*.py")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: TEST_DATABASE_URL=postgresql://…")
def test_two_admins_opening_the_page_at_once_count_each_attempt_once(app, make, course, monkeypatch):
    questions = questions_of(course)[:3]
    version_id, first_question_id = questions[0].version_id, questions[0].id
    for marks in MARKS:
        make.attempt(user=make.user(), course=course, marks=dict(zip(questions, marks, strict=True)))
    db.session.remove()

    real_sums = tallies._question_sums

    def slow_sums(in_batch):  # type: ignore[no-untyped-def]
        rows = real_sums(in_batch)
        time.sleep(0.3)  # hold the batch open while the other view arrives
        return rows

    monkeypatch.setattr(tallies, "_question_sums", slow_sums)
    outcomes = run_together(app, [lambda: tallies.count_new_attempts(version_id) for _ in range(4)])

    assert sorted(outcomes) == [0, 0, 0, 5], outcomes
    assert tallies.counted_attempts(version_id) == 5
    assert tallies.question_sums(version_id)[first_question_id] == (5, 4 * 10**4, 4 * 10**8, 9 * 10**4, 19 * 10**8,
                                                                    8 * 10**8)
