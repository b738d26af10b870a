"""The sweep: apply every expiry that has passed, then remind what is about to pass.

On PostgreSQL, when more than one batch is due there is a backlog (after an outage, or a
filing campaign's deadlines falling due together): more sweeps are forked to work through it
beside this one; their claims split the work (``SKIP LOCKED``) and each one's PostgreSQL
backend runs its writes on its own core. An expiry whose action has a domain handler goes
through `take_action` on the ORM, one by one, after the batches.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.cases.service import take_action
from app.cases.sweep import apply, claim
from app.cases.sweep.notify import send_reminders
from app.extensions import db
from app.models import Case
from app.models.case import case_reference
from app.models.types import utcnow
from app.services import jobs
from app.services.bulk import on_postgres
from workflows.engine import ActionRefused, Actor

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    applied: list[tuple[str, str]] = field(default_factory=list)  # (case number, action)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (case number, reason)
    reminded: list[tuple[str, str]] = field(default_factory=list)  # (case number, deadline)
    seconds: float = 0.0  # applying the expiries (claims, engine, writes, commits)
    cpu_seconds: float = 0.0  # ... of which this process's CPU
    batches: int = 0
    processes: int = 1  # this one and the helpers it forked
    full: list[claim.Claim] = field(default_factory=list)  # for the ORM path, one by one

    def add(self, part: SweepResult | apply.BatchOutcome) -> None:
        self.applied += part.applied
        self.skipped += part.skipped
        self.full += part.full


def sweep(now: datetime | None = None, *, batch_size: int | None = None,
          processes: int | None = None) -> SweepResult:
    """Apply the expiry action of every open deadline that has passed, then send reminders.
    `processes` defaults to SWEEP_PROCESSES, else one per core; SQLite has a single writer,
    so always one."""
    now = now or utcnow()
    size = batch_size or apply.BATCH_SIZE
    if processes is None:
        processes = current_app.config.get("SWEEP_PROCESSES") or os.cpu_count() or 1
    if not on_postgres():
        processes = 1
    result = SweepResult()
    started, cpu = time.perf_counter(), time.process_time()
    if processes > 1 and claim.due_more_than(now, size):
        db.session.commit()  # no connection in use when forking: the helpers make their own
        helpers = _fork_helpers(processes - 1, now, size)
        result.processes += len(helpers)
        run_batches(now, size, result)
        for future in helpers:
            part = future.result()
            result.add(part)
            result.batches += part.batches
            result.cpu_seconds += part.cpu_seconds
    else:
        run_batches(now, size, result)
    for due in result.full:
        _apply_one(due, now, result)
    result.seconds = time.perf_counter() - started
    result.cpu_seconds += time.process_time() - cpu
    remind(now, result)
    return result


def run_batches(now: datetime, size: int, result: SweepResult) -> None:
    """Claim, apply and commit batches until none is left. Each starts after the last claim
    of the one before: a claim given back (its case was busy, or its action refused) is not
    claimed again by the same run. Each batch's notices are a job row in its commit."""
    calendars = apply.Calendars(current_app.config["INSTITUTION_COUNTRY"])
    cursor = None
    while True:
        try:
            outcome = apply.run_batch(now, calendars, limit=size, after=cursor)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        if not outcome.claimed:
            return
        result.batches += 1
        result.add(outcome)
        cursor = outcome.cursor


_app_for_helpers: Flask | None = None  # what a forked helper runs in (set just before forking)


def _fork_helpers(count: int, now: datetime, size: int) -> list[Future[SweepResult]]:
    """Start `count` sweeps in forked processes; their futures."""
    global _app_for_helpers
    _app_for_helpers = current_app._get_current_object()  # type: ignore[attr-defined]
    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"))
    try:
        return [pool.submit(_helper_sweep, now, size) for _ in range(count)]
    finally:
        pool.shutdown(wait=False)


def _helper_sweep(now: datetime, size: int) -> SweepResult:
    """A forked helper: its own connections (the parent's pooled ones are not its to use),
    its own batches (their notices are job rows, committed with each batch)."""
    assert _app_for_helpers is not None
    cpu = time.process_time()
    with _app_for_helpers.app_context():
        db.engine.dispose(close=False)
        part = SweepResult()
        run_batches(now, size, part)
        db.session.remove()
    part.cpu_seconds = time.process_time() - cpu
    return part


def _apply_one(due: claim.Claim, now: datetime, result: SweepResult) -> None:
    """The ORM path for one expiry: claim it again, take the action, commit."""
    if not claim.one(due, now):
        db.session.rollback()
        return  # another sweep (or the user) got there first
    case = db.session.get(Case, due.case_id, populate_existing=True)
    assert case is not None
    reference = case.reference
    try:
        take_action(case, due.on_expiry, None, {}, actor=Actor.system(), now=now)
        db.session.commit()
        result.applied.append((reference, due.on_expiry))
    except (ActionRefused, StaleDataError) as exc:
        db.session.rollback()
        reason = exc.reason if isinstance(exc, ActionRefused) else "changed concurrently"
        result.skipped.append((reference, reason))
        log.info("sweep skipped %s on %s: %s", due.on_expiry, reference, reason)


def remind(now: datetime, result: SweepResult | None = None) -> SweepResult:
    """Claim the deadlines due within DEADLINE_REMINDER_DAYS whose reminder has not gone out;
    one job writes and sends the reminders."""
    result = result or SweepResult()
    days = int(current_app.config.get("DEADLINE_REMINDER_DAYS", 3))
    if days <= 0:
        return result
    claimed = claim.reminders(now, now + timedelta(days=days))
    if claimed:
        numbers = dict(db.session.execute(select(Case.id, Case.number).where(
            Case.id.in_({case_id for _, case_id, _ in claimed}))).all())
        for _, case_id, key in sorted(claimed):
            result.reminded.append((case_reference(numbers.get(case_id), case_id), key))
        jobs.defer(send_reminders, deadline_ids=sorted(i for i, _, _ in claimed))
    db.session.commit()
    return result


@jobs.job()
def sweep_job() -> None:
    """The periodic job (`flask jobs scheduler`): apply what expired, remind what is near."""
    result = sweep()
    if result.applied or result.skipped or result.reminded:
        log.info("sweep applied %s, skipped %s, reminded %s", len(result.applied),
                 len(result.skipped), len(result.reminded))
