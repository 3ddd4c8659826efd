"""The manager's journey in Chromium: two-factor set-up, invite, assign, the status change, exports."""

from __future__ import annotations

import pytest

from tests.browser.journeys import export_urls, health_checkpoint, manager_journey, watch

pytestmark = pytest.mark.browser


def test_manager_journey_invite_assign_and_see_the_learner_pass(new_page, live) -> None:
    manager, learner = new_page(), new_page()
    problems, learner_problems = watch(manager), watch(learner)
    checkpoint = health_checkpoint(problems)

    def either(page, name):  # type: ignore[no-untyped-def]
        (checkpoint if page is manager else health_checkpoint(learner_problems))(page, name)

    result = manager_journey(manager, learner, live, either)
    assert len(result.exports_checked) == len(export_urls(live))


def test_the_journey_covers_the_csv_pdf_and_zip_exports(live) -> None:
    assert {"/manage/matrix/export.csv", "/manage/training-record.pdf", "/manage/certificates.zip"} <= set(export_urls(live))
