"""Certificate codes: unguessable, unambiguous to read aloud, and grouped for display.

A code is 16 symbols from a 30-symbol alphabet that leaves out 0/O, 1/I/L and U
(U is dropped so that random codes cannot spell common English words), giving
16 * log2(30) ≈ 78.5 random bits. The database stores the normalised form
(`7KQM2XPD9HTA4RWC`); people see it grouped (`7KQM-2XPD-9HTA-4RWC`).
"""

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
GROUP_SIZE = 4

_ALPHABET_SET = frozenset(ALPHABET)
# The longest input worth looking at: 16 symbols, 3 dashes and generous spacing.
# Anything longer is refused before any per-character work is done.
_MAX_RAW_LENGTH = 64


def new_code() -> str:
    """Return a fresh random code in normalised form (16 upper-case symbols, no dashes)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str | None:
    """Return the normalised code a person typed, or None if it cannot be a valid code."""
    if not isinstance(raw, str) or len(raw) > _MAX_RAW_LENGTH:
        return None
    # str.split() with no argument drops every kind of Unicode whitespace.
    compact = "".join(raw.split()).replace("-", "")
    # ASCII first: upper() maps some non-ASCII letters onto ASCII ones ("ſ" -> "S",
    # "ß" -> "SS"), and look-alikes such as Cyrillic "А" must never match.
    if len(compact) != CODE_LENGTH or not compact.isascii():
        return None
    candidate = compact.upper()
    if not all(ch in _ALPHABET_SET for ch in candidate):
        return None
    return candidate


def format_code(code: str) -> str:
    """Return a normalised code grouped for display: `XXXX-XXXX-XXXX-XXXX`."""
    return "-".join(code[i : i + GROUP_SIZE] for i in range(0, len(code), GROUP_SIZE))
