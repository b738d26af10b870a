"""Cases per stage for the console's filter, counted once a minute for the whole deployment.

Counting a million cases by stage reads a whole index (140 ms of a core on PostgreSQL). Each
worker used to count for itself once a minute — with four workers, four counts a minute, each
one a stall for the requests sharing its core (the console's worst p99). Now the first worker
to find the stored totals older than a minute counts (on PostgreSQL under an advisory lock, so
one worker on one host at a time, on one core) and stores them in `stage_totals`; every other
worker reads the few stored rows. The totals are for orientation: a minute old at most.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text

from app.extensions import db
from app.models import Case, StageTotal
from app.models.types import utcnow
from app.services import queries

MAX_AGE = timedelta(seconds=60)
_LOCK = 0x5354_4147  # pg_try_advisory_xact_lock key: "STAG"
_COUNT_BY_STAGE = (select(Case.stage, func.count()).where(Case.stage != "draft")
                   .group_by(Case.stage))
_STORED = select(StageTotal.stage, StageTotal.cases, StageTotal.counted_at)


def current() -> tuple[dict[str, int], datetime | None]:
    """The totals, recounted first if the stored ones are older than MAX_AGE (unless another
    worker is counting right now: then the stored ones), and when they were counted."""
    counts, counted_at = stored()
    if counted_at is not None and utcnow() - counted_at < MAX_AGE:
        return counts, counted_at
    return recount() or (counts, counted_at)


def _upsert(dialect: str) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    insert = (postgresql if dialect == "postgresql" else sqlite).insert(StageTotal)
    return insert.on_conflict_do_update(index_elements=["stage"], set_={
        "cases": insert.excluded.cases, "counted_at": insert.excluded.counted_at})


def stored() -> tuple[dict[str, int], datetime | None]:
    rows: list[tuple[str, int, datetime]] = [tuple(row) for row in queries.rows(_STORED)]
    return ({stage: cases for stage, cases, _at in rows if stage},
            min((at for _s, _c, at in rows), default=None))


def recount() -> tuple[dict[str, int], datetime] | None:
    """Count and store, in a transaction of its own (not the request's); None if another
    worker is counting right now."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            if not conn.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _LOCK}):
                return None
            # one core, not a parallel scan on both: requests meanwhile keep the other
            conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        counts = dict(conn.execute(_COUNT_BY_STAGE).all())
        now = utcnow()
        rows = [{"stage": stage, "cases": n, "counted_at": now} for stage, n in counts.items()]
        # an upsert, then the rows this count did not touch (stages now empty) go: no moment
        # without totals, and no clash with a count that overlaps this one
        conn.execute(_upsert(conn.dialect.name),
                     rows or [{"stage": "", "cases": 0, "counted_at": now}])  # "" : no cases
        conn.execute(delete(StageTotal).where(StageTotal.counted_at < now))
    return counts, now
