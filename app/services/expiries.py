"""The sweep's batch path: apply thousands of expired deadlines with a handful of statements.

One batch, one transaction:

1. *claim* up to `BATCH_SIZE` due deadlines with one UPDATE … RETURNING (PostgreSQL: the rows
   are picked by a subquery ``FOR UPDATE SKIP LOCKED``, so two sweeps split the work and never
   claim one row twice; SQLite has a single writer, the UPDATE takes its write lock);
2. *load* what the engine reads for the batch's cases with four set-based selects: the case
   rows (with the head of their audit chain, `chain_head`), their open deadlines, the
   parties' countries, and the Centre's calendar corrections. PostgreSQL locks the case rows
   ``FOR NO KEY UPDATE SKIP LOCKED``: a case a user is changing right now is left for the next
   sweep (its claim is released), and the sweep never waits on a user, so the two cannot
   deadlock;
3. *run the same* `workflows.engine.perform` on a `BatchCase` per case — the engine's
   `CaseRecord` over those rows, which captures the effects (stage, closed and opened
   deadlines, events chained with the ORM path's `event_hash`). The rules stay in the engine.
   Due dates are computed once per (calendar, trigger day, period): most of a batch shares
   them. A case whose action needs more than the record holds (a guard reading facts it does
   not carry, an action with a domain handler) raises `NeedsFullCase` and goes through
   `take_action` on the ORM after the batch, one by one, as before;
4. *write* in bulk: one UPDATE of the cases guarded by the optimistic lock (``version =
   <seen>``), with their chains' new head and length (a case whose version moved is skipped
   and its claim released, so the next sweep looks at it again with fresh eyes), the audit
   events and new deadlines (COPY on PostgreSQL, executemany on SQLite), the deadlines the
   actions closed;
5. *defer one job* that writes and sends the "case_update" notices of the batch after the
   commit (`send_notices`, idempotent through `OutboxEmail.dedupe_key`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, text, tuple_, update

from app.extensions import db
from app.models import (
    AuditEvent,
    CalendarDay,
    Case,
    Deadline,
    OutboxEmail,
    Participant,
    Party,
)
from app.models.audit import event_hash
from app.models.case import DeadlineFacts
from app.models.types import UTCDateTime, utcnow
from app.services import jobs
from workflows import calendar
from workflows.engine import ActionRefused, Actor, perform, procedure_for

BATCH_SIZE = 10_000
SYSTEM_ACTOR = Actor.system()

CASES, DEADLINES, EVENTS, PARTIES, PARTICIPANTS = (
    Case.__table__, Deadline.__table__, AuditEvent.__table__, Party.__table__,
    Participant.__table__)


class NeedsFullCase(Exception):
    """The action reads more of the case than a BatchCase carries: use the ORM path."""


@dataclass
class Claim:
    id: int
    case_id: int
    on_expiry: str
    due_at: datetime


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
    """An addressee whose due dates are computed once per (trigger day, period, counting)."""

    cache: dict[tuple, tuple[calendar.DueDate, dict[str, Any]]] = field(
        default_factory=dict, repr=False)

    def due(self, trigger: date, days: int, *, business: bool = False,
            trigger_label: str = "the trigger") -> calendar.DueDate:
        return self.due_with_basis(trigger, days, business, trigger_label)[0]

    def due_with_basis(self, trigger: date, days: int, business: bool,
                       trigger_label: str) -> tuple[calendar.DueDate, dict[str, Any]]:
        key = (trigger, days, business, trigger_label)
        found = self.cache.get(key)
        if found is None:
            due = calendar.Addressee.due(self, trigger, days, business=business,
                                         trigger_label=trigger_label)
            found = self.cache[key] = (due, due.as_dict())
        return found


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
                overrides[day] = (name or "Public holiday") if kind == "holiday" else None
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


class BatchCase(DeadlineFacts):
    """`workflows.engine.CaseRecord` over the rows the batch loaded; it records the effects
    of the actions performed on it instead of writing them."""

    def __init__(self, row: Mapping[str, Any], head: str, deadlines: list[DeadlineState],
                 parties: dict[str, tuple[str, str | None]], calendars: Calendars) -> None:
        self.id: int = row["id"]
        self.number: str | None = row["number"]
        self.procedure_key: str = row["procedure_key"]
        self.rules_version: str = row["rules_version"]
        self.stage: str = row["stage"]
        self.version: int = row["version"]
        self.mediation_days: int = row["mediation_days"]
        self.suspended_from: str | None = row["suspended_from"]
        self.suspended_remaining: int | None = row["suspended_remaining"]
        self.event_count: int = row["event_count"] or 0
        self.head = head
        self.deadlines = deadlines  # every deadline the batch knows of (open when loaded)
        self.parties = parties
        self.calendars = calendars
        self.events: list[dict[str, Any]] = []
        self.transitions: list[tuple[str, str, str]] = []  # (action, from, to)
        self.terminal = False

    def __getattr__(self, name: str) -> Any:  # only for attributes not set above
        raise NeedsFullCase(name)

    # --- the engine's CaseRecord protocol -------------------------------------------------
    def addressee_calendar(self, addressee: str) -> calendar.Addressee:
        country, subdiv = self.parties.get(addressee.removesuffix("_counsel"), ("", None))
        return self.calendars.get(country, subdiv)

    def open_deadline(self, rule: Any, due: calendar.DueDate, *, at: datetime) -> None:
        found = self.addressee_calendar(rule.addressee)
        basis = None
        if isinstance(found, CachedAddressee):
            cached = found.cache.get((due.trigger, due.days, due.business, due.trigger_label))
            if cached is not None and cached[0] is due:
                basis = cached[1]
        row = {"case_id": self.id, "key": rule.key, "label": rule.label,
               "addressee": rule.addressee, "on_expiry": rule.on_expiry, "source": rule.source,
               "due_date": due.due_date, "due_at": due.due_at,
               "basis": basis if basis is not None else due.as_dict(), "status": "open",
               "created_at": at, "extended_days": 0}
        self.deadlines.append(DeadlineState(id=None, key=rule.key, addressee=rule.addressee,
                                            due_at=due.due_at, row=row))

    def close_deadlines(self, *, outcome: str, at: datetime) -> None:
        for deadline in self.open_deadlines():
            deadline.status = "expired" if deadline.due_at <= at else "met"
            deadline.outcome = outcome
            deadline.closed_at = at

    def extend_deadline(self, key: str, days: int, *, at: datetime,
                        reason: str) -> calendar.DueDate:
        raise NeedsFullCase("extend_deadline")

    def record_event(self, *, action: str, actor: Actor, stage_from: str, stage_to: str,
                     detail: Mapping[str, Any], visibility: str, at: datetime) -> None:
        self.event_count += 1
        plain = json.loads(json.dumps(dict(detail), default=str))  # as Case.record_event
        row = {"case_id": self.id, "seq": self.event_count, "at": at,
               "actor_id": actor.user_id, "actor_name": actor.name,
               "actor_roles": ",".join(sorted(actor.roles)), "action": action,
               "stage_from": stage_from, "stage_to": stage_to, "detail": plain,
               "visibility": visibility, "prev_hash": self.head}
        row["hash"] = self.head = event_hash(row)
        self.events.append(row)


@dataclass
class BatchOutcome:
    claimed: int = 0
    applied: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    full: list[Claim] = field(default_factory=list)  # for the ORM path, claims released
    cursor: tuple[datetime, int] | None = None


# A hook for tests: called with the batch's BatchCases just before the writes.
_before_writes = None


def on_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def run_batch(now: datetime, calendars: Calendars, *, limit: int = BATCH_SIZE,
              after: tuple[datetime, int] | None = None) -> BatchOutcome:
    """Claim, apply and write one batch in the current transaction (the caller commits)."""
    from app.cases.service import HANDLERS

    outcome = BatchOutcome()
    claims = claim(now, limit, after)
    outcome.claimed = len(claims)
    if not claims:
        return outcome
    last = max(claims, key=lambda c: (c.due_at, c.id))
    outcome.cursor = (last.due_at, last.id)
    claims.sort(key=lambda c: (c.due_at, c.id))
    cases = load(claims, now, calendars)

    release: list[int] = []
    for c in claims:
        record = cases.get(c.case_id)
        if record is None:  # locked by a user's transaction right now: next sweep
            release.append(c.id)
            outcome.skipped.append((f"case {c.case_id}", "changed concurrently"))
            continue
        if record is False or c.on_expiry in HANDLERS:
            cases[c.case_id] = False
            continue
        mine = next((d for d in record.deadlines if d.id == c.id), None)
        if mine is None or mine.status != "open":
            continue  # an earlier action of this batch closed it (as a sweep one by one would)
        mine.status, mine.outcome, mine.closed_at, mine.own = "expired", c.on_expiry, now, True
        try:
            transition = perform(record, c.on_expiry, SYSTEM_ACTOR, {"now": now})
        except ActionRefused as exc:
            mine.status, mine.outcome, mine.closed_at, mine.own = "open", None, None, False
            release.append(c.id)
            outcome.skipped.append((record.reference, exc.reason))
            continue
        except NeedsFullCase:
            cases[c.case_id] = False
            continue
        if transition.stage_to != transition.stage_from:
            record.transitions.append((c.on_expiry, transition.stage_from, transition.stage_to))
            if procedure_for(record).stage(transition.stage_to).terminal:
                record.terminal = True
        outcome.applied.append((record.reference, c.on_expiry))
    full_ids = {case_id for case_id, r in cases.items() if r is False}
    if full_ids:  # hand these cases to the ORM path whole: drop what the batch did to them
        outcome.full = [c for c in claims if c.case_id in full_ids]
        release += [c.id for c in outcome.full]
        numbers = dict(db.session.execute(select(CASES.c.id, CASES.c.number)
                                          .where(in_ids(CASES.c.id, full_ids))).all())
        dropped = {numbers.get(i) or f"DRAFT-{i}" for i in full_ids}
        outcome.applied = [a for a in outcome.applied if a[0] not in dropped]
    records = [r for r in cases.values() if r and r.events]
    if _before_writes is not None:
        _before_writes(records)
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
    release_claims(release)
    write_effects(records)
    notices = [[r.id, e["seq"]] for r in records for e in r.events
               if e["stage_from"] != e["stage_to"]]
    if notices:
        jobs.defer(send_notices, events=notices)
    return outcome


def in_ids(column, ids: Iterable[int]):
    """`column IN ids`; on PostgreSQL one array parameter (``= ANY``), however many ids."""
    ids = list(ids)
    if on_postgres():
        from sqlalchemy import any_, cast
        from sqlalchemy.dialects.postgresql import ARRAY
        from sqlalchemy.types import Integer, NullType

        # untyped, so the planner reads it as an integer[] value, not a varchar to convert
        return column == any_(cast(bindparam(None, pg_array(ids), type_=NullType()),
                                   ARRAY(Integer)))
    return column.in_(ids)


def pg_array(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal ('{1,2,NULL}'), sent as text and cast in SQL: psycopg adapts
    a list element by element in Python (0.8 s of CPU in a sweep of 100,000 expiries)."""
    def element(value: Any) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "t" if value else "f"
        if isinstance(value, int):
            return str(value)
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "{" + ",".join(map(element, values)) + "}"


def due_more_than(now: datetime, count: int) -> bool:
    """Whether more than `count` deadlines are due: reads at most count + 1 index entries."""
    due = DEADLINES.c
    return db.session.execute(
        select(func.count()).select_from(
            select(due.id).where(due.status == "open", due.due_at <= now)
            .limit(count + 1).subquery())).scalar_one() > count


def claim(now: datetime, limit: int, after: tuple[datetime, int] | None) -> list[Claim]:
    """One statement: open deadlines due by `now`, oldest first, set to expired."""
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


def load(claims: list[Claim], now: datetime,
         calendars: Calendars) -> dict[int, BatchCase | bool | None]:
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
    found: dict[int, BatchCase | bool | None] = dict.fromkeys(case_ids)
    for row in rows:
        found[row["id"]] = BatchCase(row, row["chain_head"] or "", deadlines[row["id"]],
                                     parties[row["id"]], calendars)
    return found


def write_cases(records: list[BatchCase], now: datetime) -> set[int]:
    """One UPDATE of the changed cases under the optimistic lock; the ids it changed."""
    if not records:
        return set()
    closed_at = utcnow()
    if on_postgres():
        naive = now.astimezone(UTC).replace(tzinfo=None)
        rows = db.session.execute(text(
            "UPDATE cases AS c SET stage = v.stage, version = c.version + 1, "
            "event_count = v.event_count, chain_head = v.chain_head, last_activity_at = :at, "
            "suspended_from = v.suspended_from, suspended_remaining = v.suspended_remaining, "
            "closed_at = CASE WHEN v.terminal THEN :closed_at ELSE c.closed_at END "
            "FROM unnest(CAST(:ids AS integer[]), CAST(:seen AS integer[]), "
            "CAST(:stages AS varchar[]), CAST(:counts AS integer[]), CAST(:heads AS varchar[]), "
            "CAST(:sfrom AS varchar[]), CAST(:sleft AS integer[]), "
            "CAST(:terminal AS boolean[])) "
            "AS v(id, seen, stage, event_count, chain_head, suspended_from, suspended_remaining, "
            "terminal) "
            "WHERE c.id = v.id AND c.version = v.seen RETURNING c.id"),
            {"at": naive, "closed_at": closed_at.astimezone(UTC).replace(tzinfo=None),
             "ids": pg_array(r.id for r in records),
             "seen": pg_array(r.version for r in records),
             "stages": pg_array(r.stage for r in records),
             "counts": pg_array(r.event_count for r in records),
             "heads": pg_array(r.head for r in records),
             "sfrom": pg_array(r.suspended_from for r in records),
             "sleft": pg_array(r.suspended_remaining for r in records),
             "terminal": pg_array(r.terminal for r in records)}).scalars().all()
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
             "b_head": r.head,
             "b_sfrom": r.suspended_from, "b_sleft": r.suspended_remaining,
             "b_closed": closed_at if r.terminal else None} for r in fresh])
        assert result.rowcount == len(fresh), "a case changed under the sweep's write lock"
    return {r.id for r in fresh}


def release_claims(ids: list[int]) -> None:
    """Give claimed deadlines back (their case was left alone): open again."""
    if ids:
        d = DEADLINES.c
        db.session.execute(update(DEADLINES).where(in_ids(d.id, ids))
                           .values(status="open", outcome=None, closed_at=None))


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
    if on_postgres():
        _copy(EVENTS, events)
        _copy(DEADLINES, new)
    else:
        if events:
            db.session.execute(EVENTS.insert(), events)
        if new:
            db.session.execute(DEADLINES.insert(), new)
    if closed:
        d = DEADLINES.c
        db.session.execute(update(DEADLINES).where(d.id == bindparam("b_id"))
                           .values(status=bindparam("b_status"), outcome=bindparam("b_outcome"),
                                   closed_at=bindparam("b_closed", type_=UTCDateTime)), closed)


def _copy(table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL COPY: the fastest way in for many rows."""
    if not rows:
        return
    columns = list(rows[0])
    kinds = {name: table.c[name].type for name in columns}
    json_cols = {n for n, t in kinds.items() if t.__class__.__name__ == "JSON"}
    time_cols = {n for n, t in kinds.items() if isinstance(t, UTCDateTime)}
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([
                json.dumps(v) if n in json_cols else
                (v.astimezone(UTC).replace(tzinfo=None) if n in time_cols and v is not None
                 else v)
                for n, v in row.items()])


# ---------------------------------------------------------------------------- the notices
@jobs.job()
def send_notices(events: list[list[int]]) -> None:
    """The job a batch defers: each participant of each case the sweep moved gets the
    "case_update" message take_action would have sent. Idempotent: every message has a
    dedupe key (event and user), so a retry writes only what is missing and sends what is
    still unsent."""
    from sqlalchemy.orm import selectinload

    from app.models import Participant
    from app.services import notify
    from workflows.engine import Transition

    rows = []
    for start in range(0, len(events), 500):  # PostgreSQL: a long row-value IN overflows
        rows += db.session.scalars(select(AuditEvent).where(tuple_(
            AuditEvent.case_id, AuditEvent.seq).in_([tuple(p) for p in
                                                     events[start:start + 500]]))).all()
    cases = {c.id: c for c in db.session.scalars(
        select(Case).where(Case.id.in_({e.case_id for e in rows}))
        .options(selectinload(Case.parties),
                 selectinload(Case.participants).selectinload(Participant.user)))}
    todo = []
    for event in rows:
        case = cases[event.case_id]
        action = procedure_for(case).action(event.action)
        if action is None:
            continue
        due = (event.detail or {}).get("deadline")
        transition = Transition(action=action, stage_from=event.stage_from,
                                stage_to=event.stage_to,
                                deadline=_Due(date.fromisoformat(due["due_date"]))
                                if due else None)
        for user in notify.case_audience(case):
            todo.append((f"event:{event.case_id}:{event.seq}:{user.id}", case, user,
                         transition))
    keys = [key for key, *_ in todo]
    existing: dict[str, tuple[int, bool]] = {}
    for start in range(0, len(keys), 1000):
        for key, email_id, sent_at in db.session.execute(
                select(OutboxEmail.dedupe_key, OutboxEmail.id, OutboxEmail.sent_at)
                .where(OutboxEmail.dedupe_key.in_(keys[start:start + 1000]))):
            existing[key] = (email_id, sent_at is not None)
    written = []
    for key, case, user, transition in todo:
        if key in existing:
            continue
        message = notify.render(user.email, "case_update", locale=user.locale, case=case,
                                user=user, transition=transition)
        message.dedupe_key = key
        written.append(message)
    db.session.add_all(written)
    db.session.flush()
    unsent = [m.id for m in written] + [i for i, sent in existing.values() if not sent]
    if unsent:
        jobs.defer(notify.deliver_many, email_ids=unsent)


@dataclass(frozen=True)
class _Due:
    due_date: date
