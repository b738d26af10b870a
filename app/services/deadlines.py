"""The deadline sweep: one set-based query for what has expired, then each expiry action,
a batch of cases per transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import Case, Deadline, Participant
from app.models.types import utcnow
from app.services import jobs
from workflows.engine import ActionRefused, Actor

log = logging.getLogger(__name__)
BATCH_SIZE = 500  # cases per commit


@dataclass
class SweepResult:
    applied: list[tuple[str, str]] = field(default_factory=list)  # (case number, action)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (case number, reason)


def sweep(now: datetime | None = None, *, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Apply the expiry action of every open deadline that has passed.

    One query finds what has expired. Cases are then handled a batch at a time: the batch's
    cases are loaded with what the expiry actions read (parties, participants and their
    users, deadlines, events) in a few set-based queries, each expiry runs in its own
    savepoint, and the batch commits once. Every case still takes its optimistic lock: the
    UPDATE of the case row carries the version read, so when another sweep (or a person) has
    changed the case meanwhile the flush raises StaleDataError, only that case's savepoint is
    rolled back, and the case is skipped — two sweeps running at once apply each expiry
    exactly once.
    """
    now = now or utcnow()
    result = SweepResult()
    due = db.session.execute(
        select(Deadline.id, Deadline.case_id)
        .where(Deadline.status == "open", Deadline.due_at <= now)
        .order_by(Deadline.due_at, Deadline.id)
    ).all()
    for start in range(0, len(due), batch_size):
        batch = due[start:start + batch_size]
        loaded = _load_cases([case_id for _, case_id in batch])  # held: the session's
        for deadline_id, case_id in batch:  # identity map only keeps weak references
            _expire(deadline_id, case_id, now, result)
        jobs.commit()
        del loaded
    return result


def _load_cases(case_ids: list[int]) -> list[Case]:
    """Load a batch of cases and everything the expiry actions touch, into the session's
    identity map (so the per-case code below issues no lazy loads)."""
    return list(db.session.scalars(
        select(Case).where(Case.id.in_(case_ids)).options(
            selectinload(Case.parties),
            selectinload(Case.participants).selectinload(Participant.user),
            selectinload(Case.deadlines),
            selectinload(Case.events),
        )))


def _expire(deadline_id: int, case_id: int, now: datetime, result: SweepResult) -> None:
    from app.cases.service import take_action

    case = db.session.get(Case, case_id)
    deadline = db.session.get(Deadline, deadline_id)
    if case is None or deadline is None or deadline.status != "open":
        return
    number = case.reference
    # The session's info holds the jobs the batch has queued so far; a rollback (even of a
    # savepoint) forgets them, so keep a copy to put back if this case is skipped.
    saved = {key: list(value) if isinstance(value, list) else value
             for key, value in db.session.info.items()}
    try:
        with db.session.begin_nested():
            deadline.status = "expired"
            deadline.outcome = deadline.on_expiry
            deadline.closed_at = now
            take_action(case, deadline.on_expiry, None, {"now": now}, actor=Actor.system())
    except (ActionRefused, StaleDataError) as exc:
        # Only this case's savepoint was rolled back; keep the jobs the batch's other
        # cases queued (a rollback drops the session's pending jobs).
        db.session.info.update(saved)
        reason = exc.reason if isinstance(exc, ActionRefused) else "changed concurrently"
        result.skipped.append((number, reason))
        log.info("sweep skipped %s on %s: %s", deadline.on_expiry, number, reason)
        return
    result.applied.append((number, deadline.on_expiry))
