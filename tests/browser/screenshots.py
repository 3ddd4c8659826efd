"""`make screenshots`: every screen of the learner's and the manager's journeys, at 1280 px and 375 px,
saved as docs/screenshots/<screen>-<width>.png (full-page). Needs Chromium at /usr/bin/chromium."""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tests.browser import week
from tests.browser.journeys import learner_journey, manager_journey
from tests.browser.live import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, ROOT, live_server

OUT = ROOT / "docs" / "screenshots"


def main() -> int:
    if not Path(CHROMIUM).exists():
        print(f"Chromium not found at {CHROMIUM}: apt-get install chromium", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    saved: list[str] = []

    def shoot(page: Page, name: str) -> None:
        if any(s.startswith(name + "-") for s in saved):
            return  # the second attempt's question page looks like the first
        page.wait_for_load_state("load")
        size = page.viewport_size
        for label, viewport in (("1280", DESKTOP), ("375", PHONE)):
            page.set_viewport_size(viewport)
            path = OUT / f"{name}-{label}.png"
            page.screenshot(path=str(path), full_page=True, animations="disabled", caret="initial")
            saved.append(path.name)
        page.set_viewport_size(size)

    with live_server() as live, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            contexts = [browser.new_context(viewport=DESKTOP, accept_downloads=True, locale="en-GB") for _ in range(3)]
            learner_journey(contexts[0].new_page(), live, shoot)
            manager_journey(contexts[1].new_page(), contexts[2].new_page(), live, shoot)
            # A safeguarding lead's week (tests/browser/week.py), each walk in fresh browser contexts.
            for walk in week.WALKS:
                walk(live, lambda: browser.new_context(viewport=DESKTOP, accept_downloads=True,
                                                       locale="en-GB").new_page(),
                     lambda page, name: shoot(page, f"week-{name}"))
        finally:
            browser.close()
    print(f"{len(saved)} screenshots in {OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
