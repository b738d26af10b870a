"""`flask audit verify`: is the audit trail exactly what the app wrote?

The app never changes or deletes an event (app/models/audit.py refuses it three ways), so
anything that does not fit was done by somebody with direct database access. Per case:

- the chain: events numbered 1, 2, … without a gap, each `prev_hash` the hash of the event
  before, each hash recomputed from every stored field (`event_hash`);
- the case row: its `event_count` and `chain_head` are the trail's length and last hash, so a
  deleted tail, or a trail deleted whole, shows;
- the stage: no stage changes without an event (workflows.engine.perform records every move),
  so the case's stage is its last event's `stage_to`;
- the case file: every document row has the upload (or replacement) event that recorded it,
  with the same id, SHA-256, size and scope, and every such event still has its row.

It streams: cases are read by keyset in batches (`batch_size` at a time) with their events
and documents, so memory stays flat at a million cases. Each batch is read by three statements
that need not see one snapshot; a case that fails is read once more on its own before it is
reported, so that a user's action committed between the statements is not taken for
tampering.

What it cannot see: a case deleted whole with its events and documents, or a chain rewritten
and rehashed from its first event with the case row to match. Both need something outside
the database to compare with (signed checkpoints of the chain heads, DESIGN.md "Trust").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, select

from app.extensions import db
from app.models import AuditEvent, Case, Document
from app.models.audit import HASHED_COLUMNS, hash_of
from app.models.case import case_reference

UPLOADS = frozenset({"upload_document", "replace_document"})
BATCH_CASES = 1000

CASES, EVENTS, DOCUMENTS = Case.__table__, AuditEvent.__table__, Document.__table__


class Event(NamedTuple):
    """An event as verify reads it: the hashed columns in HASHED_COLUMNS order, then the
    stored hash (plain tuples: a million cases' events are read, so attribute access counts)."""

    case_id: int
    seq: int
    prev_hash: str
    at: datetime
    actor_id: int | None
    actor_name: str
    actor_roles: str
    action: str
    stage_from: str
    stage_to: str
    detail: Any
    visibility: str
    hash: str


class DocumentRow(NamedTuple):
    id: int
    case_id: int
    sha256: str
    size: int
    scope: str


HASHED = len(HASHED_COLUMNS)
assert Event._fields[:HASHED] == HASHED_COLUMNS


@dataclass(frozen=True)
class Problem:
    case: str  # the case number, DRAFT-<id>, or #<id> for rows whose case row is gone
    what: str

    def __str__(self) -> str:
        return f"{self.case}: {self.what}"


@dataclass
class Tally:
    cases: int = 0
    events: int = 0
    documents: int = 0
    problems: int = 0
    broken: int = 0  # cases (or missing case rows) with at least one problem


def verify(batch_size: int = BATCH_CASES, tally: Tally | None = None) -> Iterator[Problem]:
    """Every problem of every case, in case id order."""
    tally = tally if tally is not None else Tally()
    after: int | None = None
    while True:
        cases = db.session.execute(_after(select(CASES.c.id, CASES.c.number, CASES.c.stage,
                                                 CASES.c.event_count, CASES.c.chain_head),
                                          CASES.c.id, after, None)
                                   .order_by(CASES.c.id).limit(batch_size)).all()
        final = len(cases) < batch_size
        upto = None if final else cases[-1].id
        events, documents = _events(after, upto), _documents(after, upto)
        for case in cases:
            trail, papers = events.pop(case.id, []), documents.pop(case.id, [])
            tally.cases, tally.events = tally.cases + 1, tally.events + len(trail)
            tally.documents += len(papers)
            found = check(case, trail, papers)
            if found:  # read again on its own: a user may have acted between the statements
                found = check(*_reread(case, trail, papers))
            yield from _count(tally, [Problem(reference(case), what) for what in found])
        for case_id in sorted(events.keys() | documents.keys()):
            yield from _count(tally, [Problem(f"#{case_id}", what) for what in orphaned(
                events.pop(case_id, []), documents.pop(case_id, []))])
        if final:
            return
        after = cases[-1].id


def check(case: Any, events: Sequence[Any], documents: Sequence[Any]) -> list[str]:
    """What is wrong with one case: its row, its events in seq order, its document rows."""
    return (check_chain(events) + check_case_row(case, events)
            + check_documents(events, documents))


def check_chain(events: Sequence[Any]) -> list[str]:
    problems = []
    expected, prev = 1, ""
    for e in events:
        if e.seq > expected:
            problems.append(f"event {expected} is missing" if e.seq == expected + 1
                            else f"events {expected} to {e.seq - 1} are missing")
        elif e.seq < expected:
            problems.append(f"event {e.seq} is out of order")
        elif e.prev_hash != prev:
            problems.append(f"event {e.seq} does not link to event {e.seq - 1} (prev_hash)")
        if hash_of(e[:HASHED]) != e.hash:
            problems.append(f"event {e.seq} ({e.action}) was altered: its hash does not match "
                            "its fields")
        expected, prev = e.seq + 1, e.hash
    return problems


def check_case_row(case: Any, events: Sequence[Any]) -> list[str]:
    if not events:  # filing.start_draft records create_draft with the case
        problems = ["has no audit events"]
        last = None
    else:
        problems = []
        last = events[-1]
    length, head = len(events), last.hash if last else ""
    if case.event_count != length or (last is not None and last.seq != length):
        problems.append(f"the case row counts {case.event_count} events, the trail has "
                        f"{length}" + (f", numbered up to {last.seq}"
                                       if last is not None and last.seq != length else ""))
    if (case.chain_head or "") != head:
        problems.append("the chain head on the case row is not the hash of the last event"
                        + (f" ({last.seq})" if last else " (there is none)"))
    if last is not None and case.stage != last.stage_to:
        problems.append(f"the stage is {case.stage} but the last event ({last.seq}, "
                        f"{last.action}) leaves it in {last.stage_to}")
    return problems


def check_documents(events: Sequence[Any], documents: Sequence[Any]) -> list[str]:
    """Every document row against its upload event. Uploads recorded before documents were
    numbered (revision d0c5e7a1b3f9) name no document and no size, only the title and the
    SHA-256: those are matched to their rows by the SHA-256."""
    problems = []
    uploads: dict[Any, Any] = {}
    early: list[Any] = []
    for e in events:
        if e.action in UPLOADS and isinstance(e.detail, dict):
            if "document" in e.detail:
                uploads[e.detail["document"]] = e
            else:
                early.append(e)
    for d in documents:
        e = uploads.pop(d.id, None)
        compared: tuple[str, ...] = ("sha256", "size", "scope")
        if e is None:
            e = next((x for x in early if x.detail.get("sha256") == d.sha256), None)
            if e is None:
                problems.append(f"document {d.id} has no upload event")
                continue
            early.remove(e)
            compared = ("sha256", "scope")
        recorded = {"sha256": e.detail.get("sha256"), "size": e.detail.get("size"),
                    "scope": e.visibility}
        stored = {"sha256": d.sha256, "size": d.size, "scope": d.scope}
        for name in compared:
            if recorded[name] != stored[name]:
                problems.append(f"document {d.id}: {name} {stored[name]} differs from its "
                                f"upload event {e.seq} ({recorded[name]})")
    for document_id, e in uploads.items():
        problems.append(f"document {document_id} recorded by event {e.seq} ({e.action}) has "
                        "no row")
    for e in early:
        problems.append(f"the document recorded by event {e.seq} ({e.action}) has no row")
    return problems


def orphaned(events: Sequence[Any], documents: Sequence[Any]) -> list[str]:
    """Rows whose case row is gone (the foreign keys cascade, so only a bypass leaves them)."""
    return ([f"{len(events)} audit events without their case row"] if events else []) + (
        [f"{len(documents)} documents without their case row"] if documents else [])


def reference(case: Any) -> str:
    return case_reference(case.number, case.id)


def _count(tally: Tally, problems: list[Problem]) -> list[Problem]:
    tally.problems += len(problems)
    tally.broken += bool(problems)
    return problems


def _after(query: Select[Any], column: Any, after: int | None,
           upto: int | None) -> Select[Any]:
    if after is not None:
        query = query.where(column > after)
    if upto is not None:
        query = query.where(column <= upto)
    return query


def _events(after: int | None, upto: int | None) -> dict[int, list[Event]]:
    """The events of the case ids in (after, upto], by case, in seq order (the unique
    (case_id, seq) index gives that order)."""
    grouped: dict[int, list[Event]] = defaultdict(list)
    query = select(*(EVENTS.c[name] for name in Event._fields))
    for row in db.session.execute(_after(query, EVENTS.c.case_id, after, upto)
                                  .order_by(EVENTS.c.case_id, EVENTS.c.seq)).all():
        event = Event._make(row)
        grouped[event.case_id].append(event)
    return grouped


def _documents(after: int | None, upto: int | None) -> dict[int, list[DocumentRow]]:
    grouped: dict[int, list[DocumentRow]] = defaultdict(list)
    query = select(*(DOCUMENTS.c[name] for name in DocumentRow._fields))
    for row in db.session.execute(_after(query, DOCUMENTS.c.case_id, after, upto)
                                  .order_by(DOCUMENTS.c.case_id, DOCUMENTS.c.id)).all():
        document = DocumentRow._make(row)
        grouped[document.case_id].append(document)
    return grouped


def _reread(case: Any, events: list[Any], documents: list[Any]
            ) -> tuple[Any, list[Any], list[Any]]:
    """One case's rows read again (each statement sees what is committed now: READ COMMITTED
    on PostgreSQL, no open read transaction on SQLite); what was read first if the case row
    has gone meanwhile."""
    again = db.session.execute(select(CASES.c.id, CASES.c.number, CASES.c.stage,
                                      CASES.c.event_count, CASES.c.chain_head)
                               .where(CASES.c.id == case.id)).one_or_none()
    if again is None:
        return case, events, documents
    return (again, _events(case.id - 1, case.id).get(case.id, []),
            _documents(case.id - 1, case.id).get(case.id, []))
