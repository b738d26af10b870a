"""Deadlines after they are set: the sweep that applies expiries, reminders before they pass,
and recomputation when an administrator corrects a country's calendar.

Concurrency: two sweeps (two cron hosts, a manual run during the scheduled one) may run at
once. Each expiry is *claimed* by a conditional UPDATE (``status = 'open'`` → ``'expired'``)
that only one transaction can win; the loser sees zero rows and moves on, so no expiry action
is ever applied twice. The case's optimistic lock (``Case.version``) catches the remaining race,
a user acting on the case at the same instant. Reminders are claimed the same way
(``reminder_sent_at IS NULL``), so each goes out once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import Case, Deadline, User
from app.models.types import utcnow
from app.services import jobs, notify
from workflows import calendar
from workflows.engine import ActionRefused, Actor
from workflows.procedures.roles import ARBITRATOR, CASE_MANAGER

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    applied: list[tuple[str, str]] = field(default_factory=list)  # (case number, action)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (case number, reason)
    reminded: list[tuple[str, str]] = field(default_factory=list)  # (case number, deadline)


# A hook for tests that need two sweeps to interleave between the query and the claims.
_before_claims: Callable[[], None] | None = None


def sweep(now: datetime | None = None) -> SweepResult:
    """Apply the expiry action of every open deadline that has passed, then send reminders."""
    from app.cases.service import take_action

    now = now or utcnow()
    result = SweepResult()
    due = db.session.execute(
        select(Deadline.id, Deadline.case_id, Deadline.on_expiry)
        .where(Deadline.status == "open", Deadline.due_at <= now)
        .order_by(Deadline.due_at, Deadline.id)
    ).all()
    db.session.rollback()  # end the read transaction: each expiry is its own
    if _before_claims is not None:
        _before_claims()
    for deadline_id, case_id, on_expiry in due:
        claimed = db.session.execute(
            update(Deadline)
            .where(Deadline.id == deadline_id, Deadline.status == "open")
            .values(status="expired", outcome=on_expiry, closed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            db.session.rollback()
            continue  # another sweep (or the user) got there first
        case = db.session.get(Case, case_id)
        assert case is not None
        db.session.refresh(case)
        number = case.reference
        try:
            take_action(case, on_expiry, None, {"now": now}, actor=Actor.system())
            jobs.commit()
            result.applied.append((number, on_expiry))
        except (ActionRefused, StaleDataError) as exc:
            db.session.rollback()
            reason = exc.reason if isinstance(exc, ActionRefused) else "changed concurrently"
            result.skipped.append((number, reason))
            log.info("sweep skipped %s on %s: %s", on_expiry, number, reason)
    remind(now, result)
    return result


def remind(now: datetime, result: SweepResult | None = None) -> SweepResult:
    """Email the addressees of every deadline due within DEADLINE_REMINDER_DAYS, once."""
    result = result or SweepResult()
    days = int(current_app.config.get("DEADLINE_REMINDER_DAYS", 3))
    if days <= 0:
        return result
    claimed = db.session.execute(
        update(Deadline)
        .where(Deadline.status == "open", Deadline.reminder_sent_at.is_(None),
               Deadline.due_at > now, Deadline.due_at <= now + timedelta(days=days))
        .values(reminder_sent_at=now)
        .returning(Deadline.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    for deadline_id in claimed:
        deadline = db.session.get(Deadline, deadline_id)
        case = db.session.get(Case, deadline.case_id)
        users = addressees(case, deadline.addressee)
        notify.email_users(users, "deadline_reminder", case=case, deadline=deadline)
        party = case.party(deadline.addressee.removesuffix("_counsel"))
        if not users and party is not None and party.email:
            # A respondent who has not joined yet is reminded at the address it was served at.
            notify.email(party.email, "deadline_reminder", locale=case.language, case=case,
                         deadline=deadline, user=None)
        result.reminded.append((case.reference, deadline.key))
    jobs.commit()
    return result


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


def sweep_job() -> None:
    """The periodic job (`flask jobs scheduler`): apply what expired, remind what is near."""
    result = sweep()
    if result.applied or result.skipped or result.reminded:
        log.info("sweep applied %s, skipped %s, reminded %s", len(result.applied),
                 len(result.skipped), len(result.reminded))
