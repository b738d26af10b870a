"""Every revision upgraded from its parent with rows in every table, on SQLite and PostgreSQL.

tests/test_migrations.py shows that the head builds the models. It cannot show that a
migration keeps the rows a deployment already has: a backfill that misses rows, a NOT NULL set
on a column left empty, or rows moved to the wrong place only show up when there is data. So
the walk here starts at the initial schema with a small case load, written as the app of that
time wrote it. The rows are plain Core inserts into the tables as they are at that revision
(the models describe only the head), and the audit events are hashed with the formula of that
time. From there the chain is upgraded one revision at a time.

STEPS (at the end of the module) is the checklist. For each revision it says what the upgrade
promises for the rows already there, and which rows to add to the tables or columns the
revision adds, so that the revisions after it run on them. Around every step the walk also
checks what every revision owes:

- before it runs, every table has rows;
- it loses no row and changes no stored value, apart from the tables it drops and the columns
  it says it rewrites;
- downgraded, the rows are the parent's again (apart from what its `restores` check allows);
  upgraded again, they are the same as after the first upgrade.

The walk does not hard-code the chain: it reads it from Alembic. A revision added without a
line in STEPS fails test_every_revision_has_a_data_step, which says what to write.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import Connection, text

from app.extensions import db
from tests.helpers import old_event_hash, scratch_app

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"

Row = dict[str, Any]
Snapshot = dict[str, list[Row]]  # table → its rows as stored, in primary-key order
Promise = Callable[[Connection, Snapshot], None]  # (the upgraded database, the rows before)
Fill = Callable[[Connection], None]


@dataclass(frozen=True)
class Step:
    """One revision's line of the checklist."""
    promises: Promise
    then_insert: Fill
    # "table.column" whose stored values the upgrade changes on purpose (its promise checks them)
    rewrites: frozenset[str] = frozenset()
    # tables the upgrade removes (its promise says where their rows went)
    drops: frozenset[str] = frozenset()
    # what the downgrade gives back, when that cannot be exactly the parent's rows
    restores: Callable[[Snapshot, Snapshot], None] | None = None


def nothing(*_: object) -> None:
    """An explicit blank in STEPS: nothing to promise beyond the walk's own checks, or no new
    table or column to put rows in."""


# ---------------------------------------------------------------------------- the chain
def chain() -> list[str]:
    """The revisions from the initial schema to the head, in upgrade order."""
    script = ScriptDirectory(str(MIGRATIONS))
    heads = script.get_heads()
    assert len(heads) == 1, f"migrations have several heads {heads}: merge them first"
    return [r.revision for r in script.walk_revisions("base", heads[0])][::-1]


def test_every_revision_has_a_data_step():
    assert_every_revision_has_a_step()


def assert_every_revision_has_a_step() -> None:
    revisions = chain()
    missing = [r for r in revisions if r not in STEPS]
    assert not missing, (
        f"revision(s) {missing} have no data step in STEPS (tests/test_migrations_data.py): "
        "add Step(promises=..., then_insert=...) saying what the upgrade does to the rows "
        "already there and which rows to put in the tables or columns it adds (`nothing` is "
        "allowed, but explicit)")
    stale = [r for r in STEPS if r not in revisions]
    assert not stale, f"STEPS names revisions that are not in the chain: {stale}"


# ------------------------------------------------------------------------------ the walk
def test_each_revision_keeps_the_rows_there_and_gives_them_back_on_downgrade(tmp_path):
    assert_every_revision_has_a_step()
    app = walk_app(tmp_path)
    with app.app_context():
        parent = "base"
        for revision in chain():
            step = STEPS[revision]
            before = read(snapshot)
            empty = [table for table, rows in before.items() if not rows]
            assert not empty, (f"no rows in {empty} when {revision} runs: insert some in the "
                               f"then_insert of the revision that adds them ({parent})")

            upgrade(revision=revision)
            after = read(snapshot)
            assert_kept(revision, step, before, after)
            read(step.promises, before)

            downgrade(revision=parent)
            back = read(snapshot)
            if step.restores is None:
                assert back == before, f"downgrading {revision} did not give back the rows"
            else:
                step.restores(before, back)
            upgrade(revision=revision)
            assert read(snapshot) == after, (f"{revision} upgraded again after its downgrade "
                                             "left other rows than the first time")
            read(step.promises, before)

            read(step.then_insert)
            parent = revision

        at_head(app)
        db.engine.dispose()


def walk_app(tmp_path: Path) -> Flask:
    """The migrations' scratch app (tests/helpers.py), its connections set for this walk."""
    app = scratch_app(tmp_path)
    with app.app_context():
        on_sqlite = db.engine.dialect.name == "sqlite"
        sa.event.listen(db.engine, "connect", _no_fsync if on_sqlite else _no_prepared_plans)
    return app


def _no_fsync(dbapi: Any, _record: Any) -> None:
    """A scratch file: the walk's migrations need not wait for the disk (halves its time)."""
    dbapi.execute("PRAGMA synchronous = OFF")


def _no_prepared_plans(dbapi: Any, _record: Any) -> None:
    """psycopg prepares a statement run often; a snapshot's SELECT * prepared before a column
    was added fails after it ("cached plan must not change result type")."""
    dbapi.prepare_threshold = None


def read(check: Callable[..., Any], *args: Any) -> Any:
    """Run `check` on a connection of its own, committed at the end: no transaction stays open
    while Alembic alters the tables (PostgreSQL would wait for it)."""
    with db.engine.begin() as conn:
        return check(conn, *args)


def snapshot(conn: Connection) -> Snapshot:
    """Every row as stored (SQLite's timestamps and JSON as their text), by the first column
    (each table's primary key)."""
    tables = sorted(set(sa.inspect(conn).get_table_names()) - {"alembic_version"})
    return {table: [dict(row._mapping) for row in conn.execute(
        text(f"SELECT * FROM {table} ORDER BY 1"))] for table in tables}  # noqa: S608


def assert_kept(revision: str, step: Step, before: Snapshot, after: Snapshot) -> None:
    for table, old in before.items():
        if table in step.drops:
            assert table not in after, f"{revision} was to drop {table}"
            continue
        assert table in after, (f"{revision} dropped {table} with {len(old)} rows: name it in "
                                "its Step's drops, with a promise saying where the rows went")
        new = after[table]
        assert len(new) == len(old), f"{revision}: {table} had {len(old)} rows, has {len(new)}"
        rewritten = {c.split(".", 1)[1] for c in step.rewrites if c.startswith(f"{table}.")}
        columns = set(old[0]) - rewritten
        gone = columns - set(new[0])
        assert not gone, f"{revision} dropped {sorted(gone)} from {table}, which had values"
        assert [{c: r[c] for c in columns} for r in new] == [{c: r[c] for c in columns}
                                                             for r in old], (
            f"{revision} changed stored values in {table} (columns it rewrites on purpose go "
            "in its Step's rewrites)")


# ------------------------------------------------------------------------ writing rows
def put(conn: Connection, table: str, **row: Any) -> Any:
    """Insert one row into the table as it is at this revision: a column the revision does
    not have yet is an error, not silently left out. Returns the row's primary key (ids come
    from the database, as in production)."""
    return conn.execute(reflected(conn, table).insert().values(**row)).inserted_primary_key[0]


_REFLECTED: dict[tuple[str, str], sa.Table] = {}


def reflected(conn: Connection, table: str) -> sa.Table:
    """The table as the database has it at its current revision (reflected once per
    revision: a schema is the same whenever the walk comes back to a revision)."""
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    key = (f"{conn.dialect.name}:{revision}", table)
    if key not in _REFLECTED:
        _REFLECTED[key] = sa.Table(table, sa.MetaData(), autoload_with=conn, resolve_fks=False)
    return _REFLECTED[key]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November–December 2026, naive UTC as the app stores it, with microseconds
    as its clock gives them (an event's hash covers them)."""
    micro = (day * 7919 + hour * 613 + minute * 31) % 1_000_000
    return datetime(2026, 11, 1, hour, minute, 0, micro) + timedelta(days=day - 1)


def digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def case_id(conn: Connection, number: str) -> int:
    return conn.execute(text("SELECT id FROM cases WHERE number = :n"), {"n": number}).scalar_one()


def user_id(conn: Connection, email: str) -> int:
    return conn.execute(text("SELECT id FROM users WHERE email = :e"), {"e": email}).scalar_one()


@dataclass(frozen=True)
class Act:
    """One audit event as the app recorded it."""
    at: datetime
    who: str  # a key of PEOPLE
    action: str
    stage_from: str
    stage_to: str
    detail: dict[str, Any]
    visibility: str = "participants"


def record(conn: Connection, case: int, *acts: Act) -> None:
    """Append events to a case's chain as Case.record_event did before 9c4e2a7b51d3 (the hash
    without actor_roles), moving the case row along: event count, stage, last activity."""
    assert "chain_head" not in reflected(conn, "cases").c, (
        "events from 9c4e2a7b51d3 on hash every column: record() writes the older hash")
    last = conn.execute(text("SELECT seq, hash FROM audit_events WHERE case_id = :c "
                             "ORDER BY seq DESC"), {"c": case}).first()
    seq, prev = (last.seq, last.hash) if last else (0, "")
    for act in acts:
        seq += 1
        email, name, roles = PEOPLE[act.who]
        event = {"case_id": case, "seq": seq, "at": act.at, "actor_id": user_id(conn, email),
                 "actor_name": name, "actor_roles": roles, "action": act.action,
                 "stage_from": act.stage_from, "stage_to": act.stage_to, "detail": act.detail,
                 "visibility": act.visibility, "prev_hash": prev}
        event["hash"] = prev = old_event_hash(SimpleNamespace(
            **{**event, "at": act.at.replace(tzinfo=UTC)}))
        put(conn, "audit_events", **event)
    conn.execute(text("UPDATE cases SET event_count = :n, stage = :stage, version = version + 1,"
                      " last_activity_at = :at WHERE id = :c"),
                 {"n": seq, "stage": acts[-1].stage_to, "at": acts[-1].at, "c": case})


# ------------------------------------------------------- a1c99bee6054: the initial case load
PEOPLE = {  # key: (email, name, the roles its events record)
    "claimant": ("layla@nile-textiles.example", "Layla Haddad", "claimant"),
    "respondent": ("omar@gulf-fashion.example", "Omar Farouk", "respondent"),
    "manager": ("samira@sulh.example", "Samira Benali", "case_manager"),
    "mediator": ("karim@mediators.example", "Dr. Karim Mansour", "mediator"),
    "arbitrator": ("aisha@arbitrators.example", "Prof. Aisha Rahman", "arbitrator"),
}
CLAIMANT, RESPONDENT = PEOPLE["claimant"][0], PEOPLE["respondent"][0]

# The med-arb journey of the time, step by step; each case stops somewhere along it.
JOURNEY = (
    ("claimant", "create_draft", "draft", "draft", {}),
    ("claimant", "update_filing", "draft", "draft", {"step": "claimant"}),
    ("claimant", "submit", "draft", "review", {}),
    ("manager", "accept_filing", "review", "response",
     {"deadline": {"key": "response", "due_date": "2026-12-14"}}),
    ("respondent", "join", "response", "response", {"role": "respondent"}),
    ("respondent", "respond", "response", "mediator_appointment", {"position": "contest"}),
    ("manager", "appoint_mediator", "mediator_appointment", "mediation", {"neutral": "mediator"}),
    ("mediator", "send_message", "mediation", "mediation", {"channel": "joint"}),
    ("mediator", "end_mediation", "mediation", "arbitrator_appointment", {}),
    ("manager", "appoint_arbitrator", "arbitrator_appointment", "arbitration",
     {"neutral": "arbitrator"}),
    ("claimant", "file_submission", "arbitration", "arbitration", {"title": "Statement of claim"}),
    ("arbitrator", "close_proceedings", "arbitration", "deliberation", {}),
    ("arbitrator", "draft_award", "deliberation", "deliberation", {}),
    ("arbitrator", "issue_award", "deliberation", "awarded", {"kind": "award"}),
)
# Where the cases stop: after so many events of the journey.
DRAFTED, FILED, SERVED, JOINED, MESSAGED, AWARDED = 2, 3, 4, 5, 8, len(JOURNEY)
REVIEW, UPLOADED, IN_MEDIATION, DECIDED, TAMPERED = (
    "SULH-2026-000001", "SULH-2026-000002", "SULH-2026-000003", "SULH-2026-000004",
    "SULH-2026-000005")


def along(start: datetime, upto: int) -> list[Act]:
    """The journey's first `upto` events, an hour apart."""
    return [Act(start + timedelta(hours=i), who, action, stage_from, stage_to, detail)
            for i, (who, action, stage_from, stage_to, detail) in enumerate(JOURNEY[:upto])]


def file_case(conn: Connection, number: str | None, created: datetime, upto: int) -> int:
    """A case as the filing form left it (parties, right, remedies, the filer), then its
    journey's events up to `upto`."""
    filed = created + timedelta(hours=2)
    case = put(conn, "cases", number=number, procedure_key="med-arb",
               rules_version="med-arb/2026.1", stage="draft", version=1, language="en",
               mediation_days=60, filer_id=user_id(conn, CLAIMANT),
               infringement_description="Counterfeit bed linen sold under the NILE COTTON mark.",
               infringement_locations="https://marketplace.example/listing/123",
               infringement_since=date(2026, 1, 15), deficiency_notice=None,
               created_at=created, submitted_at=filed if upto >= FILED else None,
               commenced_at=filed + timedelta(hours=1) if upto >= SERVED else None,
               closed_at=None, last_activity_at=created, event_count=0)
    put(conn, "parties", case_id=case, side="claimant", name="Nile Textiles S.A.E.",
        country="EG", address="12 Corniche Street, Cairo", email=CLAIMANT,
        counsel_name="Hana Youssef", counsel_firm="Youssef & Co.",
        counsel_email="hana@youssef-law.example")
    put(conn, "parties", case_id=case, side="respondent", name="Gulf Fashion Trading LLC",
        country="AE", address="Business Bay Tower 3, Dubai", email=RESPONDENT,
        counsel_name=None, counsel_firm=None, counsel_email=None)
    put(conn, "ip_rights", case_id=case, position=1, kind="trademark", title="NILE COTTON",
        registration_number="EG-2019-118204", office="Egyptian Trademark Office",
        country="EG", owner="Nile Textiles S.A.E.")
    put(conn, "remedies", case_id=case, kind="cease_use", details="Stop all use of the mark.",
        amount=None, currency=None)
    put(conn, "remedies", case_id=case, kind="damages", details="Lost sales",
        amount=Decimal("25000.00"), currency="USD")
    join(conn, case, "claimant", created)
    if upto >= JOINED:
        join(conn, case, "respondent", created + timedelta(hours=4))
    record(conn, case, *along(created, upto))
    return case


def join(conn: Connection, case: int, who: str, when: datetime) -> None:
    put(conn, "participants", case_id=case, user_id=user_id(conn, PEOPLE[who][0]),
        role=PEOPLE[who][2], created_at=when)


def deadline(conn: Connection, case: int, key: str, addressee: str, on_expiry: str,
             opened: datetime, days: int, *, outcome: str | None = None,
             closed: datetime | None = None) -> None:
    due = opened + timedelta(days=days)
    put(conn, "deadlines", case_id=case, key=key, label=key.title(), addressee=addressee,
        on_expiry=on_expiry, source="UDRP Rules ¶5(a)", due_date=due.date(),
        due_at=due.replace(hour=20, minute=0), basis={"from": opened.date().isoformat(),
                                                      "days": days, "country": "AE"},
        status="open" if closed is None else "met", outcome=outcome, created_at=opened,
        closed_at=closed)


def a_case_load_of_the_initial_schema(conn: Connection) -> None:
    """Six cases at different stages, with every row the app of the initial schema wrote for
    them. One of them has its trail edited afterwards, directly in the database."""
    for email, name, roles in PEOPLE.values():
        put(conn, "users", email=email, name=name, password_hash="pbkdf2:sha256:1000$x$y",
            locale="en", country="EG", is_case_manager=roles == "case_manager",
            is_neutral=roles in ("mediator", "arbitrator"), active=True, created_at=at(20, 9))
    put(conn, "users", email="left@nile-textiles.example", name="Former Employee",
        password_hash=None, locale="ar", country=None, is_case_manager=False,
        is_neutral=False, active=False, created_at=at(20, 9))
    put(conn, "case_number_counters", year=2026, last=5)

    file_case(conn, None, at(24, 8), DRAFTED)
    review = file_case(conn, REVIEW, at(24, 9), FILED)
    put(conn, "invitations", case_id=review, email="counsel@gulf-fashion.example",
        name="Gulf Fashion counsel", role="respondent_counsel", token_hash=digest("invite-1"),
        created_at=at(24, 12), expires_at=at(38, 12), used_at=None, used_by_id=None)

    uploaded = file_case(conn, UPLOADED, at(24, 10), JOINED)
    put(conn, "invitations", case_id=uploaded, email=RESPONDENT, name="Omar Farouk",
        role="respondent", token_hash=digest("invite-2"), created_at=at(24, 13),
        expires_at=at(38, 13), used_at=at(24, 14), used_by_id=user_id(conn, RESPONDENT))
    deadline(conn, uploaded, "response", "respondent", "proceed_in_default", at(24, 13), 20)
    receipt = digest("receipt.pdf")
    put(conn, "documents", case_id=uploaded, uploader_id=user_id(conn, CLAIMANT),
        uploader_role="claimant", title="Test purchase receipt", kind="exhibit",
        original_name="receipt.pdf", media_type="application/pdf", size=48213, sha256=receipt,
        storage_key=f"cases/{uploaded}/{receipt}", scope="participants", created_at=at(24, 15))
    # The upload event of the time: no document id, no size.
    record(conn, uploaded, Act(at(24, 15), "claimant", "upload_document", "response",
                               "response", {"title": "Test purchase receipt", "sha256": receipt}))
    put(conn, "outbox", case_id=uploaded, to_addr=RESPONDENT,
        subject=f"Complaint {UPLOADED} served on you", body="You have been named ...",
        created_at=at(24, 13), sent_at=at(24, 13, 1), attempts=1, last_error=None)

    mediation = file_case(conn, IN_MEDIATION, at(25, 9), MESSAGED)
    join(conn, mediation, "mediator", at(25, 15))
    deadline(conn, mediation, "response", "respondent", "proceed_in_default", at(25, 12), 20,
             outcome="respond", closed=at(25, 14))
    deadline(conn, mediation, "mediation", "institution", "end_mediation", at(25, 15), 60)
    put(conn, "submissions", case_id=mediation, author_id=user_id(conn, RESPONDENT),
        side="respondent", kind="response", position="contest", title="Response",
        body="The goods are genuine parallel imports.", created_at=at(25, 14))
    put(conn, "messages", case_id=mediation, sender_id=user_id(conn, PEOPLE["mediator"][0]),
        sender_role="mediator", channel="joint", body="Welcome to the mediation.",
        created_at=at(25, 16))
    put(conn, "messages", case_id=mediation, sender_id=user_id(conn, CLAIMANT),
        sender_role="claimant", channel="caucus:claimant",
        body="In confidence: we could accept a licence at 5 % royalties.", created_at=at(25, 17))
    record(conn, mediation, Act(at(25, 17), "claimant", "send_message", "mediation", "mediation",
                                {"channel": "caucus:claimant"}, "caucus:claimant"),
           Act(at(25, 18), "mediator", "propose_settlement", "mediation", "mediation", {}))
    put(conn, "settlement_offers", case_id=mediation,
        proposed_by_id=user_id(conn, PEOPLE["mediator"][0]), proposer_role="mediator",
        terms="1. The respondent stops using the mark within 30 days.", status="open",
        claimant_accepted_at=None, claimant_accepted_by_id=None, respondent_accepted_at=None,
        respondent_accepted_by_id=None, created_at=at(25, 18))
    put(conn, "outbox", case_id=mediation, to_addr=CLAIMANT,
        subject=f"New message in {IN_MEDIATION}", body="The mediator wrote ...",
        created_at=at(25, 16), sent_at=None, attempts=2,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed")

    decided = file_case(conn, DECIDED, at(26, 8), AWARDED)
    join(conn, decided, "mediator", at(26, 14))
    join(conn, decided, "arbitrator", at(26, 17))
    conn.execute(text("UPDATE cases SET closed_at = :t WHERE id = :c"),
                 {"t": at(26, 21), "c": decided})
    deadline(conn, decided, "response", "respondent", "proceed_in_default", at(26, 11), 20,
             outcome="respond", closed=at(26, 13))
    deadline(conn, decided, "mediation", "institution", "end_mediation", at(26, 14), 60,
             outcome="end_mediation", closed=at(26, 16))
    deadline(conn, decided, "closure", "tribunal", "flag_overdue", at(26, 17), 90,
             outcome="close_proceedings", closed=at(26, 19))
    put(conn, "submissions", case_id=decided, author_id=user_id(conn, CLAIMANT),
        side="claimant", kind="submission", position=None, title="Statement of claim",
        body="The claimant relies on its registration.", created_at=at(26, 18))
    remedy = conn.execute(text("SELECT id FROM remedies WHERE case_id = :c AND kind = 'damages'"),
                          {"c": decided}).scalar_one()
    put(conn, "award_drafts", case_id=decided, findings="The respondent sold counterfeits.",
        reasoning="Identical sign, identical goods.", costs="Each party bears its own.",
        orders={str(remedy): {"granted": False, "text": "Denied: no loss was proven."}},
        updated_at=at(26, 20))
    award = digest("award.pdf")
    put(conn, "decisions", case_id=decided, kind="award", verification_code="K7Q2-M9XD-4HPA",
        language="en", status="issued", storage_key=f"decisions/{award}.pdf", sha256=award,
        size=182044, error=None, issued_by_id=user_id(conn, PEOPLE["arbitrator"][0]),
        created_at=at(26, 21), issued_at=at(26, 21, 2))

    tampered = file_case(conn, TAMPERED, at(27, 9), SERVED)
    deadline(conn, tampered, "response", "respondent", "proceed_in_default", at(27, 12), 20)
    conn.execute(text("UPDATE audit_events SET actor_name = 'Somebody Else' "
                      "WHERE case_id = :c AND action = 'accept_filing'"), {"c": tampered})
    put(conn, "outbox", case_id=None, to_addr=CLAIMANT, subject="Reset your password",
        body="Follow this link ...", created_at=at(27, 20), sent_at=at(27, 20, 1), attempts=1,
        last_error=None)


# ----------------------------------------------------------- 4a7e0b5c2d19: job failures
def job_failures_and_api_tokens(conn: Connection) -> None:
    """A failure still open, one a manager is retrying, one resolved; two API tokens."""
    put(conn, "job_failures", job="app.services.notify.deliver", kwargs={"email_id": 2},
        status="failed", error="SMTPServerDisconnected: Connection unexpectedly closed",
        attempts=4, failed_at=at(25, 17), resolved_at=None)
    put(conn, "job_failures", job="app.decisions.service.render_decision",
        kwargs={"decision_id": 1}, status="resolved", error="OSError: [Errno 28] No space",
        attempts=4, failed_at=at(26, 21), resolved_at=at(26, 22))
    put(conn, "job_failures", job="app.services.deadlines.send_reminders",
        kwargs={"deadline_ids": [1, 7]}, status="retrying", error="TimeoutError: smtp",
        attempts=8, failed_at=at(27, 6))
    put(conn, "api_tokens", user_id=user_id(conn, PEOPLE["manager"][0]), name="reporting",
        token_hash=digest("token-1"), created_at=at(27, 10), revoked_at=None)
    put(conn, "api_tokens", user_id=user_id(conn, CLAIMANT), name="old laptop",
        token_hash=digest("token-2"), created_at=at(27, 10), revoked_at=at(27, 11))


# -------------------------------------------------- 5d3ad1e5c0a1: procedures and deadlines
def existing_rows_get_the_neutral_values(conn: Connection, before: Snapshot) -> None:
    """Deadlines already there were never extended; no case was suspended; nobody had a
    calendar feed, a tribunal seat or a challenge."""
    assert conn.execute(text("SELECT DISTINCT extended_days FROM deadlines")).scalars().all() \
        == [0]
    for table, column in (("cases", "suspended_from"), ("cases", "suspended_remaining"),
                          ("deadlines", "requested_days"), ("deadlines", "reminder_sent_at"),
                          ("participants", "capacity"), ("participants", "challenge_status"),
                          ("parties", "subdivision"), ("users", "calendar_token_hash")):
        filled = f"SELECT count(*) FROM {table} WHERE {column} IS NOT NULL"  # noqa: S608
        assert conn.execute(text(filled)).scalar_one() == 0, f"{table}.{column}"


def calendar_days_extensions_and_seats(conn: Connection) -> None:
    """A holiday and a closure, an extension granted, a reminder sent, a sole arbitrator's
    seat, a party's state, a calendar feed."""
    manager = user_id(conn, PEOPLE["manager"][0])
    put(conn, "calendar_days", country="EG", day=date(2027, 1, 7), kind="holiday",
        name="Coptic Christmas", created_by_id=None, created_at=at(28, 9))
    put(conn, "calendar_days", country="AE", day=date(2026, 12, 2), kind="closure",
        name="Centre closed", created_by_id=manager, created_at=at(28, 9))
    conn.execute(text(
        "UPDATE deadlines SET requested_days = 10, request_reason = 'Counsel appointed late', "
        "extended_days = 7, extension_reason = 'Granted in part', reminder_sent_at = :t "
        "WHERE case_id = :c"), {"t": at(28, 10), "c": case_id(conn, UPLOADED)})
    conn.execute(text("UPDATE participants SET capacity = 'sole' WHERE role = 'arbitrator'"))
    conn.execute(text("UPDATE parties SET subdivision = 'DU' WHERE country = 'AE' AND case_id = "
                      ":c"), {"c": case_id(conn, REVIEW)})
    conn.execute(text("UPDATE users SET calendar_token_hash = :h WHERE email = :e"),
                 {"h": digest("feed"), "e": CLAIMANT})


# ---------------------------------------------------------- d0c5e7a1b3f9: document exchange
def each_document_is_its_own_first_version(conn: Connection, before: Snapshot) -> None:
    """Documents filed before the exchange are each the first version of their own family,
    not withdrawn, without exhibit number (the app numbers new exhibits only)."""
    documents = conn.execute(text("SELECT version_no, family_id, exhibit_side, exhibit_seq, "
                                  "withdrawn_at FROM documents")).all()
    assert documents and all(tuple(d) == (1, None, None, None, None) for d in documents), (
        f"(version_no, family_id, exhibit_side, exhibit_seq, withdrawn_at): {documents}")


def versioned_exhibits_and_a_withdrawal(conn: Connection) -> None:
    """In the mediation case: exhibit C-1 and its second version, an exhibit R-1 withdrawn
    later, a caucus note; each with the event the exchange recorded (document id, size)."""
    case = case_id(conn, IN_MEDIATION)
    right = conn.execute(text("SELECT id FROM ip_rights WHERE case_id = :c"), {"c": case}).scalar()

    def upload(who: str, title: str, when: datetime, *, scope: str = "participants",
               exhibit: tuple[str, int] | None = None, replaces: int | None = None,
               version: int = 1) -> int:
        name = f"{title.lower().replace(' ', '-')}-v{version}.pdf"
        sha, size = digest(name), 10_000 + version
        side, seq = exhibit or (None, None)
        document = put(conn, "documents", case_id=case, uploader_id=user_id(conn, PEOPLE[who][0]),
                       uploader_role=who, title=title, kind="exhibit" if exhibit else
                       "correspondence", original_name=name, media_type="application/pdf",
                       size=size, sha256=sha, storage_key=f"cases/{case}/{sha}", scope=scope,
                       created_at=when, document_date=date(2026, 10, 3), ip_right_id=right,
                       remedy_id=None, family_id=replaces, version_no=version,
                       exhibit_side=side, exhibit_seq=seq, withdrawn_at=None,
                       withdrawn_by_id=None)
        record(conn, case, Act(when, who, "replace_document" if replaces else "upload_document",
                               "mediation", "mediation",
                               {"document": document, "title": title, "version": version,
                                "exhibit": f"{side}-{seq}" if side else None, "sha256": sha,
                                "size": size}, scope))
        return document

    root = upload("claimant", "Trademark certificate", at(28, 10), exhibit=("C", 1))
    upload("claimant", "Trademark certificate", at(28, 11), exhibit=("C", 1), replaces=root,
           version=2)
    withdrawn = upload("respondent", "Import licence", at(28, 12), exhibit=("R", 1))
    # Arabic in a hashed detail: both formulas escape it the same way
    upload("claimant", "حدود التسوية", at(28, 13), scope="caucus:claimant")
    conn.execute(text("UPDATE documents SET withdrawn_at = :t, withdrawn_by_id = :u WHERE id = "
                      ":d"), {"t": at(28, 14), "u": user_id(conn, RESPONDENT), "d": withdrawn})
    record(conn, case, Act(at(28, 14), "respondent", "withdraw_document", "mediation",
                           "mediation", {"document": withdrawn, "title": "Import licence",
                                         "exhibit": "R-1"}))


# ------------------------------------------------- c7f2a9e4d811: participants' case activity
def participants_carry_their_case_activity(conn: Connection, before: Snapshot) -> None:
    """The backfill before NOT NULL: each participant row has its case's last activity."""
    stale = conn.execute(text(
        "SELECT p.id FROM participants p JOIN cases c ON c.id = p.case_id "
        "WHERE p.case_activity_at IS NULL OR p.case_activity_at <> c.last_activity_at")).all()
    assert stale == [], "participants whose case_activity_at is not their case's last activity"


# ---------------------------------------------------------- c7f3a2e8d614: outbox.dedupe_key
def earlier_emails_have_no_dedupe_key(conn: Connection, before: Snapshot) -> None:
    """Several rows without a key live under the unique index."""
    keys = conn.execute(text("SELECT dedupe_key FROM outbox")).scalars().all()
    assert len(keys) >= 2 and set(keys) == {None}


def deduplicated_reminders(conn: Connection) -> None:
    """A reminder batch and a case-update notice, each written once under its key."""
    case, deadline_id = conn.execute(text(
        "SELECT case_id, id FROM deadlines WHERE status = 'open' ORDER BY id")).first()
    for key, to, sent in ((f"reminder:{deadline_id}:served", RESPONDENT, at(29, 8, 1)),
                          (f"event:{case}:5:{user_id(conn, CLAIMANT)}", CLAIMANT, None)):
        put(conn, "outbox", case_id=case, to_addr=to, subject="Reminder", body="Your time ...",
            created_at=at(29, 8), sent_at=sent, attempts=1 if sent else 0, last_error=None,
            dedupe_key=key)


# ------------------------------------------------------- e1a5c7d30b42: exhibit index PDFs
def exhibit_index_renderings(conn: Connection) -> None:
    """The mediation case's index: rendered once, then a failed rendering of a later state."""
    case = case_id(conn, IN_MEDIATION)
    roots = conn.execute(text("SELECT id FROM documents WHERE case_id = :c AND family_id IS NULL "
                              "AND exhibit_side IS NOT NULL ORDER BY id"), {"c": case}
                         ).scalars().all()
    pdf = digest("index.pdf")
    put(conn, "exhibit_index_pdfs", case_id=case, state_key=digest("state-1"),
        document_ids=roots, status="ready", storage_key=f"exhibit-index/{pdf}.pdf", sha256=pdf,
        size=20480, error=None, requested_at=at(29, 9), rendered_at=at(29, 9, 1))
    put(conn, "exhibit_index_pdfs", case_id=case, state_key=digest("state-2"),
        document_ids=roots[:1], status="failed", storage_key=None, sha256=None, size=None,
        error="OSError: fonts missing", requested_at=at(29, 10), rendered_at=None)


# ---------------------------------------------------------------- f2b8d4c6a913: stage totals
def stage_totals_counted(conn: Connection) -> None:
    conn.execute(text("INSERT INTO stage_totals (stage, cases, counted_at) "
                      "SELECT stage, count(*), :t FROM cases GROUP BY stage"), {"t": at(30, 9)})


# ------------------------------------------------------------- 9c4e1f7a2b60: jobs as rows
def unresolved_failures_become_failed_jobs(conn: Connection, before: Snapshot) -> None:
    """Failed and retrying failures carry on as failed jobs (name, ids, attempts, error and
    time kept) for a manager to retry; a resolved one is history and is not carried."""
    carried = [f for f in before["job_failures"] if f["status"] != "resolved"]
    jobs = conn.execute(text("SELECT name, kwargs, status, attempts, last_error, created_at, "
                             "run_after, finished_at, lease_until FROM jobs ORDER BY id")).all()
    assert [tuple(j) for j in jobs] == [
        (f["job"], f["kwargs"], "failed", f["attempts"], f["error"], f["failed_at"],
         f["failed_at"], f["failed_at"], None) for f in carried]
    assert len(carried) == 2


def failed_jobs_come_back_as_failures(before: Snapshot, back: Snapshot) -> None:
    """The downgrade rebuilds job_failures from the failed jobs: the retrying one comes back
    failed, the resolved one stays gone (the upgrade dropped it), and the ids are new."""
    assert {t: r for t, r in back.items() if t != "job_failures"} == {
        t: r for t, r in before.items() if t != "job_failures"}
    carried = [f for f in before["job_failures"] if f["status"] != "resolved"]
    keep = ("job", "kwargs", "error", "attempts", "failed_at")
    assert [{k: f[k] for k in keep} for f in back["job_failures"]] == [
        {k: f[k] for k in keep} for f in carried]
    assert {(f["status"], f["resolved_at"]) for f in back["job_failures"]} == {("failed", None)}


def jobs_and_submission_keys(conn: Connection) -> None:
    """A job waiting, one done, one running under a lease; a submission answered and one in
    flight."""
    email = conn.execute(text("SELECT id FROM outbox WHERE sent_at IS NULL ORDER BY id")).scalar()
    for name, kwargs, status, lease, finished in (
            ("app.services.notify.deliver", {"email_id": email}, "pending", None, None),
            ("app.documents.exhibit_pdf.render_exhibit_index", {"pdf_id": 1}, "done", None,
             at(30, 10, 1)),
            ("app.services.deadlines.send_reminders", {"deadline_ids": [1]}, "running",
             at(30, 10, 5), None)):
        put(conn, "jobs", name=name, kwargs=kwargs, status=status, attempts=1,
            created_at=at(30, 10), run_after=at(30, 10), lease_until=lease,
            finished_at=finished, last_error=None)
    claimant = user_id(conn, CLAIMANT)
    put(conn, "submission_keys", user_id=claimant, key="f3a9c2", fingerprint=digest("form"),
        created_at=at(30, 11), status_code=303, location=f"/cases/{IN_MEDIATION}",
        body=None, content_type=None)
    put(conn, "submission_keys", user_id=claimant, key="77b1e0", fingerprint=digest("api"),
        created_at=at(30, 11, 1), status_code=None, location=None, body=None,
        content_type=None)


# ------------------------------------------------------ 9c4e2a7b51d3: the audit chain's head
def _new_event_hash(e: Row) -> str:
    """The hash from 9c4e2a7b51d3 on (every column but id and hash), written out here for the
    reason _old_event_hash is: not taken from the migration under test."""
    fields = [e["case_id"], e["seq"], e["prev_hash"], e["at"].replace(tzinfo=UTC).isoformat(),
              e["actor_id"], e["actor_name"], e["actor_roles"], e["action"], e["stage_from"],
              e["stage_to"], e["detail"], e["visibility"]]
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def intact_chains_rehashed_the_edited_one_left_as_stored(conn: Connection,
                                                         before: Snapshot) -> None:
    """Every chain that verified under the old hash verifies under the new one, with its head
    on the case row; the edited chain keeps its stored hashes (rehashing would launder the
    edit) and its head is the stored hash of its last event; events can no longer be changed
    or deleted."""
    stored = {(e["case_id"], e["seq"]): (e["prev_hash"], e["hash"])
              for e in before["audit_events"]}
    events = reflected(conn, "audit_events")
    cases = conn.execute(text("SELECT id, number, event_count, chain_head FROM cases")).all()
    for case in cases:
        chain = [dict(e._mapping) for e in conn.execute(
            sa.select(events).where(events.c.case_id == case.id).order_by(events.c.seq))]
        assert chain and len(chain) == case.event_count
        if case.number == TAMPERED:
            assert [(e["prev_hash"], e["hash"]) for e in chain] == [
                stored[(case.id, e["seq"])] for e in chain]
        else:
            prev = ""
            for e in chain:
                assert (e["prev_hash"], e["hash"]) == (prev, _new_event_hash(e)), (
                    f"case {case.number or case.id}, event {e['seq']} not rehashed")
                prev = e["hash"]
        assert case.chain_head == chain[-1]["hash"]
    for statement in ("UPDATE audit_events SET actor_name = actor_name",
                      "DELETE FROM audit_events"):
        with conn.engine.connect() as other, pytest.raises(sa.exc.DBAPIError,
                                                           match="cannot be changed or deleted"):
            other.execute(text(statement))


# ---------------------------------------------------- a7d3e5f1c284: the sweep's job names
def sweep_jobs_renamed(conn: Connection, before: Snapshot) -> None:
    """A job of the sweep's old modules names its new one; every other job is as it was."""
    renamed = {"app.services.deadlines.send_reminders": "app.cases.sweep.notify.send_reminders"}
    names = conn.execute(text("SELECT name FROM jobs ORDER BY id")).scalars().all()
    assert names == [renamed.get(j["name"], j["name"]) for j in before["jobs"]]
    assert "app.cases.sweep.notify.send_reminders" in names


# ------------------------------------------------- 6cffaa8ac0f3: outbox.body_sha256
def delivered_bodies_forgotten_hashes_kept(conn: Connection, before: Snapshot) -> None:
    """Every message keeps the SHA-256 of its body; a delivered one no longer keeps the body
    (a link in it dies with it), one waiting or failed keeps it for its delivery."""
    rows = conn.execute(text("SELECT id, body, body_sha256, sent_at FROM outbox ORDER BY id")
                        ).all()
    assert [r.id for r in rows] == [m["id"] for m in before["outbox"]]
    for row, old in zip(rows, before["outbox"], strict=True):
        assert row.body_sha256 == hashlib.sha256(old["body"].encode()).hexdigest()
        assert row.body == ("" if old["sent_at"] is not None else old["body"])
    assert {r.body for r in rows if r.sent_at is not None} == {""}
    assert any(r.body for r in rows if r.sent_at is None)


def delivered_bodies_stay_forgotten(before: Snapshot, back: Snapshot) -> None:
    """Downgraded, the rows are the parent's, but the delivered bodies stay empty and every
    message keeps its hash (the column stays: the parent's code does not read it)."""
    assert {t: r for t, r in back.items() if t != "outbox"} == {
        t: r for t, r in before.items() if t != "outbox"}
    assert back["outbox"] == [
        {**m, "body": "" if m["sent_at"] is not None else m["body"],
         "body_sha256": hashlib.sha256(m["body"].encode()).hexdigest()}
        for m in before["outbox"]]
# ---------------------------------------- bd99326a1d57: sessions and the security log
def sessions_and_sign_ins(conn: Connection) -> None:
    """The claimant signed in on two browsers (one session past its end, left for the purge);
    the security log of those sign-ins, a failed one, and a session revoked."""
    claimant, manager = user_id(conn, CLAIMANT), user_id(conn, PEOPLE["manager"][0])
    for token, started, browser in (("laptop", at(30, 12), "Mozilla/5.0 (X11; Linux) Firefox/140"),
                                    ("phone", at(29, 8), "Mozilla/5.0 (iPhone) Safari/604")):
        put(conn, "user_sessions", id=digest(token), user_id=claimant, created_at=started,
            last_seen_at=started + timedelta(minutes=5), expires_at=started + timedelta(hours=12),
            ip="203.0.113.7", user_agent=browser)
        put(conn, "security_events", at=started, event="sign_in", outcome="success",
            user_id=claimant, actor_id=None, ip="203.0.113.7", request_id=digest(token)[:32],
            session_ref=digest(token)[:16], detail={})
    put(conn, "security_events", at=at(30, 12, 1), event="sign_in", outcome="failure",
        user_id=manager, actor_id=None, ip="198.51.100.20", request_id=digest("r3")[:32],
        session_ref=None, detail={"reason": "password"})
    put(conn, "security_events", at=at(30, 12, 2), event="session_revoked", outcome="success",
        user_id=claimant, actor_id=claimant, ip="203.0.113.7", request_id=digest("r4")[:32],
        session_ref=digest("phone")[:16], detail={})


# -------------------------------------------------------------- 0385852e8022: second factor
def nobody_has_a_second_factor_yet(conn: Connection, before: Snapshot) -> None:
    """Accounts already there have no authenticator app: the Centre's people set one up at
    their next sign-in, parties get codes by email (the app decides; nothing to backfill)."""
    for column in ("totp_secret", "totp_enrolled_at", "totp_last_step"):
        filled = f"SELECT count(*) FROM users WHERE {column} IS NOT NULL"  # noqa: S608
        assert conn.execute(text(filled)).scalar_one() == 0, column


def an_app_recovery_codes_and_a_step_in_progress(conn: Connection) -> None:
    """The case manager set up an app (two of the ten recovery codes used since); the
    respondent is at the second step of a sign-in, a code emailed."""
    manager, respondent = user_id(conn, PEOPLE["manager"][0]), user_id(conn, RESPONDENT)
    conn.execute(text("UPDATE users SET totp_secret = :s, totp_enrolled_at = :t, "
                      "totp_last_step = :n WHERE id = :u"),
                 {"s": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "t": at(30, 13),
                  "n": int(datetime(2026, 11, 30, 13, 5, tzinfo=UTC).timestamp()) // 30,
                  "u": manager})
    for i in range(10):
        put(conn, "recovery_codes", user_id=manager, code_hash=digest(f"recovery-{i}"),
            created_at=at(30, 13), used_at=at(30, 14 + i) if i < 2 else None)
    put(conn, "second_steps", id=digest("step"), user_id=respondent, purpose="sign_in",
        created_at=at(30, 15), expires_at=at(30, 15, 15), email_code_hash=digest("code"),
        email_code_expires_at=at(30, 15, 10), email_proven=False, totp_secret=None,
        next_url="/dashboard")
# ------------------------------------------ adf28775cc76: account links, confirmed addresses
def accounts_confirmed_with_every_email(conn: Connection, before: Snapshot) -> None:
    """Every account there before counts as confirmed since it was created, and keeps getting
    every email it got before."""
    rows = conn.execute(text(
        "SELECT id, created_at, email_verified_at, notify_case_updates, "
        "notify_deadline_reminders, notify_messages FROM users ORDER BY id")).all()
    assert [r.id for r in rows] == [u["id"] for u in before["users"]]
    for r in rows:
        assert r.email_verified_at == r.created_at, r
        assert (bool(r.notify_case_updates), bool(r.notify_deadline_reminders),
                bool(r.notify_messages)) == (True, True, True), r


def account_links(conn: Connection) -> None:
    """A reset link used, an email change waiting for its confirmation, and a newly
    registered account whose address is not confirmed yet (its link expired), with the case
    updates switched off."""
    claimant, manager = user_id(conn, CLAIMANT), user_id(conn, PEOPLE["manager"][0])
    put(conn, "account_tokens", user_id=claimant, purpose="password_reset",
        token_hash=digest("reset"), email=CLAIMANT, created_at=at(30, 9),
        expires_at=at(30, 10), used_at=at(30, 9, 5))
    put(conn, "account_tokens", user_id=manager, purpose="email_change",
        token_hash=digest("change"), email="samira.benali@sulh.example",
        created_at=at(30, 11), expires_at=at(31, 11), used_at=None)
    newcomer = put(conn, "users", email="new@atlas-ceramique.example", name="Nadia Alaoui",
                   password_hash="$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA",
                   locale="fr", country="MA", is_case_manager=False, is_neutral=False,
                   active=True, created_at=at(30, 12), email_verified_at=None,
                   notify_case_updates=False, notify_deadline_reminders=True,
                   notify_messages=True)
    put(conn, "account_tokens", user_id=newcomer, purpose="email_verification",
        token_hash=digest("verify"), email="new@atlas-ceramique.example",
        created_at=at(30, 12), expires_at=at(30, 12) + timedelta(days=7), used_at=None)


# ------------------------------------------------------------------------------- at head
def at_head(app: Flask) -> None:
    """The app of the head reads what the walk left: every table has rows (so a revision added
    later runs on data), `flask audit verify` finds the intact trails intact, and every failed
    job carried over names a job the app still has, so a manager's retry can run it."""
    tables = read(snapshot)
    assert not [t for t, rows in tables.items() if not rows], (
        "tables without rows at head: insert some in the then_insert of their revision")

    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    problems = [line for line in result.output.splitlines()
                if ": " in line and not line.startswith("Error")]
    # Documents filed before d0c5e7a1b3f9 have upload events of that time ({"title", "sha256"}
    # only): verify matches them by their SHA-256, so only the edited trail is reported.
    assert result.exit_code == 1
    assert {line.split(": ", 1)[0] for line in problems} == {TAMPERED}, result.output

    from app.services.jobs import spec_of

    failed = read(lambda conn: conn.execute(text(
        "SELECT name FROM jobs WHERE status = 'failed'")).scalars().all())
    assert failed and all(spec_of(name) is not None for name in failed), failed

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:  # after every step's downgrade and upgrade again
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                db.metadata)
    assert diff == [], f"after the walk, models and schema differ: {diff}"


# ------------------------------------------------------------------------- the checklist
STEPS: dict[str, Step] = {
    # initial schema: nothing there to keep; the case load every later revision runs on
    "a1c99bee6054": Step(promises=nothing, then_insert=a_case_load_of_the_initial_schema),
    # job_failures and api_tokens: two new tables
    "4a7e0b5c2d19": Step(promises=nothing, then_insert=job_failures_and_api_tokens),
    # procedures: calendar_days; new columns on cases, deadlines, participants, parties, users
    "5d3ad1e5c0a1": Step(promises=existing_rows_get_the_neutral_values,
                         then_insert=calendar_days_extensions_and_seats),
    # document exchange: versions, exhibit numbers, withdrawal, constraints on documents
    "d0c5e7a1b3f9": Step(promises=each_document_is_its_own_first_version,
                         then_insert=versioned_exhibits_and_a_withdrawal),
    # list-page indexes only
    "b4e7d1a90c2f": Step(promises=nothing, then_insert=nothing),
    # participants.case_activity_at: backfilled, then NOT NULL
    "c7f2a9e4d811": Step(promises=participants_carry_their_case_activity, then_insert=nothing),
    # outbox.dedupe_key under a unique index
    "c7f3a2e8d614": Step(promises=earlier_emails_have_no_dedupe_key,
                         then_insert=deduplicated_reminders),
    # exhibit_index_pdfs: a new table
    "e1a5c7d30b42": Step(promises=nothing, then_insert=exhibit_index_renderings),
    # stage_totals: a new table
    "f2b8d4c6a913": Step(promises=nothing, then_insert=stage_totals_counted),
    # jobs replace job_failures; submission_keys
    "9c4e1f7a2b60": Step(promises=unresolved_failures_become_failed_jobs,
                         then_insert=jobs_and_submission_keys,
                         drops=frozenset({"job_failures"}),
                         restores=failed_jobs_come_back_as_failures),
    # every column in an event's hash, cases.chain_head, triggers refusing rewrites
    "9c4e2a7b51d3": Step(promises=intact_chains_rehashed_the_edited_one_left_as_stored,
                         then_insert=nothing,
                         rewrites=frozenset({"audit_events.prev_hash", "audit_events.hash"})),
    # the sweep's jobs under their new module paths
    "a7d3e5f1c284": Step(promises=sweep_jobs_renamed, then_insert=nothing,
                         rewrites=frozenset({"jobs.name"})),
    # outbox.body_sha256 for every message; delivered bodies emptied (no link outlives delivery)
    "6cffaa8ac0f3": Step(promises=delivered_bodies_forgotten_hashes_kept, then_insert=nothing,
                         rewrites=frozenset({"outbox.body"}),
                         restores=delivered_bodies_stay_forgotten),
    # user_sessions and security_events: two new tables
    "bd99326a1d57": Step(promises=nothing, then_insert=sessions_and_sign_ins),
    # the second factor: three columns on users, recovery_codes and second_steps
    "0385852e8022": Step(promises=nobody_has_a_second_factor_yet,
                         then_insert=an_app_recovery_codes_and_a_step_in_progress),
    # account_tokens; users.email_verified_at (backfilled) and the optional emails' switches
    "adf28775cc76": Step(promises=accounts_confirmed_with_every_email, then_insert=account_links),
}
