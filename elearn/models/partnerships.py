"""What a safeguarding partnership records of its own: the reminders it sent to member settings that had not yet
returned their audit's training section."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from elearn.db import Base, UTCDateTime, now_utc


class PartnershipReminder(Base):
    """A reminder a partnership sent to one member setting about one academic year's return.

    At most one per partnership, setting and ISO week (the unique constraint): a double click, or two of the
    partnership's officers at the same moment, cannot send a setting two reminders in a week.
    """

    __tablename__ = "partnership_reminders"
    __table_args__ = (UniqueConstraint("partnership_id", "organisation_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique constraint starts with it.
    partnership_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    academic_year: Mapped[int] = mapped_column(Integer)  # the year it starts: 2026 for 2026/27
    week: Mapped[str] = mapped_column(String(8))  # the ISO year-week in London it was sent, e.g. "2026-W49"
    recipients: Mapped[int] = mapped_column(Integer)  # how many addresses it went to (the addresses are not kept)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
