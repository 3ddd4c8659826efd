"""Signing in with Microsoft or Google against a real OpenID provider on loopback (conftest.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import Assignment, AuditEvent, Role, SsoConnection, SsoIdentity, User
from elearn.privacy.service import delete_account, export_personal_data
from tests.sso.conftest import TENANT, sso_sign_in, through_provider

GOOGLE_DOMAIN = "alder.example"


@pytest.fixture
def connected(cast):  # type: ignore[no-untyped-def]
    """Organisation A has connected its Entra tenant (people join automatically) and its Workspace domain (they do not)."""
    db.session.add_all([
        SsoConnection(organisation_id=cast.org_a.id, provider="microsoft", tenant=TENANT, auto_join=True,
                      confirmed_at=now_utc()),
        SsoConnection(organisation_id=cast.org_a.id, provider="google", tenant=GOOGLE_DOMAIN, auto_join=False,
                      confirmed_at=now_utc()),
    ])
    db.session.commit()
    return cast


def entra(sub: str, email: str, **extra):  # type: ignore[no-untyped-def]
    return {"sub": sub, "email": email, "email_verified": True, "name": "Sam Starter", "tid": TENANT,
            "amr": ["pwd"]} | extra


def refusals() -> list[str]:
    return [e.details["reason"] for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "sso.refused").order_by(AuditEvent.id))]


def signed_in_as(client) -> str | None:  # type: ignore[no-untyped-def]
    page = client.get("/account")
    return None if page.status_code != 200 else page.get_data(as_text=True)


# --- signing in ------------------------------------------------------------------------------


def test_a_verified_email_links_the_existing_account_of_the_organisation(client, sso, connected):
    learner = connected.learner_a
    sso.sign_in_as(**entra("entra-ann", learner.email))
    response = sso_sign_in(client)
    assert response.status_code == 302 and response.headers["Location"] == "/my-learning"
    assert learner.email in (signed_in_as(client) or "")
    identity = db.session.scalar(select(SsoIdentity))
    assert (identity.user_id, identity.subject, identity.tenant) == (learner.id, "entra-ann", TENANT)
    assert db.session.scalar(select(AuditEvent.details).where(AuditEvent.action == "login.succeeded"))[
        "method"] == "sso:microsoft"


def test_a_linked_identity_signs_in_by_its_subject_even_when_the_email_changes(client, other_browser, sso, connected):
    sso.sign_in_as(**entra("entra-ann", connected.learner_a.email))
    sso_sign_in(client)
    sso.sign_in_as(**entra("entra-ann", "ann.new@alder.example", email_verified=False))
    response = sso_sign_in(other_browser)
    assert response.status_code == 302
    assert connected.learner_a.email in (signed_in_as(other_browser) or "")


def test_first_sign_in_creates_the_account_in_the_organisation_with_its_new_starter_courses(client, sso, connected, make,
                                                                                              course):
    make.new_starter_rule(org=connected.org_a, course=course)
    sso.sign_in_as(**entra("entra-sam", "Sam.Starter@alder.example"))
    assert sso_sign_in(client).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "sam.starter@alder.example"))
    assert (user.organisation_id, user.display_name, user.password_hash, user.role) == (
        connected.org_a.id, "Sam Starter", None, Role.LEARNER)
    assert db.session.scalar(select(Assignment.course_id).where(Assignment.user_id == user.id)) == course.id
    assert "sam.starter@alder.example" in (signed_in_as(client) or "")


def test_an_account_in_no_organisation_joins_the_one_whose_tenant_it_signed_in_through(client, sso, connected, make):
    loner = make.user(email="lone.learner@alder.example")
    sso.sign_in_as(**entra("entra-lone", loner.email))
    assert sso_sign_in(client).status_code == 302
    db.session.refresh(loner)
    assert loner.organisation_id == connected.org_a.id


def test_google_workspace_signs_in_by_its_hd_claim(client, sso, connected):
    sso.sign_in_as(sub="google-ann", email=connected.learner_a.email, email_verified=True, hd=GOOGLE_DOMAIN)
    assert sso_sign_in(client, "google").status_code == 302
    assert connected.learner_a.email in (signed_in_as(client) or "")


def test_without_automatic_join_a_stranger_is_told_to_ask_for_an_invitation(client, sso, connected):
    sso.sign_in_as(sub="google-new", email="new.person@alder.example", email_verified=True, hd=GOOGLE_DOMAIN)
    response = sso_sign_in(client, "google")
    assert response.status_code == 403 and "ask your organisation" in response.get_data(as_text=True).lower()
    assert db.session.scalar(select(User).where(User.email == "new.person@alder.example")) is None
    assert refusals() == ["not_member"]


# --- managers and admins: the provider's MFA, or our TOTP step -------------------------------


def test_a_manager_whose_provider_used_mfa_is_signed_in_without_the_totp_step(client, sso, connected):
    sso.sign_in_as(**entra("entra-mo", connected.manager_a.email, amr=["pwd", "mfa"]))
    response = sso_sign_in(client)
    assert response.status_code == 302 and response.headers["Location"] == "/manage/"
    assert client.get("/manage/").status_code == 200


def test_a_manager_without_mfa_at_the_provider_still_gives_a_totp_code(client, sso, connected, make):
    manager = connected.manager_a
    totp = make.two_factor(manager)
    sso.sign_in_as(**entra("entra-mo", manager.email, amr=["pwd"]))
    response = sso_sign_in(client)
    assert response.status_code == 302 and "/login/two-factor" in response.headers["Location"]
    assert signed_in_as(client) is None
    finished = client.post("/login/two-factor", data={"code": make.next_totp_code(manager, totp)})
    assert finished.status_code == 302
    assert client.get("/manage/").status_code == 200


def test_a_device_remembered_after_the_totp_step_skips_it_next_time(client, sso, connected, make):
    manager = connected.manager_a
    totp = make.two_factor(manager)
    sso.sign_in_as(**entra("entra-mo", manager.email))
    sso_sign_in(client)
    client.post("/login/two-factor", data={"code": make.next_totp_code(manager, totp), "remember_device": "y"})
    client.post("/logout")
    response = sso_sign_in(client)
    assert response.status_code == 302 and response.headers["Location"] == "/manage/"


def test_a_manager_whose_provider_used_mfa_need_not_set_totp_up(client, sso, make, cast):
    manager = make.user(email="new.manager@alder.example", role=Role.MANAGER, org=cast.org_a)
    db.session.add(SsoConnection(organisation_id=cast.org_a.id, provider="microsoft", tenant=TENANT, confirmed_at=now_utc()))
    db.session.commit()
    sso.sign_in_as(**entra("entra-nm", manager.email, amr=["mfa"]))
    sso_sign_in(client)
    assert client.get("/manage/").status_code == 200


def test_a_manager_without_totp_or_mfa_must_set_totp_up_first(client, sso, make, cast):
    manager = make.user(email="new.manager@alder.example", role=Role.MANAGER, org=cast.org_a)
    db.session.add(SsoConnection(organisation_id=cast.org_a.id, provider="microsoft", tenant=TENANT, confirmed_at=now_utc()))
    db.session.commit()
    sso.sign_in_as(**entra("entra-nm", manager.email))
    sso_sign_in(client)
    assert "/account/two-factor" in client.get("/manage/").headers["Location"]


# --- refusals: each has its page and its audit event -----------------------------------------


@pytest.mark.parametrize("tamper", ["aud", "signature", "expired"])
def test_an_id_token_failing_a_check_signs_nobody_in(client, sso, connected, tamper):
    sso.sign_in_as(**entra("entra-ann", connected.learner_a.email))
    sso.next_answer(tamper=tamper)
    response = sso_sign_in(client)
    assert response.status_code == 400 and "did not pass" in response.get_data(as_text=True)
    assert signed_in_as(client) is None
    assert db.session.scalar(select(SsoIdentity)) is None
    assert refusals() == ["invalid_token"]


def test_an_id_token_replaying_an_earlier_sign_ins_nonce_is_refused(client, other_browser, sso, connected):
    sso.sign_in_as(**entra("entra-ann", connected.learner_a.email))
    assert sso_sign_in(client).status_code == 302
    sso.next_answer(tamper="replay_nonce")
    response = sso_sign_in(other_browser)
    assert response.status_code == 400
    assert signed_in_as(other_browser) is None
    assert refusals() == ["invalid_token"]


def test_a_callback_with_a_state_the_browser_was_not_given_is_refused(client, sso, connected):
    sso.sign_in_as(**entra("entra-ann", connected.learner_a.email))
    response = sso_sign_in(client, state="forged-state")
    assert response.status_code == 400 and "Start again" in response.get_data(as_text=True)
    assert signed_in_as(client) is None
    assert refusals() == ["expired"]


def test_an_unverified_email_links_nothing(client, sso, connected):
    sso.sign_in_as(**entra("entra-x", connected.learner_a.email, email_verified=False))
    response = sso_sign_in(client)
    assert response.status_code == 403 and "not verified" in response.get_data(as_text=True)
    assert db.session.scalar(select(SsoIdentity)) is None
    assert refusals() == ["unverified_email"]


def test_a_tenant_no_organisation_connected_is_refused(client, sso, connected):
    sso.sign_in_as(**entra("entra-x", "someone@elsewhere.example", tid="00000000-0000-0000-0000-000000000001"))
    response = sso_sign_in(client)
    assert response.status_code == 403 and "has not connected Microsoft" in response.get_data(as_text=True)
    assert refusals() == ["wrong_tenant"]


@pytest.mark.parametrize("who", ["learner_b", "admin"])
def test_an_account_of_another_organisation_or_an_administrators_is_not_linked(client, sso, connected, who):
    sso.sign_in_as(**entra("entra-x", getattr(connected, who).email))
    response = sso_sign_in(client)
    assert response.status_code == 403
    assert db.session.scalar(select(SsoIdentity)) is None
    assert refusals() == ["other_account"]


def test_a_deactivated_account_is_refused(client, sso, connected):
    connected.learner_a.is_active_account = False
    db.session.commit()
    sso.sign_in_as(**entra("entra-ann", connected.learner_a.email))
    response = sso_sign_in(client)
    assert response.status_code == 403 and "deactivated" in response.get_data(as_text=True)
    assert refusals() == ["disabled"]


def test_a_cancelled_consent_says_nothing_changed(client, sso, connected):
    sso.sign_in_as(**entra("entra-ann", connected.learner_a.email))
    sso.next_answer(cancel=True)
    response = sso_sign_in(client)
    assert response.status_code == 400 and "Nothing has changed" in response.get_data(as_text=True)
    assert refusals() == ["cancelled"]


def test_a_provider_that_cannot_be_reached_gets_its_own_page(client, configure_sso, connected):
    configure_sso("http://127.0.0.1:9/.well-known/openid-configuration")  # the discard port: nothing listens
    response = client.get("/sso/microsoft/start")
    assert response.status_code == 502 and "cannot be reached" in response.get_data(as_text=True)
    assert refusals() == ["outage"]


@pytest.mark.parametrize("endpoint", ["/token", "/jwks"])
def test_a_token_or_keys_endpoint_that_fails_gets_the_outage_page(client, sso, connected, endpoint):
    sso.sign_in_as(**entra("entra-ann", connected.learner_a.email))
    sso.next_answer(down=endpoint)
    response = sso_sign_in(client)
    assert response.status_code == 502 and "cannot be reached" in response.get_data(as_text=True)
    assert signed_in_as(client) is None
    assert refusals() == ["outage"]


def test_providers_this_deployment_has_not_registered_are_not_offered(client):
    assert client.get("/sso/microsoft/start").status_code == 404
    assert "Sign in with Microsoft" not in client.get("/login").get_data(as_text=True)


def test_the_login_page_offers_the_registered_providers(client, configure_sso):
    configure_sso("http://127.0.0.1:9/unused")
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with Microsoft" in page and "Sign in with Google" in page


# --- a manager's connection works once they have signed in through it --------------------------


def test_a_managers_connection_opens_nothing_until_they_confirm_it_by_signing_in_through_it(
        client, other_browser, sso, cast, login_as):
    login_as(cast.manager_a)
    client.post("/manage/sso/connections", data={"provider": "microsoft", "tenant": TENANT, "auto_join": "y"})
    sso.sign_in_as(**entra("entra-sam", "sam@alder.example"))
    assert sso_sign_in(other_browser).status_code == 403  # not confirmed: the tenant is nobody's yet
    row = db.session.scalar(select(SsoConnection))
    sso.sign_in_as(**entra("entra-mo", cast.manager_a.email))
    confirmed = through_provider(client, client.get(client.post(f"/manage/sso/connections/{row.id}/confirm").location))
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/manage/sso"
    db.session.refresh(row)
    assert row.confirmed_at is not None
    sso.sign_in_as(**entra("entra-sam", "sam@alder.example"))
    assert sso_sign_in(other_browser).status_code == 302


def test_signing_in_through_another_tenant_confirms_nothing(client, sso, cast, login_as):
    login_as(cast.manager_a)
    client.post("/manage/sso/connections", data={"provider": "microsoft", "tenant": TENANT})
    row = db.session.scalar(select(SsoConnection))
    sso.sign_in_as(**entra("entra-mo", cast.manager_a.email, tid="00000000-0000-0000-0000-000000000002"))
    through_provider(client, client.get(client.post(f"/manage/sso/connections/{row.id}/confirm").location))
    assert "is not in" in client.get("/manage/sso").get_data(as_text=True)
    db.session.refresh(row)
    assert row.confirmed_at is None


def test_an_administrators_connection_works_at_once(client, sso, cast, login_as):
    login_as(cast.admin)
    client.post(f"/manage/sso/connections?org={cast.org_a.id}", data={"provider": "microsoft", "tenant": TENANT,
                                                                      "auto_join": "y"})
    assert db.session.scalar(select(SsoConnection.confirmed_at)) is not None


def test_the_link_is_in_the_persons_export_and_goes_with_their_account(client, sso, connected, make):
    learner = connected.learner_a
    sso.sign_in_as(**entra("entra-ann", learner.email))
    sso_sign_in(client)
    exported = export_personal_data(learner, actor=learner)["sign_in_accounts"]
    assert [(a["provider"], a["subject"], a["tenant"]) for a in exported] == [("microsoft", "entra-ann", TENANT)]
    delete_account(learner, make.PASSWORD, actor=learner)
    assert db.session.scalar(select(SsoIdentity)) is None
