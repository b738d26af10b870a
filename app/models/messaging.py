"""What the parties and neutrals say in a case: messages, settlement offers, submissions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.user import User

# joint: everyone in the mediation; caucus:<side>: that side and the mediator, nobody else.
CHANNELS = ("joint", "caucus:claimant", "caucus:respondent")


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(
            "channel IN ('joint', 'caucus:claimant', 'caucus:respondent')", name="channel"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sender_role: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sender: Mapped[User] = relationship()


class SettlementOffer(db.Model):
    """Proposed terms. The proposing side accepts by proposing; a newer proposal supersedes."""

    __tablename__ = "settlement_offers"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'superseded', 'accepted')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposer_role: Mapped[str] = mapped_column(String(30))
    terms: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="open")
    claimant_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimant_accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    respondent_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    respondent_accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])

    def accepted_by(self, side: str) -> bool:
        return getattr(self, f"{side}_accepted_at") is not None

    def accept(self, side: str, user_id: int, at: datetime) -> None:
        setattr(self, f"{side}_accepted_at", at)
        setattr(self, f"{side}_accepted_by_id", user_id)


class Submission(db.Model):
    """A written pleading: the response to the complaint, or a submission in arbitration."""

    __tablename__ = "submissions"
    __table_args__ = (
        CheckConstraint("kind IN ('response', 'submission')", name="kind"),
        CheckConstraint(
            "position IS NULL OR position IN ('consent', 'contest', 'settle')", name="position"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    side: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(12))
    position: Mapped[str | None] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()
