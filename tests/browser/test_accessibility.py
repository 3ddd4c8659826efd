"""axe-core on every screen of both journeys, at 375 px (a phone) and 1280 px (a desktop).

The journeys run at phone width, so the phone layout is exercised for real; on each screen axe runs,
the window widens to 1280 px, axe runs again, and the window narrows back. Serious or critical
violations of the WCAG 2.0/2.1/2.2 A and AA rules fail the test, with every violation printed.
"""

from __future__ import annotations

import json

import pytest

from tests.browser.journeys import PageProblems, learner_journey, manager_journey, watch
from tests.browser.live import DESKTOP, PHONE

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}


class AxeScanner:
    def __init__(self, axe_source: str) -> None:
        self.axe_source = axe_source
        self.scanned: list[str] = []
        self.failures: list[str] = []

    def run(self, page, name: str) -> None:  # type: ignore[no-untyped-def]
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(self.axe_source)  # evaluate is not subject to the page's CSP; a script tag would be
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS,
        )
        self.scanned.append(name)
        for violation in result["violations"]:
            if violation["impact"] in BLOCKING:
                nodes = "\n".join(f"      {n['target']}: {n['failureSummary']}".replace("\n", " ")
                                  for n in violation["nodes"][:5])
                self.failures.append(f"{name} [{page.url}]\n  {violation['id']} ({violation['impact']}): "
                                     f"{violation['help']} {violation['helpUrl']}\n{nodes}")

    def checkpoint(self, problems: PageProblems):  # type: ignore[no-untyped-def]
        def check(page, name: str) -> None:  # type: ignore[no-untyped-def]
            page.wait_for_load_state("load")
            problems.assert_none(name)
            width = page.viewport_size["width"]
            for label, size in (("375", PHONE), ("1280", DESKTOP)):
                page.set_viewport_size(size)
                self.run(page, f"{name} @{label}")
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                if overflow > 0:  # WCAG 1.4.10 reflow: no sideways scrolling of the page (wide tables scroll inside)
                    self.failures.append(f"{name} @{label} [{page.url}]\n  the page is {overflow}px wider than the window")
            page.set_viewport_size(PHONE if width < 600 else DESKTOP)

        return check

    def assert_clean(self) -> None:
        assert not self.failures, (f"{len(self.failures)} serious or critical axe violations:\n\n"
                                   + "\n\n".join(self.failures))


def test_every_learner_screen_passes_axe_at_both_widths(new_page, live, axe_source) -> None:
    page = new_page(viewport=PHONE)
    scanner = AxeScanner(axe_source)
    learner_journey(page, live, scanner.checkpoint(watch(page)))
    print(json.dumps(scanner.scanned))
    assert len(scanner.scanned) >= 40
    scanner.assert_clean()


def test_every_manager_screen_passes_axe_at_both_widths(new_page, live, axe_source) -> None:
    manager, learner = new_page(viewport=PHONE), new_page(viewport=PHONE)
    scanner = AxeScanner(axe_source)
    problems = {id(manager): watch(manager), id(learner): watch(learner)}

    def check(page, name: str) -> None:  # type: ignore[no-untyped-def]
        scanner.checkpoint(problems[id(page)])(page, name)

    manager_journey(manager, learner, live, check)
    print(json.dumps(scanner.scanned))
    scanner.assert_clean()
