"""Benchmark the manager dashboard and training matrix on PostgreSQL with 100,000 learners in 500 organisations.

    psql -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE elearn_bench_manage"
    .venv/bin/python bench/manage/bench_manage_pages.py --seed        # build the schema and the data (~2 min)
    .venv/bin/python bench/manage/bench_manage_pages.py               # time the pages of the largest organisation
    .venv/bin/python bench/manage/bench_manage_pages.py --explain     # also EXPLAIN ANALYZE every statement
    psql -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE elearn_bench_manage"

Seeding uses SQLAlchemy Core executemany inserts (batched into multi-row INSERTs by the psycopg dialect),
never the ORM one object at a time, with explicit ids so nothing has to be read back.
Never part of `make test`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import pyotp  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, insert, select, text  # noqa: E402

from elearn import create_app  # noqa: E402
from elearn.auth.sessions import start_session  # noqa: E402
from elearn.content.loader import load_course  # noqa: E402
from elearn.content.sync import sync_courses  # noqa: E402
from elearn.db import now_utc  # noqa: E402
from elearn.extensions import db  # noqa: E402
from elearn.models import (  # noqa: E402
    Assignment,
    Attempt,
    Certificate,
    Course,
    CourseVersion,
    Enrolment,
    ExternalTraining,
    Group,
    GroupMembership,
    Organisation,
    Role,
    User,
)
from elearn.security import hash_password  # noqa: E402

DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/elearn_bench_manage"
ORGS, LEARNERS, LARGEST = 500, 100_000, 2_000
BATCH = 10_000
TODAY = date.today()
NOW = datetime.now(UTC)


def _chunks(rows: list[dict], size: int = BATCH):  # type: ignore[no-untyped-def]
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _bulk(table, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    for chunk in _chunks(rows):
        db.session.execute(insert(table), chunk)


def _org_sizes(rng: random.Random) -> list[int]:
    """One large organisation (a multi-academy trust) and 499 between 40 and 350 staff, 100,000 in all."""
    rest = [rng.randint(40, 350) for _ in range(ORGS - 1)]
    scale = (LEARNERS - LARGEST) / sum(rest)
    rest = [max(20, round(n * scale)) for n in rest]
    rest[-1] += LEARNERS - LARGEST - sum(rest)
    return [LARGEST, *rest]


def seed() -> None:
    """Fresh schema by the migrations, the four shipped courses, then the organisations and their people."""
    rng = random.Random(2026)
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade()
    parsed = []
    for folder in sorted((ROOT / "courses").iterdir()):
        if folder.is_dir():
            course, faults = load_course(folder)
            assert course is not None and not faults, faults
            parsed.append(course)
    sync_courses(parsed)
    versions = {c: v for c, v in db.session.execute(select(CourseVersion.course_id, CourseVersion.id))}
    titles = dict(db.session.execute(select(CourseVersion.id, CourseVersion.title)).all())
    course_ids = list(db.session.scalars(select(Course.id).order_by(Course.id)))
    password = hash_password("bench passphrase 2026")
    started = time.perf_counter()

    _bulk(Organisation.__table__, [{"id": i, "name": f"Organisation {i:03d}", "slug": f"org-{i}"}
                                   for i in range(1, ORGS + 1)])
    users, groups, members, assignments, enrolments, attempts, certificates, external = [], [], [], [], [], [], [], []
    uid = gid = eid = aid = cid = xid = asg = 0
    for org_id, size in enumerate(_org_sizes(rng), start=1):
        org_groups = []
        for name in ("Teaching staff", "Support staff", "Governors", "Volunteers")[: rng.randint(2, 4)]:
            gid += 1
            groups.append({"id": gid, "organisation_id": org_id, "name": name})
            org_groups.append(gid)
        uid += 1
        users.append({"id": uid, "email": f"manager{org_id}@bench.example", "display_name": f"Manager {org_id}",
                      "password_hash": password, "role": Role.MANAGER.value, "organisation_id": org_id,
                      "joined_organisation_at": NOW, "is_active": True, "session_version": 1,
                      "totp_enabled_at": NOW})
        for n in range(size):
            uid += 1
            active = rng.random() > 0.05
            users.append({"id": uid, "email": f"u{uid}@bench.example", "display_name": f"Learner {org_id}-{n:04d}",
                          "password_hash": password, "role": Role.LEARNER.value, "organisation_id": org_id,
                          "joined_organisation_at": NOW - timedelta(days=rng.randint(1, 2000)),
                          "is_active": active, "session_version": 1, "totp_enabled_at": None})
            members.append({"group_id": rng.choice(org_groups), "user_id": uid})
            for course_id in course_ids:
                if rng.random() < 0.9:
                    asg += 1
                    assignments.append({"id": asg, "organisation_id": org_id, "user_id": uid, "course_id": course_id,
                                        "due_on": TODAY + timedelta(days=rng.randint(-90, 120)), "source": "everyone",
                                        "assigned_at": NOW})
                roll = rng.random()
                if roll < 0.65:  # enrolled; most of them passed
                    eid += 1
                    passed = roll < 0.5
                    enrolled = NOW - timedelta(days=rng.randint(30, 700))
                    enrolments.append({"id": eid, "user_id": uid, "course_id": course_id,
                                       "version_id": versions[course_id], "cycle": 1, "enrolled_at": enrolled,
                                       "last_active_at": enrolled, "passed_at": enrolled + timedelta(days=2) if passed else None})
                    if passed:
                        aid += 1
                        attempts.append({"id": aid, "enrolment_id": eid, "user_id": uid,
                                         "version_id": versions[course_id], "number": 1, "kind": "final",
                                         "started_at": enrolled, "submitted_at": enrolled + timedelta(minutes=20),
                                         "score_percent": Decimal(rng.randint(80, 100)), "passed": True})
                        cid += 1
                        certificates.append({
                            "id": cid, "code": f"{cid:016d}".translate(str.maketrans("01", "AB")), "user_id": uid,
                            "course_id": course_id, "enrolment_id": eid, "attempt_id": aid,
                            "learner_name": f"Learner {org_id}-{n:04d}", "course_title": titles[versions[course_id]],
                            "course_version_number": 1, "cpd_hours": Decimal("1.5"), "outcomes": [],
                            "score_percent": 90, "completed_at": enrolled + timedelta(days=2), "issued_at": enrolled,
                            "expires_on": TODAY + timedelta(days=rng.randint(-120, 700)),
                            "revoked_at": NOW if rng.random() < 0.005 else None})
                elif roll < 0.68:  # training done elsewhere
                    xid += 1
                    external.append({"id": xid, "organisation_id": org_id, "user_id": uid, "course_id": course_id,
                                     "title": "Level 1 safeguarding", "provider": "County council",
                                     "completed_on": TODAY - timedelta(days=100),
                                     "expires_on": TODAY + timedelta(days=rng.randint(-30, 600)), "recorded_at": NOW})
    for table, rows in ((User.__table__, users), (Group.__table__, groups), (GroupMembership.__table__, members),
                        (Assignment.__table__, assignments), (Enrolment.__table__, enrolments),
                        (Attempt.__table__, attempts), (Certificate.__table__, certificates),
                        (ExternalTraining.__table__, external)):
        _bulk(table, rows)
        print(f"  {table.name}: {len(rows):,} rows")
    for table in ("organisations", "users", "groups", "group_memberships", "assignments", "enrolments", "attempts",
                  "certificates", "external_training"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - constants
                                f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    print(f"seeded in {time.perf_counter() - started:.0f} s")


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(app, runs: int, explain: bool) -> None:  # type: ignore[no-untyped-def]
    """Time each page for the largest organisation's manager through the Flask test client."""
    manager = db.session.scalars(select(User).where(User.email == "manager1@bench.example")).one()
    members = db.session.scalar(text("SELECT count(*) FROM users WHERE organisation_id = 1 AND is_active"))
    print(f"largest organisation: {members} active members, 4 courses")
    client = app.test_client()
    with client.session_transaction() as session:
        # Signed in as a completed login leaves it: a server-side session, and two-factor sign-in set up (managers).
        if not manager.totp_secret:
            manager.totp_secret, manager.totp_enabled_at = pyotp.random_base32(), now_utc()
            db.session.commit()
        session["_user_id"], session["_fresh"] = start_session(manager, user_agent=None, ip=None).key, True
    statements: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    pages = {"dashboard": "/manage/", "matrix": "/manage/matrix",
             "matrix, overdue for a course, sorted by status": "/manage/matrix?status=overdue&course=1&sort=status",
             "matrix, page 20": "/manage/matrix?page=20",
             "CSV export (every member)": "/manage/matrix/export.csv"}
    for label, url in pages.items():
        for _ in range(3):  # warm-up: caches, first compilation of each statement
            assert client.get(url).status_code == 200
        times = []
        for _ in range(runs if "export" not in label else max(5, runs // 5)):
            statements.clear()
            event.listen(db.engine, "before_cursor_execute", record)
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            event.remove(db.engine, "before_cursor_execute", record)
            assert response.status_code == 200
        print(f"{label:<50} median {statistics.median(times):6.1f} ms  p95 {_percentile(times, 95):6.1f} ms  "
              f"queries {len(statements)}  ({len(times)} requests)")
        if explain:
            _explain(label, statements)


def _explain(label: str, statements: list[tuple[str, object]]) -> None:
    """EXPLAIN ANALYZE each statement of the last request; print the slowest plan."""
    plans = []
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            took = float(plan.rsplit("Execution Time: ", 1)[1].split()[0])
            plans.append((took, statement, plan))
        raw.rollback()
    finally:
        raw.close()
    plans.sort(reverse=True)
    print(f"  statements by execution time (ms): {', '.join(f'{p[0]:.1f}' for p in plans)}")
    took, statement, plan = plans[0]
    print(f"  slowest ({took:.1f} ms):\n    " + plan.replace("\n", "\n    "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", action="store_true", help="rebuild the schema and the data first")
    parser.add_argument("--runs", type=int, default=40, help="timed requests per page (default 40)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the statements of each page")
    parser.add_argument("--prepare-threshold", default="none",
                        help="psycopg's prepare_threshold: 'none' (never prepare server-side; what the app should "
                             "use, see RESULTS.md) or a number (psycopg's default is 5)")
    args = parser.parse_args()
    threshold = None if args.prepare_threshold == "none" else int(args.prepare_threshold)
    print(f"psycopg prepare_threshold={threshold}")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=DATABASE_URL, RATELIMIT_ENABLED=False,
                     SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "connect_args": {"prepare_threshold": threshold}})
    import logging

    logging.getLogger("elearn.request").setLevel(logging.WARNING)
    with app.app_context():
        if args.seed:
            seed()
        measure(app, args.runs, args.explain)
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
