"""Deadlines after they are set: the sweep that applies expiries, reminders before they pass,
and recomputation when an administrator corrects a country's calendar.

The sweep works in batches (`app.services.expiries`): one UPDATE claims up to BATCH_SIZE due
deadlines (``status = 'open'`` → ``'expired'``; on PostgreSQL through ``FOR UPDATE SKIP
LOCKED``, so two sweeps at once split the work and never claim one twice), a few set-based
selects load what the engine reads, the engine's own `perform` runs on a light in-memory
record per case, and the effects are written in bulk under the cases' optimistic lock (a case
changed meanwhile is skipped and its claim given back). One job per batch sends the notices.
Reminders are claimed the same way (``reminder_sent_at IS NULL``), so each goes out once.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import Case, Deadline, OutboxEmail, Participant, User
from app.models.types import utcnow
from app.services import expiries, jobs, notify
from workflows import calendar
from workflows.engine import ActionRefused, Actor
from workflows.procedures.roles import ARBITRATOR, CASE_MANAGER

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
    full: list[expiries.Claim] = field(default_factory=list)  # for the ORM path, one by one


# A hook for tests that need two sweeps to interleave before the claims.
_before_claims: Callable[[], None] | None = None


def sweep(now: datetime | None = None, *, batch_size: int | None = None,
          processes: int | None = None) -> SweepResult:
    """Apply the expiry action of every open deadline that has passed, then send reminders.

    On PostgreSQL, when more than one batch is due there is a backlog (after an outage, or a
    filing campaign's deadlines falling due together): `processes - 1` more sweeps are forked
    to work through it beside this one. Their claims split the work (``SKIP LOCKED``)
    and each one's PostgreSQL backend runs its writes on its own core. The default is
    SWEEP_PROCESSES, else one per core; SQLite has a single writer, so always one."""
    now = now or utcnow()
    size = batch_size or expiries.BATCH_SIZE
    if processes is None:
        processes = current_app.config.get("SWEEP_PROCESSES") or os.cpu_count() or 1
    if not expiries.on_postgres():
        processes = 1
    result = SweepResult()
    started, cpu = time.perf_counter(), time.process_time()
    if _before_claims is not None:
        _before_claims()
    calendars = expiries.Calendars(current_app.config["INSTITUTION_COUNTRY"])
    if processes > 1 and expiries.due_more_than(now, size):
        db.session.commit()  # no connection in use when forking: the helpers make their own
        helpers = _fork_helpers(processes - 1, now, size)
        result.processes += len(helpers)
        _run_batches(now, size, calendars, result)
        for future in helpers:
            part = future.result()
            result.applied += part.applied
            result.skipped += part.skipped
            result.full += part.full
            result.batches += part.batches
            result.cpu_seconds += part.cpu_seconds
    else:
        _run_batches(now, size, calendars, result)
    for claim in result.full:  # cases the batch record could not carry: one by one, on the ORM
        _apply_one(claim, now, result)
    result.seconds = time.perf_counter() - started
    result.cpu_seconds += time.process_time() - cpu
    remind(now, result)
    return result


def _run_batches(now: datetime, size: int, calendars: expiries.Calendars,
                 result: SweepResult) -> None:
    """Claim, apply and commit batches until none is left. Each starts after the last claim
    of the one before: a claim given back (its case was busy, or its action refused) is not
    claimed again by the same run. Each batch's notices are a job row in its commit."""
    cursor = None
    while True:
        try:
            outcome = expiries.run_batch(now, calendars, limit=size, after=cursor)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        if not outcome.claimed:
            return
        result.batches += 1
        result.applied += outcome.applied
        result.skipped += outcome.skipped
        result.full += outcome.full
        cursor = outcome.cursor


_app_for_helpers = None  # what a forked helper runs in (set just before forking)


def _fork_helpers(count: int, now: datetime, size: int) -> list:
    """Start `count` sweeps in forked processes; their futures."""
    global _app_for_helpers
    from concurrent.futures import ProcessPoolExecutor

    _app_for_helpers = current_app._get_current_object()
    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"))
    try:
        return [pool.submit(_helper_sweep, now, size) for _ in range(count)]
    finally:
        pool.shutdown(wait=False)


def _helper_sweep(now: datetime, size: int) -> SweepResult:
    """A forked helper: its own connections (the parent's pooled ones are not its to use),
    its own batches (their notices are job rows, committed with each batch)."""
    cpu = time.process_time()
    with _app_for_helpers.app_context():
        db.engine.dispose(close=False)
        part = SweepResult()
        calendars = expiries.Calendars(current_app.config["INSTITUTION_COUNTRY"])
        _run_batches(now, size, calendars, part)
        db.session.remove()
    part.cpu_seconds = time.process_time() - cpu
    return part


def _apply_one(claim: expiries.Claim, now: datetime, result: SweepResult) -> None:
    """The ORM path for one expiry: claim it, take the action, commit."""
    from app.cases.service import take_action

    claimed = db.session.execute(
        update(Deadline)
        .where(Deadline.id == claim.id, Deadline.status == "open")
        .values(status="expired", outcome=claim.on_expiry, closed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        return  # another sweep (or the user) got there first
    case = db.session.get(Case, claim.case_id)
    assert case is not None
    db.session.refresh(case)
    number = case.reference
    try:
        take_action(case, claim.on_expiry, None, {"now": now}, actor=Actor.system())
        db.session.commit()
        result.applied.append((number, claim.on_expiry))
    except (ActionRefused, StaleDataError) as exc:
        db.session.rollback()
        reason = exc.reason if isinstance(exc, ActionRefused) else "changed concurrently"
        result.skipped.append((number, reason))
        log.info("sweep skipped %s on %s: %s", claim.on_expiry, number, reason)


def remind(now: datetime, result: SweepResult | None = None) -> SweepResult:
    """Email the addressees of every deadline due within DEADLINE_REMINDER_DAYS, once: one
    UPDATE claims them, one job writes and sends the reminders."""
    result = result or SweepResult()
    days = int(current_app.config.get("DEADLINE_REMINDER_DAYS", 3))
    if days <= 0:
        return result
    claimed = db.session.execute(
        update(Deadline)
        .where(Deadline.status == "open", Deadline.reminder_sent_at.is_(None),
               Deadline.due_at > now, Deadline.due_at <= now + timedelta(days=days))
        .values(reminder_sent_at=now)
        .returning(Deadline.id, Deadline.case_id, Deadline.key)
        .execution_options(synchronize_session=False)
    ).all()
    if claimed:
        numbers = dict(db.session.execute(select(Case.id, Case.number).where(
            Case.id.in_({case_id for _, case_id, _ in claimed}))).all())
        for _, case_id, key in sorted(claimed):
            result.reminded.append((numbers.get(case_id) or f"DRAFT-{case_id}", key))
        jobs.defer(send_reminders, deadline_ids=sorted(i for i, _, _ in claimed))
    db.session.commit()
    return result


@jobs.job()
def send_reminders(deadline_ids: list[int]) -> None:
    """The job `remind` defers. Idempotent: each message has a dedupe key (deadline and
    recipient), so a retry writes only what is missing and sends what is still unsent."""
    deadlines = db.session.scalars(select(Deadline).where(Deadline.id.in_(deadline_ids))
                                   .order_by(Deadline.id)).all()
    cases = {c.id: c for c in db.session.scalars(
        select(Case).where(Case.id.in_({d.case_id for d in deadlines}))
        .options(selectinload(Case.parties),
                 selectinload(Case.participants).selectinload(Participant.user)))}
    managers = None
    planned = []
    for deadline in deadlines:
        case = cases[deadline.case_id]
        if deadline.addressee in ("institution", CASE_MANAGER):
            if managers is None:
                managers = list(db.session.scalars(select(User).where(
                    User.is_case_manager.is_(True))))
            users = managers
        else:
            users = addressees(case, deadline.addressee)
        seen = set()
        for user in users:
            if user.id not in seen:
                seen.add(user.id)
                planned.append((f"reminder:{deadline.id}:{user.id}", user.email, user.locale,
                                case, deadline, user))
        party = case.party(deadline.addressee.removesuffix("_counsel"))
        if not users and party is not None and party.email:
            # A respondent who has not joined yet is reminded at the address it was served at.
            planned.append((f"reminder:{deadline.id}:served", party.email, case.language,
                            case, deadline, None))
    existing = dict(db.session.execute(
        select(OutboxEmail.dedupe_key, OutboxEmail.sent_at)
        .where(OutboxEmail.dedupe_key.in_([p[0] for p in planned]))).all()) if planned else {}
    written = []
    for key, to, locale, case, deadline, user in planned:
        if key not in existing:
            message = notify.render(to, "deadline_reminder", locale=locale, case=case,
                                    deadline=deadline, user=user)
            message.dedupe_key = key
            written.append(message)
    db.session.add_all(written)
    db.session.flush()
    unsent = [m.id for m in written] + list(db.session.scalars(select(OutboxEmail.id).where(
        OutboxEmail.dedupe_key.in_([k for k, sent in existing.items() if sent is None]))))
    if unsent:
        jobs.defer(notify.deliver_many, email_ids=unsent)


def addressees(case: Case, addressee: str) -> list[User]:
    """Who must act on a deadline: a side (party and counsel), the tribunal or the Centre."""
    if addressee == "tribunal":
        return case.users_with_role(ARBITRATOR)
    if addressee in ("institution", CASE_MANAGER):
        return list(db.session.scalars(select(User).where(User.is_case_manager.is_(True))))
    side = addressee.removesuffix("_counsel")
    return case.users_with_role(side, f"{side}_counsel")


def recompute_open_deadlines(country: str, *, actor: Actor, reason: str) -> list[Deadline]:
    """After a calendar correction, recompute every open deadline counted in `country`'s
    calendar (all of them for an institution closure); each one that moves is recorded on
    its case's audit trail."""
    moved = []
    query = select(Deadline).where(Deadline.status == "open")
    for deadline in db.session.scalars(query).all():
        basis = deadline.basis or {}
        if "trigger" not in basis or (country != "*" and basis.get("country") != country):
            continue
        case = db.session.get(Case, deadline.case_id)
        old = calendar.DueDate.from_dict(basis)
        new = case.addressee_calendar(deadline.addressee).due(
            old.trigger, old.days, business=old.business, trigger_label=old.trigger_label)
        if new.due_date == old.due_date:
            continue
        deadline.due_date, deadline.due_at, deadline.basis = new.due_date, new.due_at, \
            new.as_dict()
        if deadline.reminder_sent_at is not None and new.due_at > old.due_at:
            deadline.reminder_sent_at = None
        case.record_event(action="recompute_deadline", actor=actor, stage_from=case.stage,
                          stage_to=case.stage, visibility="participants", at=utcnow(),
                          detail={"deadline": deadline.key, "from": old.due_date.isoformat(),
                                  "to": new.due_date.isoformat(), "reason": reason})
        moved.append(deadline)
    db.session.flush()
    return moved


@jobs.job()
def sweep_job() -> None:
    """The periodic job (`flask jobs scheduler`): apply what expired, remind what is near."""
    result = sweep()
    if result.applied or result.skipped or result.reminded:
        log.info("sweep applied %s, skipped %s, reminded %s", len(result.applied),
                 len(result.skipped), len(result.reminded))
