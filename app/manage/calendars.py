"""Case managers' corrections to the calendars: Islamic holidays confirmed on a date (moon
sighting moves an Eid by a day), estimated ones removed, and the Centre's closure days. Each
change recomputes the open deadlines it affects and records that on each affected case."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import CalendarDay, Case, Deadline, User
from app.models.types import utcnow
from workflows import calendar
from workflows.engine import Actor
from workflows.procedures.roles import CASE_MANAGER

INSTITUTION = "*"


def _actor(user: User) -> Actor:
    return Actor.of(user.id, user.name, {CASE_MANAGER})


def set_day(country: str, day: date, kind: str, name: str, user: User,
            moved_from: date | None = None) -> list[Deadline]:
    """Add or replace the correction for `country` on `day` (and, for a holiday moved by moon
    sighting, mark its estimated date a working day); returns the deadlines moved."""
    country = INSTITUTION if kind == "closure" else country.upper()
    _put(country, day, kind, name.strip(), user)
    what = {"holiday": "holiday confirmed", "removed": "holiday removed",
            "closure": "Centre closed"}[kind]
    reason = f"{what}: {country} {day.isoformat()} {name}".strip()
    if moved_from is not None:
        _put(country, moved_from, "removed", "", user)
        reason = f"holiday moved: {country} {moved_from.isoformat()} -> {day.isoformat()} {name}"
    return recompute_open_deadlines(country, actor=_actor(user), reason=reason.strip())


def _put(country: str, day: date, kind: str, name: str, user: User) -> CalendarDay:
    row = db.session.scalar(select(CalendarDay).where(CalendarDay.country == country,
                                                      CalendarDay.day == day))
    if row is None:
        row = CalendarDay(country=country, day=day)
        db.session.add(row)
    row.kind, row.name, row.created_by_id = kind, name, user.id
    db.session.flush()
    return row


def delete_day(row_id: int, user: User) -> list[Deadline]:
    row = db.session.get(CalendarDay, row_id)
    if row is None:
        return []
    country, day = row.country, row.day
    db.session.delete(row)
    db.session.flush()
    return recompute_open_deadlines(
        country, actor=_actor(user),
        reason=f"calendar correction withdrawn: {country} {day.isoformat()}")


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
        assert case is not None
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
