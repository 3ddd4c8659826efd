"""No page tells a stranger, or a manager, whether an email address has an account (A4, A5; issue item 10).

Registration, sign-in, password reset and invitations answer the same whether or not the address is known, and
run the same statements (the same work, so the same time: timing itself is measured in bench/, never here).
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from elearn.extensions import db
from elearn.models import Invitation, Placement, Role, User, UserSession

EMAIL = re.compile(r"[\w.+-]+@[\w.-]+")


def page(response) -> str:  # type: ignore[no-untyped-def]
    """The response body with every email address in it made the same."""
    return EMAIL.sub("EMAIL", response.get_data(as_text=True))


def users() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0


def register(browser, email: str, name: str = "Jane Smith"):  # type: ignore[no-untyped-def]
    return browser.post("/register", data={"display_name": name, "email": email})


def link_in(message, marker: str) -> str:  # type: ignore[no-untyped-def]
    return marker + message.get_content().split(marker)[1].split()[0]


def sessions_of(user):  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id))


# --- registration ---------------------------------------------------------------------------------------------


def test_registering_a_taken_address_reads_like_a_new_one_and_changes_nothing(client, app, make, outbox):
    holder = make.user(email="jane@example.org", name="Jane Holder")
    before = (holder.display_name, holder.password_hash, holder.organisation_id, sessions_of(holder))
    taken = register(client, "JANE@Example.org", name="Someone Else")
    fresh = register(app.test_client(), "new@example.org", name="Someone Else")
    assert taken.status_code == fresh.status_code == 200
    assert page(taken) == page(fresh) and "Check your email" in page(taken)
    assert taken.headers.get("Set-Cookie") == fresh.headers.get("Set-Cookie")  # neither is signed in
    db.session.refresh(holder)
    assert (holder.display_name, holder.password_hash, holder.organisation_id, sessions_of(holder)) == before
    assert users() == 1  # nobody is made an account by the first step
    to_holder, to_new = outbox
    assert to_holder["To"] == "jane@example.org" and to_new["To"] == "new@example.org"
    assert "already have an elearn account" in to_holder.get_content()
    assert "/register/" not in to_holder.get_content() and "/register/" in to_new.get_content()
    assert "Someone Else" not in to_new.get_content()  # no stranger's text is mailed to an address they typed


def test_registering_runs_the_same_statements_for_a_taken_and_a_new_address(client, make, count_queries):
    make.user(email="jane@example.org")
    register(client, "warm-up@example.org")
    with count_queries() as taken:
        assert register(client, "jane@example.org").status_code == 200
    with count_queries() as fresh:
        assert register(client, "new@example.org").status_code == 200
    assert taken.statements == fresh.statements


def test_a_new_address_becomes_an_account_only_through_the_emailed_link(client, app, outbox):
    register(app.test_client(), "new@example.org", name="Nia New")
    link = link_in(outbox[-1], "/register/")
    form = client.get(link)
    assert form.status_code == 200 and "new@example.org" in form.get_data(as_text=True)
    assert "Nia New" in form.get_data(as_text=True)
    done = client.post(link, data={"display_name": "Nia New", "password": "a long test passphrase",
                                   "confirm": "a long test passphrase"})
    assert done.status_code == 302
    assert client.get("/my-learning").status_code == 200
    assert db.session.scalars(select(User.email)).all() == ["new@example.org"]
    assert client.get(link).status_code == 400  # used once


def test_a_registration_link_cannot_be_forged_or_used_after_a_day(client, monkeypatch, outbox):
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - timedelta(hours=24, minutes=1).total_seconds())
    register(client, "late@example.org")
    monkeypatch.setattr(time, "time", real)
    late = link_in(outbox[-1], "/register/")
    assert client.get(late).status_code == 400
    register(client, "new@example.org")
    link = link_in(outbox[-1], "/register/")
    assert client.get(link[:-3] + "abc").status_code == 400
    assert client.get(link.replace("/register/", "/register/x")).status_code == 400
    assert users() == 0


def test_a_weak_password_on_the_link_page_is_refused_and_the_link_still_works(client, outbox):
    register(client, "new@example.org")
    link = link_in(outbox[-1], "/register/")
    weak = client.post(link, data={"display_name": "Nia", "password": "password123", "confirm": "password123"})
    assert weak.status_code == 422 and "too common" in weak.get_data(as_text=True)
    assert users() == 0 and client.get(link).status_code == 200


# --- sign-in --------------------------------------------------------------------------------------------------


def test_a_waiting_account_answers_like_a_wrong_password_and_an_unknown_email(client, app, make, monkeypatch):
    from elearn.auth import throttle

    moment = throttle.now_utc()
    monkeypatch.setattr(throttle, "now_utc", lambda: moment)  # the short wait must not run out on a slow machine
    user = make.user(email="known@example.org")
    for _ in range(6):
        client.post("/login", data={"email": user.email, "password": "a wrong password"})
    answers = [app.test_client().post("/login", data={"email": email, "password": password})
               for email, password in [(user.email, make.PASSWORD), (user.email, "a wrong password"),
                                       ("unknown@example.org", make.PASSWORD)]]
    assert {response.status_code for response in answers} == {422}
    assert len({page(response) for response in answers}) == 1


# --- password reset -------------------------------------------------------------------------------------------


def test_a_reset_runs_the_same_statements_for_known_unknown_and_deactivated_addresses(make, count_queries):
    from elearn.auth.service import request_password_reset

    make.user(email="known@example.org")
    gone = make.user(email="gone@example.org")
    gone.is_active_account = False
    db.session.commit()
    request_password_reset("warm-up@example.org")
    seen = []
    for email in ("known@example.org", "unknown@example.org", "gone@example.org"):
        with count_queries() as counter:
            request_password_reset(email)
        seen.append(counter.statements)
    assert seen[0] == seen[1] == seen[2]


def test_a_reset_hashes_a_token_and_sends_one_email_whether_or_not_the_address_has_an_account(
        client, make, monkeypatch, outbox):
    from elearn.auth import service

    hashed: list[str] = []
    real = service.token_hash
    monkeypatch.setattr(service, "token_hash", lambda token: hashed.append(token) or real(token))
    make.user(email="known@example.org")
    known = client.post("/reset-password", data={"email": "known@example.org"})
    unknown = client.post("/reset-password", data={"email": "unknown@example.org"})
    assert known.status_code == unknown.status_code == 200 and page(known) == page(unknown)
    assert len(hashed) == 2
    assert [message["To"] for message in outbox] == ["known@example.org", "unknown@example.org"]
    assert "/reset-password/" in outbox[0].get_content() and "/reset-password/" not in outbox[1].get_content()


# --- invitations ----------------------------------------------------------------------------------------------


@pytest.fixture
def manager(make, sign_in):  # type: ignore[no-untyped-def]
    manager = make.user(role=Role.MANAGER, org=make.org(name="Alder Primary"))
    make.two_factor(manager)
    return sign_in(manager)


def invite(client, email: str):  # type: ignore[no-untyped-def]
    return client.post("/manage/people/invite", data={"display_name": "Bea Person", "email": email})


@pytest.mark.parametrize("whose", ["another organisation's member", "a deactivated account", "an account with no organisation"])
def test_inviting_an_address_with_an_account_elsewhere_reads_like_a_new_address(client, make, manager, count_queries,
                                                                               outbox, whose):
    other = make.user(email="bea@elsewhere.example", org=make.org() if whose.startswith("another") else None)
    if whose == "a deactivated account":
        other.is_active_account = False
        db.session.commit()
    invite(client, "warm-up@example.org")
    with count_queries() as existing:
        known = invite(client, "bea@elsewhere.example")
    with count_queries() as new:
        fresh = invite(client, "new@example.org")
    assert known.status_code == fresh.status_code == 302 and known.location == fresh.location
    assert existing.statements == new.statements
    assert [message["To"] for message in outbox[-2:]] == ["bea@elsewhere.example", "new@example.org"]
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 3


def test_a_member_of_another_organisation_who_accepts_keeps_their_home_and_works_here_too(
        client, app, make, manager, outbox, sign_in):
    elsewhere = make.org(name="Birch Academy")
    bea = make.user(email="bea@elsewhere.example", org=elsewhere)
    invite(client, "bea@elsewhere.example")
    link = link_in(outbox[-1], "/invitations/")
    invitee = app.test_client()
    sign_in(bea, via=invitee)
    assert invitee.post(link, data={}).status_code == 302
    db.session.refresh(bea)
    assert bea.organisation_id == elsewhere.id  # one account, its home unchanged
    placement = db.session.scalars(select(Placement).where(Placement.user_id == bea.id)).one()
    assert placement.organisation_id == manager.organisation_id
    assert invitee.post(link, data={}).status_code == 400  # the link is spent
