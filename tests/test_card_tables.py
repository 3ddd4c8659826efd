"""On a phone a table of class "cards" shows each cell under its column's name (elearn.css): so every cell of
such a table must carry that name (data-label) or be the row's actions (card-action)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ELEARN = Path(__file__).resolve().parents[1] / "elearn"
CARD_TABLES = re.compile(r'<table class="cards[ "].*?</table>', re.DOTALL)


def _card_templates() -> list[Path]:
    return sorted(p for p in ELEARN.glob("**/templates/**/*.html") if CARD_TABLES.search(p.read_text(encoding="utf-8")))


def test_the_phone_pages_named_in_the_brief_use_card_tables():
    names = {str(p.relative_to(ELEARN)) for p in _card_templates()}
    assert {"certificates/templates/certificates/list.html", "compliance/templates/compliance/matrix.html",
            "compliance/templates/compliance/learner.html", "people/templates/people/people.html",
            "admin/templates/admin/users.html"} <= names


@pytest.mark.parametrize("template", _card_templates(), ids=lambda p: str(p.relative_to(ELEARN)))
def test_every_cell_of_a_card_table_is_labelled(template):
    unlabelled = [cell for table in CARD_TABLES.findall(template.read_text(encoding="utf-8"))
                  for cell in re.findall(r"<td\b[^>]*>", table) if "data-label=" not in cell and "card-action" not in cell]
    assert unlabelled == []
