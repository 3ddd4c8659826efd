"""The text rules: one for people's names, one for emails, one for other free text (no database)."""

from __future__ import annotations

import re

import pytest

from elearn.errors import InvalidInput
from elearn.text_rules import (
    EMAIL_MAX,
    PERSON_NAME_MAX,
    TextKind,
    clean_email,
    clean_person_name,
    clean_text,
    normalise_email,
    text_problem,
)

# One character of each class no field may hold, with the words the message uses for it.
FORBIDDEN = [
    pytest.param("\u0000", "control character U+0000", id="C0 NUL"),
    pytest.param("\u0007", "control character U+0007", id="C0 bell"),
    pytest.param("\u001b", "control character U+001B", id="C0 escape"),
    pytest.param("\u001f", "control character U+001F", id="C0 unit separator"),
    pytest.param("\u007f", "control character U+007F", id="DEL"),
    pytest.param("\u0085", "control character U+0085", id="C1 next line"),
    pytest.param("\u009b", "control character U+009B", id="C1 CSI"),
    pytest.param("\u202a", "text-direction character U+202A", id="LRE"),
    pytest.param("\u202b", "text-direction character U+202B", id="RLE"),
    pytest.param("\u202c", "text-direction character U+202C", id="PDF"),
    pytest.param("\u202d", "text-direction character U+202D", id="LRO"),
    pytest.param("\u202e", "text-direction character U+202E", id="RLO"),
    pytest.param("\u2066", "text-direction character U+2066", id="LRI"),
    pytest.param("\u2067", "text-direction character U+2067", id="RLI"),
    pytest.param("\u2068", "text-direction character U+2068", id="FSI"),
    pytest.param("\u2069", "text-direction character U+2069", id="PDI"),
    pytest.param("\u200b", "invisible character U+200B", id="zero-width space"),
    pytest.param("\u200c", "invisible character U+200C", id="zero-width non-joiner"),
    pytest.param("\u200d", "invisible character U+200D", id="zero-width joiner"),
    pytest.param("\u2060", "invisible character U+2060", id="word joiner"),
    pytest.param("\ufeff", "invisible character U+FEFF", id="byte-order mark"),
    pytest.param("\u200e", "invisible character U+200E", id="left-to-right mark"),
    pytest.param("\u200f", "invisible character U+200F", id="right-to-left mark"),
    pytest.param("\u061c", "invisible character U+061C", id="Arabic letter mark"),
    pytest.param("\u00ad", "invisible character U+00AD", id="soft hyphen"),
    pytest.param("\U000e0041", "invisible character U+E0041", id="tag letter A"),
    pytest.param("\ud800", "control character U+D800", id="lone surrogate"),
]


def _one_line(bad: str) -> list[tuple[str, object]]:
    return [
        ("display_name", lambda: clean_person_name(f"Alice{bad} Able")),
        ("email", lambda: clean_email(f"ali{bad}ce@school.sch.uk")),
        ("title", lambda: clean_text(f"Safe{bad}guarding", field="title", max_length=200, required="Enter a title.")),
        ("note", lambda: clean_text(f"Line one\nline{bad} two", field="note", max_length=200, required=None,
                                    multiline=True)),
    ]


@pytest.mark.parametrize(("bad", "named"), FORBIDDEN)
@pytest.mark.parametrize("rule", ["display_name", "email", "title", "note"])
def test_every_rule_refuses_each_forbidden_character_and_names_it(bad, named, rule):
    call = dict(_one_line(bad))[rule]
    with pytest.raises(InvalidInput) as refused:
        call()  # type: ignore[operator]
    assert refused.value.field == rule
    assert f"Remove the {named}" in refused.value.message


@pytest.mark.parametrize(("bad", "named"), FORBIDDEN)
@pytest.mark.parametrize("kind", list(TextKind))
def test_the_report_names_each_forbidden_character_in_a_stored_value(bad, named, kind):
    value = f"ali{bad}ce@school.sch.uk" if kind is TextKind.EMAIL else f"Alice{bad} Able"
    assert text_problem(value, kind, max_length=200) == named


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ren\u0065\u0301e Able", "Ren\u00e9e Able"),  # e + combining acute becomes é (NFC)
        ("  Alice \t Able\n", "Alice Able"),  # typed whitespace collapses
        ("Alice\u00a0Able", "Alice Able"),  # a no-break space is a space
        ("Siobhán Ó Súilleabháin", "Siobhán Ó Súilleabháin"),
        ("李小龍", "李小龍"),
        ("محمد علي", "محمد علي"),  # right-to-left script is fine: only the direction controls are refused
        ("=cmd|' /C calc'!A0", "=cmd|' /C calc'!A0"),  # stored as typed: the exports neutralise formulas
        ("x" * PERSON_NAME_MAX, "x" * PERSON_NAME_MAX),
    ],
)
def test_a_person_name_is_stored_in_nfc_with_single_spaces(raw, expected):
    assert clean_person_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter the person's full name"),
        (" \t\n ", "Enter the person's full name"),
        ("x" * (PERSON_NAME_MAX + 1), f"Use at most {PERSON_NAME_MAX} characters for the name."),
        # The 209-character name with control characters that registration used to accept.
        ("A\u0007" * 104 + "B", "Remove the control character U+0007"),
    ],
)
def test_a_person_name_is_refused_when_empty_too_long_or_unprintable(raw, message):
    with pytest.raises(InvalidInput, match=re.escape(message)) as refused:
        clean_person_name(raw, field="name")
    assert refused.value.field == "name"


def test_the_name_limit_counts_characters_after_nfc():
    assert clean_person_name("e\u0301" * PERSON_NAME_MAX) == "\u00e9" * PERSON_NAME_MAX


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Dee.Lead@School.SCH.uk \n", "dee.lead@school.sch.uk"),
        ("ren\u0065\u0301e@example.org", "ren\u00e9e@example.org"),
        ("o'brien+training@example.org", "o'brien+training@example.org"),
    ],
)
def test_an_email_is_stored_trimmed_lower_case_and_nfc(raw, expected):
    assert clean_email(raw) == expected == normalise_email(raw)


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "not-an-email", "dee@localhost", "dee@.uk", "dee@school.", "@school.sch.uk", "a@b@school.sch.uk",
     "dee lead@school.sch.uk", "dee@school.sch.uk\r\nBcc: x@evil.example", "<dee@school.sch.uk>",
     "a" * (EMAIL_MAX - 6) + "@x.org" + "k"],
)
def test_an_email_is_refused_unless_it_looks_like_an_address_within_the_limit(raw):
    with pytest.raises(InvalidInput) as refused:
        clean_email(raw, field="address")
    assert refused.value.field == "address"


def test_an_email_at_the_limit_is_accepted():
    address = "a" * (EMAIL_MAX - 6) + "@x.org"
    assert clean_email(address) == address


def test_looking_an_email_up_never_raises():
    assert normalise_email("  Not An Email\u202e ") == "not an email\u202e"


@pytest.mark.parametrize(
    ("raw", "multiline", "expected"),
    [
        ("  Teaching   staff ", False, "Teaching staff"),
        ("Out of hours\r\nuse the duty number", False, "Out of hours use the duty number"),
        ("Out of hours\r\nuse the\tduty number\n", True, "Out of hours\nuse the duty number"),
        ("First\n\nSecond", True, "First\n\nSecond"),
        ("Caf\u0065\u0301", True, "Caf\u00e9"),
        ("", False, ""),
    ],
)
def test_free_text_keeps_line_breaks_only_when_multiline(raw, multiline, expected):
    assert clean_text(raw, field="notes", max_length=50, required=None, multiline=multiline) == expected


def test_a_lone_carriage_return_is_not_a_line_break():
    with pytest.raises(InvalidInput, match="control character U\\+000D"):
        clean_text("one\rtwo", field="notes", max_length=50, required=None, multiline=True)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter a name for the group."),
        ("  ", "Enter a name for the group."),
        ("x" * 81, "Use at most 80 characters."),
    ],
)
def test_required_free_text_is_refused_when_empty_or_too_long(raw, message):
    with pytest.raises(InvalidInput, match=message):
        clean_text(raw, field="name", max_length=80, required="Enter a name for the group.")


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("Alice Able", TextKind.PERSON_NAME, None),
        ("Alice  Able", TextKind.PERSON_NAME, "spaces or line breaks not as the rule stores them"),
        ("Rene\u0301e", TextKind.PERSON_NAME, "not in Unicode NFC"),
        ("x" * 121, TextKind.PERSON_NAME, "longer than 120 characters (121)"),
        ("", TextKind.PERSON_NAME, "empty"),
        ("dee@school.sch.uk", TextKind.EMAIL, None),
        ("Dee@School.sch.uk", TextKind.EMAIL, "not lower-case"),
        ("dee@localhost", TextKind.EMAIL, "not an email address"),
        ("First\nSecond", TextKind.LINES, None),
        ("First\r\nSecond", TextKind.LINES, "spaces or line breaks not as the rule stores them"),
        ("First\nSecond", TextKind.LINE, "spaces or line breaks not as the rule stores them"),
    ],
)
def test_the_report_says_what_is_wrong_with_a_stored_value(value, kind, expected):
    assert text_problem(value, kind, max_length=200) == expected


def test_an_optional_stored_text_may_be_empty():
    assert text_problem("", TextKind.LINES, max_length=10, required=False) is None
    assert text_problem("", TextKind.LINES, max_length=10) == "empty"


def test_free_text_in_the_report_needs_its_limit():
    with pytest.raises(ValueError, match="max_length"):
        text_problem("Teaching staff", TextKind.LINE)
