"""Words that change with a number: one rule for every page, flash message and email ("1 person", "2 people")."""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    """The count and its noun in the right number: `plural(1, "person", "people")` is "1 person".

    Without `many`, the plural is the noun with an "s" ("1 invitation", "3 invitations").
    """
    noun = one if count == 1 else (many if many is not None else f"{one}s")
    return f"{count:,} {noun}"
