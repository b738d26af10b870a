"""The deadline sweep: one set-based query for what has expired, then each expiry action."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import Case, Deadline, User
from app.models.types import utcnow
from app.services import jobs, notify
from workflows.engine import ActionRefused, Actor
from workflows.procedures.roles import ARBITRATOR, CLAIMANT, RESPONDENT

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


def send_reminders(now: datetime | None = None) -> int:
    """Remind each addressee once that a time limit ends within REMINDER_DAYS.

    A deadline is claimed by an atomic `UPDATE … WHERE reminded_at IS NULL` before its email is
    written, in the same transaction, so two sweeps running at once remind only once. It does
    not touch the case (a reminder changes nothing in it), so it never conflicts with users.
    """
    now = now or utcnow()
    horizon = now + timedelta(days=current_app.config["REMINDER_DAYS"])
    due = db.session.execute(
        select(Deadline.id, Deadline.case_id)
        .where(Deadline.status == "open", Deadline.reminded_at.is_(None),
               Deadline.due_at > now, Deadline.due_at <= horizon)
        .order_by(Deadline.due_at)
    ).all()
    sent = 0
    for deadline_id, case_id in due:
        claimed = db.session.execute(
            update(Deadline).where(Deadline.id == deadline_id, Deadline.reminded_at.is_(None))
            .values(reminded_at=now))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            db.session.rollback()
            continue
        case = db.session.get(Case, case_id)
        deadline = db.session.get(Deadline, deadline_id)
        assert case is not None and deadline is not None
        users, addresses = reminder_audience(case, deadline.addressee)
        notify.email_users(users, "deadline_reminder", case=case, deadline=deadline)
        for address in addresses:
            notify.email(address, "deadline_reminder", locale=case.language, case=case,
                         deadline=deadline, user=None)
        jobs.commit()
        sent += 1
    return sent


def reminder_audience(case: Case, addressee: str) -> tuple[list[User], list[str]]:
    """Who must act by a deadline: the side and its counsel (or, for a respondent who has not
    joined yet, the address it was served at), the Centre, or the tribunal."""
    if addressee in (CLAIMANT, RESPONDENT):
        users = case.users_with_role(addressee, f"{addressee}_counsel")
        party = case.party(addressee)
        if not users and party is not None and party.email:
            return [], [party.email]
        return users, []
    if addressee == "tribunal":
        return case.users_with_role(ARBITRATOR), []
    managers = db.session.scalars(select(User).where(User.is_case_manager.is_(True))).all()
    return list(managers), []


def sweep_job() -> None:
    """The periodic job (`flask jobs scheduler`): apply what expired, remind what is near."""
    result = sweep()
    reminded = send_reminders()
    if result.applied or result.skipped or reminded:
        log.info("sweep applied %s, skipped %s, reminded %s", len(result.applied),
                 len(result.skipped), reminded)
