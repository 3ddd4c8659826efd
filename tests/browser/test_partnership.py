"""The partnership's officer in a real browser: signs in, lands on the returns overview, opens the figures and the
reminder confirmation, sends the reminders; axe finds no serious or critical violation at 1,280 and 375 px and no
page scrolls sideways."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.journeys import follow, submit, totp_code, watch
from tests.browser.live import PASSWORD, PHONE, LiveServer
from tests.browser.test_accessibility import AxeScanner

pytestmark = pytest.mark.browser


def make_partnership(live: LiveServer) -> tuple[str, str]:
    """A partnership of eight schools in two trusts and none, six of which returned this year; its officer (two-factor
    on); the email and the TOTP secret."""
    from elearn.auth.service import register_user
    from elearn.db import now_utc
    from elearn.extensions import db
    from elearn.models import Organisation, OrganisationKind, Phase, Role
    from elearn.partnerships.service import current_academic_year
    from tests.partnerships.makers import join, signed_return

    email, secret = live.unique_email("officer"), pyotp.random_base32()
    with live.context():
        n = live.serial[0]
        partnership = Organisation(name=f"Riverside Safeguarding Partnership {n}", slug=f"partnership-{n}",
                                   kind=OrganisationKind.PARTNERSHIP)
        trusts = [Organisation(name=f"{name} Trust {n}", slug=f"{name.lower()}-{n}", kind=OrganisationKind.TRUST)
                  for name in ("Oak", "Elm")]
        db.session.add_all([partnership, *trusts])
        db.session.flush()
        schools = [Organisation(name=f"School {n}-{i}", slug=f"school-{n}-{i}", phase=Phase.PRIMARY if i < 5 else
                                Phase.SECONDARY, trust_id=trusts[i % 2].id if i < 6 else None) for i in range(8)]
        db.session.add_all(schools)
        db.session.commit()
        for i, school in enumerate(schools):
            join(partnership, school)
            if i < 6:
                signed_return(school, current_academic_year(), default=(18, 20))
        officer = register_user("Pat Partnership", email, PASSWORD, role=Role.MANAGER,
                                organisation_id=partnership.id)
        officer.totp_secret, officer.totp_enabled_at = secret, now_utc()
        manager = register_user("Hana Head", live.unique_email("head"), PASSWORD, role=Role.MANAGER,
                                organisation_id=schools[7].id)
        db.session.commit()
        assert manager.id  # the one outstanding school with someone to write to
    return email, secret


def test_the_partnership_overview_passes_axe_at_both_widths(new_page, live, axe_source) -> None:
    email, secret = make_partnership(live)
    page = new_page()
    problems = watch(page)
    scanner = AxeScanner(axe_source)
    check = scanner.checkpoint(problems)
    page.goto(live.url + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    submit(page, "Log in")
    page.locator("#code").fill(totp_code(secret, set()))
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_load_state("load")
    expect(page).to_have_url(re.compile(r"/partnership/$"))  # the officer lands on the returns
    expect(page.get_by_role("heading", level=1)).to_contain_text("Training section returns")
    check(page, "partnership-overview")

    follow(page, "Figures across settings", within="nav.manage-nav")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Figures across settings")
    check(page, "partnership-figures")

    follow(page, "Returns", within="nav.manage-nav")
    follow(page, "Remind the outstanding settings")
    check(page, "partnership-reminders")
    submit(page, "Send the reminder")
    expect(page.locator(".flash-success")).to_contain_text("Reminders sent to 1 setting")
    check(page, "partnership-overview-after-reminders")

    phone = new_page(viewport=PHONE)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(live.url + "/partnership/")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Training section returns")
    scanner.checkpoint(watch(phone))(phone, "partnership-overview-phone")
    scanner.assert_clean()
    assert len(scanner.scanned) == 10  # five screens, each at 375 and 1,280 px
