"""The sign-in throttle (elearn/auth/throttle.py): both steps of signing in share one bounded, growing wait per
account; every failure is audited; the owner is told by email; a stranger's guesses never shut the owner out.

Waiting is simulated by moving the wait's end into the past (`wait_out`), never by sleeping, and the throttle's
clock stands still during each test (`still_clock`): a 2-second wait must not run out because the machine is slow.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from elearn.auth import throttle
from elearn.db import now_utc as real_now
from elearn.extensions import db
from elearn.models import AuditEvent, Role, User
from tests.conftest import ON_POSTGRES


@pytest.fixture(autouse=True)
def still_clock(monkeypatch):  # type: ignore[no-untyped-def]
    """The throttle reads a clock that does not move while the test runs."""
    moment = real_now()
    monkeypatch.setattr(throttle, "now_utc", lambda: moment)


WRONG = "not the right password"
WRONG_CODE = "000000"


def log_in(browser, user: User, password: str):  # type: ignore[no-untyped-def]
    return browser.post("/login", data={"email": user.email, "password": password})


def wait_out(user: User) -> None:
    """As if every wait the account is under had run out."""
    db.session.refresh(user)
    past = throttle.now_utc() - timedelta(seconds=1)
    user.locked_until = past
    if hasattr(user, "device_locked_until"):
        user.device_locked_until = past
    db.session.commit()


def failures_audited(user: User) -> list[dict]:
    return [event.details for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "login.failed", AuditEvent.subject_user_id == user.id)
        .order_by(AuditEvent.id))]


def manager_at_second_step(client, make):  # type: ignore[no-untyped-def]
    """A manager with two-factor sign-in who has just given the right password in this client."""
    manager = make.user(role=Role.MANAGER, org=make.org())
    totp = make.two_factor(manager)
    assert log_in(client, manager, make.PASSWORD).location.startswith("/login/two-factor")
    return manager, totp


# --- item 1: the second factor is throttled with the first ------------------------------------------------------


def test_after_forty_wrong_codes_the_right_code_does_not_reach_manage(client, make):
    manager, totp = manager_at_second_step(client, make)
    for _ in range(40):
        assert client.post("/login/two-factor", data={"code": WRONG_CODE}).status_code == 422
    refused = client.post("/login/two-factor", data={"code": make.next_totp_code(manager, totp)})
    assert refused.status_code == 422
    assert client.get("/manage/").status_code == 302  # still not signed in
    wait_out(manager)
    assert client.post("/login/two-factor", data={"code": make.next_totp_code(manager, totp)}).status_code == 302
    assert client.get("/manage/").status_code == 200


def test_wrong_codes_make_the_password_step_wait_too_and_it_reads_like_a_wrong_password(client, app, make):
    manager, _ = manager_at_second_step(client, make)
    for _ in range(5):
        client.post("/login/two-factor", data={"code": WRONG_CODE})
    elsewhere = app.test_client()
    right = log_in(elsewhere, manager, make.PASSWORD)
    wrong = log_in(elsewhere, manager, WRONG)
    assert right.status_code == wrong.status_code == 422
    assert right.get_data(as_text=True) == wrong.get_data(as_text=True)


def test_every_failure_is_audited_with_its_stage_while_waiting_too(client, make):
    manager, _ = manager_at_second_step(client, make)
    for _ in range(8):
        client.post("/login/two-factor", data={"code": WRONG_CODE})
    for _ in range(3):
        log_in(client, manager, WRONG)
    stages = [details["stage"] for details in failures_audited(manager)]
    assert stages == ["two_factor"] * 8 + ["password"] * 3


def test_failures_past_the_forty_sixth_are_counted_audited_and_answered_like_any_other(client, make):
    user = make.user()
    user.failed_logins = 44
    db.session.commit()
    first = None
    for _ in range(4):
        wait_out(user)
        response = log_in(client, user, WRONG)
        assert response.status_code == 422
        first = first or response.get_data(as_text=True)
        assert response.get_data(as_text=True) == first
    db.session.refresh(user)
    assert user.failed_logins == 48
    assert len(failures_audited(user)) == 4
    assert user.locked_until is not None and timedelta(0) < user.locked_until - throttle.now_utc() <= timedelta(minutes=5)


@pytest.mark.parametrize(("failures", "seconds"), [
    (0, 0), (4, 0), (5, 2), (6, 4), (7, 8), (10, 64), (12, 256), (13, 300), (46, 300), (1000, 300), (10**12, 300),
])
def test_the_wait_grows_from_two_seconds_and_never_passes_five_minutes(failures, seconds):
    from elearn.auth.throttle import MAX_WAIT, wait_after

    assert wait_after(failures) == timedelta(seconds=seconds)
    assert wait_after(failures) <= MAX_WAIT


# --- item 2: slowed down, never shut out ------------------------------------------------------------------------


def test_a_stranger_guessing_each_time_the_wait_ends_never_keeps_the_owner_out_of_their_browser(client, app, make):
    owner = make.user()
    assert log_in(client, owner, make.PASSWORD).status_code == 302  # the owner's browser
    client.post("/logout")
    stranger = app.test_client()
    for _ in range(5):
        log_in(stranger, owner, WRONG)
    for _ in range(20):  # one guess whenever the wait runs out: the old lockout never ended
        wait_out(owner)
        assert log_in(stranger, owner, WRONG).status_code == 422
        assert log_in(stranger, owner, make.PASSWORD).status_code == 422  # the stranger is still held
        assert log_in(client, owner, make.PASSWORD).status_code == 302
        client.post("/logout")


def test_on_a_new_browser_the_owner_waits_at_most_the_cap_after_any_number_of_guesses(app, make):
    owner = make.user()
    owner.failed_logins = 1000
    db.session.commit()
    stranger = app.test_client()
    assert log_in(stranger, owner, WRONG).status_code == 422
    db.session.refresh(owner)
    assert timedelta(0) < owner.locked_until - throttle.now_utc() <= timedelta(minutes=5)
    wait_out(owner)
    assert log_in(app.test_client(), owner, make.PASSWORD).status_code == 302


def test_a_per_email_request_limit_no_longer_lets_a_stranger_shut_the_owner_out(make_app, make):
    limited = make_app(RATELIMIT_ENABLED=True)
    owner = make.user()
    browser = limited.test_client()
    assert log_in(browser, owner, make.PASSWORD).status_code == 302
    browser.post("/logout")
    stranger = limited.test_client()
    statuses = {stranger.post("/login", data={"email": owner.email, "password": f"guess {i}"},
                              environ_base={"REMOTE_ADDR": f"10.0.1.{i}"}).status_code for i in range(12)}
    assert statuses == {422}
    assert log_in(browser, owner, make.PASSWORD).status_code == 302


def test_a_known_browser_has_a_wait_of_its_own(client, app, make):
    owner = make.user()
    log_in(client, owner, make.PASSWORD)
    client.post("/logout")
    for _ in range(5):
        log_in(client, owner, WRONG)
    assert log_in(client, owner, make.PASSWORD).status_code == 422  # a stolen cookie does not guess freely
    assert log_in(app.test_client(), owner, make.PASSWORD).status_code == 302  # nor does it hold the others


def test_the_known_browser_cookie_is_http_only_and_host_only_secure_in_production(client, make):
    from elearn import create_app

    owner = make.user()
    [cookie] = [c for c in log_in(client, owner, make.PASSWORD).headers.getlist("Set-Cookie")
                if c.startswith("elearn_browser=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie and "Domain" not in cookie
    production = create_app("production", SECRET_KEY="x" * 32, SQLALCHEMY_DATABASE_URI="sqlite://", SINGLE_PROCESS=True,
                            PUBLIC_BASE_URL="https://training.northfield.sch.uk",
                            MAIL_SENDER="Training <training@northfield.sch.uk>")
    assert production.config["KNOWN_BROWSER_COOKIE"] == "__Host-elearn-browser"  # must be Secure, no Domain
    assert production.config["SESSION_COOKIE_SECURE"] is True  # the cookie takes its Secure flag from this


def test_a_forged_known_browser_cookie_counts_for_nothing(client, app, make):
    owner = make.user()
    log_in(client, owner, make.PASSWORD)
    name = app.config["KNOWN_BROWSER_COOKIE"]
    forged = app.test_client()
    forged.set_cookie(name, client.get_cookie(name).value[:-2] + "xx")
    for _ in range(5):
        log_in(app.test_client(), owner, WRONG)
    assert log_in(forged, owner, make.PASSWORD).status_code == 422


def test_a_password_reset_lets_the_owner_past_a_strangers_wait(client, app, make, outbox):
    owner = make.user(email="owner@example.org")
    stranger = app.test_client()
    for _ in range(6):
        log_in(stranger, owner, WRONG)
    client.post("/reset-password", data={"email": owner.email})
    link = "/reset-password/" + outbox[-1].get_content().split("/reset-password/")[1].split()[0]
    client.post(link, data={"password": "a brand new passphrase", "confirm": "a brand new passphrase"})
    assert log_in(stranger, owner, "a brand new passphrase").status_code == 422  # still waiting elsewhere
    assert log_in(client, owner, "a brand new passphrase").status_code == 302  # the browser that reset it


def test_the_owner_is_emailed_once_after_ten_failures_in_a_row_and_then_at_most_daily(app, make, outbox):
    owner = make.user(email="owner@example.org")
    stranger = app.test_client()
    for _ in range(25):
        wait_out(owner)
        log_in(stranger, owner, WRONG)
    assert [message["To"] for message in outbox] == ["owner@example.org"]
    body = outbox[0].get_content()
    assert "http" not in body and "/reset-password/" not in body  # nothing an attacker could use
    assert "10 failed attempts" in body
    owner.failed_logins_notified_at = throttle.now_utc() - timedelta(days=1, seconds=1)
    db.session.commit()
    wait_out(owner)
    log_in(stranger, owner, WRONG)
    assert len(outbox) == 2


def test_wrong_codes_tell_the_owner_that_someone_knows_the_password(client, make, outbox):
    manager, _ = manager_at_second_step(client, make)
    for _ in range(10):
        wait_out(manager)
        client.post("/login/two-factor", data={"code": WRONG_CODE})
    [notice] = outbox
    assert notice["To"] == manager.email and "change your password" in notice.get_content()


def test_a_success_ends_the_run_of_failures(app, make):
    owner = make.user()
    for _ in range(2):  # each attempt from a browser the account has never signed in from
        for _ in range(4):
            log_in(app.test_client(), owner, WRONG)
        assert log_in(app.test_client(), owner, make.PASSWORD).status_code == 302


# --- guesses sent all at once (PostgreSQL: real row locks across connections) --------------------------------


def run_together(app, workers):  # type: ignore[no-untyped-def]
    """Run each worker in its own thread, app context and database connection, released at the same instant."""
    barrier = threading.Barrier(len(workers))
    outcomes: list[object] = [None] * len(workers)

    def run(index: int, work) -> None:  # type: ignore[no-untyped-def]
        with app.app_context():
            try:
                barrier.wait()
                outcomes[index] = work()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, work)) for i, work in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.remove()
    db.engine.dispose()
    return outcomes


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: TEST_DATABASE_URL=postgresql://…")
def test_guesses_sent_all_at_once_meet_the_wait_the_first_ones_earn(app, make, monkeypatch):
    from elearn.auth import service

    user = make.user()
    email, user_id = user.email, user.id
    db.session.remove()
    real_verify = service.verify_password

    def slow_verify(password_hash, password):  # type: ignore[no-untyped-def]
        time.sleep(0.1)  # hold the attempt while the others arrive, so they truly overlap
        return real_verify(password_hash, password)

    monkeypatch.setattr(service, "verify_password", slow_verify)
    outcomes = run_together(app, [lambda: service.authenticate(email, WRONG) for _ in range(10)])
    assert outcomes == [None] * 10
    stored = db.session.get_one(User, user_id)
    assert stored.failed_logins == 5  # five checked, one after another; the rest met the wait, unchecked
    details = failures_audited(stored)
    assert len(details) == 10 and sum(1 for d in details if d.get("throttled")) == 5
