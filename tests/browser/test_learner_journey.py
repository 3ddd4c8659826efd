"""The learner's whole journey in Chromium: register, learn, fail, retake, pass, certificate, verification."""

from __future__ import annotations

import pytest

from tests.browser.journeys import health_checkpoint, learner_journey, watch

pytestmark = pytest.mark.browser


def test_learner_journey_from_registration_to_a_verified_certificate(new_page, live) -> None:
    page = new_page()
    problems = watch(page)
    result = learner_journey(page, live, health_checkpoint(problems))
    assert len(result.certificate_code.replace("-", "")) == 16
    problems.assert_none("the learner journey")


def test_the_lesson_contents_are_closed_on_phones_and_open_on_desktop(new_page, live) -> None:
    from tests.browser.live import DESKTOP, PHONE

    page = new_page(viewport=PHONE)
    problems = watch(page)
    learner_journey_until_lesson(page, live)
    contents = page.locator("details.contents-toggle")
    assert contents.get_attribute("open") is None
    page.set_viewport_size(DESKTOP)
    page.wait_for_function("document.querySelector('details.contents-toggle').open")
    problems.assert_none("the lesson player")


def learner_journey_until_lesson(page, live) -> None:  # type: ignore[no-untyped-def]
    from tests.browser.journeys import SAMPLE_TITLE, emailed_link, follow, submit
    from tests.browser.live import PASSWORD

    page.goto(live.url + "/register")
    page.locator("#display_name").fill("Sam Phone")
    page.locator("#email").fill(live.unique_email("phone"))
    submit(page, "Create account")
    page.goto(emailed_link(live, "/register/"))
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    submit(page, "Create account")
    follow(page, SAMPLE_TITLE)
    submit(page, "Start course")
