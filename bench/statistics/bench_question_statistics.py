"""Time the admin question-statistics page for one course version with 100,000 submitted attempts on PostgreSQL.

Seeds a dedicated database (`elearn_bench_stats`, created and dropped with psql) with bulk
INSERT … SELECT statements: one course (fgm-awareness, 35 questions, 12 per attempt), 100,000
final attempts of 12 questions (1.2 million attempt_questions and as many answers), plus 20,000
knowledge checks that the statistics must skip. Then it times
`statistics.version_statistics` (the page's queries and their Python) and the whole page
through the test client, after warm-ups.

    psql -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS elearn_bench_stats" \
         -c "CREATE DATABASE elearn_bench_stats"
    .venv/bin/python bench/statistics/bench_question_statistics.py [--attempts 100000] [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics as stats
import time
import sys
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
       CASE WHEN random() < least(0.98, greatest(0.05, 0.35 + (b.i % 7) * 0.1 + ((a.user_id % 10) - 4.5) * 0.04))
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


def seed(app, attempts: int) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select, text

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
    for statement in SEED.split(";\n"):
        if statement.strip():
            db.session.execute(text(statement), {k: v for k, v in params.items() if f":{k}" in statement})
    db.session.commit()
    print(f"seeded {attempts:,} attempts in {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = URL
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from elearn import create_app
    from elearn.db import now_utc
    from elearn.evidence import statistics
    from elearn.extensions import db
    from elearn.models import Attempt, AttemptQuestion, CourseVersion, Role, User

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
        timings = []
        for run in range(args.runs + 3):
            db.session.expire_all()
            started = time.perf_counter()
            result = statistics.version_statistics(version, actor=admin)
            if run >= 3:
                timings.append((time.perf_counter() - started) * 1000)
        print(f"version_statistics: median {stats.median(timings):.0f} ms, fastest {min(timings):.0f} ms, "
              f"slowest {max(timings):.0f} ms over {len(timings)} runs; {result.flagged} questions flagged")
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
    print(f"whole page (GET {path}): median {stats.median(page):.0f} ms, fastest {min(page):.0f} ms, "
          f"slowest {max(page):.0f} ms")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
