"""Background jobs that kept failing after every retry, kept for the case managers to see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class JobFailure(db.Model):
    """One job (function + ids) that failed on its last attempt. A manager's retry sets it to
    `retrying`; the next success marks it `resolved`, the next final failure `failed` again."""

    __tablename__ = "job_failures"
    __table_args__ = (
        CheckConstraint("status IN ('failed', 'retrying', 'resolved')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(200))
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="failed", index=True)
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def label(self) -> str:
        return self.job.rsplit(".", 1)[-1]
