"""Outgoing email. Written in the same transaction as the change it reports, sent after.

Once delivered, a message keeps its recipient, subject, time and the SHA-256 of its body, but
not the body: a body may carry a link that works by itself (a service link to join a case), and
the outbox is not where such a link should outlive its delivery. The hash still shows what was
sent, should anyone produce the message. Until delivery the body is kept: it is what the job
sends (and, without MAIL_SERVER, what `flask mail outbox` shows).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


def body_digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _digest_of_inserted_body(context: DefaultExecutionContext) -> str:
    return body_digest(context.get_current_parameters()["body"])


class OutboxEmail(db.Model):
    __tablename__ = "outbox"
    __table_args__ = (
        # Jobs that write mail for many changes at once (the sweep's notices, reminders) name
        # each message, so a retried job never writes one twice.
        Index("uq_outbox_dedupe_key", "dedupe_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"),
                                                 index=True)
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)  # "" once delivered
    body_sha256: Mapped[str | None] = mapped_column(String(64),
                                                    default=_digest_of_inserted_body)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(120))

    def delivered(self, at: datetime) -> None:
        """Sent: keep who, what subject, when and the body's hash; forget the body."""
        self.body_sha256 = body_digest(self.body) if self.body else self.body_sha256
        self.body = ""
        self.sent_at = at
        self.last_error = None
