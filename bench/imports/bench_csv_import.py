"""Benchmark a 5,000-row CSV import: the page's response time, then every invitation sent by two Celery workers.

    redis-cli ping                                                       # a Redis for the broker
    .venv/bin/python bench/imports/bench_csv_import.py                   # PostgreSQL database elearn_bench_import
    .venv/bin/python bench/imports/bench_csv_import.py --workers 2 --rows 5000 --redis redis://127.0.0.1:6379/13

The database is created afresh (migrations), with one organisation and its manager. An SMTP sink (aiosmtpd, in
this process) accepts and records every message; two worker processes run `celery -A worker worker`, the command
production runs, against Redis, sending through the sink. The manager's import goes through the Flask app (the
real form, the real service, the outbox, the after-commit hand-over to Redis). Reported: the response time; how
long until the sink had every email; how many it received, how many distinct recipients and Message-IDs (a
duplicate would show as fewer distinct than received); the outbox's sent and failed counts.
Never part of `make test`.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import resource
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from elearn import create_app  # noqa: E402
from elearn.auth.sessions import start_session  # noqa: E402
from elearn.extensions import db  # noqa: E402
from elearn.models import Organisation, OutboxEmail, Role, User  # noqa: E402

DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/elearn_bench_import"
NOW = datetime.now(UTC)


class Sink:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.recipients: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd's name
        self.messages.append(envelope.content)
        self.recipients.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def create_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--profile", action="store_true", help="print where the import request spends its time")
    args = parser.parse_args()
    create_database(args.database_url)
    redis.Redis.from_url(args.redis).flushdb()
    sink, port = Sink(), _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    mail = {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False}
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=args.database_url, RATELIMIT_ENABLED=False,
                     CELERY_BROKER_URL=args.redis, **mail)
    logging.getLogger("elearn").setLevel(logging.WARNING)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        with app.app_context():
            upgrade()
            db.session.execute(insert(Organisation), [{"id": 1, "name": "Bench School", "slug": "bench-school"}])
            db.session.execute(insert(User), [{
                "id": 1, "email": "manager@bench.example", "display_name": "Bench Manager", "password_hash": "x",
                "role": Role.MANAGER.value, "organisation_id": 1, "joined_organisation_at": NOW, "is_active": True,
                "totp_secret": "JBSWY3DPEHPK3PXP", "totp_enabled_at": NOW}])
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('users', 'id'), 1)"))
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('organisations', 'id'), 1)"))
            db.session.commit()
            manager = db.session.get_one(User, 1)
            env = {**os.environ, "ELEARN_CONFIG": "development", "DATABASE_URL": args.database_url,
                   "CELERY_BROKER_URL": args.redis, "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1",
                   "MAIL_PORT": str(port), "MAIL_USE_TLS": "0", "LOG_FORMAT": "text", "LOG_LEVEL": "WARNING"}
            for _ in range(args.workers):
                workers.append(subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool=solo", "--without-gossip",
                     "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
                    cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            time.sleep(5)  # the workers connect to Redis
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"], session["_fresh"] = start_session(manager, user_agent=None, ip=None).key, True
            content = "name,email\n" + "".join(f"Person {n:05d},person{n}@bench.example\n" for n in range(args.rows))
            profiler = cProfile.Profile() if args.profile else None
            load = os.getloadavg()[0]
            cpu_started = resource.getrusage(resource.RUSAGE_THREAD)
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            response = client.post("/manage/people/import", content_type="multipart/form-data",
                                   data={"file": (io.BytesIO(content.encode()), "staff.csv")})
            answered = time.perf_counter() - started
            cpu_ended = resource.getrusage(resource.RUSAGE_THREAD)
            cpu = (cpu_ended.ru_utime - cpu_started.ru_utime) + (cpu_ended.ru_stime - cpu_started.ru_stime)
            if profiler:
                profiler.disable()
                pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(40)
            print(f"database: {db.engine.dialect.name}; workers: {args.workers}; rows: {args.rows:,}")
            print(f"import response: {response.status_code} in {answered:.2f} s (the request's own CPU time "
                  f"{cpu:.2f} s; load average {load:.1f} on {os.cpu_count()} cores when it started)")
            deadline = time.monotonic() + args.timeout
            while len(sink.messages) < args.rows and time.monotonic() < deadline:
                time.sleep(0.2)
            all_sent = time.perf_counter() - started
            time.sleep(5)  # anything sent twice would arrive now
            messages, recipients = list(sink.messages), list(sink.recipients)  # one moment's counts, compared alike
            ids = {message_from_bytes(m)["Message-ID"] for m in messages}
            db.session.rollback()
            sent = db.session.scalar(select(func.count()).select_from(OutboxEmail)
                                     .where(OutboxEmail.sent_at.is_not(None)))
            failed = db.session.scalar(select(func.count()).select_from(OutboxEmail)
                                       .where(OutboxEmail.failed_at.is_not(None)))
            print(f"emails at the sink: {len(messages):,} ({len(set(recipients)):,} distinct recipients, "
                  f"{len(ids):,} distinct Message-IDs) {all_sent:.1f} s after the upload")
            print(f"outbox: {sent:,} sent, {failed:,} failed")
            db.session.remove()
            db.engine.dispose()
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        controller.stop()


if __name__ == "__main__":
    main()
