"""Tools for the hostile-request tests: a database fingerprint, the routes from app.url_map, form parsing."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule

from elearn.extensions import db

# Request bodies and URL parts that no honest browser sends.
SCRIPT = '<script>alert("xss-1")</script>'
TEXT_PAYLOADS: dict[str, str] = {
    "script": SCRIPT,
    "attribute": "\"><img src=x onerror=alert(1)>'",
    "sql": "' OR '1'='1' --; DROP TABLE users; --",
    "sql_union": "1 UNION SELECT password_hash FROM users--",
    "template": "{{7*7}}{% raw %}${7*7}",
    "traversal": "../../../../etc/passwd",
    "nul": "a\x00b",
    "crlf": "x\r\nBcc: victim@evil.example",
    "huge": "A" * 100_000,
    "rtl_and_emoji": "\u202egnp.exe \U0001F600 \u0000",
    "number_overflow": "99999999999999999999999999",
    "negative": "-1",
    "float": "1e309",
}
# Values for URL parts: ids, slugs, tokens, codes, file names.
URL_VALUES = ["-1", "0", "99999999999999999999", "abc", "..%2F..%2Fetc%2Fpasswd", "../../etc/passwd", "%00",
              "%ff%fe", "x" * 600]


def fingerprint() -> dict[str, tuple[int, str]]:
    """Every table's row count and a hash of its rows, read on a fresh connection (committed state only)."""
    prints = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            rows = sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            prints[table.name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16])
    return prints


def changed_tables(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


@dataclass(frozen=True)
class Route:
    rule: Rule
    method: str

    @property
    def endpoint(self) -> str:
        return self.rule.endpoint

    def __str__(self) -> str:
        return f"{self.method} {self.rule.rule}"


def routes(app: Flask) -> list[Route]:
    """Every rule and method in the URL map (HEAD and OPTIONS are Werkzeug's own)."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append(Route(rule, method))
    return sorted(found, key=lambda r: (r.rule.rule, r.method))


_ARGUMENT = re.compile(r"<(?:([a-z_]+)(?:\([^)]*\))?:)?([a-z_]+)>")


def fill(rule: Rule, values: dict[str, object]) -> str:
    """The rule's path with each <argument> replaced by values[name], raw (no converter checks them)."""
    return _ARGUMENT.sub(lambda m: str(values[m.group(2)]), rule.rule)


def converter_of(rule: Rule, argument: str) -> str:
    return type(rule._converters[argument]).__name__


# --- forms ----------------------------------------------------------------------------------

TEXT_TYPES = {"text", "email", "password", "search", "url", "tel", "number", "date", "hidden", None}


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> values as the browser would send them
    text_fields: list[str] = field(default_factory=list)  # names a person (or an attacker) types into
    choice_fields: list[str] = field(default_factory=list)  # selects, radios, checkboxes


class _FormParser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._form = Form(action=a.get("action") or self.page_url, method=(a.get("method") or "get").lower())
            self.forms.append(self._form)
            return
        form, name = self._form, a.get("name")
        if form is None or not name:
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                form.choice_fields.append(name)
                if "checked" in a:
                    form.fields.setdefault(name, []).append(a.get("value") or "on")
                return
            form.fields.setdefault(name, []).append(a.get("value") or "")
            if kind in TEXT_TYPES and name != "csrf_token":
                form.text_fields.append(name)
        elif tag == "textarea":
            form.fields.setdefault(name, []).append("")
            form.text_fields.append(name)
        elif tag == "select":
            self._select = name
            form.choice_fields.append(name)
        elif tag == "option" and self._select and ("selected" in a or self._select not in form.fields):
            form.fields[self._select] = [a.get("value") or ""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_on(html: str, page_url: str) -> Iterator[Form]:
    """The POST forms of a page, with the values a browser would submit unchanged."""
    parser = _FormParser(page_url)
    parser.feed(html)
    for form in parser.forms:
        if form.method == "post":
            form.text_fields = list(dict.fromkeys(form.text_fields))
            form.choice_fields = list(dict.fromkeys(form.choice_fields))
            yield form
