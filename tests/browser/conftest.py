"""Browser tests: a live server on a fresh database and Debian's Chromium, driven by Playwright.

Without Chromium (a fresh laptop) these tests are skipped with the reason; without axe-core
(`npm install --prefix tests/browser`) only the accessibility scans are. In CI (the CI
environment variable is set) a missing browser or axe-core is a failure, never a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.live import AXE, CHROMIUM, CHROMIUM_ARGS, DESKTOP, LiveServer, live_server

IN_CI = bool(os.environ.get("CI"))


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI is set, so the browser tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium not found at {CHROMIUM}: install it (apt-get install chromium) to run the browser tests")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("Playwright is not installed: pip install -r requirements-dev.txt")
    return CHROMIUM


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        _missing(f"axe-core not found at {AXE}: run `npm install --prefix tests/browser`")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def live(chromium_path: str) -> Iterator[LiveServer]:
    with live_server() as server:
        yield server


@pytest.fixture(scope="session")
def browser(chromium_path: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live: LiveServer):  # type: ignore[no-untyped-def]
    """Open a page in a fresh browser context (its own cookies): `new_page(viewport=PHONE)`."""
    contexts = []

    def open_page(viewport: dict[str, int] = DESKTOP, **options):  # type: ignore[no-untyped-def]
        context = browser.new_context(viewport=viewport, accept_downloads=True, locale="en-GB", **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
