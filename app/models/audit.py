"""The append-only audit trail: one event per action, hash-chained per case.

Three layers keep it append-only: the ORM refuses to flush a changed or deleted event, every
engine refuses an UPDATE or DELETE statement on the table (the app's own bulk statements), and
the database refuses them with a trigger (raw SQL, other clients). A superuser can still
switch triggers off; what they change then is found by `flask audit verify`
(app/services/audit_verify.py), because every stored field is in the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DDL, JSON, ForeignKey, Integer, String, UniqueConstraint, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.dml import Delete, Update

from app.extensions import db
from app.models.types import UTCDateTime

# Who may read an event on the case timeline.
VISIBILITIES = ("participants", "tribunal", "institution", "caucus:claimant", "caucus:respondent")

# The columns an event's hash covers, in the order they are hashed: every column but `id` and
# `hash`. `hash` cannot cover itself. `id` is a surrogate key nothing refers to: events link by
# (case_id, seq) and `prev_hash`, so renumbering ids changes no fact of the trail. A test
# (tests/unit/test_audit_hash.py) fails when a column is added to the table and not here.
HASHED_COLUMNS = ("case_id", "seq", "prev_hash", "at", "actor_id", "actor_name", "actor_roles",
                  "action", "stage_from", "stage_to", "detail", "visibility")


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_audit_events_case_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_roles: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(60))
    stage_from: Mapped[str] = mapped_column(String(40))
    stage_to: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    visibility: Mapped[str] = mapped_column(String(30), default="participants")
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64))

    def compute_hash(self) -> str:
        return event_hash({name: getattr(self, name) for name in HASHED_COLUMNS})


def event_hash(fields: Mapping[str, Any]) -> str:
    """The link of the chain, over every column in HASHED_COLUMNS: one definition for the ORM
    path (Case.record_event), the sweep's bulk inserts, bench/seed.py and `flask audit verify`.

    `fields` is an event row (a dict, a Core row's mapping, ...). The timestamp is hashed as
    UTC (a naive one is UTC, as stored), `detail` as JSON with sorted keys, so an event hashes
    the same before it is stored and after it is read back from SQLite or PostgreSQL."""
    return hash_of([fields[name] for name in HASHED_COLUMNS])


def hash_of(values: Sequence[Any]) -> str:
    """`event_hash` of an event's values in HASHED_COLUMNS order (what verify reads)."""
    payload = list(values)
    payload[_AT] = _instant(payload[_AT])
    return hashlib.sha256(_CANONICAL.encode(payload).encode()).hexdigest()


_AT = HASHED_COLUMNS.index("at")
# One encoder for every hash: json.dumps with options builds a new encoder on every call.
_CANONICAL = json.JSONEncoder(sort_keys=True, default=str)


def _instant(at: datetime) -> str:
    if at.tzinfo is UTC:
        return at.isoformat()
    if at.tzinfo is None:
        return at.isoformat() + "+00:00"
    return at.astimezone(UTC).isoformat()


class AuditTrailViolation(Exception):
    """Somebody tried to change or delete a recorded event."""


REFUSAL = "audit events cannot be changed or deleted"


@event.listens_for(Session, "before_flush")
def _refuse_rewrites(session: Session, flush_context: Any, instances: Any) -> None:
    """The trail is append-only: refuse to flush an update or delete of an event."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTrailViolation(REFUSAL)


@event.listens_for(Engine, "before_execute")
def _refuse_bulk_rewrites(conn: Any, clauseelement: Any, multiparams: Any, params: Any,
                          execution_options: Any) -> None:
    """... and the app's bulk statements (`session.execute(update(AuditEvent))`, Core
    `update(table)`), which no flush hook sees. Raw SQL text is the trigger's to refuse."""
    if isinstance(clauseelement, (Update, Delete)):
        table = clauseelement.table
        if getattr(getattr(table, "original", table), "name", None) == AuditEvent.__tablename__:
            raise AuditTrailViolation(REFUSAL)  # (`original`: the table under an alias)


# The database's own refusal, for anyone who reaches it without the app. The migration
# (20261201_9c4e2a7b51d3_audit_chain_head.py) creates the same triggers; these are for
# schemas built by `db.create_all()` (tests). PostgreSQL also refuses TRUNCATE; SQLite has no
# TRUNCATE (its DELETE without WHERE fires the trigger). A PostgreSQL superuser bypasses them
# with `SET session_replication_role = replica` — which is why verify exists.
PG_REFUSE_FUNCTION = (
    "CREATE OR REPLACE FUNCTION audit_events_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'restrict_violation'; END $$")
PG_TRIGGER = ("CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
              "ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse()")
SQLITE_TRIGGERS = tuple(
    f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END" for verb in ("UPDATE", "DELETE"))

for _statement in (PG_REFUSE_FUNCTION, PG_TRIGGER):
    event.listen(AuditEvent.__table__, "after_create",
                 DDL(_statement).execute_if(dialect="postgresql"))
for _statement in SQLITE_TRIGGERS:
    event.listen(AuditEvent.__table__, "after_create",
                 DDL(_statement).execute_if(dialect="sqlite"))
