"""Signing in with Microsoft or Google in Chromium, through the pages of a real OpenID provider (oidc-provider on
Node, tests/sso/provider) started on loopback for the live server: the person presses "Sign in with Microsoft" on
elearn's login page, types their email and password on the provider's sign-in page, accepts its consent page and
lands signed in on elearn; a Workspace domain no organisation has connected, and a cancelled consent, end on
elearn's page saying what happened and what to do. elearn's pages are scanned with axe at both widths.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.journeys import health_checkpoint, watch
from tests.browser.live import DESKTOP, PHONE, LiveServer
from tests.browser.test_accessibility import AxeScanner
from tests.sso.conftest import TENANT, OpenIdProvider, running_provider, sso_settings

pytestmark = pytest.mark.browser

PROVIDER_PASSWORD = "correct horse battery staple"
WIDTHS = {"1280": DESKTOP, "375": PHONE}


@pytest.fixture(scope="module")
def provider(live: LiveServer) -> Iterator[OpenIdProvider]:
    """The test provider, accepting the live server's callbacks; the live app signs in with Microsoft and Google
    through it for this module's tests, then goes back to its own settings."""
    from elearn.sso.client import init_sso

    callbacks = [f"{live.url}/sso/{name}/callback" for name in ("microsoft", "google")]
    with running_provider(callbacks) as openid_provider:
        saved = {key: live.app.config.get(key) for key in [*sso_settings(""), "SSO_TIMEOUT_SECONDS"]}
        live.app.config.update(sso_settings(f"{openid_provider.issuer}/.well-known/openid-configuration")
                               | {"SSO_TIMEOUT_SECONDS": 5})
        init_sso(live.app)
        try:
            yield openid_provider
        finally:
            live.app.config.update(saved)
            init_sso(live.app)


@pytest.fixture(scope="module")
def school(live: LiveServer) -> dict[str, Any]:
    """A school that has connected its Entra tenant, letting staff who sign in that way join automatically."""
    from elearn.db import now_utc
    from elearn.extensions import db
    from elearn.models import Organisation, SsoConnection

    with live.context():
        org = Organisation(name="Alder Community School", slug="alder-sso")
        db.session.add(org)
        db.session.flush()
        db.session.add(SsoConnection(organisation_id=org.id, provider="microsoft", tenant=TENANT, auto_join=True,
                                     confirmed_at=now_utc()))
        db.session.commit()
        return {"id": org.id, "name": org.name}


@pytest.fixture(params=list(WIDTHS))
def page(request: pytest.FixtureRequest, new_page) -> Page:  # type: ignore[no-untyped-def]
    return new_page(viewport=WIDTHS[request.param])  # type: ignore[no-any-return]


@pytest.fixture
def scanner(axe_source: str) -> Iterator[AxeScanner]:
    """axe on elearn's pages at both widths (the provider's own pages are not ours to judge)."""
    scanner = AxeScanner(axe_source)
    yield scanner
    scanner.assert_clean()


def scan(page: Page, scanner: AxeScanner, name: str) -> None:
    width = page.viewport_size
    for label, size in (("1280", DESKTOP), ("375", PHONE)):
        page.set_viewport_size(size)
        scanner.run(page, f"{name} @{label}")
    page.set_viewport_size(width or DESKTOP)


def through_the_providers_pages(page: Page, provider: OpenIdProvider, button: str, email: str, *,
                                consent: str = "Accept") -> None:
    """On elearn's login page press the button, then sign in and answer consent on the provider's pages."""
    page.get_by_role("link", name=button).click()
    page.wait_for_load_state("load")
    assert page.url.startswith(provider.issuer), page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to your account")
    page.get_by_label("Email, phone or Skype").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("alert")).to_have_text("Your account or password is incorrect.")
    page.get_by_label("Email, phone or Skype").fill(email)
    page.get_by_label("Password").fill(PROVIDER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text("Permissions requested")
    expect(page.locator("main ul")).to_contain_text("email")
    page.get_by_role("button", name=consent).click()
    page.wait_for_load_state("load")


def refusals(live: LiveServer) -> list[str]:
    from elearn.extensions import db
    from elearn.models import AuditEvent

    with live.context():
        return [e.details["reason"] for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "sso.refused").order_by(AuditEvent.id))]


def test_a_member_of_staff_signs_in_with_microsoft_through_the_providers_pages_and_joins_the_school(
        page, live, provider, school, scanner) -> None:
    from elearn.extensions import db
    from elearn.models import SsoIdentity, User

    problems = watch(page)
    email = live.unique_email("sam.starter").replace("@example.org", "@alder.example")
    provider.sign_in_as(sub=f"entra-{email}", email=email, email_verified=True, name="Sam Starter", tid=TENANT,
                        amr=["pwd"], password=PROVIDER_PASSWORD)
    page.goto(live.url + "/login")
    scan(page, scanner, "login-with-sso-buttons")
    expect(page.get_by_role("link", name="Sign in with Google")).to_be_visible()
    through_the_providers_pages(page, provider, "Sign in with Microsoft", email)

    expect(page).to_have_url(f"{live.url}/my-learning")
    expect(page.locator(".nav-user")).to_contain_text("Sam Starter")
    health_checkpoint(problems)(page, "my-learning after signing in with Microsoft")
    scan(page, scanner, "my-learning-after-sso")
    with live.context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        identity = db.session.scalars(select(SsoIdentity).where(SsoIdentity.user_id == user.id)).one()
        assert (user.organisation_id, user.password_hash, identity.provider, identity.tenant) == (
            school["id"], None, "microsoft", TENANT)


def test_a_google_domain_no_organisation_connected_is_refused_with_what_to_do(page, live, provider, scanner) -> None:
    problems = watch(page)
    email = live.unique_email("pat").replace("@example.org", "@unknown-school.example")
    provider.sign_in_as(sub=f"google-{email}", email=email, email_verified=True, name="Pat Elsewhere",
                        hd="unknown-school.example", password=PROVIDER_PASSWORD)
    before = refusals(live)
    page.goto(live.url + "/login")
    with page.expect_response(re.compile(r"/sso/google/callback")) as callback:
        through_the_providers_pages(page, provider, "Sign in with Google", email)
    assert callback.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Your organisation has not connected Google")
    expect(page.locator("main")).to_contain_text("ask your organisation's elearn manager to connect your organisation")
    expect(page.get_by_role("link", name="Sign in with Google again")).to_be_visible()
    expect(page.locator(".nav-user")).to_have_count(0)
    health_checkpoint(problems)(page, "refused: unknown Workspace domain")
    scan(page, scanner, "sso-refused-unknown-domain")
    assert refusals(live)[len(before):] == ["wrong_tenant"]


def test_cancelling_on_the_providers_consent_page_says_nothing_changed(page, live, provider, school, scanner) -> None:
    email = live.unique_email("cancel").replace("@example.org", "@alder.example")
    provider.sign_in_as(sub=f"entra-{email}", email=email, email_verified=True, name="Chris Cancel", tid=TENANT,
                        password=PROVIDER_PASSWORD)
    before = refusals(live)
    page.goto(live.url + "/login")
    through_the_providers_pages(page, provider, "Sign in with Microsoft", email, consent="Cancel")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in cancelled")
    expect(page.locator("main")).to_contain_text("Nothing has changed")
    expect(page.locator(".nav-user")).to_have_count(0)
    scan(page, scanner, "sso-cancelled")
    assert refusals(live)[len(before):] == ["cancelled"]
