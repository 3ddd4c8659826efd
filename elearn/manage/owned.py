"""Load a row by id only if it belongs to the organisation being managed: the check every manager action on an id makes.

Another organisation's id gets the same NotFound as an id that does not exist, so a manager
cannot learn what other organisations hold.
"""

from __future__ import annotations

from typing import TypeVar

from elearn.db import Base
from elearn.errors import NotFound
from elearn.extensions import db
from elearn.models import Organisation

Row = TypeVar("Row", bound=Base)


def get_owned(model: type[Row], org: Organisation, row_id: int, *, missing: str) -> Row:
    """The row of `model` with this id and organisation_id == org.id, or NotFound(missing)."""
    row = db.session.get(model, row_id)
    if row is None or getattr(row, "organisation_id", None) != org.id:
        raise NotFound(missing)
    return row
