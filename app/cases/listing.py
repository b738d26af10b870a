"""Rows for case lists: the few columns a list shows, the parties' names joined in, in one
statement per list, without building ORM objects (a list page never changes a case)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import aliased

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


def case_rows() -> Select:
    """A select of CaseRow columns; add where clauses and hand it to `rows()` or
    `app.services.paging.keyset_page`."""
    claimant, respondent = aliased(Party), aliased(Party)
    return (
        select(Case.id, Case.number, Case.stage, Case.rules_version, Case.filer_id,
               Case.created_at, Case.submitted_at, Case.last_activity_at,
               claimant.name.label("claimant"), respondent.name.label("respondent"))
        .outerjoin(claimant, and_(claimant.case_id == Case.id, claimant.side == "claimant"))
        .outerjoin(respondent,
                   and_(respondent.case_id == Case.id, respondent.side == "respondent"))
    )


def as_case_rows(result) -> list[CaseRow]:
    return [CaseRow(**row._mapping) for row in result]
