"""Time the audit's training section on PostgreSQL or SQLite: one school's computed return, its review page, a signed
return's page and export, and a trust lead's side-by-side view of its schools.

Seeds an empty database (`--url`; by default `elearn_bench_returns`, created and dropped with psql) with bulk
inserts (one executemany per table, `seed`): a trust of `--schools` schools of `--people` people each (staff, with a
DSL, a deputy, two safer recruiters, governors, volunteers and supply staff), and for every person three pieces of
training recorded elsewhere across the year, a face-to-face session attended and a KCSIE confirmation for most.
One school's return is signed. Then it times, after a warm-up:

1. `measures.compute_section` for one school (the queries and the Python);
2. the review page (/returns/<school>/<year>) through the test client, as the school's DSL;
3. a signed return's page and its XLSX (read from the snapshot, never recomputed);
4. the trust's unsigned schools' drafts one by one (`service.draft_return` each: what the trust's view did before)
   and together (`service.draft_returns`, when the code has it), with the statements each sends;
5. the trust's view (/returns/trust/<year>): the signed school's snapshot, the others' drafts, and its statements.

    psql -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS elearn_bench_returns" \\
         -c "CREATE DATABASE elearn_bench_returns"
    .venv/bin/python bench/returns/bench_training_returns.py [--schools 10] [--people 300] [--runs 10]
    rm -f /tmp/bench_returns.db && .venv/bin/python bench/returns/bench_training_returns.py \\
         --url sqlite:////tmp/bench_returns.db --schools 20 --trust-only
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


def seed(schools: int, people: int, trust_id: int, course_id: int) -> None:
    """The trust's schools, people and evidence, inserted in bulk (one executemany per table), the same on SQLite
    and PostgreSQL: ids are used only to spread dates and choose who did what, as the SQL seed did before."""
    from datetime import UTC, date, datetime, timedelta

    from sqlalchemy import insert, select

    from elearn.db import now_utc
    from elearn.extensions import db
    from elearn.models import (
        ExternalTraining,
        MemberDuty,
        Organisation,
        SignoffConfirmation,
        SignoffDocument,
        SignoffVersion,
        TrainingSession,
        TrainingSessionAttendee,
        User,
    )

    now = now_utc()

    def run(model, rows):  # type: ignore[no-untyped-def]
        if rows:
            db.session.execute(insert(model), rows)

    run(Organisation, [{"name": f"Bench school {s}", "slug": f"bench-school-{s}", "kind": "setting",
                        "trust_id": trust_id, "is_independent": False, "allow_domain_signup": False}
                       for s in range(1, schools + 1)])
    org_ids = list(db.session.scalars(select(Organisation.id).where(Organisation.trust_id == trust_id)
                                      .order_by(Organisation.id)))

    def kind(n: int) -> str:
        return ("governor" if n % 20 == 0 else "volunteer" if n % 25 == 0 else "supply" if n % 30 == 0
                else "staff")

    def joined(n: int) -> datetime:
        return (datetime(2026, 1, 5, tzinfo=UTC) + timedelta(days=n % 60) if n % 10 == 0
                else datetime(2018, 9, 1, tzinfo=UTC))

    run(User, [{"email": f"p{o}-{n}@bench.test", "display_name": f"Person {o}-{n}", "role": "learner",
                "organisation_id": o, "member_kind": kind(n), "joined_organisation_at": joined(n), "is_active": True,
                "created_at": now, "failed_logins": 0, "device_failed_logins": 0}
               for o in org_ids for n in range(1, people + 1)])
    users: list[tuple[int, int, str]] = [
        (u, o, e) for u, o, e in db.session.execute(select(User.id, User.organisation_id, User.email)
                                                    .where(User.email.like("%@bench.test"))) if o is not None]
    duty_of = {"1": "dsl", "2": "deputy_dsl", "3": "safer_recruiter", "4": "safer_recruiter"}
    duties = [(u, o, duty_of[e.split("-")[1].split("@")[0]]) for u, o, e in users
              if e.split("-")[1].split("@")[0] in duty_of]
    run(MemberDuty, [{"user_id": u, "organisation_id": o, "duty": d, "since": date(2020, 1, 1)} for u, o, d in duties])
    run(ExternalTraining, [
        {"organisation_id": o, "user_id": u, "course_id": course_id, "title": f"Safeguarding update {k}",
         "provider": "Local authority", "completed_on": date(2025, 9, 10) + timedelta(days=(u * 37 + k * 101) % 330),
         "recorded_at": now}
        for u, o, _ in users if u % 9 != 0 for k in (1, 2, 3)])
    run(ExternalTraining, [
        {"organisation_id": o, "user_id": u, "course_id": None,
         "title": "Safer recruitment" if d == "safer_recruiter" else "Designated safeguarding lead training",
         "provider": "Local authority", "completed_on": date(2025, 3, 1) + timedelta(days=u % 200), "recorded_at": now}
        for u, o, d in duties])
    run(TrainingSession, [{"organisation_id": o, "topic": "Prevent briefing", "trainer": "DSL",
                           "held_on": date(2026, 2, 10), "minutes": 60, "counts_towards_compliance": False,
                           "recorded_at": now} for o in org_ids])
    session_of = dict(db.session.execute(select(TrainingSession.organisation_id, TrainingSession.id)
                                         .where(TrainingSession.organisation_id.in_(org_ids))).all())
    run(TrainingSessionAttendee, [{"session_id": session_of[o], "user_id": u, "added_at": now}
                                  for u, o, _ in users if u % 3 != 0])
    run(SignoffDocument, [{"organisation_id": o, "kind": "kcsie", "title": "KCSIE Part one", "created_at": now}
                          for o in org_ids])
    document_of = dict(db.session.execute(select(SignoffDocument.organisation_id, SignoffDocument.id)
                                          .where(SignoffDocument.organisation_id.in_(org_ids))).all())
    run(SignoffVersion, [{"document_id": d, "label": "September 2025", "url": "https://www.gov.uk/",
                          "published_at": datetime(2025, 9, 1, tzinfo=UTC)} for d in document_of.values()])
    version_of = dict(db.session.execute(select(SignoffVersion.document_id, SignoffVersion.id)
                                         .where(SignoffVersion.document_id.in_(list(document_of.values())))).all())
    run(SignoffConfirmation, [{"version_id": version_of[document_of[o]], "user_id": u,
                               "confirmed_at": datetime(2025, 9, 15, tzinfo=UTC)} for u, o, _ in users if u % 7 != 0])
    db.session.commit()


def statements(engine, work: Callable[[], object]) -> int:  # type: ignore[no-untyped-def]
    """How many SQL statements one run of the work sends."""
    from sqlalchemy import event

    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(sent)


def timed(label: str, runs: int, work: Callable[[], object]) -> None:
    """Wall-clock median and fastest, and the median CPU time of this process (on a machine shared with other
    work, the CPU time moves less than the wall clock; it leaves out the database server's own work)."""
    work()  # warm-up
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        work()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    print(f"{label:<46} median {stats.median(times):7.1f} ms   fastest {min(times):7.1f} ms   "
          f"cpu {stats.median(cpu):7.1f} ms   ({runs} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=10)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--url", default=URL, help="an empty database: postgresql://… or sqlite:////tmp/….db")
    parser.add_argument("--trust-only", action="store_true", help="time only the trust's view and its drafts")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.url

    import pyotp
    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from elearn import create_app
    from elearn.auth.service import register_user
    from elearn.auth.sessions import start_session
    from elearn.content.loader import load_course
    from elearn.content.sync import sync_courses
    from elearn.db import now_utc
    from elearn.extensions import db
    from elearn.models import Course, ExternalTraining, Organisation, OrganisationKind, Role, User
    from elearn.returns import service
    from elearn.returns.measures import AcademicYear, compute_section

    app = create_app("development", SQLALCHEMY_DATABASE_URI=args.url.replace("postgresql://", "postgresql+psycopg://"),
                     WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, TESTING=True)
    with app.app_context():
        upgrade()
        parsed, faults = load_course(Path("courses/safeguarding-essentials"))
        assert parsed is not None and not faults, faults
        sync_courses([parsed])
        course_id = db.session.scalar(select(Course.id).where(Course.slug == "safeguarding-essentials"))
        assert course_id is not None
        trust = Organisation(name="Bench Trust", slug="bench-trust", kind=OrganisationKind.TRUST)
        db.session.add(trust)
        db.session.commit()
        started = time.perf_counter()
        seed(args.schools, args.people, trust.id, course_id)
        db.session.execute(text("ANALYZE"))  # both dialects: plans from the seeded tables' statistics
        db.session.commit()
        people = db.session.scalar(select(func.count(User.id)).where(User.email.like("%@bench.test")))
        pieces = db.session.scalar(select(func.count(ExternalTraining.id)))
        print(f"{db.engine.dialect.name}: seeded {args.schools} schools, {people} people, {pieces} records of "
              f"training elsewhere in {time.perf_counter() - started:.1f} s")

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
        school_id, version, dsl_id, lead_id, trust_id = school.id, signed.version, dsl.id, lead.id, trust.id
        db.session.remove()

    client = app.test_client()

    def as_user(user_id: int) -> None:
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = keys[user_id], True

    def get(url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    if not args.trust_only:
        with app.app_context():
            timed("compute_section (one school)", args.runs,
                  lambda: compute_section(db.session.get_one(Organisation, school_id), AcademicYear(YEAR)))
            db.session.remove()
        as_user(dsl_id)
        timed("review page (DSL)", args.runs, lambda: get(f"/returns/{school_id}/{YEAR}"))
        timed("signed return page (from the snapshot)", args.runs,
              lambda: get(f"/returns/{school_id}/{YEAR}/v{version}"))
        timed("signed return XLSX (from the snapshot)", args.runs,
              lambda: get(f"/returns/{school_id}/{YEAR}/v{version}/return.xlsx"))
    trust_runs = max(3, args.runs // 3)
    with app.app_context():
        unsigned = list(db.session.scalars(select(Organisation).where(Organisation.trust_id == trust_id,
                                                                      Organisation.id != school_id)))
        # The drafts of the trust's unsigned schools: one by one (what the trust's view did before it computed them
        # together), and together where this code has service.draft_returns.
        one_by_one = lambda: [service.draft_return(s, AcademicYear(YEAR)) for s in unsigned]  # noqa: E731
        timed(f"{len(unsigned)} drafts one by one ({statements(db.engine, one_by_one)} statements)", trust_runs,
              one_by_one)
        if hasattr(service, "draft_returns"):
            together = lambda: service.draft_returns(unsigned, AcademicYear(YEAR))  # noqa: E731
            timed(f"{len(unsigned)} drafts together ({statements(db.engine, together)} statements)", trust_runs,
                  together)
        db.session.remove()
    as_user(lead_id)
    page = f"/returns/trust/{YEAR}"
    with app.app_context():
        engine = db.engine
    timed(f"trust view ({args.schools} schools, 1 signed; {statements(engine, lambda: get(page))} statements)",
          trust_runs, lambda: get(page))
    print(f"load average: {' '.join(f'{n:.2f}' for n in os.getloadavg())}")


if __name__ == "__main__":
    main()
