"""The sweep's messages, written and sent by jobs after the sweep commits: the case updates
of the expiries it applied and the reminders of deadlines about to pass. Both are idempotent:
every message has a dedupe key, so a retry writes only what is missing and sends what is
still unsent."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from sqlalchemy import select, tuple_
from sqlalchemy.orm import selectinload

from app.cases import notices
from app.extensions import db
from app.models import AuditEvent, Case, Deadline, OutboxEmail, Participant, User
from app.services import jobs, notify
from workflows.procedures.roles import ARBITRATOR, CASE_MANAGER


@jobs.job()
def send_notices(events: list[list[int]]) -> None:
    """Each participant of each case the sweep moved gets the "case_update" message
    `take_action` sends (`events`: the (case id, seq) of the events that moved them)."""
    rows: list[AuditEvent] = []
    for start in range(0, len(events), 500):  # PostgreSQL: a long row-value IN overflows
        rows += db.session.scalars(select(AuditEvent).where(tuple_(
            AuditEvent.case_id, AuditEvent.seq).in_([tuple(p) for p in
                                                     events[start:start + 500]]))).all()
    cases = _cases({e.case_id for e in rows})
    planned = []
    for event in rows:
        case = cases[event.case_id]
        update = notices.CaseUpdate.of_event(case, event)
        if update is None:
            continue
        for user in notify.case_audience(case):
            if not notify.wants(user, notices.TEMPLATE):
                continue
            planned.append((f"event:{event.case_id}:{event.seq}:{user.id}",
                            partial(notices.message, user, case, update)))
    _write_and_send(planned)


@jobs.job()
def send_reminders(deadline_ids: list[int]) -> None:
    """The addressees of each deadline get the "deadline_reminder" message."""
    deadlines = db.session.scalars(select(Deadline).where(Deadline.id.in_(deadline_ids))
                                   .order_by(Deadline.id)).all()
    cases = _cases({d.case_id for d in deadlines})
    managers = _case_managers()
    planned = []
    for deadline in deadlines:
        case = cases[deadline.case_id]
        users = list({u.id: u for u in addressees(case, deadline.addressee, managers)}.values())
        for user in users:
            if not notify.wants(user, "deadline_reminder"):
                continue
            planned.append((f"reminder:{deadline.id}:{user.id}",
                            partial(notify.render, user.email, "deadline_reminder",
                                    locale=user.locale, case=case, deadline=deadline,
                                    user=user)))
        party = case.party(deadline.addressee.removesuffix("_counsel"))
        if not users and party is not None and party.email:
            # A respondent who has not joined yet is reminded at the address it was served at.
            planned.append((f"reminder:{deadline.id}:served",
                            partial(notify.render, party.email, "deadline_reminder",
                                    locale=case.language, case=case, deadline=deadline,
                                    user=None)))
    _write_and_send(planned)


def addressees(case: Case, addressee: str, managers: list[User] | None = None) -> list[User]:
    """Who must act on a deadline: a side (party and counsel), the tribunal or the Centre
    (`managers`, when the caller has read them already)."""
    if addressee == "tribunal":
        return case.users_with_role(ARBITRATOR)
    if addressee in ("institution", CASE_MANAGER):
        return managers if managers is not None else _case_managers()
    side = addressee.removesuffix("_counsel")
    return case.users_with_role(side, f"{side}_counsel")


def _case_managers() -> list[User]:
    return list(db.session.scalars(select(User).where(User.is_case_manager.is_(True))))


def _cases(ids: set[int]) -> dict[int, Case]:
    return {c.id: c for c in db.session.scalars(
        select(Case).where(Case.id.in_(ids))
        .options(selectinload(Case.parties),
                 selectinload(Case.participants).selectinload(Participant.user)))}


def _write_and_send(planned: list[tuple[str, Callable[[], OutboxEmail]]]) -> None:
    """Write the messages not written yet (by dedupe key), then one job sends every unsent
    one of them."""
    keys = [key for key, _ in planned]
    existing: dict[str, tuple[int, bool]] = {}
    for start in range(0, len(keys), 1000):
        for key, email_id, sent_at in db.session.execute(
                select(OutboxEmail.dedupe_key, OutboxEmail.id, OutboxEmail.sent_at)
                .where(OutboxEmail.dedupe_key.in_(keys[start:start + 1000]))):
            existing[key] = (email_id, sent_at is not None)
    written = []
    for key, render in planned:
        if key not in existing:
            message = render()
            message.dedupe_key = key
            written.append(message)
    db.session.add_all(written)
    db.session.flush()
    unsent = [m.id for m in written] + [i for i, sent in existing.values() if not sent]
    if unsent:
        jobs.defer(notify.deliver_many, email_ids=unsent)
