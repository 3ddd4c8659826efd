"""Time the admin question-statistics page for one course version with 100,000 submitted attempts on PostgreSQL.

Seeds a dedicated database (`elearn_bench_stats`, created and dropped with psql) with bulk
INSERT … SELECT statements: one course (fgm-awareness, 35 questions, 12 per attempt), 100,000
final attempts of 12 questions (1.2 million attempt_questions and as many answers), plus 20,000
knowledge checks that the statistics must skip. Then it times `statistics.version_statistics`
(the page's queries and their Python) in the three situations an admin meets:

1. the first view after the upgrade that added the running sums: all 100,000 attempts counted (once);
2. a view with nothing new since the last one (the usual case);
3. a view after 200 more attempts were submitted (they are counted, then the sums read);

and the whole page through the test client.

    psql -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS elearn_bench_stats" \
         -c "CREATE DATABASE elearn_bench_stats"
    .venv/bin/python bench/statistics/bench_question_statistics.py [--attempts 100000] [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics as stats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from anywhere: the repository root

URL = "postgresql://postgres@127.0.0.1:5432/elearn_bench_stats"

SEED = """
INSERT INTO users (email, display_name, role, organisation_id, is_active, created_at, session_version,
                   failed_logins)
SELECT 'bench' || n || '@bench.test', 'Bench learner ' || n, 'learner', NULL, true, now(), 1, 0
FROM generate_series(1, :learners) AS n;

INSERT INTO enrolments (user_id, course_id, version_id, cycle, enrolled_at, last_active_at, lessons_completed_at)
SELECT u.id, :course_id, :version_id, 1, now(), now(), now() FROM users u WHERE u.email LIKE 'bench%';

-- 100,000 final attempts spread over the enrolments (number 1, 2, … per enrolment), and a knowledge
-- check (number 0) for every fifth enrolment.
INSERT INTO attempts (enrolment_id, user_id, version_id, number, kind, started_at, submitted_at, score_percent,
                      passed)
SELECT e.id, e.user_id, e.version_id, k, 'final', now(), now(), 0, false
FROM enrolments e CROSS JOIN generate_series(1, :per_learner) AS k;
INSERT INTO attempts (enrolment_id, user_id, version_id, number, kind, started_at, submitted_at, score_percent)
SELECT e.id, e.user_id, e.version_id, 0, 'precheck', now(), now(), 0 FROM enrolments e WHERE e.id % 5 = 0;

-- 12 distinct questions per attempt (consecutive in a rotation of the bank); a mark drawn from a
-- per-question difficulty plus the learner's ability, so facility and discrimination vary.
CREATE TEMP TABLE bank AS
SELECT q.id, row_number() OVER (ORDER BY q.id) - 1 AS i, count(*) OVER () AS n FROM questions q
WHERE q.version_id = :version_id;
INSERT INTO attempt_questions (attempt_id, question_id, position, option_order, answered_at, mark)
SELECT a.id, b.id, k + 1, '[]', now(),
       CASE WHEN random() < least(0.98, greatest(0.05, 0.35 + (b.i % 7) * 0.1 + ((a.user_id % 10) - 4.5) * 0.09))
            THEN 1 ELSE 0 END
FROM attempts a CROSS JOIN generate_series(0, :per_attempt - 1) AS k
JOIN bank b ON b.i = (a.id * 7 + k) % b.n;

-- One answer per drawn question: a correct option when the mark is 1, else the first wrong one.
INSERT INTO attempt_answers (attempt_question_id, option_id)
SELECT aq.id, (SELECT o.id FROM options o WHERE o.question_id = aq.question_id AND o.is_correct = (aq.mark = 1)
               ORDER BY o.position LIMIT 1)
FROM attempt_questions aq;
ANALYZE;
"""

# More attempts, as if submitted since the last view: the newest `n` enrolments sit attempt `number`.
MORE = """
INSERT INTO attempts (enrolment_id, user_id, version_id, number, kind, started_at, submitted_at, score_percent,
                      passed)
SELECT e.id, e.user_id, e.version_id, :number, 'final', now(), now(), 0, false
FROM enrolments e ORDER BY e.id DESC LIMIT :n;
INSERT INTO attempt_questions (attempt_id, question_id, position, option_order, answered_at, mark)
SELECT a.id, b.id, k + 1, '[]', now(), CASE WHEN random() < 0.7 THEN 1 ELSE 0 END
FROM attempts a CROSS JOIN generate_series(0, :per_attempt - 1) AS k
JOIN bank b ON b.i = (a.id * 7 + k) % b.n
WHERE a.number = :number;
INSERT INTO attempt_answers (attempt_question_id, option_id)
SELECT aq.id, (SELECT o.id FROM options o WHERE o.question_id = aq.question_id AND o.is_correct = (aq.mark = 1)
               ORDER BY o.position LIMIT 1)
FROM attempt_questions aq JOIN attempts a ON a.id = aq.attempt_id WHERE a.number = :number
"""


def seed(app, attempts: int) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from elearn.content.loader import load_course
    from elearn.content.sync import sync_courses
    from elearn.extensions import db
    from elearn.models import Attempt, CourseVersion

    if db.session.scalar(select(func.count()).select_from(Attempt)):
        return
    parsed, faults = load_course(Path("courses/fgm-awareness"))
    assert parsed is not None, faults
    sync_courses([parsed])
    version = db.session.scalars(select(CourseVersion)).one()
    per_learner = 10
    params = {"learners": attempts // per_learner, "per_learner": per_learner, "course_id": version.course_id,
              "version_id": version.id, "per_attempt": version.questions_per_attempt}
    started = time.perf_counter()
    run_script(SEED, params)
    print(f"seeded {attempts:,} attempts in {time.perf_counter() - started:.1f} s")


def run_script(script: str, params: dict[str, int]) -> None:
    from sqlalchemy import text

    from elearn.extensions import db

    for statement in script.split(";\n"):
        if statement.strip():
            db.session.execute(text(statement), {k: v for k, v in params.items() if f":{k}" in statement})
    db.session.commit()


def add_attempts(version, n: int, number: int) -> None:  # type: ignore[no-untyped-def]
    """n more submitted final attempts (numbered `number` in their enrolments), not yet counted."""
    from sqlalchemy import text

    from elearn.extensions import db

    db.session.execute(text("CREATE TEMP TABLE IF NOT EXISTS bank AS SELECT q.id, row_number() OVER (ORDER BY q.id) - 1 "
                            "AS i, count(*) OVER () AS n FROM questions q WHERE q.version_id = :v"), {"v": version.id})
    run_script(MORE, {"n": n, "number": number, "per_attempt": version.questions_per_attempt})


def timed(work) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def summary(label: str, timings: list[float]) -> None:
    print(f"{label}: median {stats.median(timings):.0f} ms, fastest {min(timings):.0f} ms, "
          f"slowest {max(timings):.0f} ms over {len(timings)} runs")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--first-runs", type=int, default=3, help="times to forget the sums and count everything")
    parser.add_argument("--new", type=int, default=200, help="attempts submitted between views in case 3")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = URL
    from flask_migrate import upgrade
    from sqlalchemy import delete, func, select, update

    from elearn import create_app
    from elearn.db import now_utc
    from elearn.evidence import statistics
    from elearn.extensions import db
    from elearn.models import (
        Attempt,
        AttemptQuestion,
        CourseVersion,
        OptionTally,
        QuestionTally,
        Role,
        User,
        VersionTally,
    )

    app = create_app("development", SQLALCHEMY_DATABASE_URI=URL, WTF_CSRF_ENABLED=False)
    with app.app_context():
        upgrade()
        seed(app, args.attempts)
        version = db.session.scalars(select(CourseVersion)).one()
        admin = db.session.scalar(select(User).where(User.role == Role.ADMIN))
        if admin is None:
            admin = User(email="admin@bench.test", display_name="Bench admin", role=Role.ADMIN,
                         totp_enabled_at=now_utc())
            db.session.add(admin)
            db.session.commit()
        finals = db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.kind == "final"))
        rows = db.session.scalar(select(func.count()).select_from(AttemptQuestion))
        print(f"{finals:,} final attempts, {rows:,} attempt_questions; version {version.id}")
        version_id = version.id

        def view():  # type: ignore[no-untyped-def]
            db.session.expire_all()
            return statistics.version_statistics(db.session.get_one(CourseVersion, version_id), actor=admin)

        first = []
        for _ in range(args.first_runs):  # forget the sums (untimed), then the first view counts everything
            db.session.execute(delete(QuestionTally))
            db.session.execute(delete(OptionTally))
            db.session.execute(delete(VersionTally))
            db.session.execute(update(Attempt).values(tally_batch=None))
            db.session.commit()
            first.append(timed(view))
        summary(f"first view, counting all {finals:,} attempts (once after the upgrade)", first)
        for _ in range(3):
            view()
        summary("view with nothing new to count", [timed(view) for _ in range(args.runs)])
        after_new = []
        number = max(1000, 1 + (db.session.scalar(select(func.max(Attempt.number))) or 0))
        for run in range(args.runs):
            add_attempts(version, args.new, number + run)
            after_new.append(timed(view))
        summary(f"view after {args.new} new attempts", after_new)
        result = view()
        print(f"{result.attempts:,} attempts counted; {result.flagged} of {len(result.questions)} questions flagged")
        admin_id, path = admin.get_id(), f"/admin/question-statistics/{version.id}"
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = admin_id, True
    page = []
    for run in range(args.runs + 3):
        started = time.perf_counter()
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        if run >= 3:
            page.append((time.perf_counter() - started) * 1000)
    summary(f"whole page (GET {path}), nothing new", page)
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
