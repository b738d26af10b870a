"""Rows for case lists: the few columns a list shows, the parties' names joined in, in one
statement per list, without building ORM objects (a list page never changes a case)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Select, bindparam, select

from app.models import Case, Participant, Party
from app.services.paging import keyset_statement


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
    listed_at: datetime | None = None  # the position in a user's list (Participant)

    @property
    def title(self) -> str:  # as Case.title
        return f"{self.claimant or '…'} v. {self.respondent or '…'}"


def _party_name(side: str):
    return (select(Party.name).where(Party.case_id == Case.id, Party.side == side)
            .correlate(Case).scalar_subquery())


def case_rows() -> Select:
    """A select of CaseRow columns; add where clauses and an order, then hand its result to
    `as_case_rows`. The lists below are built from it once per worker.

    The parties' names are correlated subqueries rather than joins, so that the database
    looks them up only for the rows of the page, after ordering and limiting (PostgreSQL
    postpones such output expressions past the sort), not for every candidate row.
    """
    return select(Case.id, Case.number, Case.stage, Case.rules_version, Case.filer_id,
                  Case.created_at, Case.submitted_at, Case.last_activity_at,
                  _party_name("claimant").label("claimant"),
                  _party_name("respondent").label("respondent"))


def as_case_rows(result) -> list[CaseRow]:
    """By position: `case_rows` selects the columns in CaseRow's field order (a row's
    mapping view costs more than the rest of the conversion)."""
    return [CaseRow(*row) for row in result]


# The list pages' statements, built once: their per-request values are bound parameters.
@cache
def drafts_of_user(limit: int) -> Select:
    return (case_rows().where(Case.filer_id == bindparam("user_id"), Case.stage == "draft")
            .order_by(Case.created_at.desc(), Case.id.desc()).limit(limit))


@cache
def cases_of_user(size: int) -> Select:
    """A party's, counsel's or neutral's cases (not drafts), most recent activity first: a walk
    of the user's participant rows in activity order (ix_participants_user_activity), joined to
    their cases — twenty rows read whether the user has twelve cases or twelve thousand.
    A user with two roles in a case has two rows; `keyset_page(..., unique="id")` folds them."""
    rows = (case_rows().add_columns(Participant.case_activity_at.label("listed_at"))
            .join(Participant, Participant.case_id == Case.id)
            .where(Participant.user_id == bindparam("user_id"), Case.stage != "draft"))
    return keyset_statement(rows, Participant.case_activity_at, Participant.case_id, size=size)


@cache
def all_cases(size: int, *, in_stage: bool) -> Select:
    """Every case (not drafts), or those in the stage bound as :stage."""
    where = Case.stage == bindparam("stage") if in_stage else Case.stage != "draft"
    return keyset_statement(case_rows().where(where), Case.last_activity_at, Case.id,
                            size=size)


@cache
def review_queue(limit: int) -> Select:
    """The oldest filings awaiting review first: review is first come, first served."""
    return (case_rows().where(Case.stage == "review").order_by(Case.submitted_at, Case.id)
            .limit(limit))
