"""Face-to-face session requirements in a real browser: the manager's dashboard with its session counts, the
matrix with a column per session topic (all of them, then one topic picked and sorted by status, then filtered to
the overdue), and the requirements page with its "nothing required for this role" button, pressed. axe finds no
serious or critical violation at 1,280 and 375 px, and no page scrolls sideways."""

from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.journeys import submit, watch
from tests.browser.live import PASSWORD, PHONE, LiveServer
from tests.browser.test_accessibility import AxeScanner
from tests.browser.week import sign_in

pytestmark = pytest.mark.browser


def make_school_with_duties(live: LiveServer) -> tuple[str, str]:
    """A school that follows the KCSIE defaults (set three years ago), its manager (two-factor on), a DSL overdue on
    DSL training, a safer recruiter compliant on safer recruitment, a new deputy within her induction and a
    teacher overdue on a course; the manager's email and TOTP secret."""
    from sqlalchemy import update

    from elearn.auth.service import register_user
    from elearn.clock import LONDON, add_months, london_today
    from elearn.db import now_utc
    from elearn.extensions import db
    from elearn.models import Course, Organisation, Role, TrainingRequirement
    from elearn.network import requirement_sets, service
    from elearn.network.requirements import DSL_TRAINING_TOPIC, SAFER_RECRUITMENT_TOPIC
    from elearn.training import sessions
    from elearn.training.sessions import SessionInput
    from tests.makers import Makers, days

    email, secret = live.unique_email("head"), pyotp.random_base32()
    with live.context():
        n = live.serial[0]
        school = Organisation(name=f"Alder Primary {n}", slug=f"alder-sessions-{n}")
        db.session.add(school)
        db.session.commit()
        head = register_user("Hana Head", email, PASSWORD, role=Role.MANAGER, organisation_id=school.id)
        head.totp_secret, head.totp_enabled_at = secret, now_utc()
        db.session.commit()
        requirement_sets.adopt_defaults(school, actor=head)
        db.session.execute(update(TrainingRequirement).where(TrainingRequirement.organisation_id == school.id)
                           .values(created_at=datetime.combine(add_months(london_today(), -36), time(12),
                                                               tzinfo=LONDON)))
        make = Makers(live.app)
        people = {name: make.user(name=name, email=live.unique_email("staff"), org=school)
                  for name in ("Dee Lead", "Rob Recruiter", "Nia Deputy", "Tom Teacher")}
        for person in people.values():
            person.joined_organisation_at = datetime.combine(add_months(london_today(), -60), time(9), tzinfo=LONDON)
        db.session.commit()
        service.add_duty(school, people["Dee Lead"], "dsl", add_months(london_today(), -48), actor=head)
        service.add_duty(school, people["Rob Recruiter"], "safer_recruiter", add_months(london_today(), -48),
                         actor=head)
        service.add_duty(school, people["Nia Deputy"], "deputy_dsl", days(-10), actor=head)
        sessions.record_session(school, SessionInput(DSL_TRAINING_TOPIC, "Local authority DSL team",
                                                     add_months(london_today(), -25), Decimal(6)),
                                user_ids=[people["Dee Lead"].id], group_ids=[], register=None, actor=head)
        make.external_training(user=people["Rob Recruiter"], title=SAFER_RECRUITMENT_TOPIC, provider="NSPCC",
                               completed_on=days(-365))
        course = db.session.query(Course).filter_by(slug="sample-course").one()
        make.assignment(user=people["Tom Teacher"], course=course, due_in_days=-3)
    return email, secret


def test_the_session_cells_pages_pass_axe_at_both_widths(new_page, live, axe_source, tmp_path) -> None:
    """The matrix at 375 px is also saved as a picture (in pytest's temporary folder) for a person to look at."""
    from elearn.network.requirements import DSL_TRAINING_TOPIC

    email, secret = make_school_with_duties(live)
    page = new_page(viewport=PHONE)
    scanner = AxeScanner(axe_source)
    check = scanner.checkpoint(watch(page))
    sign_in(page, live, email, secret)

    page.goto(live.url + "/manage/")
    expect(page.locator("main")).to_contain_text("Face-to-face sessions")
    check(page, "dashboard-with-sessions")

    page.goto(live.url + "/manage/matrix")
    expect(page.locator("table.matrix")).to_contain_text(DSL_TRAINING_TOPIC)
    check(page, "matrix-with-session-columns")
    page.screenshot(path=str(tmp_path / "matrix-sessions-375.png"), full_page=True)

    # One topic picked from the same list as the courses, sorted by status: the deputy (not started) after the DSL.
    page.locator("#course").select_option(label=f"Face-to-face: {DSL_TRAINING_TOPIC}")
    page.locator("#sort").select_option("status")
    submit(page, "Show")
    rows = page.locator("table.matrix tbody th[scope=row] > a:first-child")
    expect(rows).to_have_text([re.compile("Dee Lead"), re.compile("Nia Deputy")])
    check(page, "matrix-one-topic-by-status")

    page.goto(live.url + "/manage/matrix?status=overdue&sort=status")
    expect(rows).to_have_text([re.compile("Dee Lead"), re.compile("Tom Teacher")])  # a session, a course
    check(page, "matrix-overdue")
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(tmp_path / "matrix-overdue-375.png"), full_page=True)

    page.goto(live.url + "/manage/requirements")
    expect(page.locator("main")).to_contain_text("Nothing required for this role")
    check(page, "requirements")
    page.get_by_role("button", name="Nothing required for this role: governor", exact=True).click()
    page.wait_for_load_state("load")
    expect(page.locator("main")).to_contain_text("Nothing required: set by this school")
    check(page, "requirements-nothing-required")

    scanner.assert_clean()
    assert len(scanner.scanned) == 12  # six screens, each at 375 and 1,280 px
