"""Every table sits in a scrolling region that a keyboard can reach and a screen reader can name (WCAG 2.1.1,
1.3.1, 4.1.2): a wide table scrolls sideways inside it, and someone without a mouse must be able to scroll it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ELEARN = Path(__file__).resolve().parents[1] / "elearn"
TABLE = re.compile(r"<table\b")
REGION = re.compile(r'<div class="table-scroll[^"]*" tabindex="0" role="region" aria-label(ledby)?="[^"]+">\s*$')


def _templates() -> list[Path]:
    return sorted(p for p in ELEARN.glob("**/templates/**/*.html") if TABLE.search(p.read_text(encoding="utf-8")))


def _unwrapped(template: Path) -> list[int]:
    text = template.read_text(encoding="utf-8")
    return [text.count("\n", 0, match.start()) + 1 for match in TABLE.finditer(text)
            if not REGION.search(text[:match.start()].rsplit("\n", 2)[-2] + "\n")]


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(ELEARN)))
def test_every_table_is_a_focusable_labelled_scrolling_region(template):
    assert _unwrapped(template) == []


def test_a_scrolling_region_on_a_page_is_reachable_and_named(client, make, login_as):
    login_as(make.user())
    make.course()
    page = client.get("/account").text
    region = re.search(r'<div class="table-scroll"[^>]*>', page)
    assert region and 'tabindex="0"' in region.group(0) and 'role="region"' in region.group(0)
    assert re.search(r'aria-label="[^"]+"', region.group(0))
