"""Read and understood as a column per document: the training matrix's columns for a page of people, and the
people × documents CSV. Read from the same rows as the report (elearn/signoffs/service.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from elearn.access import members_of
from elearn.clock import london_today, to_london
from elearn.downloads import Download, audited, csv_bytes
from elearn.extensions import db
from elearn.models import Organisation, SignoffAssignment, SignoffConfirmation, SignoffDocument, User
from elearn.signoffs.service import current_versions


@dataclass(frozen=True)
class DocumentColumn:
    document_id: int
    title: str
    label: str  # the version in force


@dataclass(frozen=True)
class SignoffCell:
    """One person and document: due by, and when they confirmed the version in force (None: not yet)."""

    due_on: date
    confirmed_at: datetime | None

    def is_overdue(self, today: date) -> bool:
        return self.confirmed_at is None and self.due_on < today


@dataclass(frozen=True)
class SignoffGrid:
    """The organisation's documents as columns; cells[user_id][document_id] for those asked (others: not asked)."""

    columns: list[DocumentColumn]
    cells: dict[int, dict[int, SignoffCell]]
    today: date


def cell_value(cell: SignoffCell | None, today: date) -> object:
    """A person's cell for a document in an export: the date they confirmed the version in force, "overdue" or
    "not yet", blank when they were not asked to read it."""
    if cell is None:
        return ""
    if cell.confirmed_at is not None:
        return to_london(cell.confirmed_at).date()
    return "overdue" if cell.is_overdue(today) else "not yet"


def signoff_grid(org: Organisation, user_ids: Sequence[int] | None = None) -> SignoffGrid:
    """Documents × these people (every active member when None); three queries at any size."""
    documents = list(db.session.execute(select(SignoffDocument.id, SignoffDocument.title).where(
        SignoffDocument.organisation_id == org.id).order_by(SignoffDocument.title, SignoffDocument.id)).all())
    versions = current_versions([d[0] for d in documents])
    columns = [DocumentColumn(d[0], d[1], versions[d[0]].label) for d in documents]
    cells: dict[int, dict[int, SignoffCell]] = {}
    if not columns or (user_ids is not None and not user_ids):
        return SignoffGrid(columns, cells, london_today())
    who: Any = list(user_ids) if user_ids is not None else select(User.id).where(
        members_of(org.id), User.is_active_account.is_(True))
    current = {v.id: v.document_id for v in versions.values()}
    confirmed = {(user_id, current[version_id]): at for user_id, version_id, at in db.session.execute(
        select(SignoffConfirmation.user_id, SignoffConfirmation.version_id, SignoffConfirmation.confirmed_at)
        .where(SignoffConfirmation.version_id.in_(list(current)), SignoffConfirmation.user_id.in_(who)))}
    for user_id, document_id, due_on in db.session.execute(
            select(SignoffAssignment.user_id, SignoffAssignment.document_id, SignoffAssignment.due_on)
            .where(SignoffAssignment.document_id.in_([c.document_id for c in columns]),
                   SignoffAssignment.user_id.in_(who))):
        cells.setdefault(user_id, {})[document_id] = SignoffCell(due_on, confirmed.get((user_id, document_id)))
    return SignoffGrid(columns, cells, london_today())


def export_grid_csv(org: Organisation, *, actor: User) -> Download:
    """Every active member × every document, one column per document (the date they confirmed the version in
    force, "not yet" or "overdue", blank when not asked): formula-safe, recorded as a download of personal data."""
    grid = signoff_grid(org)
    people = db.session.execute(select(User.id, User.display_name, User.email).where(
        members_of(org.id), User.is_active_account.is_(True))
        .order_by(func.lower(User.display_name), User.id)).all()
    header = ["Name", "Email", *(f"{c.title} ({c.label})" for c in grid.columns)]
    lines = [[name, email, *(cell_value(grid.cells.get(uid, {}).get(c.document_id), grid.today) for c in grid.columns)]
             for uid, name, email in people]
    name = f"read-and-understood-{london_today().isoformat()}.csv"
    return audited(Download(csv_bytes([header, *lines]), "text/csv", name), "signoff.grid_exported",
                   actor=actor, organisation_id=org.id, target=f"organisation:{org.id}")
