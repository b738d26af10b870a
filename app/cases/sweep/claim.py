"""Claiming due deadlines: one UPDATE … RETURNING each, so that two sweeps at once split the
work and never take one row twice (PostgreSQL picks the rows ``FOR UPDATE SKIP LOCKED``;
SQLite has a single writer, the UPDATE takes its write lock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update

from app.extensions import db
from app.models import Deadline
from app.services.bulk import in_ids, on_postgres

DEADLINES = Deadline.__table__


@dataclass
class Claim:
    """An expired deadline this sweep took: its row already reads expired, by its action."""

    id: int
    case_id: int
    on_expiry: str
    due_at: datetime


def expired(now: datetime, limit: int, after: tuple[datetime, int] | None) -> list[Claim]:
    """Up to `limit` open deadlines due by `now`, oldest first (after `after`, the last
    claim of the batch before), set to expired."""
    due = DEADLINES.c
    pick = select(due.id).where(due.status == "open", due.due_at <= now)
    if after is not None:
        pick = pick.where(or_(due.due_at > after[0], and_(due.due_at == after[0],
                                                          due.id > after[1])))
    pick = pick.order_by(due.due_at, due.id).limit(limit)
    if on_postgres():
        # A materialized CTE: the LIMIT ... FOR UPDATE SKIP LOCKED runs exactly once (as an
        # IN subquery the planner may rescan it and claim more than `limit` rows).
        picked = pick.with_for_update(skip_locked=True).cte("picked").prefix_with(
            "MATERIALIZED")
        where = due.id == picked.c.id
    else:
        where = due.id.in_(pick.scalar_subquery())
    rows = db.session.execute(
        update(DEADLINES).where(where, due.status == "open")
        .values(status="expired", outcome=due.on_expiry, closed_at=now)
        .returning(due.id, due.case_id, due.on_expiry, due.due_at)).all()
    return [Claim(*row) for row in rows]


def one(claim: Claim, now: datetime) -> bool:
    """Claim again one deadline a batch gave back for the ORM path; False if someone (another
    sweep, a user's action) closed it meanwhile."""
    d = DEADLINES.c
    return db.session.execute(
        update(DEADLINES).where(d.id == claim.id, d.status == "open")
        .values(status="expired", outcome=claim.on_expiry, closed_at=now)).rowcount == 1


def release(ids: list[int]) -> None:
    """Give claimed deadlines back (their case was left alone): open again."""
    if ids:
        d = DEADLINES.c
        db.session.execute(update(DEADLINES).where(in_ids(d.id, ids))
                           .values(status="open", outcome=None, closed_at=None))


def due_more_than(now: datetime, count: int) -> bool:
    """Whether more than `count` deadlines are due: reads at most count + 1 index entries."""
    due = DEADLINES.c
    return db.session.execute(
        select(func.count()).select_from(
            select(due.id).where(due.status == "open", due.due_at <= now)
            .limit(count + 1).subquery())).scalar_one() > count


def reminders(now: datetime, until: datetime) -> list[tuple[int, int, str]]:
    """Open deadlines due after `now` and by `until` whose reminder has not gone out, marked
    sent: (deadline id, case id, key), so that each reminder goes out once."""
    d = DEADLINES.c
    return [tuple(row) for row in db.session.execute(  # type: ignore[misc]
        update(DEADLINES)
        .where(d.status == "open", d.reminder_sent_at.is_(None), d.due_at > now,
               d.due_at <= until)
        .values(reminder_sent_at=now)
        .returning(d.id, d.case_id, d.key)).all()]
