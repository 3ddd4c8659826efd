"""The learner journey with the keyboard alone: Tab, Shift+Tab, Enter and Space (and the arrow keys inside a
radio group, which is how a keyboard chooses among radios). Every element Tab reaches must show a focus
indicator: a computed outline or box-shadow."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.journeys import SAMPLE_TITLE, attempt_id_from, emailed_link, watch
from tests.browser.live import PASSWORD, answer_key

pytestmark = pytest.mark.browser

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const label = el.labels && el.labels.length ? el.labels[0].innerText.trim() : '';
  return {tag: el.tagName.toLowerCase(), type: el.type || '', name: el.name || '', id: el.id || '',
          text: (el.innerText || el.value || '').trim().replace(/\\s+/g, ' '), label: label, checked: !!el.checked,
          indicator: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none'};
}"""

Focus = dict[str, Any]


class Keyboard:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.visited = 0
        self.without_indicator: list[str] = []

    def focused(self) -> Focus:
        info: Focus = self.page.evaluate(FOCUSED)
        return info

    def press(self, key: str) -> Focus:
        self.page.keyboard.press(key)
        info = self.focused()
        if info["tag"] != "body":
            self.visited += 1
            if not info["indicator"]:
                self.without_indicator.append(f"{self.page.url}: <{info['tag']}> {info['text'] or info['label']}")
        return info

    def tab_to(self, wanted: Callable[[Focus], bool], what: str, *, limit: int = 80, key: str = "Tab") -> Focus:
        for _ in range(limit):
            info = self.press(key)
            if wanted(info):
                return info
        raise AssertionError(f"{key} never reached {what} on {self.page.url}")

    def tab_to_text(self, text: str, *, tag: str | None = None, exact: bool = True) -> Focus:
        def wanted(info: Focus) -> bool:
            matches = info["text"] == text if exact else info["text"].startswith(text)
            return matches and (tag is None or info["tag"] == tag)

        return self.tab_to(wanted, repr(text))

    def activate(self, key: str = "Enter") -> None:
        """Press a key that follows a link or submits a form, and wait for the next page."""
        with self.page.expect_navigation():
            self.page.keyboard.press(key)


def test_learner_journey_with_the_keyboard_alone(new_page, live) -> None:
    page = new_page()
    problems = watch(page)
    keys = Keyboard(page)
    name = "Kim Keyboard"

    page.goto(live.url + "/register")
    first = keys.press("Tab")
    assert first["text"] == "Skip to main content", first
    keys.page.keyboard.press("Enter")
    assert keys.focused()["id"] == "main"
    assert keys.press("Tab")["id"] == "display_name"
    page.keyboard.type(name)
    assert keys.press("Tab")["id"] == "email"
    page.keyboard.type(live.unique_email("keyboard"))
    keys.tab_to(lambda f: f["tag"] in ("button", "input") and f["type"] == "submit", "the Create account button")
    keys.activate()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    page.goto(emailed_link(live, "/register/"))  # the email is opened outside the page
    assert keys.press("Tab")["text"] == "Skip to main content"
    keys.page.keyboard.press("Enter")
    assert keys.press("Tab")["id"] == "display_name"
    assert keys.press("Tab")["id"] == "password"
    page.keyboard.type(PASSWORD)
    assert keys.press("Tab")["id"] == "confirm"
    page.keyboard.type("a typo")
    assert keys.press("Shift+Tab")["id"] == "password"
    assert keys.press("Tab")["id"] == "confirm"
    page.keyboard.press("Control+A")
    page.keyboard.type(PASSWORD)
    keys.tab_to(lambda f: f["tag"] in ("button", "input") and f["type"] == "submit", "the Create account button")
    keys.activate()
    expect(page.locator(".nav-user")).to_contain_text(name)

    keys.tab_to_text(SAMPLE_TITLE, tag="a")
    keys.activate()
    keys.tab_to_text("Start course", tag="button")
    keys.activate("Space")
    for label in ("Mark complete and continue", "Mark complete and continue", "Mark complete and finish"):
        expect(page.locator(".lesson h1")).to_be_visible()
        keys.tab_to_text(label, tag="button")
        keys.activate("Space")
    keys.tab_to_text("Take the assessment", tag="a")
    keys.activate()
    keys.tab_to_text("Start the assessment (one question per page)", tag="button")
    keys.activate()

    key = answer_key(live, attempt_id_from(page))
    for position in sorted(key):
        expect(page).to_have_url(re.compile(rf"/questions/{position}$"))
        correct = key[position]
        info = keys.tab_to(lambda f, name=f"answer-{position}": f["name"] == name, f"the options of question {position}")
        if info["type"] == "radio":
            for _ in range(8):
                if info["label"] in correct:
                    break
                info = keys.press("ArrowDown")
            if not info["checked"]:
                page.keyboard.press("Space")
            assert keys.focused()["checked"] and keys.focused()["label"] in correct
        else:
            while info["name"] == f"answer-{position}":
                if (info["label"] in correct) != info["checked"]:
                    page.keyboard.press("Space")
                info = keys.press("Tab")
            keys.press("Shift+Tab")  # back onto the last option: the save button comes next again
        keys.tab_to(lambda f: f["tag"] == "button" and f["text"] in ("Save and next", "Save and check your answers"),
                    "the save button")
        keys.activate()

    keys.tab_to_text("Submit my answers", tag="button")
    keys.activate()
    expect(page.get_by_role("heading", level=1)).to_contain_text("you passed")
    keys.tab_to_text("My certificates", tag="a")
    keys.activate()
    keys.tab_to_text("Download PDF", tag="a", exact=False)
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert name in " ".join(p.extract_text() for p in PdfReader(download.value.path()).pages)

    assert keys.visited > 40
    assert not keys.without_indicator, "focused elements without a visible focus indicator:\n" + "\n".join(
        keys.without_indicator)
    problems.assert_none("the keyboard journey")
