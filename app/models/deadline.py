"""Time limits: one row per running or closed deadline, due_at in UTC."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


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
    # Extensions: a party's pending request, and what was granted (added to the period).
    requested_days: Mapped[int | None] = mapped_column(Integer)
    request_reason: Mapped[str | None] = mapped_column(Text)
    extended_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    # Set by the one sweep that sends the reminder, so it goes out once.
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def extension_pending(self) -> bool:
        return self.status == "open" and self.requested_days is not None


class CalendarDay(db.Model):
    """An administrator's correction to a country's calendar: an Islamic holiday confirmed
    on a date (``holiday``), an estimated one that did not happen (``removed``), or a day the
    institution is closed (``closure``, country ``*`` = for everyone)."""

    __tablename__ = "calendar_days"
    __table_args__ = (
        UniqueConstraint("country", "day", name="uq_calendar_days_country_day"),
        CheckConstraint("kind IN ('holiday', 'removed', 'closure')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def calendar_adjustments(country: str) -> tuple[frozenset[date], dict[date, str | None]]:
    """The institution's closure days and a country's confirmed or removed holiday dates, as
    `workflows.calendar.compute_due` takes them."""
    from sqlalchemy import or_, select

    rows = db.session.scalars(select(CalendarDay).where(
        or_(CalendarDay.country == country.upper(), CalendarDay.country == "*"))).all()
    closures = frozenset(r.day for r in rows if r.kind == "closure")
    overrides = {r.day: holiday_name(r.kind, r.name) for r in rows if r.kind != "closure"}
    return closures, overrides


def holiday_name(kind: str, name: str | None) -> str | None:
    """What a correction makes of its day: a holiday of that name, or (removed) a working
    day."""
    return (name or "Public holiday") if kind == "holiday" else None
