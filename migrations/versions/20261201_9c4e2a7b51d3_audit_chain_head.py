"""audit trail: every stored field of an event in its hash, the chain's head on the case row,
and triggers that refuse to change or delete events

Revision ID: 9c4e2a7b51d3
Revises: 9c4e1f7a2b60
Create Date: 2026-12-01 10:00:00

Until now an event's hash left out `actor_roles`: changing who an actor acted as went unseen.
The new hash covers every column but `id` (a surrogate nothing links by) and `hash` itself.

Upgrade rehashes each case's chain with the new formula — but only a chain that verifies under
the old one (numbered 1, 2, … without a gap, each `prev_hash` the hash before it, each hash
recomputed). A chain already broken is left exactly as it is, so that `flask audit verify`
still reports it: rehashing it would launder whatever was done to it. (An `actor_roles` edited
before this upgrade cannot be told apart, since the old hash never covered it.)
`cases.chain_head` is then the hash of the case's event numbered `event_count` (as stored, for
a broken chain).
Last, the triggers: PostgreSQL refuses UPDATE, DELETE and TRUNCATE of `audit_events`, SQLite
UPDATE and DELETE (the models create the same ones for `db.create_all()`, app/models/audit.py).

Downgrade drops the triggers, rehashes the chains that verify under the new formula back to the
old one (again leaving broken ones alone) and drops the column.

The formulas are copied here, not imported: this revision must hash as it did when written,
whatever the app's `event_hash` becomes. Chains are read per 1,000 cases and written back with
one statement per batch on PostgreSQL (``UPDATE … FROM unnest``), executemany on SQLite.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '9c4e2a7b51d3'
down_revision = '9c4e1f7a2b60'
branch_labels = None
depends_on = None

BATCH = 1000
REFUSAL = "audit events cannot be changed or deleted"
PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION audit_events_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'restrict_violation'; END $$")
PG_TRIGGER = ("CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
              "ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse()")
SQLITE_TRIGGERS = {
    f"audit_events_no_{verb.lower()}":
        f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    for verb in ("UPDATE", "DELETE")}

EVENTS = sa.table(
    "audit_events", sa.column("id", sa.Integer), sa.column("case_id", sa.Integer),
    sa.column("seq", sa.Integer), sa.column("at", sa.DateTime),
    sa.column("actor_id", sa.Integer), sa.column("actor_name", sa.String),
    sa.column("actor_roles", sa.String), sa.column("action", sa.String),
    sa.column("stage_from", sa.String), sa.column("stage_to", sa.String),
    sa.column("detail", sa.JSON), sa.column("visibility", sa.String),
    sa.column("prev_hash", sa.String), sa.column("hash", sa.String))
CASES = sa.table("cases", sa.column("id", sa.Integer), sa.column("event_count", sa.Integer))


def old_hash(e: Any, prev_hash: str) -> str:
    """The formula of revisions before this one (actor_roles left out)."""
    payload = [prev_hash, e.case_id, e.seq, _utc(e.at).isoformat(), e.actor_id, e.actor_name,
               e.action, e.stage_from, e.stage_to, e.detail, e.visibility]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


NEW_COLUMNS = ("case_id", "seq", "prev_hash", "at", "actor_id", "actor_name", "actor_roles",
               "action", "stage_from", "stage_to", "detail", "visibility")


def new_hash(e: Any, prev_hash: str) -> str:
    """This revision's formula: every column but id and hash, in NEW_COLUMNS order."""
    fields = {**e._mapping, "prev_hash": prev_hash}
    payload = [fields[name] for name in NEW_COLUMNS]
    payload[3] = _utc(payload[3]).isoformat()
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


Formula = Callable[[Any, str], str]


def upgrade():
    op.add_column('cases', sa.Column('chain_head', sa.String(length=64), nullable=False,
                                     server_default=''))
    rehash(op.get_bind(), old_hash, new_hash, keep_head=True)
    create_triggers(op.get_bind())


def downgrade():
    drop_triggers(op.get_bind())
    rehash(op.get_bind(), new_hash, old_hash, keep_head=False)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('chain_head')


def create_triggers(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(PG_FUNCTION))
        conn.execute(sa.text(PG_TRIGGER))
    else:
        for statement in SQLITE_TRIGGERS.values():
            conn.execute(sa.text(statement))


def drop_triggers(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events"))
        conn.execute(sa.text("DROP FUNCTION IF EXISTS audit_events_refuse()"))
    else:
        for name in SQLITE_TRIGGERS:
            conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}"))


def rehash(conn: sa.Connection, verifies: Formula, becomes: Formula, *,
           keep_head: bool) -> None:
    """Rewrite with `becomes` every chain that verifies with `verifies`; with `keep_head`,
    store each case's chain head. Written as SQL text: the app refuses UPDATE statements on
    audit_events built with SQLAlchemy (app/models/audit.py), and no trigger exists yet."""
    for cases, events in _batches(conn):
        rows, heads = [], []
        for case_id, event_count in cases:
            chain = events.get(case_id, [])
            if _intact(chain, verifies):
                prev = ""
                for e in chain:
                    digest = becomes(e, prev)
                    rows.append({"id": e.id, "prev_hash": prev, "hash": digest})
                    prev = digest
                head = prev
            else:  # left as it is: verify goes on reporting it
                head = next((e.hash for e in chain if e.seq == event_count), "")
            heads.append({"id": case_id, "head": head})
        _write(conn, rows, heads if keep_head else [])


def _intact(chain: list[Any], formula: Formula) -> bool:
    prev = ""
    for seq, e in enumerate(chain, start=1):
        if e.seq != seq or e.prev_hash != prev or formula(e, prev) != e.hash:
            return False
        prev = e.hash
    return True


def _batches(conn: sa.Connection) -> Iterator[tuple[list[tuple[int, int]],
                                                     dict[int, list[Any]]]]:
    """Cases by id, a thousand at a time, with their events in seq order."""
    after = 0
    while True:
        cases = [tuple(row) for row in conn.execute(
            sa.select(CASES.c.id, CASES.c.event_count).where(CASES.c.id > after)
            .order_by(CASES.c.id).limit(BATCH))]
        if not cases:
            return
        events: dict[int, list[Any]] = {}
        for e in conn.execute(sa.select(EVENTS).where(EVENTS.c.case_id > after,
                                                      EVENTS.c.case_id <= cases[-1][0])
                              .order_by(EVENTS.c.case_id, EVENTS.c.seq)):
            events.setdefault(e.case_id, []).append(e)
        yield cases, events
        after = cases[-1][0]


def _write(conn: sa.Connection, rows: list[dict], heads: list[dict]) -> None:
    if conn.dialect.name == "postgresql":
        if rows:
            conn.execute(sa.text(
                "UPDATE audit_events AS e SET prev_hash = v.prev_hash, hash = v.hash "
                "FROM unnest(CAST(:ids AS bigint[]), CAST(:prevs AS varchar[]), "
                "CAST(:hashes AS varchar[])) AS v(id, prev_hash, hash) WHERE e.id = v.id"),
                {"ids": [r["id"] for r in rows], "prevs": [r["prev_hash"] for r in rows],
                 "hashes": [r["hash"] for r in rows]})
        if heads:
            conn.execute(sa.text(
                "UPDATE cases AS c SET chain_head = v.head FROM unnest(CAST(:ids AS bigint[]), "
                "CAST(:heads AS varchar[])) AS v(id, head) WHERE c.id = v.id"),
                {"ids": [h["id"] for h in heads], "heads": [h["head"] for h in heads]})
        return
    if rows:
        conn.execute(sa.text("UPDATE audit_events SET prev_hash = :prev_hash, hash = :hash "
                             "WHERE id = :id"), rows)
    if heads:
        conn.execute(sa.text("UPDATE cases SET chain_head = :head WHERE id = :id"), heads)
