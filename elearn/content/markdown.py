"""Render lesson Markdown to HTML and sanitise it, once, at sync time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin

ALLOWED_LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

# name -> (opening HTML, closing HTML). Labels are text, so no meaning rests on colour.
BLOCKS: dict[str, tuple[str, str]] = {
    "scenario": ('<section class="callout callout-scenario" aria-label="Scenario">', "</section>"),
    "reflection": (
        '<div class="callout callout-reflection"><p class="callout-label">What would you do?</p>',
        "</div>",
    ),
    "answer": (
        '<details class="callout callout-answer"><summary>Show a model answer</summary>',
        "</details>",
    ),
    "keypoints": (
        '<aside class="callout callout-keypoints" aria-label="Key points"><p class="callout-label">Key points</p>',
        "</aside>",
    ),
    "help": (
        '<aside class="callout callout-help" aria-label="Where to get help"><p class="callout-label">Where to get help</p>',
        "</aside>",
    ),
}

_TAGS = {
    "a", "p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "code", "pre",
    "blockquote", "table", "thead", "tbody", "tr", "th", "td", "hr", "br", "img", "details",
    "summary", "section", "aside", "div", "span",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "section": {"class", "aria-label"},
    "aside": {"class", "aria-label"},
    "div": {"class"},
    "details": {"class"},
    "p": {"class"},
    "th": {"scope"},
    "ol": {"start"},
}


def _render_block(name: str):  # type: ignore[no-untyped-def]
    opening, closing = BLOCKS[name]

    def render(self, tokens: list[Token], idx: int, _options, env) -> str:  # type: ignore[no-untyped-def]
        return opening + "\n" if tokens[idx].nesting == 1 else closing + "\n"

    return render


def _parser(allow_html: bool = False) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": allow_html}).enable("table")
    for name in BLOCKS:
        md.use(container_plugin, name=name, render=_render_block(name))
    return md


_RENDERER = _parser()


def sanitise_html(html: str) -> str:
    """Keep only the allowlisted tags, attributes and link schemes."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=set(ALLOWED_LINK_SCHEMES),
        link_rel="noopener noreferrer",
    )


def render_markdown(source: str) -> str:
    """Markdown to safe HTML: raw HTML is escaped by the parser, then the output is sanitised."""
    return sanitise_html(_RENDERER.render(source))


@dataclass(frozen=True)
class MarkdownFault:
    line: int  # 1-based, within the Markdown source
    message: str


def check_markdown(source: str) -> list[MarkdownFault]:
    """Author mistakes a reader would trip over: raw HTML, bad links, missing alt text, heading jumps."""
    tokens = _parser(allow_html=True).parse(source)
    faults = list(_heading_faults(tokens))
    faults += _inline_faults(tokens)
    faults += _block_name_faults(source)
    faults += _link_scheme_faults(source)
    return faults


def _line_of(token: Token) -> int:
    return token.map[0] + 1 if token.map else 1


def _heading_faults(tokens: list[Token]) -> Iterator[MarkdownFault]:
    previous = 1  # the page title is the h1
    for token in tokens:
        if token.type == "html_block":
            yield MarkdownFault(_line_of(token), "raw HTML is not allowed in lessons; use Markdown")
        if token.type != "heading_open":
            continue
        level = int(token.tag[1])
        if level == 1:
            yield MarkdownFault(_line_of(token), "use ## for sections: the lesson title is the page's only # heading")
        elif level > previous + 1:
            yield MarkdownFault(_line_of(token), f"heading level jumps from h{previous} to h{level}")
        previous = level


def _inline_faults(tokens: list[Token]) -> list[MarkdownFault]:
    faults = []
    for token in tokens:
        if token.type != "inline":
            continue
        line = _line_of(token)
        for child in token.children or []:
            if child.type == "html_inline":
                faults.append(MarkdownFault(line, "raw HTML is not allowed in lessons; use Markdown"))
            elif child.type == "image" and not (child.content or "").strip():
                faults.append(MarkdownFault(line, "image has no alt text"))
            elif child.type == "link_open" and not is_allowed_link(str(child.attrGet("href") or "")):
                faults.append(MarkdownFault(line, f"link target not allowed: {child.attrGet('href')!r}"))
    return faults


def is_allowed_link(href: str) -> bool:
    """Relative links and http(s)/mailto/tel links only."""
    scheme = urlsplit(href.strip()).scheme.lower()
    return scheme == "" or scheme in ALLOWED_LINK_SCHEMES


_LINK_SCHEME_RE = re.compile(r"\]\(\s*<?([A-Za-z][A-Za-z0-9+.\-]*):")


def _link_scheme_faults(source: str) -> list[MarkdownFault]:
    # The parser silently drops links it refuses (javascript:, data:), so look at the source as well.
    faults = []
    for number, line in enumerate(source.splitlines(), start=1):
        for scheme in _LINK_SCHEME_RE.findall(line):
            if scheme.lower() not in ALLOWED_LINK_SCHEMES:
                faults.append(MarkdownFault(number, f"link target not allowed: a {scheme}: link"))
    return faults


def _block_name_faults(source: str) -> list[MarkdownFault]:
    faults = []
    depth = 0
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if not stripped.startswith(":::"):
            continue
        name = stripped[3:].strip()
        if not name:
            depth -= 1
            if depth < 0:
                faults.append(MarkdownFault(number, "closing ::: without an opening block"))
                depth = 0
        elif name in BLOCKS:
            depth += 1
        else:
            faults.append(MarkdownFault(number, f"unknown block '::: {name}'; use one of {', '.join(BLOCKS)}"))
    if depth > 0:
        faults.append(MarkdownFault(len(source.splitlines()), "a ::: block is not closed"))
    return faults
