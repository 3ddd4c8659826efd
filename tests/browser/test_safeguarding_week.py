"""A designated safeguarding lead's week in Chromium, at 1,280 px and at 375 px (each walk runs at both widths,
so the phone's card layout is used for real), with axe on every screen (no serious or critical violation) and
no sideways scrolling. The walks themselves are in tests/browser/week.py, which `make screenshots` drives too:

- a course assigned to a group reaches a teacher invited into the group afterwards, due 14 days after joining;
- a reminder sent from a filtered matrix, through the page that shows the message first, at most one a day;
- an INSET session recorded once for a group and a person, counting towards compliance in the matrix;
- a policy published to read and understood, confirmed by a learner, shown in the report, the matrix and its CSV, and
  asked again when a new version is published;
- the inspection record PDF: the school's name and the date on every page, each person's completion date, score,
  certificate code and expiry; and the one-person record for a staff file.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from tests.browser import week
from tests.browser.journeys import PageProblems, watch
from tests.browser.live import DESKTOP, PHONE
from tests.browser.test_accessibility import AxeScanner

pytestmark = pytest.mark.browser

WIDTHS = {"1280": DESKTOP, "375": PHONE}


# --- the checks on every screen ---------------------------------------------------------------


class Screens:
    """axe at the walk's width, no sideways scrolling, no CSP violation or script error; fails at the end."""

    def __init__(self, axe_source: str, width: str) -> None:
        self.scanner = AxeScanner(axe_source)
        self.width = width
        self.problems: dict[int, PageProblems] = {}
        self.checked: list[str] = []

    def watch(self, page: Page) -> Page:
        self.problems[id(page)] = watch(page)
        return page

    def check(self, page: Page, name: str) -> None:
        page.wait_for_load_state("load")
        self.problems[id(page)].assert_none(f"{name} ({page.url})")
        self.scanner.run(page, f"{name} @{self.width}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:  # WCAG 1.4.10 reflow: wide tables scroll inside their region, never the page
            self.scanner.failures.append(f"{name} @{self.width} [{page.url}]: the page is {overflow}px too wide")
        self.checked.append(name)

    def assert_clean(self) -> None:
        self.scanner.assert_clean()


@pytest.fixture(params=list(WIDTHS))
def width(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def screens(axe_source: str, width: str) -> Iterator[Screens]:
    checks = Screens(axe_source, width)
    yield checks
    checks.assert_clean()


@pytest.fixture
def open_page(new_page, width: str, screens: Screens):  # type: ignore[no-untyped-def]
    """A page at the walk's width, in its own browser context, watched for CSP violations and script errors."""
    return lambda: screens.watch(new_page(viewport=WIDTHS[width]))


# --- the walks --------------------------------------------------------------------------------


def test_a_course_assigned_to_a_group_reaches_a_teacher_invited_into_it_later(live, open_page, screens) -> None:
    week.group_assignment_reaches_a_later_joiner(live, open_page, screens.check)


def test_a_reminder_goes_to_the_people_of_a_filtered_matrix_after_the_message_is_shown(live, open_page, screens) -> None:
    week.reminder_from_a_filtered_matrix(live, open_page, screens.check)


def test_an_inset_session_is_recorded_once_for_a_group_and_counts_in_the_matrix(live, open_page, screens) -> None:
    week.inset_session_for_a_group(live, open_page, screens.check)


def test_a_policy_is_published_read_and_understood_and_reported(live, open_page, screens) -> None:
    week.policy_from_publish_to_report(live, open_page, screens.check)


def test_the_inspection_record_pdf_holds_names_dates_scores_and_codes_on_every_page(live, open_page, screens) -> None:
    week.inspection_record_pdf(live, open_page, screens.check)
