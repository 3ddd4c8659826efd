"""Running sums behind the question statistics, so the page costs the same at 100 or 100,000 attempts.

Per question the statistics need only six numbers over the submitted final attempts that drew it
(n, Σx, Σx², Σt, Σt², Σxt), kept as exact integers in units of 1/MARK_UNITS (elearn/models/evidence.py),
and per option a count of picks. All are sums, so they can be added to
batch by batch: `count_new_attempts` claims the version's submitted final attempts that no batch has
counted yet (`attempts.tally_batch IS NULL`, found through a partial index), computes their sums
with the same two grouped queries that would read the whole history, and adds them to
QuestionTally / OptionTally with an upsert. The statistics page calls it first, so the figures
always include every attempt submitted before the page was asked for, whichever code path wrote
the attempt (the assessment, the demo seeder, a test fixture, a restore), and the learner's
submission never waits on a shared counter row.

Two admins opening the page at once cannot count an attempt twice: a batch begins by taking the
version's VersionTally row (an upsert, so it is locked until the commit on PostgreSQL, and SQLite
has a single writer), and the claim `UPDATE … WHERE tally_batch IS NULL` then sees the other
batch's claims. A failure rolls the whole batch back, claims and sums together.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, cast, delete, func, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite

from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import Attempt, AttemptAnswer, AttemptQuestion, OptionTally, QuestionTally, VersionTally
from elearn.models.evidence import MARK_UNITS

log = logging.getLogger(__name__)

# The partial index's predicate, as literals: a bound parameter would stop the planner proving the
# index applies (and SQLite never uses a partial index against a parameter).
COUNTABLE = and_(Attempt.kind == literal_column("'final'"), Attempt.submitted_at.is_not(None))

SUMS = ("n", "sum_x", "sum_xx", "sum_t", "sum_tt", "sum_xt")

Sums = tuple[int, int, int, int, int, int]


def mark_units() -> ColumnElement[int]:
    """A drawn question's mark as a whole number of 1/MARK_UNITS: exact integer sums on both databases."""
    return cast(func.round(AttemptQuestion.mark * MARK_UNITS), BigInteger)


def count_new_attempts(version_id: int) -> int:
    """Add the version's not-yet-counted submitted final attempts to its running sums; returns how many.

    Commits when it counted anything; with nothing new it runs one indexed query and writes nothing.
    """
    if not _has_uncounted(version_id):
        return 0
    batch = _open_batch(version_id)
    claimed = db.session.execute(
        update(Attempt).where(Attempt.version_id == version_id, COUNTABLE, Attempt.tally_batch.is_(None))
        .values(tally_batch=batch).execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if claimed:
        in_batch = and_(Attempt.version_id == version_id, COUNTABLE, Attempt.tally_batch == batch)
        _add(QuestionTally, "question_id", version_id, _question_sums(in_batch))
        _add(OptionTally, "option_id", version_id, _option_picks(in_batch))
        db.session.execute(update(VersionTally).where(VersionTally.version_id == version_id)
                           .values(attempts=VersionTally.attempts + claimed, updated_at=now_utc()))
    db.session.commit()
    log.info("question statistics of version %s: batch %s counted %s attempt(s)", version_id, batch, claimed)
    return claimed


def recount(version_id: int) -> int:
    """Forget the version's running sums and count every submitted final attempt again (one batch)."""
    for model in (QuestionTally, OptionTally, VersionTally):
        db.session.execute(delete(model).where(model.version_id == version_id))
    db.session.execute(update(Attempt).where(Attempt.version_id == version_id, Attempt.tally_batch.is_not(None))
                       .values(tally_batch=None).execution_options(synchronize_session=False))
    counted = count_new_attempts(version_id)
    db.session.commit()  # count_new_attempts commits only when it found attempts; the forgetting must land too
    return counted


def question_sums(version_id: int) -> dict[int, Sums]:
    """The counted sums per question id: (n, Σx, Σx², Σt, Σt², Σxt), in units of 1/MARK_UNITS (squares: ²)."""
    rows = db.session.scalars(select(QuestionTally).where(QuestionTally.version_id == version_id))
    return {row.question_id: (row.n, int(row.sum_x), int(row.sum_xx), int(row.sum_t), int(row.sum_tt),
                              int(row.sum_xt)) for row in rows}


def sums_where(attempts: ColumnElement[bool]) -> dict[int, Sums]:
    """The same sums per question id, computed now over the attempts matching `attempts` (not kept)."""
    result: dict[int, Sums] = {}
    for row in _question_sums(attempts):
        n, sx, sxx, st, stt, sxt = (int(row[name]) for name in SUMS)
        result[row["question_id"]] = (n, sx, sxx, st, stt, sxt)
    return result


def picks_where(attempts: ColumnElement[bool]) -> dict[int, int]:
    """The picks per option id, computed now over the attempts matching `attempts`."""
    return {row["option_id"]: row["picks"] for row in _option_picks(attempts)}


def option_picks(version_id: int) -> dict[int, int]:
    """The counted picks per option id."""
    rows = db.session.execute(select(OptionTally.option_id, OptionTally.picks)
                              .where(OptionTally.version_id == version_id))
    return {option_id: picks for option_id, picks in rows}


def counted_attempts(version_id: int) -> int:
    return db.session.scalar(select(VersionTally.attempts).where(VersionTally.version_id == version_id)) or 0


def _has_uncounted(version_id: int) -> bool:
    return db.session.scalar(
        select(Attempt.id).where(Attempt.version_id == version_id, COUNTABLE, Attempt.tally_batch.is_(None)).limit(1)
    ) is not None


def _open_batch(version_id: int) -> int:
    """Hand out the version's next batch number; the upsert holds its VersionTally row until the commit."""
    insert = _insert_for_dialect()
    statement = insert(VersionTally).values(version_id=version_id, attempts=0, batches=1, updated_at=now_utc())
    statement = statement.on_conflict_do_update(index_elements=["version_id"],
                                                set_={"batches": VersionTally.batches + 1})
    return int(db.session.execute(statement.returning(VersionTally.batches)).scalar_one())


def _question_sums(in_batch: ColumnElement[bool]) -> list[dict[str, Any]]:
    """Per question over the batch's attempts: n, Σx, Σx², Σt, Σt², Σxt (t: a window sum over each attempt), in
    whole units of 1/MARK_UNITS, so every sum is an exact integer."""
    x = mark_units()
    marks = (
        select(AttemptQuestion.question_id.label("question_id"), x.label("x"),
               func.sum(x).over(partition_by=AttemptQuestion.attempt_id).label("t"))
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(in_batch)
        .subquery()
    )
    rows = db.session.execute(
        select(marks.c.question_id, func.count(), func.sum(marks.c.x), func.sum(marks.c.x * marks.c.x),
               func.sum(marks.c.t), func.sum(marks.c.t * marks.c.t), func.sum(marks.c.x * marks.c.t))
        .group_by(marks.c.question_id)
    )
    return [dict(zip(("question_id", *SUMS), (qid, n, *(v or 0 for v in rest)), strict=True))
            for qid, n, *rest in rows]


def _option_picks(in_batch: ColumnElement[bool]) -> list[dict[str, Any]]:
    """How many of the batch's attempts ticked each option."""
    rows = db.session.execute(
        select(AttemptAnswer.option_id, func.count())
        .join(AttemptQuestion, AttemptQuestion.id == AttemptAnswer.attempt_question_id)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(in_batch)
        .group_by(AttemptAnswer.option_id)
    )
    return [{"option_id": option_id, "picks": picks} for option_id, picks in rows]


def _add(model: type[QuestionTally | OptionTally], key: str, version_id: int,
         rows: list[dict[str, Any]]) -> None:
    """Insert each row's sums, or add them to the sums already there (one statement)."""
    if not rows:
        return
    statement = _insert_for_dialect()(model).values([{**row, "version_id": version_id} for row in rows])
    added = [name for name in rows[0] if name != key]
    statement = statement.on_conflict_do_update(
        index_elements=[key], set_={name: getattr(model, name) + statement.excluded[name] for name in added})
    db.session.execute(statement)


def _insert_for_dialect() -> Any:
    """INSERT … ON CONFLICT DO UPDATE is spelt the same on both databases, but each dialect builds its own."""
    return postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
