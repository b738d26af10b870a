"""The append-only audit trail: one event per action, hash-chained per case."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime

# Who may read an event on the case timeline.
VISIBILITIES = ("participants", "tribunal", "institution", "caucus:claimant", "caucus:respondent")


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_audit_events_case_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_roles: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(60))
    stage_from: Mapped[str] = mapped_column(String(40))
    stage_to: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    visibility: Mapped[str] = mapped_column(String(30), default="participants")
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64))

    def compute_hash(self) -> str:
        return event_hash(self.prev_hash, self.case_id, self.seq, self.at, self.actor_id,
                          self.actor_name, self.action, self.stage_from, self.stage_to,
                          self.detail, self.visibility)


def event_hash(prev_hash: str, case_id: int, seq: int, at: datetime, actor_id: int | None,
               actor_name: str, action: str, stage_from: str, stage_to: str,
               detail: dict[str, Any], visibility: str) -> str:
    """The link of the chain: one definition for the ORM path and the sweep's bulk inserts."""
    payload = [prev_hash, case_id, seq, at.isoformat(), actor_id, actor_name, action,
               stage_from, stage_to, detail, visibility]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def chain_head(session: Session, case_id: int, seq: int) -> str:
    """The hash of a case's event `seq` (its last, when seq is `Case.event_count`): one lookup
    on the (case_id, seq) unique index instead of loading the whole trail."""
    if not seq:
        return ""
    from sqlalchemy import select

    for pending in session.new:  # appended in this unit of work, perhaps not flushed yet
        if isinstance(pending, AuditEvent) and pending.case_id == case_id and pending.seq == seq:
            return pending.hash
    return session.scalar(select(AuditEvent.hash).where(AuditEvent.case_id == case_id,
                                                        AuditEvent.seq == seq)) or ""


class AuditTrailViolation(Exception):
    """Somebody tried to change or delete a recorded event."""


@event.listens_for(Session, "before_flush")
def _refuse_rewrites(session: Session, flush_context: Any, instances: Any) -> None:
    """The trail is append-only: refuse to flush an update or delete of an event."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTrailViolation("audit events cannot be changed or deleted")
