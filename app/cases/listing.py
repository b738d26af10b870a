"""Rows for case lists: the few columns a list shows, the parties' names joined in, in one
statement per list, without building ORM objects (a list page never changes a case)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select

from app.models import Case, Party


@dataclass(frozen=True, slots=True)
class CaseRow:
    id: int
    number: str | None
    stage: str
    rules_version: str
    filer_id: int
    created_at: datetime
    submitted_at: datetime | None
    last_activity_at: datetime
    claimant: str | None
    respondent: str | None

    @property
    def title(self) -> str:  # as Case.title
        return f"{self.claimant or '…'} v. {self.respondent or '…'}"


def _party_name(side: str):
    return (select(Party.name).where(Party.case_id == Case.id, Party.side == side)
            .correlate(Case).scalar_subquery())


def case_rows() -> Select:
    """A select of CaseRow columns; add where clauses and an order, then hand it to
    `as_case_rows` or `app.services.paging.keyset_page`.

    The parties' names are correlated subqueries rather than joins, so that the database
    looks them up only for the rows of the page, after ordering and limiting (PostgreSQL
    postpones such output expressions past the sort), not for every candidate row.
    """
    return select(Case.id, Case.number, Case.stage, Case.rules_version, Case.filer_id,
                  Case.created_at, Case.submitted_at, Case.last_activity_at,
                  _party_name("claimant").label("claimant"),
                  _party_name("respondent").label("respondent"))


def as_case_rows(result) -> list[CaseRow]:
    return [CaseRow(**row._mapping) for row in result]
