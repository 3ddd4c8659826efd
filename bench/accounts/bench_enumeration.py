"""Do sign-in, registration and password reset take as long for an address with an account as for one without?

The tests hold the rule by its cause (the same statements, the same hashing: tests/security/test_enumeration.py);
this measures the effect. Each pair of cases alternates request by request through the Flask test client, on a
fresh SQLite file, with the production Argon2 parameters and emails kept in memory (no SMTP: with a mail server
both cases send one email, so its time adds to both). Prints the median and p90 in ms per case.

    .venv/bin/python bench/accounts/bench_enumeration.py [--rounds 60]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from anywhere: the repository root

from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import func, select

from elearn import create_app
from elearn.auth.service import register_user
from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import User

PASSWORD = "a long bench passphrase"  # noqa: S105 - a throwaway database


class IsolatedClient(FlaskClient):
    """Each request in its own app context and database session, as in production (tests/conftest.py)."""

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)
            db.session.expire_all()


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    rounds = parser.parse_args().rounds
    folder = tempfile.mkdtemp(prefix="elearn-bench-enum-")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/bench.db",
                     ARGON2_TIME_COST=3, ARGON2_MEMORY_COST=65536)  # production's, not the tests' fast ones
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
        known = register_user("Kim Known", "known@example.org", PASSWORD)
        waiting = register_user("Wes Waiting", "waiting@example.org", PASSWORD)
        client = app.test_client()

        def keep_waiting() -> None:
            waiting.failed_logins, waiting.locked_until = 20, now_utc() + timedelta(minutes=5)
            db.session.commit()

        keep_waiting()
        pairs: dict[str, dict[str, Callable[[], object]]] = {
            "sign-in": {
                "wrong password": lambda: client.post("/login", data={"email": known.email, "password": "wrong one"}),
                "unknown email": lambda: client.post("/login", data={"email": "nobody@example.org",
                                                                     "password": "wrong one"}),
                "during a wait": lambda: client.post("/login", data={"email": waiting.email, "password": PASSWORD}),
            },
            "password reset": {
                "has an account": lambda: client.post("/reset-password", data={"email": known.email}),
                "no account": lambda: client.post("/reset-password", data={"email": "nobody@example.org"}),
            },
            "registration": {
                "has an account": lambda: client.post("/register", data={"display_name": "Someone",
                                                                          "email": known.email}),
                "new address": lambda: client.post("/register", data={"display_name": "Someone",
                                                                      "email": "new@example.org"}),
            },
        }
        for action, cases in pairs.items():
            times: dict[str, list[float]] = {case: [] for case in cases}
            for round_ in range(rounds + 5):
                for case, call in cases.items():
                    elapsed = timed(call)
                    if round_ >= 5:  # warm-up rounds are not counted
                        times[case].append(elapsed)
                known.failed_logins, known.locked_until = 0, None  # keep the wrong password checked, not waiting
                db.session.commit()
                keep_waiting()
                app.extensions["outbox"] = []
            for case, values in times.items():
                values.sort()
                print(f"{action:15} {case:15} median {statistics.median(values):7.2f} ms   "
                      f"p90 {values[int(len(values) * 0.9)]:7.2f} ms   (n={len(values)})")
        assert db.session.scalar(select(func.count()).select_from(User)) == 2  # registration made no account
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
