"""At 375 px the tables are cards: My certificates' Download link is on screen, the matrix shows each person's
course statuses, nothing scrolls sideways, and a removal asks first and can be undone. axe runs on each screen
at 375 and 1280 px (no serious or critical violation). The screenshots go to a temporary folder, or to
docs/screenshots/phone-*.png with PHONE_SCREENSHOTS=1 (as committed)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.journeys import make_manager, pass_course_with_services, submit, watch
from tests.browser.live import DESKTOP, PASSWORD, PHONE, ROOT, LiveServer
from tests.browser.test_accessibility import AxeScanner

pytestmark = pytest.mark.browser

DOCS = ROOT / "docs" / "screenshots"


@dataclass
class School:
    manager_email: str
    totp_secret: str
    learner_email: str
    learner_id: int


@pytest.fixture(scope="module")
def school(live: LiveServer) -> Iterator[School]:
    """A manager with two-factor sign-in on, and a member of staff who has passed the sample course."""
    from elearn.auth import two_factor
    from elearn.auth.service import register_user
    from elearn.clock import london_today
    from elearn.compliance.assignments import assign_course
    from elearn.extensions import db
    from elearn.models import Course, User

    manager_email, _ = make_manager(live)
    learner_email = live.unique_email("phone-learner")
    with live.context():
        manager = db.session.scalars(select(User).where(User.email == manager_email)).one()
        secret = two_factor.start_setup(manager)
        two_factor.confirm_setup(manager, secret, pyotp.TOTP(secret).now(), password=PASSWORD)
        learner = register_user("Alexandra Longname-Whitfield", learner_email, PASSWORD, organisation_id=manager.organisation_id)
        learner_id = learner.id
        course = db.session.scalars(select(Course).where(Course.slug == "sample-course")).one()
        assign_course(manager.organisation, course.id, london_today() + timedelta(days=30), user_id=learner_id, actor=manager)
    pass_course_with_services(live, learner_email)
    yield School(manager_email, secret, learner_email, learner_id)


def _log_in(page: Page, live: LiveServer, email: str, totp_secret: str | None = None) -> None:
    page.goto(live.url + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    submit(page, "Log in")
    if totp_secret is not None:
        # the next time step: the set-up used the current one, and the server accepts one step of drift
        page.locator("#code").fill(pyotp.TOTP(totp_secret).at(datetime.now() + timedelta(seconds=30)))
        page.locator("main form input[type=submit], main form button[type=submit]").last.click()
        page.wait_for_load_state("load")


@pytest.fixture(scope="module")
def manager(browser, live: LiveServer, school: School) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    """The manager signed in once, on a phone (each two-factor code is accepted once, so one sign-in serves all)."""
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    _log_in(page, live, school.manager_email, school.totp_secret)
    yield page
    context.close()


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px at {page.viewport_size}"


def _in_viewport_width(page: Page, locator) -> None:  # type: ignore[no-untyped-def]
    box = locator.bounding_box()
    assert box is not None, "not drawn"
    width = page.viewport_size["width"]  # type: ignore[index]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{box} is outside 0..{width} px"


@pytest.fixture
def shoot(axe_source: str, tmp_path: Path) -> Iterator:  # type: ignore[type-arg]
    """Screenshot a screen at both widths and scan it with axe; the test fails at the end on any serious violation."""
    scanner = AxeScanner(axe_source)
    folder = DOCS if os.environ.get("PHONE_SCREENSHOTS") else tmp_path

    def take(page: Page, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for label, viewport in (("1280", DESKTOP), ("375", PHONE)):
            page.set_viewport_size(viewport)
            page.screenshot(path=str(folder / f"phone-{name}-{label}.png"), full_page=True, animations="disabled")
            scanner.run(page, f"{name} @{label}")
        page.set_viewport_size(PHONE)

    yield take
    scanner.assert_clean()


def test_my_certificates_download_link_is_on_screen_on_a_phone(new_page, live, school, shoot) -> None:
    page = new_page(viewport=PHONE)
    problems = watch(page)
    _log_in(page, live, school.learner_email)
    page.goto(live.url + "/my-certificates")
    link = page.get_by_role("link", name="Download PDF")
    expect(link.first).to_be_visible()
    _in_viewport_width(page, link.first)
    _no_sideways_scroll(page)
    shoot(page, "my-certificates")
    problems.assert_none("My certificates")


def test_the_matrix_shows_each_persons_course_statuses_on_a_phone(manager, live, school, shoot) -> None:
    page = manager
    problems = watch(page)
    page.goto(live.url + "/manage/matrix")
    row = page.locator("table.matrix tbody tr", has_text="Alexandra Longname-Whitfield")
    status = row.locator(".status-compliant")
    expect(status).to_be_visible()
    expect(status).to_have_text("Compliant")
    expect(row.locator(".status")).to_have_count(len(page.locator("table.matrix thead th").all()) - 3)  # every course
    _in_viewport_width(page, status)
    label = status.evaluate("el => getComputedStyle(el.closest('td'), '::before').content")
    assert "Sample" in label or "course" in label.lower(), label  # the cell names its course
    _no_sideways_scroll(page)
    shoot(page, "matrix")
    for path in ("/manage/people", f"/manage/people/{school.learner_id}"):
        page.goto(live.url + path)
        _no_sideways_scroll(page)
        shoot(page, "people" if path.endswith("people") else "learner")
    problems.assert_none("the manager's pages")


def test_on_a_phone_removing_an_assignment_asks_first_and_can_be_undone(manager, live, school, shoot) -> None:
    page = manager
    problems = watch(page)
    page.goto(live.url + f"/manage/people/{school.learner_id}")
    remove = page.get_by_role("link", name="Remove the assignment of Sample safeguarding refresher")
    _in_viewport_width(page, remove)
    remove.click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Remove Sample safeguarding refresher")
    shoot(page, "confirm-remove")
    submit(page, "Remove the assignment")
    undo = page.get_by_role("button", name="Undo")
    expect(undo).to_be_visible()
    _in_viewport_width(page, undo)
    shoot(page, "undo")
    undo.click()
    page.wait_for_load_state("load")
    expect(page.locator(".flash-region")).to_contain_text("Assignment restored")
    expect(page.locator("#assigned ~ .table-scroll table").first).to_contain_text("Sample safeguarding refresher")
    _no_sideways_scroll(page)
    problems.assert_none("remove and undo")
