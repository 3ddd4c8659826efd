"""The sign-in throttle: repeated failures slow guessing down, and never lock the owner out.

The rule, for each account:

- **One throttle for both steps.** A wrong password and a wrong two-factor (or recovery) code count towards the
  same run of failures, and while a wait runs both steps refuse without checking anything, the right password
  and the right code included.
- **A short wait that grows, with a ceiling.** The first FREE_FAILURES failures in a row cost nothing. After the
  k-th, nothing is checked for `wait_after(k)`: BASE_WAIT doubling with each further failure, never more than
  MAX_WAIT. The exponent is capped before it is used, so no count, however large, can overflow. An attempt
  refused during a wait is not checked, does not count and does not make the wait longer: retrying early costs
  the owner nothing. A success ends the run.
- **A stranger cannot hold the owner up.** A shared wait alone would let anyone keep an account waiting for
  ever, with one wrong guess each time the wait ends. So each account keeps two runs (the OWASP "device cookie"
  scheme): one for browsers it has signed in from before, which carry a signed cookie naming it
  (`known_browsers.py`), and one for every other browser. A stranger's guesses only ever make other strangers,
  and the owner on a new device, wait, each time for at most MAX_WAIT; the owner's own browsers keep their own
  run. Completing a password reset makes the browser known, so the owner on a new device can always get past a
  stranger's wait. A stolen cookie guesses no faster than a stranger: its run is throttled the same way.
- **The owner is told.** At the NOTICE_AFTER-th failure in a row, and then at most once every NOTICE_EVERY, the
  account's address gets an email about it. It holds no link: nothing an attacker could use, and a look-alike
  email with a link in it stands out.
- **Every failure is audited**: `login.failed` with the stage (`password` or `two_factor`), the run it counted in,
  and `throttled` for an attempt refused unchecked.
- **It looks like a wrong password.** The pages answer a refusal exactly as they answer a wrong password or an
  unknown email (same status, page and message), so the wait tells nobody whether the account exists.

How many attempts a client address may make at all, across accounts, is Flask-Limiter's job
(LOGIN_RATE_LIMIT_PER_IP in config.py). There is no per-email request limit any more: anyone could spend it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from elearn.audit import record_event
from elearn.db import now_utc
from elearn.mail import send_email
from elearn.models import User

log = logging.getLogger(__name__)

FREE_FAILURES = 5
BASE_WAIT = timedelta(seconds=2)
MAX_WAIT = timedelta(minutes=5)
MAX_DOUBLINGS = 20  # BASE_WAIT × 2**20 is far past MAX_WAIT already; capping the exponent keeps the number small
MAX_COUNT = 1_000_000  # the stored count stops here (an INTEGER column): the wait is MAX_WAIT long before
NOTICE_AFTER = 10
NOTICE_EVERY = timedelta(days=1)


def wait_after(failures: int) -> timedelta:
    """How long nothing is checked after this many failures in a row: nothing for the first FREE_FAILURES, then
    BASE_WAIT doubling with each further failure, never more than MAX_WAIT."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(MAX_WAIT, BASE_WAIT * 2 ** min(failures - FREE_FAILURES, MAX_DOUBLINGS))


def is_waiting(user: User, *, known_browser: bool) -> bool:
    """Whether a wait runs for attempts from this kind of browser: if so, nothing may be checked."""
    until = user.device_locked_until if known_browser else user.locked_until
    return until is not None and until > now_utc()


def refuse(user: User, *, stage: str, known_browser: bool) -> None:
    """Audit an attempt refused unchecked during a wait (flush only); it neither counts nor extends the wait."""
    record_event("login.failed", actor=None, subject=user, stage=stage, known_browser=known_browser, throttled=True)
    log.warning("%s sign-in for user %s refused unchecked: waiting", stage, user.id)


def record_failure(user: User, *, stage: str, known_browser: bool) -> bool:
    """Count a failure, start the wait it earns and audit it (flush only).

    Returns True when the owner is now to be told (call `send_notice` before the commit).
    """
    now = now_utc()
    failures = min((user.device_failed_logins if known_browser else user.failed_logins) + 1, MAX_COUNT)
    wait = wait_after(failures)
    until = now + wait if wait else None
    if known_browser:
        user.device_failed_logins, user.device_locked_until = failures, until
    else:
        user.failed_logins, user.locked_until = failures, until
    record_event("login.failed", actor=None, subject=user, stage=stage, known_browser=known_browser,
                 failures=failures)
    log.warning("failed %s sign-in for user %s (%s in a row)", stage, user.id, failures)
    last_told = user.failed_logins_notified_at
    if failures < NOTICE_AFTER or (last_told is not None and now - last_told < NOTICE_EVERY):
        return False
    user.failed_logins_notified_at = now
    return True


def record_success(user: User, *, known_browser: bool) -> None:
    """End the run of failures of this kind of browser (flush only); the other run carries on."""
    if known_browser:
        user.device_failed_logins, user.device_locked_until = 0, None
    else:
        user.failed_logins, user.locked_until = 0, None


def send_notice(user: User, *, stage: str) -> None:
    """Tell the account holder about failed sign-ins, in the failure's transaction (queued: a worker sends it,
    so the sign-in page reads the same whatever the mail server does). No link: nothing an attacker could copy.
    """
    failures = max(user.failed_logins, user.device_failed_logins)
    if stage == "two_factor":
        what = ("after the right password, wrong sign-in codes. Someone may know your password: change your "
                "password now (sign in and open My account, or use \"Forgotten your password?\" on the sign-in page).")
    else:
        what = ("wrong passwords. If this was not you, someone may be guessing your password. You do not have to "
                "do anything: each further attempt now has to wait, and your own browsers are not held up. If you "
                "use this password anywhere else, change your password (sign in and open My account).")
    body = (f"Hello {user.display_name},\n\n"
            f"There have been {failures} failed attempts in a row to sign in to your elearn account: {what}\n\n"
            "Nobody has signed in with them. We will not email you about this again for a day.\n")
    send_email(user.email, "Failed sign-in attempts on your elearn account", body)
