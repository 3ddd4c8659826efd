"""The DSL's sign-off of the audit's training section in a real browser: review, an error, confirm, sign, the signed
return; axe on every screen at 375 px and 1280 px (no serious or critical violation), no sideways page scroll."""

from __future__ import annotations

import json
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.journeys import submit, watch
from tests.browser.live import PHONE, LiveServer
from tests.browser.test_accessibility import AxeScanner

pytestmark = pytest.mark.browser
PASSWORD = "a long test passphrase"


def make_school(live: LiveServer) -> tuple[int, str, int]:
    """A setting with its DSL (a learner holding the duty), two staff and a governor: (setting id, DSL's email,
    the current academic year)."""
    from elearn.auth.service import register_user
    from elearn.clock import london_today
    from elearn.extensions import db
    from elearn.models import Duty, MemberDuty, MemberKind, Organisation, OrganisationKind, Role
    from elearn.returns.measures import AcademicYear

    email = live.unique_email("dsl")
    with live.context():
        trust = Organisation(name=f"Oak Trust {live.serial[0]}", slug=f"oak-{live.serial[0]}",
                             kind=OrganisationKind.TRUST)
        db.session.add(trust)
        db.session.flush()
        school = Organisation(name=f"Alder Primary {live.serial[0]}", slug=f"alder-{live.serial[0]}", trust_id=trust.id)
        db.session.add(school)
        db.session.commit()
        dsl = register_user("Dee Lead", email, PASSWORD, role=Role.LEARNER, organisation_id=school.id)
        db.session.add(MemberDuty(user_id=dsl.id, organisation_id=school.id, duty=Duty.DSL, since=date(2024, 9, 1)))
        for name, kind in (("Ann Ash", MemberKind.STAFF), ("Ben Birch", MemberKind.STAFF),
                           ("Ida Governor", MemberKind.GOVERNOR)):
            person = register_user(name, live.unique_email("staff"), PASSWORD, role=Role.LEARNER,
                                   organisation_id=school.id)
            person.member_kind = kind
        db.session.commit()
        return school.id, email, AcademicYear.containing(london_today()).starts


def test_the_dsl_signs_off_the_training_section_and_every_screen_passes_axe(new_page, live, axe_source) -> None:
    setting_id, email, year = make_school(live)
    page = new_page(viewport=PHONE)
    scanner = AxeScanner(axe_source)
    check = scanner.checkpoint(watch(page))
    page.goto(live.url + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    submit(page, "Log in")
    page.goto(live.url + "/returns/")
    check(page, "returns-index")
    page.get_by_role("link", name=f"{year}/").first.click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Training section")
    check(page, "returns-review")

    # A text-direction override (the browser's maxlength already stops a comment too long): refused, nothing signed.
    page.locator("#comment_induction").fill("Figures \u202egpj.exe")
    submit(page, "Review and sign")
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    check(page, "returns-review-error")

    page.locator("#comment_induction").fill("Two new starters begin their induction in September.")
    page.locator("#comment_kcsie_read").fill("Staff briefing on the new edition booked.")
    submit(page, "Review and sign")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sign off the training section")
    check(page, "returns-confirm")
    submit(page, "Sign off")
    expect(page.get_by_role("heading", level=1)).to_contain_text("version 1, signed")
    expect(page.locator("main")).to_contain_text("Two new starters begin their induction in September.")
    check(page, "returns-signed")

    with live.context():
        from elearn.extensions import db
        from elearn.models import AuditReturn

        signed = db.session.query(AuditReturn).filter_by(organisation_id=setting_id).one()
        assert json.loads(signed.snapshot)["signed_by"] == "Dee Lead"
    print(json.dumps(scanner.scanned))
    assert len(scanner.scanned) == 10
    scanner.assert_clean()
