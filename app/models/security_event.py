"""The security log: sign-ins that worked or failed, sign-outs, sessions ended or revoked.

These are not case events — the case trail (app/models/audit.py) is per case and hash-chained
— but the gate in front of every case, one append-only table: a row is written in the same
transaction as what it records and never changed (the ORM refuses to flush a change or a
deletion of one).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class SecurityEvent(db.Model):
    __tablename__ = "security_events"
    __table_args__ = (Index("ix_security_events_user_id_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # sign_in, sign_out, session_revoked, sessions_ended, sign_in_locked, ...
    event: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20))  # success, failure, refused
    # The account concerned (None: an email with no account) and who acted, when another did.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ip: Mapped[str] = mapped_column(String(45), default="")
    request_id: Mapped[str] = mapped_column(String(64), default="")
    # Which session (the first 16 hex digits of its hash: names it, cannot be used as it).
    session_ref: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SecurityLogViolation(Exception):
    """Raised when code tries to change or delete a security event."""


@event.listens_for(Session, "before_flush")
def _append_only(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, SecurityEvent) and (obj in session.deleted
                                               or session.is_modified(obj)):
            raise SecurityLogViolation(f"security event {obj.id} cannot be changed or deleted")
