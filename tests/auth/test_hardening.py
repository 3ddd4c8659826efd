"""Lockout after repeated failures, two-factor sign-in, and re-authentication for account changes."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from elearn.auth import service, throttle, two_factor
from elearn.auth.account_views import SETUP_KEY
from elearn.auth.sessions import load_user, start_session
from elearn.db import now_utc
from elearn.errors import InvalidInput, NotAllowed
from elearn.extensions import db
from elearn.models import RecoveryCode, Role
from tests.makers import Makers

# How long the wait lasts, and everything else about the sign-in throttle: tests/auth/test_throttle.py.


def test_five_wrong_passwords_pause_the_account_even_for_the_right_password(make):
    user = make.user()
    for _ in range(5):
        assert service.authenticate(user.email, "wrong password here") is None
    assert service.authenticate(user.email, make.PASSWORD) is None


def test_the_account_opens_again_after_the_pause(make):
    user = make.user()
    for _ in range(5):
        service.authenticate(user.email, "wrong password here")
    user.locked_until = now_utc() - timedelta(seconds=1)
    db.session.commit()
    assert service.authenticate(user.email, make.PASSWORD) == user
    assert user.failed_logins == 0


def test_a_paused_account_gets_the_same_page_as_a_wrong_password(client, make):
    user = make.user()
    for _ in range(5):
        wrong = client.post("/login", data={"email": user.email, "password": "wrong password here"})
    response = client.post("/login", data={"email": user.email, "password": make.PASSWORD})
    assert response.status_code == wrong.status_code == 422
    assert response.get_data(as_text=True) == wrong.get_data(as_text=True)
    assert "or there have been too many attempts" in response.get_data(as_text=True)


def enable_two_factor(user) -> tuple[pyotp.TOTP, list[str]]:  # type: ignore[no-untyped-def]
    secret = two_factor.start_setup(user)
    totp = pyotp.TOTP(secret)
    codes = two_factor.confirm_setup(user, secret, totp.now(), password=Makers.PASSWORD)
    return totp, codes


def test_setup_needs_a_right_code_before_it_is_switched_on(make):
    user = make.user()
    secret = two_factor.start_setup(user)
    with pytest.raises(InvalidInput):
        two_factor.confirm_setup(user, secret, "000000", password=make.PASSWORD)
    assert not user.has_two_factor


def test_setup_gives_ten_single_use_recovery_codes_stored_as_hashes(make):
    user = make.user()
    _, codes = enable_two_factor(user)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert not set(codes) & set(stored)


def test_a_sign_in_code_cannot_be_used_twice(make):
    user = make.user()
    totp, _ = enable_two_factor(user)
    step = totp.timecode(now_utc()) + 1
    code = totp.generate_otp(step)
    assert two_factor.verify_second_factor(user, code)
    assert not two_factor.verify_second_factor(user, code)


def test_a_recovery_code_works_once(make):
    user = make.user()
    _, codes = enable_two_factor(user)
    assert two_factor.verify_second_factor(user, codes[0].upper())
    assert not two_factor.verify_second_factor(user, codes[0])


def test_repeated_wrong_codes_pause_the_account(make):
    user = make.user()
    enable_two_factor(user)
    for _ in range(5):
        assert not two_factor.verify_second_factor(user, "123456")
    assert throttle.is_waiting(user, known_browser=False)


def test_with_two_factor_on_the_password_alone_does_not_log_in(client, make):
    user = make.user()
    totp, _ = enable_two_factor(user)
    response = client.post("/login", data={"email": user.email, "password": make.PASSWORD})
    assert response.location.startswith("/login/two-factor")
    assert client.get("/my-learning").status_code == 302
    wrong = client.post("/login/two-factor", data={"code": "000000"})
    assert wrong.status_code == 422
    right = client.post("/login/two-factor", data={"code": totp.generate_otp(totp.timecode(now_utc()) + 1)})
    assert right.status_code == 302
    assert client.get("/my-learning").status_code == 200


def test_the_second_step_without_the_first_sends_you_back_to_log_in(client):
    response = client.post("/login/two-factor", data={"code": "123456"})
    assert response.status_code == 302 and response.location == "/login"


def test_a_manager_must_set_up_two_factor_before_anything_else(client, make):
    manager = make.user(role=Role.MANAGER, org=make.org())
    client.post("/login", data={"email": manager.email, "password": make.PASSWORD})
    response = client.get("/my-learning")
    assert response.status_code == 302 and response.location == "/account/two-factor"
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    done = client.post("/account/two-factor", data={"current_password": Makers.PASSWORD, "code": pyotp.TOTP(secret_shown(page)).now()})
    assert done.status_code == 200 and "Save these recovery codes now" in done.get_data(as_text=True)
    assert client.get("/my-learning").status_code == 200


def test_the_setup_qr_code_is_an_svg_image_a_browser_can_draw(make):
    """An SVG image needs its namespace (inline SVG in HTML does not): without it browsers showed a broken image."""
    from urllib.parse import unquote

    user = make.user()
    uri = two_factor.qr_code_data_uri(user, two_factor.start_setup(user))
    header, _, body = uri.partition(",")
    assert header.startswith("data:image/svg+xml")
    svg = unquote(body)
    assert svg.startswith("<svg") and "xmlns='http://www.w3.org/2000/svg'" in svg.replace('"', "'")


# --- setting up: the secret waits in the session until a right code confirms it ---------------------


def secret_shown(page: str) -> str:
    """The key the set-up page tells the person to type into their authenticator app."""
    return re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)  # type: ignore[union-attr]


def test_opening_the_set_up_page_writes_nothing(client, make, sign_in, count_queries):
    user = sign_in(make.user())
    with count_queries() as counter:
        assert client.get("/account/two-factor").status_code == 200
        assert client.get("/account/two-factor").status_code == 200
    assert counter.writes == []
    assert user.totp_secret is None and not user.has_two_factor


def test_a_right_code_saves_the_secret_shown_and_removes_it_from_the_session(client, make, sign_in):
    user = sign_in(make.user())
    secret = secret_shown(client.get("/account/two-factor").get_data(as_text=True))
    done = client.post("/account/two-factor", data={"current_password": Makers.PASSWORD, "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and "Save these recovery codes now" in done.get_data(as_text=True)
    assert user.totp_secret == secret and user.has_two_factor
    with client.session_transaction() as session:
        assert SETUP_KEY not in session


def test_a_wrong_code_saves_nothing_and_the_same_secret_still_works(client, make, sign_in, count_queries):
    user = sign_in(make.user())
    secret = secret_shown(client.get("/account/two-factor").get_data(as_text=True))
    with count_queries() as counter:
        wrong = client.post("/account/two-factor", data={"current_password": Makers.PASSWORD, "code": "000000"})
    assert wrong.status_code == 422 and two_factor.WRONG_CODE in wrong.get_data(as_text=True)
    assert counter.writes == [] and user.totp_secret is None
    assert secret_shown(wrong.get_data(as_text=True)) == secret
    assert client.post("/account/two-factor", data={"current_password": Makers.PASSWORD, "code": pyotp.TOTP(secret).now()}).status_code == 200
    assert user.totp_secret == secret


def test_a_reload_or_a_second_tab_shows_the_same_secret_and_either_tab_confirms_it(client, make, sign_in):
    user = sign_in(make.user())
    first_tab = secret_shown(client.get("/account/two-factor").get_data(as_text=True))
    second_tab = secret_shown(client.get("/account/two-factor").get_data(as_text=True))  # same cookies
    assert first_tab == second_tab
    assert client.post("/account/two-factor", data={"current_password": Makers.PASSWORD, "code": pyotp.TOTP(second_tab).now()}).status_code == 200
    late = client.post("/account/two-factor", data={"current_password": Makers.PASSWORD, "code": pyotp.TOTP(first_tab).now()})
    assert late.status_code == 302 and late.location == "/account"  # already on: nothing to confirm twice
    assert user.totp_secret == first_tab


def test_another_browser_sets_up_its_own_secret(client, app, make, sign_in):
    user = make.user()
    other = app.test_client()
    sign_in(user)
    sign_in(user, via=other)
    mine = secret_shown(client.get("/account/two-factor").get_data(as_text=True))
    theirs = secret_shown(other.get("/account/two-factor").get_data(as_text=True))
    assert mine != theirs
    assert other.post("/account/two-factor", data={"current_password": Makers.PASSWORD, "code": pyotp.TOTP(mine).now()}).status_code == 422


def test_the_secret_being_set_up_is_never_logged(client, make, sign_in, caplog):
    sign_in(make.user())
    with caplog.at_level(logging.DEBUG):
        secret = secret_shown(client.get("/account/two-factor").get_data(as_text=True))
        client.post("/account/two-factor", data={"current_password": Makers.PASSWORD, "code": "000000"})
        client.post("/account/two-factor", data={"current_password": Makers.PASSWORD, "code": pyotp.TOTP(secret).now()})
    assert caplog.records and secret not in caplog.text


def test_managers_cannot_switch_two_factor_off(make):
    manager = make.user(role=Role.MANAGER, org=make.org())
    enable_two_factor(manager)
    with pytest.raises(NotAllowed):
        two_factor.disable(manager, make.PASSWORD)


def test_a_learner_can_switch_two_factor_off_with_their_password(make):
    user = make.user()
    enable_two_factor(user)
    with pytest.raises(InvalidInput):
        two_factor.disable(user, "not my password")
    two_factor.disable(user, make.PASSWORD)
    assert not user.has_two_factor
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.used_at.is_(None))) == 0


def test_changing_the_password_needs_the_current_one_and_signs_out_other_sessions(make):
    user = make.user()
    old_session = start_session(user, user_agent=None, ip=None).key  # another device
    this_session = start_session(user, user_agent=None, ip=None).key  # the one changing the password
    with pytest.raises(InvalidInput) as error:
        service.change_password(user, "not my password", "a brand new passphrase")
    assert error.value.field == "current_password"
    service.change_password(user, make.PASSWORD, "a brand new passphrase")
    assert load_user(old_session) is None
    assert load_user(this_session) == user
    assert service.authenticate(user.email, "a brand new passphrase") == user


def test_changing_the_email_needs_the_password_and_tells_the_old_address(make, outbox):
    user = make.user(email="old@example.org")
    make.user(email="taken@example.org")
    with pytest.raises(InvalidInput):
        service.change_email(user, "not my password", "new@example.org")
    with pytest.raises(InvalidInput):
        service.change_email(user, make.PASSWORD, "TAKEN@example.org")
    service.change_email(user, make.PASSWORD, "New@Example.org")
    assert user.email == "new@example.org"
    assert outbox[-1]["To"] == "old@example.org"


def test_the_account_pages_work_through_the_browser_forms(client, make, login_as):
    user = login_as(make.user())
    assert client.get("/account").status_code == 200
    bad = client.post("/account/password", data={"current_password": "wrong", "password": "a brand new passphrase",
                                                 "confirm": "a brand new passphrase"})
    assert bad.status_code == 422 and "Your current password is not right." in bad.get_data(as_text=True)
    good = client.post("/account/password", data={"current_password": make.PASSWORD, "password": "a brand new passphrase",
                                                  "confirm": "a brand new passphrase"})
    assert good.status_code == 302 and good.location == "/account"  # this session goes on; the others ended
    assert client.get("/my-learning").status_code == 200
    assert service.authenticate(user.email, "a brand new passphrase") is not None


def test_setting_up_two_factor_asks_for_the_password_again_and_saves_nothing_without_it(client, make, login_as):
    """A session left open on a shared computer must not let someone tie the account to their own phone."""
    user = login_as(make.user())
    page = client.get("/account/two-factor").get_data(as_text=True)
    code = pyotp.TOTP(secret_shown(page)).now()
    for password in ("", "not my password"):
        refused = client.post("/account/two-factor", data={"current_password": password, "code": code})
        assert refused.status_code == 422
        db.session.refresh(user)
        assert not user.has_two_factor
    assert "Your password is not right." in refused.get_data(as_text=True)
    done = client.post("/account/two-factor", data={"current_password": make.PASSWORD, "code": code})
    assert done.status_code == 200 and "Two-factor sign-in is on" in done.get_data(as_text=True)
