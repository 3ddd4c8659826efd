"""Lesson Markdown is rendered and sanitised: nothing executable reaches a page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from elearn.content.markdown import check_markdown, render_markdown


class ElementCollector(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.elements.append((tag, dict(attrs)))


def elements_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = ElementCollector()
    collector.feed(html)
    return collector.elements

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "[click](javascript:alert(1))",
    "[click](jAvAsCrIpT:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](data:text/html,<script>alert(1)</script>)",
    "[click](vbscript:msgbox(1))",
    '<a href="javascript:alert(1)">x</a>',
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_renders_without_anything_executable(source):
    for tag, attrs in elements_of(render_markdown(source)):
        assert tag not in {"script", "iframe", "svg", "img", "object", "embed", "style"}, (source, tag)
        assert not any(name.startswith("on") or name == "style" for name in attrs), (source, attrs)
        href = (attrs.get("href") or "").strip().lower()
        assert not href or href.startswith(("https:", "http:", "mailto:", "tel:", "/")), (source, href)


def test_ordinary_markdown_keeps_its_structure():
    html = render_markdown("## Heading\n\nSome **bold** and a [link](https://www.gov.uk/).\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<h2>Heading</h2>" in html
    assert "<strong>bold</strong>" in html
    assert '<a href="https://www.gov.uk/" rel="noopener noreferrer">link</a>' in html
    assert "<table>" in html


def test_blocks_become_labelled_callouts_and_the_answer_is_a_details_element():
    html = render_markdown("::: scenario\nA case.\n:::\n\n::: answer\nThe model answer.\n:::\n")
    assert '<section class="callout callout-scenario" aria-label="Scenario">' in html
    assert "<details class=\"callout callout-answer\"><summary>Show a model answer</summary>" in html


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        ("## Fine\n\n<div>raw</div>\n", 3, "raw HTML"),
        ("## Fine\n\ntext <b>bold</b>\n", 3, "raw HTML"),
        ("# Title\n", 1, "use ## for sections"),
        ("## A\n\n#### D\n", 3, "jumps from h2 to h4"),
        ("## A\n\n![](picture.png)\n", 3, "no alt text"),
        ("## A\n\n[x](javascript:alert(1))\n", 3, "link target not allowed"),
        ("::: sidebar\ntext\n:::\n", 1, "unknown block"),
        ("::: scenario\ntext\n", 2, "not closed"),
        (":::\n", 1, "closing ::: without an opening block"),
    ],
)
def test_author_mistakes_are_reported_with_their_line(source, line, message):
    faults = check_markdown(source)
    assert any(f.line == line and message in f.message for f in faults), faults


def test_good_markdown_has_no_faults():
    assert check_markdown("## A\n\n### B\n\n![a chart](c.png) [gov](https://www.gov.uk/) [p](/worried-about-a-child)\n") == []
