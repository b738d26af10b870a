"""One-time submission keys: a double-click, a resent form or a retried API call acts once.

A key row is written in the same transaction as the change a POST makes, under a unique
constraint, so of two identical submissions only one can commit; the other finds the row and
answers with the first one's response (stored here once it is known).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class SubmissionKey(db.Model):
    """A key is the user's (a form's hidden `_submission` field, or the API's
    `Idempotency-Key` header) and names one submission together with a fingerprint of what was
    sent: pages kept in a cache may offer the same key twice, so a different message sent with
    the same key is a different submission, not a duplicate."""

    __tablename__ = "submission_keys"
    __table_args__ = (
        UniqueConstraint("user_id", "key", "fingerprint", name="uq_submission_keys_submission"),
        Index("ix_submission_keys_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The first answer, replayed to the duplicates: a status, and a redirect or a JSON body.
    status_code: Mapped[int | None] = mapped_column(Integer)
    location: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(100))
