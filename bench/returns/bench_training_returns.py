"""Time the audit's training section on PostgreSQL: one school's computed return, its review page, a signed return's
page and export, and a trust lead's side-by-side view of its schools.

Seeds a dedicated database (`elearn_bench_returns`, created and dropped with psql) with bulk INSERT … SELECT: a trust
of `--schools` schools of `--people` people each (staff, with a DSL, a deputy, two safer recruiters, governors,
volunteers and supply staff), and for every person three pieces of training recorded elsewhere across the year, a
face-to-face session attended and a KCSIE confirmation for most. Then it times, after a warm-up:

1. `measures.compute_section` for one school (the queries and the Python);
2. the review page (/returns/<school>/<year>) through the test client, as the school's DSL;
3. a signed return's page and its XLSX (read from the snapshot, never recomputed);
4. the trust's view (/returns/trust/<year>): every school's draft computed.

    psql -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS elearn_bench_returns" \\
         -c "CREATE DATABASE elearn_bench_returns"
    .venv/bin/python bench/returns/bench_training_returns.py [--schools 10] [--people 300] [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics as stats
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from anywhere: the repository root

URL = "postgresql://postgres@127.0.0.1:5432/elearn_bench_returns"
YEAR = 2025  # 2025/26, as at 31 August 2026

SEED = """
INSERT INTO organisations (name, slug, kind, trust_id, is_independent, created_at, allow_domain_signup)
SELECT 'Bench school ' || s, 'bench-school-' || s, 'setting', :trust_id, false, now(), false
FROM generate_series(1, :schools) AS s;

INSERT INTO users (email, display_name, role, organisation_id, member_kind, joined_organisation_at, is_active,
                   created_at, failed_logins, device_failed_logins)
SELECT 'p' || o.id || '-' || n || '@bench.test', 'Person ' || o.id || '-' || n, 'learner', o.id,
       CASE WHEN n % 20 = 0 THEN 'governor' WHEN n % 25 = 0 THEN 'volunteer' WHEN n % 30 = 0 THEN 'supply'
            ELSE 'staff' END,
       CASE WHEN n % 10 = 0 THEN timestamp '2026-01-05' + (n % 60) * interval '1 day'
            ELSE timestamp '2018-09-01' END,
       true, now(), 0, 0
FROM organisations o CROSS JOIN generate_series(1, :people) AS n WHERE o.trust_id = :trust_id;

INSERT INTO member_duties (user_id, organisation_id, duty, since)
SELECT u.id, u.organisation_id,
       CASE split_part(split_part(u.email, '-', 2), '@', 1) WHEN '1' THEN 'dsl' WHEN '2' THEN 'deputy_dsl'
            ELSE 'safer_recruiter' END, date '2020-01-01'
FROM users u WHERE split_part(split_part(u.email, '-', 2), '@', 1) IN ('1', '2', '3', '4');

INSERT INTO external_training (organisation_id, user_id, course_id, title, provider, completed_on, recorded_at)
SELECT u.organisation_id, u.id, :course_id, 'Safeguarding update ' || k, 'Local authority',
       date '2025-09-10' + ((u.id * 37 + k * 101) % 330), now()
FROM users u CROSS JOIN generate_series(1, 3) AS k WHERE u.email LIKE '%@bench.test' AND u.id % 9 <> 0;

INSERT INTO external_training (organisation_id, user_id, title, provider, completed_on, recorded_at)
SELECT u.organisation_id, u.id, CASE WHEN d.duty = 'safer_recruiter' THEN 'Safer recruitment'
                                     ELSE 'Designated safeguarding lead training' END,
       'Local authority', date '2025-03-01' + (u.id % 200), now()
FROM users u JOIN member_duties d ON d.user_id = u.id;

INSERT INTO training_sessions (organisation_id, topic, trainer, held_on, minutes, counts_towards_compliance,
                               recorded_at)
SELECT o.id, 'Prevent briefing', 'DSL', date '2026-02-10', 60, false, now()
FROM organisations o WHERE o.trust_id = :trust_id;
INSERT INTO training_session_attendees (session_id, user_id, added_at)
SELECT s.id, u.id, now() FROM training_sessions s JOIN users u ON u.organisation_id = s.organisation_id
WHERE u.id % 3 <> 0;

INSERT INTO signoff_documents (organisation_id, kind, title, created_at)
SELECT o.id, 'kcsie', 'KCSIE Part one', now() FROM organisations o WHERE o.trust_id = :trust_id;
INSERT INTO signoff_versions (document_id, label, url, published_at)
SELECT d.id, 'September 2025', 'https://www.gov.uk/', timestamp '2025-09-01' FROM signoff_documents d;
INSERT INTO signoff_confirmations (version_id, user_id, confirmed_at)
SELECT v.id, u.id, timestamp '2025-09-15'
FROM signoff_versions v JOIN signoff_documents d ON d.id = v.document_id
JOIN users u ON u.organisation_id = d.organisation_id WHERE u.id % 7 <> 0;
ANALYZE;
"""


def timed(label: str, runs: int, work: Callable[[], object]) -> None:
    work()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{label:<46} median {stats.median(times):7.1f} ms   fastest {min(times):7.1f} ms   ({runs} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=10)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = URL

    import pyotp
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from elearn import create_app
    from elearn.auth.service import register_user
    from elearn.auth.sessions import start_session
    from elearn.content.loader import load_course
    from elearn.content.sync import sync_courses
    from elearn.db import now_utc
    from elearn.extensions import db
    from elearn.models import Course, Organisation, OrganisationKind, Role, User
    from elearn.returns import service
    from elearn.returns.measures import AcademicYear, compute_section

    app = create_app("development", SQLALCHEMY_DATABASE_URI=URL.replace("postgresql://", "postgresql+psycopg://"),
                     WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, TESTING=True)
    with app.app_context():
        upgrade()
        parsed, faults = load_course(Path("courses/safeguarding-essentials"))
        assert parsed is not None and not faults, faults
        sync_courses([parsed])
        course_id = db.session.scalar(select(Course.id).where(Course.slug == "safeguarding-essentials"))
        trust = Organisation(name="Bench Trust", slug="bench-trust", kind=OrganisationKind.TRUST)
        db.session.add(trust)
        db.session.commit()
        started = time.perf_counter()
        for statement in SEED.split(";\n"):
            if statement.strip():
                db.session.execute(text(statement), {"trust_id": trust.id, "schools": args.schools,
                                                     "people": args.people, "course_id": course_id})
        db.session.commit()
        people = db.session.scalar(text("SELECT count(*) FROM users WHERE email LIKE '%@bench.test'"))
        pieces = db.session.scalar(text("SELECT count(*) FROM external_training"))
        print(f"seeded {args.schools} schools, {people} people, {pieces} records of training elsewhere "
              f"in {time.perf_counter() - started:.1f} s")

        school = db.session.scalars(select(Organisation).where(Organisation.trust_id == trust.id)
                                    .order_by(Organisation.id)).first()
        assert school is not None
        dsl = db.session.scalars(select(User).where(User.email == f"p{school.id}-1@bench.test")).one()
        lead = register_user("Trust Lead", "lead@bench.test", "a long bench passphrase", role=Role.MANAGER,
                             organisation_id=trust.id)
        lead.totp_secret, lead.totp_enabled_at = pyotp.random_base32(), now_utc()  # as if set up long ago
        db.session.commit()
        year = AcademicYear(YEAR)
        section = compute_section(school, year)
        print("one school's figures:", {m.key: f"{m.numerator}/{m.denominator}" for m in section.measures})
        draft = service.draft_return(school, year)
        signed = service.sign_return(school, year, {}, draft.digest, actor=dsl)
        keys = {user.id: start_session(user, user_agent=None, ip=None).key for user in (dsl, lead)}
        school_id, version, dsl_id, lead_id = school.id, signed.version, dsl.id, lead.id
        db.session.remove()

    client = app.test_client()

    def as_user(user_id: int) -> None:
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = keys[user_id], True

    def get(url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    with app.app_context():
        timed("compute_section (one school)", args.runs,
              lambda: compute_section(db.session.get(Organisation, school_id), AcademicYear(YEAR)))
        db.session.remove()
    as_user(dsl_id)
    timed("review page (DSL)", args.runs, lambda: get(f"/returns/{school_id}/{YEAR}"))
    timed("signed return page (from the snapshot)", args.runs, lambda: get(f"/returns/{school_id}/{YEAR}/v{version}"))
    timed("signed return XLSX (from the snapshot)", args.runs,
          lambda: get(f"/returns/{school_id}/{YEAR}/v{version}/return.xlsx"))
    as_user(lead_id)
    timed(f"trust view ({args.schools} schools, 1 signed)", max(3, args.runs // 3), lambda: get(f"/returns/trust/{YEAR}"))
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
