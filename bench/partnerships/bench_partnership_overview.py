"""Time a safeguarding partnership's pages for 500 member schools and 50,000 people on PostgreSQL.

Seeds a dedicated database (`bench_partnership`, created with `createdb` if missing) with Core bulk inserts: one
partnership, 50 trusts, 500 schools (400 in trusts, 100 standalone; eight phases), 50,000 people (100 a school, one
of them its manager and one its DSL), 520 partnership memberships (20 of them left), and signed returns with full
snapshots (the people behind each measure, names and all, as the returns feature writes them): this year for 400
schools (40 of them in a second version), last year for all 500. Reminders went to the outstanding schools last
week. Then it times, through the Flask test client signed in as the partnership's officer:

- the overview (`/partnership/`): the list of member schools, returned or not;
- the figures across schools (`/partnership/aggregates`), which reads the 400 latest snapshots;
- the reminder confirmation page and the figures CSV.

    .venv/bin/python bench/partnerships/bench_partnership_overview.py [--seed] [--runs 40]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from anywhere: the repository root

DATABASE = "bench_partnership"
URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"
SCHOOLS, PEOPLE, TRUSTS = 500, 50_000, 50
PHASES = ("primary", "primary", "primary", "secondary", "secondary", "special", "all_through", "alternative")
KEYS = ("induction", "updated_in_year", "updated_more_than_once", "dsl_within_two_years", "governors_trained",
        "kcsie_read", "safer_recruitment_within_three_years", "others_covered")
NOW = datetime.now(UTC)


def ensure_database() -> None:
    listed = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc",
                             f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"],  # noqa: S608 - a constant
                            capture_output=True, text=True, check=True).stdout.strip()
    if listed != "1":
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE], check=True)


def snapshot(school: dict, trust: str | None, year: int, version: int, people: list[str], rng: random.Random,
             signed_at: datetime) -> str:
    measures, behind = [], {}
    for key in KEYS:
        den = rng.randint(0, len(people)) if key != "dsl_within_two_years" else rng.randint(1, 3)
        num = rng.randint(int(den * 0.6), den) if den else 0
        share = num / den if den else None
        rating = "not_applicable" if share is None else "green" if share >= 0.9 else "amber" if share >= 0.7 else "red"
        measures.append({"key": key, "label": key, "numerator": num, "denominator": den, "rating": rating,
                         "comment": "Checked against the single central record."})
        behind[key] = [{"name": name, "met": i < num, "evidence": "Certificate, 3 October"}
                       for i, name in enumerate(people[:den])]
    data = {"schema": 1, "setting": {"id": school["id"], "name": school["name"], "phase": school["phase"],
                                     "trust": trust, "section": "175"},
            "academic_year": f"{year}/{(year + 1) % 100:02d}", "as_at": signed_at.date().isoformat(),
            "signed_by": people[1], "signed_at": signed_at.isoformat(), "version": version,
            "measures": measures, "people": behind}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def seed(year: int) -> None:
    from sqlalchemy import insert, text

    from elearn.compliance.reminders import iso_week
    from elearn.extensions import db
    from elearn.models import AuditReturn, MemberDuty, Organisation, PartnershipMember, PartnershipReminder, User

    rng = random.Random(21)
    started = time.perf_counter()
    for table in ("partnership_reminders", "audit_returns", "partnership_members", "member_duties", "user_sessions",
                  "users", "organisations"):
        db.session.execute(text(f"TRUNCATE {table} RESTART IDENTITY CASCADE"))
    orgs = [{"id": 1, "name": "Bench Safeguarding Partnership", "slug": "partnership", "kind": "partnership",
             "trust_id": None, "phase": None}]
    orgs += [{"id": 1 + t, "name": f"Trust {t:02d}", "slug": f"trust-{t}", "kind": "trust", "trust_id": None,
              "phase": None} for t in range(1, TRUSTS + 1)]
    schools = []
    for s in range(1, SCHOOLS + 1 + 20):  # 20 more that left the partnership
        trust_id = 1 + (s % TRUSTS) + 1 if s <= 400 else None
        schools.append({"id": 100 + s, "name": f"School {s:03d}", "slug": f"school-{s}", "kind": "setting",
                        "trust_id": trust_id, "phase": PHASES[s % len(PHASES)]})
    db.session.execute(insert(Organisation), [{**o, "created_at": NOW} for o in orgs + schools])
    users = [{"id": 1, "email": "officer@bench.example", "display_name": "Partnership officer", "role": "manager",
              "organisation_id": 1, "totp_secret": "JBSWY3DPEHPK3PXP", "totp_enabled_at": NOW}]
    per_school = PEOPLE // SCHOOLS
    names: dict[int, list[str]] = {}
    for school in schools[:SCHOOLS]:
        base = 2 + (school["id"] - 101) * per_school
        names[school["id"]] = [f"Person {base + i}" for i in range(per_school)]
        users += [{"id": base + i, "email": f"p{base + i}@bench.example", "display_name": f"Person {base + i}",
                   "role": "manager" if i == 0 else "learner", "organisation_id": school["id"]}
                  for i in range(per_school)]
    db.session.execute(insert(User), [{"created_at": NOW, "is_active_account": True, **u} for u in users])
    db.session.execute(insert(MemberDuty), [
        {"user_id": 2 + (school["id"] - 101) * per_school + 1, "organisation_id": school["id"], "duty": "dsl",
         "since": date(2024, 9, 1)} for school in schools[:SCHOOLS]])
    db.session.execute(insert(PartnershipMember), [
        {"partnership_id": 1, "organisation_id": school["id"], "consent_given_by": "Chair of governors",
         "consent_given_on": date(2025, 9, 1), "joined_at": NOW,
         "left_at": NOW - timedelta(days=30) if school["id"] > 100 + SCHOOLS else None} for school in schools])
    trust_names = {o["id"]: o["name"] for o in orgs}
    returns = []
    for index, school in enumerate(schools[:SCHOOLS]):
        trust = trust_names.get(school["trust_id"]) if school["trust_id"] else None
        people = names[school["id"]]
        versions = [(year - 1, 1)] + ([(year, 1)] if index < 400 else []) + ([(year, 2)] if index < 40 else [])
        for y, version in versions:
            signed_at = datetime(y, 11, 20, 10, tzinfo=UTC) + timedelta(days=version)
            text_ = snapshot(school, trust, y, version, people, rng, signed_at)
            returns.append({"organisation_id": school["id"], "academic_year": y, "version": version,
                            "snapshot": text_, "snapshot_sha256": hashlib.sha256(text_.encode()).hexdigest(),
                            "signed_by_name": people[1], "signed_at": signed_at})
    for chunk in range(0, len(returns), 200):
        db.session.execute(insert(AuditReturn), returns[chunk:chunk + 200])
    db.session.execute(insert(PartnershipReminder), [
        {"partnership_id": 1, "organisation_id": school["id"], "academic_year": year, "week": iso_week((NOW - timedelta(days=7)).date()),
         "recipients": 2, "sent_by_id": 1, "sent_at": NOW - timedelta(days=7)} for school in schools[400:SCHOOLS]])
    for table in ("organisations", "users", "audit_returns"):
        db.session.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))  # noqa: S608
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    size = db.session.scalar(text("SELECT pg_size_pretty(sum(length(snapshot))) FROM audit_returns"))
    print(f"seeded in {time.perf_counter() - started:.0f} s: {len(schools)} schools, {len(users):,} people, "
          f"{len(returns)} signed returns ({size} of snapshots)")


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(app, runs: int) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import event, select

    from elearn.auth.sessions import start_session
    from elearn.extensions import db
    from elearn.models import User

    with app.app_context():  # then leave it: each request gets its own context and session, as in production
        officer = db.session.scalars(select(User).where(User.email == "officer@bench.example")).one()
        key = start_session(officer, user_agent=None, ip=None).key
        engine = db.engine
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = key, True
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    pages = {"overview (/partnership/)": "/partnership/",
             "figures across schools (/partnership/aggregates)": "/partnership/aggregates",
             "reminder confirmation (/partnership/reminders)": "/partnership/reminders",
             "figures CSV (/partnership/figures.csv)": "/partnership/figures.csv"}
    for label, url in pages.items():
        for _ in range(3):  # warm-up
            assert client.get(url).status_code == 200
        times = []
        for _ in range(runs if "overview" in label else max(5, runs // 4)):
            statements.clear()
            event.listen(engine, "before_cursor_execute", record)
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            event.remove(engine, "before_cursor_execute", record)
            assert response.status_code == 200
        print(f"{label:<52} median {statistics.median(times):6.1f} ms  p95 {_percentile(times, 95):6.1f} ms  "
              f"statements {len(statements)}  ({len(times)} requests, {len(response.data):,} bytes)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", action="store_true", help="(re)seed the database first")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    ensure_database()
    os.environ["DATABASE_URL"] = URL
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from elearn import create_app
    from elearn.extensions import db
    from elearn.models import AuditReturn
    from elearn.partnerships.service import current_academic_year

    app = create_app("development", SQLALCHEMY_DATABASE_URI=URL)
    with app.app_context():
        upgrade()
        year = current_academic_year()
        if args.seed or not db.session.scalar(select(func.count()).select_from(AuditReturn)):
            seed(year)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    measure(app, args.runs)
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
