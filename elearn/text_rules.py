"""One rule per kind of field: people's names, email addresses, and other free text.

Each rule normalises what people type (Unicode NFC, whitespace) and refuses what cannot be trusted
on a certificate, in an email or on a page: control characters, bidirectional overrides and
isolates, and invisible characters. Each length limit below is the one the form
(`Length(max=...)`), the service and the column (`String(...)`) all read.

Pure: no Flask, no database. The services call `clean_person_name`, `clean_email` and `clean_text`,
which raise `InvalidInput(field, message)`; `flask text check` calls `text_problem` on stored rows.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from elearn.errors import InvalidInput

# --- limits ---------------------------------------------------------------------------------------
# A limit on a String column is the column's size; on a Text column it is the rule's own choice.

PERSON_NAME_MAX = 120  # users.display_name, invitations.display_name, certificates.learner_name
EMAIL_MAX = 254  # RFC 5321's longest usable address; users.email, invitations.email, safeguarding_contacts.email
PASSWORD_MAX = 256  # Argon2 takes any length; this only stops a megabyte "password" being hashed
ORGANISATION_NAME_MAX = 200  # organisations.name, certificates.organisation_name
GROUP_NAME_MAX = 80  # groups.name
CONTACT_NAME_MAX = 120  # safeguarding_contacts.name: a person's or a service's name
PHONE_MAX = 40  # safeguarding_contacts.phone
CONTACT_NOTES_MAX = 500  # safeguarding_contacts.notes (Text)
TRAINING_TITLE_MAX = 200  # external_training.title
TRAINING_PROVIDER_MAX = 200  # external_training.provider
TRAINING_NOTE_MAX = 1000  # external_training.note (Text)
REVOKE_REASON_MAX = 500  # certificates.revoked_reason (Text)
EVALUATION_COMMENT_MAX = 1000  # course_evaluations.comment (Text)

# --- characters no field may hold -----------------------------------------------------------------

# Embeddings and overrides (U+202A–U+202E) and isolates (U+2066–U+2069) reorder the text after them:
# "\u202egnp.exe" shows as "exe.png", so a name or a title would show something other than what is
# stored (the "Trojan Source" trick, CVE-2021-42574).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Invisible characters make two names that look the same differ ("Alice" and "Al\u200bice"), which
# breaks matching a certificate to a person and lets one person pass for another:
# - zero-width space, non-joiner, joiner, word joiner and byte-order mark (U+200B–U+200D, U+2060, U+FEFF);
# - the direction marks U+200E, U+200F and U+061C: invisible too, and they move the neighbouring
#   characters like a small override; text in any one script shows correctly without them;
# - the soft hyphen U+00AD: invisible unless a line breaks at it, so the same trick as U+200B.
# The cost: a Persian or Indic name that uses U+200C/U+200D to control joining is refused and must be
# typed without it; a certificate shows it joined the default way.
INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u061c\u00ad")
# Tag characters (U+E0000–U+E007F) are invisible copies of ASCII, used to smuggle hidden text.
_TAGS = range(0xE0000, 0xE0080)
# What a keyboard or a paste produces between words: a single-line field turns each run into one space.
_TYPED_WHITESPACE = "\t\r\n"


class TextKind(StrEnum):
    """The rule a stored column follows, for `text_problem`."""

    PERSON_NAME = "person name"
    EMAIL = "email"
    LINE = "line"  # one line of free text: group and organisation names, titles, reasons
    LINES = "lines"  # notes: line breaks kept


@dataclass(frozen=True)
class _Problem:
    short: str  # for the report of stored rows
    message: str  # for the person typing


def _forbidden(text: str, what: str, *, allowed: str) -> _Problem | None:
    """The first character no field may hold (other than `allowed`), as a problem naming it."""
    for ch in text:
        if ch in allowed:
            continue
        code = f"U+{ord(ch):04X}"
        if unicodedata.category(ch) in ("Cc", "Cs"):  # C0, DEL and C1 controls; halves of a broken pair
            kind, why = "control character", "it cannot be printed"
        elif ch in BIDI_CONTROLS:
            kind, why = "text-direction character", "it can make the text show in a misleading order"
        elif ch in INVISIBLE or ord(ch) in _TAGS:
            kind, why = "invisible character", "it cannot be seen, but makes the text differ from what it shows"
        else:
            continue
        return _Problem(f"{kind} {code}", f"Remove the {kind} {code} from {what}: {why}. Retype it rather than paste it.")
    return None


def _too_long(text: str, max_length: int, what: str) -> _Problem | None:
    if len(text) <= max_length:
        return None
    return _Problem(f"longer than {max_length} characters ({len(text)})", f"Use at most {max_length} characters{what}.")


def _one_line(raw: str, what: str) -> tuple[str, _Problem | None]:
    """NFC; refuse forbidden characters (typed whitespace aside); every run of whitespace becomes one space."""
    text = unicodedata.normalize("NFC", raw or "")
    return " ".join(text.split()), _forbidden(text, what, allowed=_TYPED_WHITESPACE)


def _lines(raw: str, what: str) -> tuple[str, _Problem | None]:
    """NFC; line breaks kept as \\n (a browser sends \\r\\n) and tabs made spaces; any other control refused."""
    text = unicodedata.normalize("NFC", raw or "").replace("\r\n", "\n").replace("\t", " ").strip()
    return text, _forbidden(text, what, allowed="\n")


# --- people's names -------------------------------------------------------------------------------


def _person_name(raw: str) -> tuple[str, _Problem | None]:
    name, problem = _one_line(raw, "the name")
    if problem is None and not name:
        problem = _Problem("empty", "Enter the person's full name, as it should appear on certificates.")
    return name, problem or _too_long(name, PERSON_NAME_MAX, " for the name")


def clean_person_name(raw: str, *, field: str = "display_name") -> str:
    """A person's name as certificates print it: NFC, single spaces, 1–120 characters, no control,
    text-direction or invisible character. The one rule for registration, invitations, the CSV
    import and name corrections."""
    name, problem = _person_name(raw)
    if problem:
        raise InvalidInput(field, problem.message)
    return name


# --- email addresses ------------------------------------------------------------------------------

_NOT_IN_ADDRESS = frozenset('<>(),;:"[]\\@')


def normalise_email(raw: str) -> str:
    """The one form of an address that is stored and compared: NFC, trimmed, lower-cased. Never raises
    (logins and resets look addresses up with it); `clean_email` adds the checks for storing one."""
    return unicodedata.normalize("NFC", (raw or "").strip().lower())


def _is_address(address: str) -> bool:
    """One "@" between a local part and a dotted domain; no spaces or characters that need quoting.

    Deliberately loose: the forms check the full syntax, and the CSV import has no form.
    """
    local, _, domain = address.rpartition("@")
    return bool(local) and "." in domain and not domain.startswith(".") and not domain.endswith(".") and not any(
        ch.isspace() or ch in _NOT_IN_ADDRESS for ch in local + domain)


def _email(raw: str) -> tuple[str, _Problem | None]:
    address = normalise_email(raw)
    problem = _forbidden(unicodedata.normalize("NFC", raw or ""), "the email address", allowed=_TYPED_WHITESPACE)
    if problem is None and not _is_address(address):
        problem = _Problem("not an email address", "Enter an email address like name@school.sch.uk.")
    return address, problem or _too_long(address, EMAIL_MAX, " for the email address")


def clean_email(raw: str, *, field: str = "email") -> str:
    """An email address to store: normalised (NFC, trimmed, lower-case), at most 254 characters, shaped
    like an address, with no control, text-direction or invisible character."""
    address, problem = _email(raw)
    if problem:
        raise InvalidInput(field, problem.message)
    return address


# --- other free text ------------------------------------------------------------------------------


def _text(raw: str, max_length: int, *, required: str | None, multiline: bool) -> tuple[str, _Problem | None]:
    text, problem = (_lines if multiline else _one_line)(raw, "the text")
    if problem is None and not text and required is not None:
        problem = _Problem("empty", required)
    return text, problem or _too_long(text, max_length, "")


def clean_text(raw: str, *, field: str, max_length: int, required: str | None, multiline: bool = False) -> str:
    """Free text other than names and emails: NFC, at most `max_length` characters, no control,
    text-direction or invisible character.

    One line (the default) has its whitespace collapsed to single spaces. `multiline` is for notes a
    reader needs in paragraphs: it keeps line breaks (stored as \\n) and nothing else below U+0020.

    Args:
        required: the message for an empty value, or None when it may be empty (then "" is returned).
    """
    text, problem = _text(raw, max_length, required=required, multiline=multiline)
    if problem:
        raise InvalidInput(field, problem.message)
    return text


# --- stored rows ----------------------------------------------------------------------------------


def text_problem(value: str, kind: TextKind, *, max_length: int | None = None, required: bool = True) -> str | None:
    """What is wrong with a stored value under its kind's rule, or None when the rule would store it
    unchanged. `max_length` is needed for LINE and LINES; names and emails have their own."""
    if kind is TextKind.PERSON_NAME:
        cleaned, problem = _person_name(value)
    elif kind is TextKind.EMAIL:
        cleaned, problem = _email(value)
    else:
        if max_length is None:
            raise ValueError(f"{kind} text needs a max_length")
        cleaned, problem = _text(value, max_length, required="" if required else None, multiline=kind is TextKind.LINES)
    if problem:
        return problem.short
    if cleaned == value:
        return None
    if unicodedata.normalize("NFC", value) != value:
        return "not in Unicode NFC"
    if kind is TextKind.EMAIL and value.lower() != value:
        return "not lower-case"
    return "spaces or line breaks not as the rule stores them"
