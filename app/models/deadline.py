"""Time limits: one row per running or closed deadline, due_at in UTC."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime


class Deadline(db.Model):
    __tablename__ = "deadlines"
    __table_args__ = (
        # The sweep's one query: open deadlines whose time has come.
        Index("ix_deadlines_open_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    addressee: Mapped[str] = mapped_column(String(30))
    on_expiry: Mapped[str] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(String(300), default="")
    due_date: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    basis: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open|met|expired
    outcome: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the addressee was reminded that the time limit is near (once per deadline).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
