"""Words that change with a number: one rule for every page, flash message and email ("1 person", "2 people")."""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    """The count and its noun in the right number: `plural(1, "person", "people")` is "1 person".

    Without `many`, the plural is the noun with an "s" ("1 invitation", "3 invitations").
    """
    noun = one if count == 1 else (many if many is not None else f"{one}s")
    return f"{count:,} {noun}"


# What the tier above the school is called on every page (elearn/models: Phase, MemberKind, Duty).
PHASE_LABELS: dict[str, str] = {
    "early_years": "Early years", "primary": "Primary", "secondary": "Secondary", "all_through": "All-through",
    "special": "Special", "alternative": "Alternative provision", "post_16": "Post-16", "other": "Other",
}
MEMBER_KIND_LABELS: dict[str, str] = {
    "staff": "Staff", "supply": "Supply staff", "peripatetic": "Peripatetic staff", "volunteer": "Volunteer",
    "governor": "Governor", "trustee": "Trustee",
}
DUTY_LABELS: dict[str, str] = {
    "dsl": "Designated safeguarding lead", "deputy_dsl": "Deputy designated safeguarding lead",
    "safer_recruiter": "Safer recruiter",
}
ROLE_LABELS: dict[str, str] = {**MEMBER_KIND_LABELS, **DUTY_LABELS}
