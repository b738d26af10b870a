"""Case numbers: SULH-<year>-<six digits>, gap-free per year and safe under concurrency."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import CaseNumberCounter


def next_case_number(now: datetime) -> str:
    """Increment the year's counter with one atomic UPDATE … RETURNING (the row lock
    serialises concurrent filers on PostgreSQL; SQLite serialises writers anyway)."""
    year = now.year
    value = _bump(year)
    if value is None:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(CaseNumberCounter).values(year=year, last=0))
        except IntegrityError:
            pass  # another filer created the year's row first; bump it below
        value = _bump(year)
    return f"SULH-{year}-{value:06d}"


def _bump(year: int) -> int | None:
    return db.session.scalar(
        update(CaseNumberCounter)
        .where(CaseNumberCounter.year == year)
        .values(last=CaseNumberCounter.last + 1)
        .returning(CaseNumberCounter.last)
    )

