"""Red, amber and green for the audit's training measures: the thresholds a trust, partnership or setting sets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from elearn.db import Base, UTCDateTime, now_utc


class RatingThreshold(Base):
    """For one measure (elearn/returns/measures.MEASURE_KEYS): green from this share of people met, amber from that
    share, red below; set by a setting for itself, a trust for its settings or a partnership for its members."""

    __tablename__ = "rating_thresholds"
    __table_args__ = (
        UniqueConstraint("organisation_id", "measure"),
        CheckConstraint("amber_from >= 0 AND amber_from <= green_from AND green_from <= 100",
                        name="order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    measure: Mapped[str] = mapped_column(String(40))
    green_from: Mapped[int] = mapped_column(Integer)  # percent of people met, inclusive
    amber_from: Mapped[int] = mapped_column(Integer)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
