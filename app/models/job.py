"""Background jobs as rows: written in the transaction of the change that causes them.

A job that is a row commits or rolls back with its cause, so a rollback sends nothing and a
Redis outage loses nothing: the relay (app/services/relay.py) hands committed rows to a
runner and the row keeps the job's state until it is done. The same row carries the retry
schedule (`run_after`), and a job that used up its retries stays here as `failed` for the case
managers (/manage/jobs).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

JOB_STATUSES = ("pending", "queued", "running", "done", "failed")


class Job(db.Model):
    """One call of a registered job function (app.services.jobs.job) with its ids.

    pending → (queued →) running → done; a failed attempt goes back to pending with a later
    `run_after` until its retries are used up, then failed. `lease_until` bounds how long a
    queued or running job may stay so: past it, the runner is presumed lost (a killed worker,
    a Redis that forgot its queue) and the relay hands the job out again. Jobs are idempotent,
    so a second run of one that did finish changes nothing."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'queued', 'running', 'done', 'failed')", name="status"),
        # The relay's question: what is due now, oldest first.
        Index("ix_jobs_status_run_after", "status", "run_after", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    @property
    def label(self) -> str:
        return self.name.rsplit(".", 1)[-1]
