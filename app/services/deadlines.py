"""The deadline sweep: one set-based query for what has expired, then each expiry action."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import Case, Deadline
from app.models.types import utcnow
from app.services import jobs
from workflows.engine import ActionRefused, Actor

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    applied: list[tuple[str, str]] = field(default_factory=list)  # (case number, action)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (case number, reason)


def sweep(now: datetime | None = None) -> SweepResult:
    """Apply the expiry action of every open deadline that has passed.

    Each case is its own transaction under the case's optimistic lock, so two sweeps running
    at once apply each expiry exactly once: the second commit fails with a stale version and
    is skipped.
    """
    from app.cases.service import take_action

    now = now or utcnow()
    result = SweepResult()
    due = db.session.execute(
        select(Deadline.id, Deadline.case_id)
        .where(Deadline.status == "open", Deadline.due_at <= now)
        .order_by(Deadline.due_at)
    ).all()
    for deadline_id, case_id in due:
        case = db.session.get(Case, case_id)
        deadline = db.session.get(Deadline, deadline_id)
        if case is None or deadline is None or deadline.status != "open":
            continue
        number = case.reference
        try:
            deadline.status = "expired"
            deadline.outcome = deadline.on_expiry
            deadline.closed_at = now
            take_action(case, deadline.on_expiry, None, {"now": now}, actor=Actor.system())
            jobs.commit()
            result.applied.append((number, deadline.on_expiry))
        except (ActionRefused, StaleDataError) as exc:
            db.session.rollback()
            reason = exc.reason if isinstance(exc, ActionRefused) else "changed concurrently"
            result.skipped.append((number, reason))
            log.info("sweep skipped %s on %s: %s", deadline.on_expiry, number, reason)
    return result


def sweep_job() -> None:
    """The periodic job (`flask jobs scheduler`): sweep what is due now."""
    result = sweep()
    if result.applied or result.skipped:
        log.info("sweep applied %s, skipped %s", len(result.applied), len(result.skipped))
