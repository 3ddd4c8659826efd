"""Benchmark the streamed CSV export of 100,000 people: peak memory growth and time to the first byte.

    .venv/bin/python bench/exports/bench_csv_export.py --seed     # create the database, 100,000 people (~1-2 min)
    .venv/bin/python bench/exports/bench_csv_export.py            # measure (a fresh process: RSS starts low)
    .venv/bin/python bench/exports/bench_csv_export.py --database-url sqlite:////tmp/bench-exports.db --seed

One organisation with 100,000 active staff and a manager; the shipped courses, each assigned to 90% of them; half
the people hold a certificate for the first course (enrolment, attempt, certificate). The export goes through the
whole stack (the Flask app, the manager's session, `/manage/matrix/export.csv`) with the job threshold lifted, so
the request streams every row. A thread samples the process's resident memory (VmRSS) every 5 ms; the figure is
the highest value while the response is read, minus the value just before the request. Never part of `make test`.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from elearn import create_app  # noqa: E402
from elearn.auth.sessions import start_session  # noqa: E402
from elearn.compliance import exports  # noqa: E402
from elearn.content.loader import load_course  # noqa: E402
from elearn.content.sync import sync_courses  # noqa: E402
from elearn.extensions import db  # noqa: E402
from elearn.models import (  # noqa: E402
    Assignment,
    Attempt,
    Certificate,
    Course,
    CourseVersion,
    Enrolment,
    Organisation,
    Role,
    User,
)

DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/elearn_bench_exports"
PEOPLE = 100_000
BATCH = 10_000
NOW = datetime.now(UTC)
TODAY = date.today()


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _bulk(table, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(table), rows[start:start + BATCH])


def create_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        Path(parsed.database or "").unlink(missing_ok=True)
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}"'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def seed() -> None:
    upgrade()
    parsed = []
    for folder in sorted((ROOT / "courses").iterdir()):
        if folder.is_dir():
            course, faults = load_course(folder)
            if course is not None and not faults:
                parsed.append(course)
    sync_courses(parsed)
    versions = {course_id: version_id for course_id, version_id in
                db.session.execute(select(CourseVersion.course_id, CourseVersion.id))}
    course_ids = list(db.session.scalars(select(Course.id).order_by(Course.id)))
    started = time.perf_counter()
    db.session.execute(insert(Organisation), [{"id": 1, "name": "Bench Trust", "slug": "bench-trust"}])
    users = [{"id": 1, "email": "manager@bench.example", "display_name": "Bench Manager", "password_hash": "x",
              "role": Role.MANAGER.value, "organisation_id": 1, "joined_organisation_at": NOW, "is_active": True,
              "totp_secret": "JBSWY3DPEHPK3PXP", "totp_enabled_at": NOW}]
    assignments, enrolments, attempts, certificates = [], [], [], []
    for n in range(PEOPLE):
        uid = n + 2
        users.append({"id": uid, "email": f"person{n}@bench.example", "display_name": f"Person {n:06d}",
                      "password_hash": "x", "role": Role.LEARNER.value, "organisation_id": 1,
                      "joined_organisation_at": NOW, "is_active": True, "totp_secret": None, "totp_enabled_at": None})
        for course_id in course_ids:
            if (n + course_id) % 10:
                assignments.append({"id": len(assignments) + 1, "organisation_id": 1, "user_id": uid,
                                    "course_id": course_id, "due_on": TODAY + timedelta(days=n % 200 - 60),
                                    "source": "everyone", "assigned_at": NOW})
        if n % 2 == 0:
            eid = len(enrolments) + 1
            version = versions[course_ids[0]]
            enrolments.append({"id": eid, "user_id": uid, "course_id": course_ids[0], "version_id": version, "cycle": 1,
                               "enrolled_at": NOW, "last_active_at": NOW, "passed_at": NOW})
            attempts.append({"id": eid, "enrolment_id": eid, "user_id": uid, "version_id": version, "number": 1,
                             "kind": "final", "started_at": NOW, "submitted_at": NOW,
                             "score_percent": Decimal(90), "passed": True})
            certificates.append({"id": eid, "code": f"{eid:016d}", "user_id": uid, "course_id": course_ids[0],
                                 "enrolment_id": eid, "attempt_id": eid, "learner_name": f"Person {n:06d}",
                                 "course_title": "Course", "course_version_number": 1, "cpd_hours": Decimal("1.5"),
                                 "outcomes": [], "score_percent": 90, "completed_at": NOW, "issued_at": NOW,
                                 "expires_on": TODAY + timedelta(days=300)})
    for model, rows in ((User, users), (Assignment, assignments), (Enrolment, enrolments), (Attempt, attempts),
                        (Certificate, certificates)):
        _bulk(model.__table__, rows)
        print(f"  {model.__tablename__}: {len(rows):,} rows")
    if db.engine.dialect.name == "postgresql":
        for table in ("organisations", "users", "assignments", "enrolments", "attempts", "certificates"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                                    f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    print(f"seeded in {time.perf_counter() - started:.0f} s")


def measure(app) -> None:  # type: ignore[no-untyped-def]
    manager = db.session.scalars(select(User).where(User.email == "manager@bench.example")).one()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = start_session(manager, user_agent=None, ip=None).key, True
    warm = client.get("/manage/matrix/export.csv?q=person000001")  # compile, caches, fonts: not measured
    assert warm.status_code == 200, warm.status_code
    warm.close()
    db.session.remove()
    baseline, peak, running = _rss_mib(), [0.0], [True]

    def sample() -> None:
        while running[0]:
            peak[0] = max(peak[0], _rss_mib())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    response = client.get("/manage/matrix/export.csv")
    pieces = response.iter_encoded()
    first = next(pieces)
    first_byte = time.perf_counter() - started
    size, lines = len(first), first.count(b"\r\n")
    for piece in pieces:
        size += len(piece)
        lines += piece.count(b"\r\n")
    total = time.perf_counter() - started
    response.close()
    running[0] = False
    sampler.join()
    print(f"database: {db.engine.dialect.name}; status {response.status_code}; rows {lines - 1:,}; "
          f"{size / 1024 / 1024:.1f} MiB of CSV")
    print(f"time to first byte: {first_byte * 1000:.0f} ms; whole export: {total:.1f} s")
    print(f"resident memory: {baseline:.0f} MiB before, {peak[0]:.0f} MiB at peak: growth {peak[0] - baseline:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", action="store_true", help="(re)create the database and its 100,000 people")
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--batch", type=int, default=exports.STREAM_BATCH, help="people per batch (STREAM_BATCH)")
    args = parser.parse_args()
    exports.STREAM_BATCH = args.batch
    print(f"people per batch: {args.batch}")
    if args.seed:
        create_database(args.database_url)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=args.database_url, RATELIMIT_ENABLED=False,
                     EXPORT_CSV_JOB_ROWS=10 * PEOPLE)  # stream it in the request: what this measures
    logging.getLogger("elearn").setLevel(logging.WARNING)
    with app.app_context():
        if args.seed:
            seed()
            return
        measure(app)
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
