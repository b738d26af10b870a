"""Decisions (awards, settlement agreements) and the arbitrator's working draft of an award."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.case import Case


class Decision(db.Model):
    """An issued document of record. Its bytes never change once stored: `sha256` is what
    /verify/<code> vouches for."""

    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint("kind IN ('award', 'settlement')", name="kind"),
        CheckConstraint("status IN ('pending', 'issued', 'failed')", name="status"),
        # The case managers' list of decisions that failed to render, newest first.
        Index("ix_decisions_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    verification_code: Mapped[str] = mapped_column(String(20), unique=True)
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    storage_key: Mapped[str | None] = mapped_column(String(300))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(viewonly=True)

    @property
    def filename(self) -> str:
        number = self.case.number if self.case else "case"
        return f"{number}-{self.kind}.pdf"


class AwardDraft(db.Model):
    """The arbitrator's draft. `orders` maps a remedy id (as str) to {granted, text}."""

    __tablename__ = "award_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), unique=True
    )
    findings: Mapped[str] = mapped_column(Text, default="")
    reasoning: Mapped[str] = mapped_column(Text, default="")
    costs: Mapped[str] = mapped_column(Text, default="")
    orders: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def is_complete(self, remedy_ids: set[int]) -> bool:
        decided = {int(k) for k, v in (self.orders or {}).items() if v.get("granted") is not None}
        return bool(self.findings.strip() and self.reasoning.strip() and self.costs.strip()
                    and remedy_ids <= decided)
