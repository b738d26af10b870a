"""Applying claimed expiries in batches: thousands of cases with a handful of statements.

One batch, one transaction (the caller commits):

1. *claim* up to `BATCH_SIZE` due deadlines (`claim.expired`);
2. *load* what the engine reads for the batch's cases with four set-based selects: the case
   rows (with the head of their audit chain), their open deadlines, the parties' countries,
   and the Centre's calendar corrections (once per sweep, `Calendars`). PostgreSQL locks the
   case rows ``FOR NO KEY UPDATE SKIP LOCKED``: a case a user is changing right now is left
   for the next sweep (its claim is released), and the sweep never waits on a user, so the
   two cannot deadlock;
3. *run the same* `workflows.engine.perform` on a `BatchCase` per case. `BatchCase` shares
   the rules of the ORM `Case` (`app.models.case.CaseRules`: closing deadlines, the rows of
   a new deadline and a new audit event, the chain's hash); it keeps the new rows in memory.
   The procedures guarantee that an expiry action is decided on the deadlines alone
   (`Procedure.check`); one with a domain handler (`app.cases.service.HANDLERS`) goes
   through `take_action` on the ORM after the batch (`run`). Due dates are computed once per
   (calendar, trigger day, period): most of a batch shares them;
4. *write* in bulk: one UPDATE of the cases guarded by the optimistic lock (``version =
   <seen>``), with their chains' new head and length (a case whose version moved is skipped
   and its claim released, so the next sweep looks at it again with fresh eyes), the audit
   events and new deadlines (COPY on PostgreSQL), the deadlines the actions closed;
5. *defer one job* that tells the participants after the commit (`notify.send_notices`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, func, or_, select, text, update

from app.cases.service import HANDLERS
from app.cases.sweep import claim as claims_of
from app.cases.sweep.claim import Claim
from app.cases.sweep.notify import send_notices
from app.extensions import db
from app.models import AuditEvent, CalendarDay, Case, Deadline, Participant, Party
from app.models.case import CaseRules, case_reference
from app.models.deadline import holiday_name
from app.models.types import UTCDateTime
from app.services import jobs
from app.services.bulk import copy_rows, in_ids, on_postgres, pg_array
from workflows import calendar
from workflows.engine import ActionRefused, Actor, perform

BATCH_SIZE = 10_000
SYSTEM_ACTOR = Actor.system()

CASES, DEADLINES, EVENTS, PARTIES, PARTICIPANTS = (
    Case.__table__, Deadline.__table__, AuditEvent.__table__, Party.__table__,
    Participant.__table__)


@dataclass
class DeadlineState:
    """A deadline as the batch sees it (an existing row, or one the batch opens)."""

    id: int | None
    key: str
    addressee: str
    due_at: datetime
    extended_days: int = 0
    requested_days: int | None = None
    status: str = "open"
    outcome: str | None = None
    closed_at: datetime | None = None
    own: bool = False  # closed by its own claim (the table already says so)
    row: dict[str, Any] | None = None  # the INSERT of a deadline this batch opens


@dataclass(frozen=True, eq=False)
class CachedAddressee(calendar.Addressee):
    """An addressee whose due dates (and their stored form) are computed once per (trigger
    day, period, counting)."""

    cache: dict[tuple[date, int, bool, str], tuple[calendar.DueDate, dict[str, Any]]] = field(
        default_factory=dict, repr=False)

    def due(self, trigger: date, days: int, *, business: bool = False,
            trigger_label: str = "the trigger") -> calendar.DueDate:
        key = (trigger, days, business, trigger_label)
        found = self.cache.get(key)
        if found is None:
            due = calendar.Addressee.due(self, trigger, days, business=business,
                                         trigger_label=trigger_label)
            found = self.cache[key] = (due, due.as_dict())
        return found[0]

    def basis(self, due: calendar.DueDate) -> dict[str, Any]:
        found = self.cache.get((due.trigger, due.days, due.business, due.trigger_label))
        return found[1] if found is not None and found[0] is due else due.as_dict()


class Calendars:
    """Every addressee calendar of one sweep, with the Centre's corrections read once."""

    def __init__(self, institution_country: str) -> None:
        self.institution = institution_country
        self.adjustments: dict[str, tuple[set[date], dict[date, str | None]]] = defaultdict(
            lambda: (set(), {}))
        for country, day, kind, name in db.session.execute(
                select(CalendarDay.country, CalendarDay.day, CalendarDay.kind, CalendarDay.name)):
            closures, overrides = self.adjustments[country.upper()]
            if kind == "closure":
                closures.add(day)
            else:
                overrides[day] = holiday_name(kind, name)
        self.addressees: dict[tuple[str, str | None], CachedAddressee] = {}

    def get(self, country: str | None, subdiv: str | None) -> CachedAddressee:
        if not country:
            country, subdiv = self.institution, None
        key = (country, subdiv or None)
        found = self.addressees.get(key)
        if found is None:
            # as app.models.deadline.calendar_adjustments: the country's and everyone's ("*")
            own, everyone = self.adjustments.get(country.upper()), self.adjustments.get("*")
            closures = set(own[0] if own else ()) | set(everyone[0] if everyone else ())
            overrides = {**(everyone[1] if everyone else {}), **(own[1] if own else {})}
            found = self.addressees[key] = CachedAddressee(
                country=country, tz=calendar.default_timezone(country), subdiv=subdiv or None,
                closures=frozenset(closures), overrides=overrides)
        return found


class BatchCase(CaseRules):
    """The engine's `CaseRecord` over the rows the batch loaded: the `Case` rules, with the
    new audit events and deadlines kept in memory for the bulk writes."""

    def __init__(self, row: Mapping[str, Any], deadlines: list[DeadlineState],
                 parties: dict[str, tuple[str, str | None]], calendars: Calendars) -> None:
        self.id = row["id"]
        self.number = row["number"]
        self.procedure_key: str = row["procedure_key"]
        self.rules_version: str = row["rules_version"]
        self.stage: str = row["stage"]
        self.version: int = row["version"]
        self.mediation_days: int = row["mediation_days"]
        self.suspended_from: str | None = row["suspended_from"]
        self.suspended_remaining: int | None = row["suspended_remaining"]
        self.event_count = row["event_count"] or 0
        self.chain_head = row["chain_head"] or ""
        self.closed_at: datetime | None = None  # set by the engine if the case closes now
        self.deadlines = deadlines  # every deadline the batch knows of (open when loaded)
        self.parties = parties
        self.calendars = calendars
        self.events: list[dict[str, Any]] = []

    def addressee_calendar(self, addressee: str) -> CachedAddressee:
        country, subdiv = self.parties.get(addressee.removesuffix("_counsel"), ("", None))
        return self.calendars.get(country, subdiv)

    def due_basis(self, due: calendar.DueDate) -> dict[str, Any]:
        return self.calendars.get(due.country, due.subdiv).basis(due)

    def add_deadline(self, row: dict[str, Any]) -> None:
        self.deadlines.append(DeadlineState(id=None, key=row["key"], addressee=row["addressee"],
                                            due_at=row["due_at"], row=row))

    def add_event(self, row: dict[str, Any]) -> None:
        self.events.append(row)


@dataclass
class BatchOutcome:
    claimed: int = 0
    applied: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    full: list[Claim] = field(default_factory=list)  # for the ORM path, claims released
    cursor: tuple[datetime, int] | None = None


def run_batch(now: datetime, calendars: Calendars, *, limit: int = BATCH_SIZE,
              after: tuple[datetime, int] | None = None) -> BatchOutcome:
    """Claim, apply and write one batch in the current transaction (the caller commits)."""
    outcome = BatchOutcome()
    claims = claims_of.expired(now, limit, after)
    outcome.claimed = len(claims)
    if not claims:
        return outcome
    claims.sort(key=lambda c: (c.due_at, c.id))
    outcome.cursor = (claims[-1].due_at, claims[-1].id)
    cases = load(claims, calendars)

    release: list[int] = []
    by_orm: set[int] = {c.case_id for c in claims if c.on_expiry in HANDLERS}
    locked = {c.case_id for c in claims if cases.get(c.case_id) is None}
    if locked:  # by a user's transaction right now: the next sweep applies them
        numbers = dict(db.session.execute(select(CASES.c.id, CASES.c.number)
                                          .where(in_ids(CASES.c.id, locked))).all())
        outcome.skipped += [(case_reference(numbers.get(i), i), "changed concurrently")
                            for i in sorted(locked)]
    for c in claims:
        record = cases.get(c.case_id)
        if record is None:
            release.append(c.id)
            continue
        if c.case_id in by_orm:
            continue
        mine = next((d for d in record.deadlines if d.id == c.id), None)
        if mine is None or mine.status != "open":
            continue  # an earlier action of this batch closed it (as a sweep one by one would)
        mine.status, mine.outcome, mine.closed_at, mine.own = "expired", c.on_expiry, now, True
        try:
            perform(record, c.on_expiry, SYSTEM_ACTOR, {}, now=now)
        except ActionRefused as exc:
            mine.status, mine.outcome, mine.closed_at, mine.own = "open", None, None, False
            release.append(c.id)
            outcome.skipped.append((record.reference, exc.reason))
            continue
        outcome.applied.append((record.reference, c.on_expiry))
    if by_orm:  # these cases go to the ORM path whole: the batch leaves them alone
        outcome.full = [c for c in claims if c.case_id in by_orm]
        release += [c.id for c in outcome.full]
    records = [r for r in cases.values() if r is not None and r.events
               and r.id not in by_orm]
    written = write_cases(records, now)
    for record in records:
        if record.id not in written:
            outcome.applied = [a for a in outcome.applied if a[0] != record.reference]
            outcome.skipped.append((record.reference, "changed concurrently"))
            release += [c.id for c in claims if c.case_id == record.id]
    records = [r for r in records if r.id in written]
    if written:  # the participants' copy of the cases' last activity (their list order)
        db.session.execute(update(PARTICIPANTS).where(in_ids(PARTICIPANTS.c.case_id, written))
                           .values(case_activity_at=now))
    claims_of.release(release)
    write_effects(records)
    moved = [[r.id, e["seq"]] for r in records for e in r.events
             if e["stage_from"] != e["stage_to"]]
    if moved:
        jobs.defer(send_notices, events=moved)
    return outcome


def load(claims: list[Claim], calendars: Calendars) -> dict[int, BatchCase | None]:
    """The batch's cases as BatchCases (None: locked by someone else right now)."""
    case_ids = list(dict.fromkeys(c.case_id for c in claims))
    c = CASES.c
    query = (select(c.id, c.number, c.procedure_key, c.rules_version, c.stage, c.version,
                    c.mediation_days, c.suspended_from, c.suspended_remaining, c.event_count,
                    c.chain_head)
             .where(in_ids(c.id, case_ids)))
    if on_postgres():
        # FOR NO KEY UPDATE (what an UPDATE of the case takes), not FOR UPDATE: the foreign-key
        # checks of this transaction's own deadline writes take FOR KEY SHARE on the case rows,
        # and FOR UPDATE held by another sweep would make them wait (and two sweeps deadlock).
        query = query.with_for_update(of=CASES, skip_locked=True, key_share=True)
    rows = db.session.execute(query).mappings().all()

    deadlines: dict[int, list[DeadlineState]] = defaultdict(list)
    d = DEADLINES.c
    claimed = {cl.id for cl in claims}
    for row in db.session.execute(
            select(d.id, d.case_id, d.key, d.addressee, d.due_at, d.extended_days,
                   d.requested_days)
            .where(in_ids(d.case_id, case_ids),
                   or_(d.status == "open", in_ids(d.id, claimed)))
            .order_by(d.due_at)).all():
        deadlines[row.case_id].append(DeadlineState(
            id=row.id, key=row.key, addressee=row.addressee, due_at=row.due_at,
            extended_days=row.extended_days or 0, requested_days=row.requested_days))
    parties: dict[int, dict[str, tuple[str, str | None]]] = defaultdict(dict)
    p = PARTIES.c
    for row in db.session.execute(select(p.case_id, p.side, p.country, p.subdivision)
                                  .where(in_ids(p.case_id, case_ids))).all():
        parties[row.case_id][row.side] = (row.country, row.subdivision)
    found: dict[int, BatchCase | None] = dict.fromkeys(case_ids)
    for row in rows:
        found[row["id"]] = BatchCase(row, deadlines[row["id"]], parties[row["id"]], calendars)
    return found


def write_cases(records: list[BatchCase], now: datetime) -> set[int]:
    """One UPDATE of the changed cases under the optimistic lock; the ids it changed."""
    if not records:
        return set()
    if on_postgres():
        def naive(moment: datetime | None) -> str | None:
            return moment.astimezone(UTC).replace(tzinfo=None).isoformat() if moment else None

        rows = db.session.execute(text(
            "UPDATE cases AS c SET stage = v.stage, version = c.version + 1, "
            "event_count = v.event_count, chain_head = v.chain_head, last_activity_at = :at, "
            "suspended_from = v.suspended_from, suspended_remaining = v.suspended_remaining, "
            "closed_at = COALESCE(v.closed_at, c.closed_at) "
            "FROM unnest(CAST(:ids AS integer[]), CAST(:seen AS integer[]), "
            "CAST(:stages AS varchar[]), CAST(:counts AS integer[]), CAST(:heads AS varchar[]), "
            "CAST(:sfrom AS varchar[]), CAST(:sleft AS integer[]), "
            "CAST(:closed AS timestamp[])) "
            "AS v(id, seen, stage, event_count, chain_head, suspended_from, suspended_remaining, "
            "closed_at) "
            "WHERE c.id = v.id AND c.version = v.seen RETURNING c.id"),
            {"at": naive(now),
             "ids": pg_array(r.id for r in records),
             "seen": pg_array(r.version for r in records),
             "stages": pg_array(r.stage for r in records),
             "counts": pg_array(r.event_count for r in records),
             "heads": pg_array(r.chain_head for r in records),
             "sfrom": pg_array(r.suspended_from for r in records),
             "sleft": pg_array(r.suspended_remaining for r in records),
             "closed": pg_array(naive(r.closed_at) for r in records)}).scalars().all()
        return set(rows)
    # SQLite: one writer, and this transaction holds the write lock since its claim, so the
    # versions read now are the ones the UPDATE meets; it checks them all the same.
    current = dict(db.session.execute(select(CASES.c.id, CASES.c.version)
                                      .where(in_ids(CASES.c.id, [r.id for r in records]))).all())
    fresh = [r for r in records if current.get(r.id) == r.version]
    if fresh:
        c = CASES.c
        stmt = (update(CASES).where(c.id == bindparam("b_id"), c.version == bindparam("b_seen"))
                .values(stage=bindparam("b_stage"), version=c.version + 1,
                        event_count=bindparam("b_count"), chain_head=bindparam("b_head"),
                        last_activity_at=now,
                        suspended_from=bindparam("b_sfrom"),
                        suspended_remaining=bindparam("b_sleft"),
                        closed_at=func.coalesce(bindparam("b_closed", type_=UTCDateTime),
                                                c.closed_at)))
        result = db.session.execute(stmt, [
            {"b_id": r.id, "b_seen": r.version, "b_stage": r.stage, "b_count": r.event_count,
             "b_head": r.chain_head, "b_sfrom": r.suspended_from,
             "b_sleft": r.suspended_remaining, "b_closed": r.closed_at} for r in fresh])
        assert result.rowcount == len(fresh), "a case changed under the sweep's write lock"
    return {r.id for r in fresh}


def write_effects(records: list[BatchCase]) -> None:
    """The events, the new deadlines and the deadlines the actions closed."""
    events = [e for r in records for e in r.events]
    new = [d.row | {"status": d.status, "outcome": d.outcome, "closed_at": d.closed_at}
           for r in records for d in r.deadlines if d.id is None and d.row is not None]
    # A deadline applied as its own claim already reads expired / its action / now in the
    # table; write the others the actions closed (including a claimed one an earlier action
    # of the batch closed first, as a sweep one by one would have).
    closed = [{"b_id": d.id, "b_status": d.status, "b_outcome": d.outcome,
               "b_closed": d.closed_at}
              for r in records for d in r.deadlines
              if d.id is not None and d.status != "open" and not d.own]
    copy_rows(EVENTS, events)
    copy_rows(DEADLINES, new)
    if closed:
        d = DEADLINES.c
        db.session.execute(update(DEADLINES).where(d.id == bindparam("b_id"))
                           .values(status=bindparam("b_status"), outcome=bindparam("b_outcome"),
                                   closed_at=bindparam("b_closed", type_=UTCDateTime)), closed)
