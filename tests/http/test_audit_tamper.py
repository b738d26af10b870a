"""The threat: somebody with direct database access rewrites a case's history — edits, deletes
or reorders events, cuts the trail short, moves a case on without an event, or swaps a
document's bytes. `flask audit verify` must find every such change and name the case; and
nobody below that level (the app's own statements, raw SQL as the app's role) can make one.

The scenario is built once through the app (filing, service, mediation, uploads, a new
version, a download, a sweep); each mutation then runs in the attacker's transaction, is
checked, and is rolled back, so the next one starts from the same untouched trail.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased

from app.cases.sweep import run as sweep_run
from app.extensions import db
from app.models import AuditEvent, AuditTrailViolation, Case
from tests.conftest import ON_POSTGRES
from tests.helpers import (
    act,
    case,
    documents,
    due_moment,
    file_complaint,
    into_mediation,
    start_draft,
    upload,
)

FAKE = "0" * 64


@dataclass
class Scene:
    number: str  # the case attacked: in mediation, with documents
    case_id: int
    count: int  # its events
    document: int  # its latest document row (a new version of the first)
    others: list[str]  # untouched cases that must not be named: a swept case, a draft
    swept: str
    draft: str
    stranger: int  # a user id nobody acted as


def build(app, people) -> Scene:
    number = into_mediation(app, people)
    claimant = people.client("claimant")
    upload(claimant, number, [("report.txt", b"first draft")], title="Expert report")
    upload(claimant, number, [("caucus.txt", b"our bottom line")], scope="caucus:claimant",
           kind="correspondence", title="Bottom line")
    first = documents()[0]
    replaced = claimant.post(f"/cases/{number}/documents/{first.id}/replace", data={
        "file": (io.BytesIO(b"final text"), "report v2.txt")}, content_type="multipart/form-data")
    assert replaced.status_code == 302
    latest = documents()[-1]
    assert people.client("respondent").get(
        f"/cases/{number}/documents/{latest.id}/download").status_code == 200
    swept = file_complaint(claimant)  # served, then the respondent defaults (the bulk path)
    act(people.client("manager"), swept, "accept_filing")
    assert sweep_run.sweep(due_moment([swept])).applied == [(swept, "proceed_in_default")]
    draft = f"DRAFT-{start_draft(claimant)}"
    attacked = case(number)
    return Scene(number=number, case_id=attacked.id, count=attacked.event_count,
                 document=latest.id, others=[swept, draft], swept=swept, draft=draft,
                 stranger=people.user("stranger").id)


def verify(runner) -> tuple[int, list[str]]:
    result = runner.invoke(args=["audit", "verify"])
    return result.exit_code, result.output.splitlines()


@contextmanager
def attacker() -> Iterator[None]:
    """A transaction of somebody who switches the triggers off (the PostgreSQL superuser);
    on SQLite the triggers were dropped beforehand. Rolled back afterwards."""
    db.session.rollback()
    if ON_POSTGRES:
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    try:
        yield
    finally:
        db.session.rollback()


def event_sql(change: str) -> str:
    return f"UPDATE audit_events SET {change} WHERE case_id = :case AND seq = :seq"  # noqa: S608


def column_changes(scene: Scene) -> dict[str, tuple[str, dict]]:
    """One change per column of an event: every column but `id`."""
    later = "at + interval '1 second'" if ON_POSTGRES else "datetime(at, '+1 second')"
    return {
        "case_id": ("case_id = 999999", {}),
        "seq": ("seq = seq + 1000", {}),
        "at": (f"at = {later}", {}),
        "actor_id": ("actor_id = :stranger", {"stranger": scene.stranger}),
        "actor_name": ("actor_name = actor_name || ' (forged)'", {}),
        "actor_roles": ("actor_roles = actor_roles || ',arbitrator'", {}),
        "action": ("action = action || '_x'", {}),
        "stage_from": ("stage_from = stage_from || '_x'", {}),
        "stage_to": ("stage_to = stage_to || '_x'", {}),
        "detail": ("detail = '{\"forged\": true}'", {}),
        "visibility": ("visibility = CASE WHEN visibility = 'institution' THEN 'participants' "
                       "ELSE 'institution' END", {}),
        "prev_hash": ("prev_hash = :fake", {"fake": FAKE}),
        "hash": ("hash = :fake", {"fake": FAKE}),
    }


Statements = list[tuple[str, dict]]


def mutations(scene: Scene) -> dict[str, tuple[str, Statements]]:
    """What the attacker does, by name: (the case that must be named, the statements)."""
    c, middle, last = scene.case_id, scene.count // 2, scene.count
    at = {"case": c}
    doc = {"doc": scene.document}
    found: dict[str, tuple[str, Statements]] = {
        "edit a field": (scene.number, [(event_sql("detail = '{\"note\": 1}'"),
                                         at | {"seq": middle})]),
        "delete a middle event": (scene.number, [(
            "DELETE FROM audit_events WHERE case_id = :case AND seq = :seq",
            at | {"seq": middle})]),
        "swap two events": (scene.number, [
            (event_sql("seq = -1"), at | {"seq": middle}),
            (event_sql("seq = :to"), at | {"seq": middle + 1, "to": middle}),
            (event_sql("seq = :to"), at | {"seq": -1, "to": middle + 1})]),
        "truncate the tail": (scene.number, [
            ("DELETE FROM audit_events WHERE case_id = :case AND seq > :seq",
             at | {"seq": last - 2})]),
        "delete the whole chain": (scene.number, [
            ("DELETE FROM audit_events WHERE case_id = :case", at)]),
        "delete the whole chain and empty the case row": (scene.number, [
            ("DELETE FROM audit_events WHERE case_id = :case", at),
            ("UPDATE cases SET event_count = 0, chain_head = '' WHERE id = :case", at)]),
        "change the stage without an event": (scene.number, [
            ("UPDATE cases SET stage = 'awarded' WHERE id = :case", at)]),
        "change the case row's event count": (scene.number, [
            ("UPDATE cases SET event_count = event_count + 1 WHERE id = :case", at)]),
        "change the case row's chain head": (scene.number, [
            ("UPDATE cases SET chain_head = :fake WHERE id = :case", at | {"fake": FAKE})]),
        "delete a document row": (scene.number, [
            ("DELETE FROM documents WHERE id = :doc", doc)]),
        "change a document's sha256": (scene.number, [
            ("UPDATE documents SET sha256 = :fake WHERE id = :doc", doc | {"fake": FAKE})]),
        "change a document's size": (scene.number, [
            ("UPDATE documents SET size = size + 1 WHERE id = :doc", doc)]),
        "change a document's scope": (scene.number, [
            ("UPDATE documents SET scope = 'institution' WHERE id = :doc", doc)]),
        "move a document to another case": (scene.number, [  # (that case is named too)
            ("UPDATE documents SET case_id = (SELECT id FROM cases WHERE number = :other) "
             "WHERE id = :doc", doc | {"other": scene.swept})]),
        "edit an event the sweep wrote": (scene.swept, [(
            "UPDATE audit_events SET actor_name = 'Case manager' "
            "WHERE action = 'proceed_in_default'",
            {})]),
        "edit a draft's event": (scene.draft, [(
            "UPDATE audit_events SET detail = '{\"note\": 1}' WHERE case_id = :case",
            {"case": int(scene.draft.removeprefix("DRAFT-"))})]),
    }
    for which, seq in (("first", 1), ("middle", middle), ("last", last)):
        for column, (change, params) in column_changes(scene).items():
            found[f"change {column} of the {which} event"] = (
                scene.number, [(event_sql(change), at | {"seq": seq} | params)])
    return found


def test_every_change_to_the_history_is_found_and_names_its_case(app, people, runner):
    scene = build(app, people)
    db.session.commit()
    code, lines = verify(runner)
    assert code == 0 and "audit trail intact" in lines[-1], lines
    hashed = {c.name for c in AuditEvent.__table__.columns} - {"id"}
    assert set(column_changes(scene)) == hashed  # every column is attacked
    if not ON_POSTGRES:  # the attacker drops the triggers first
        for name in ("audit_events_no_update", "audit_events_no_delete"):
            db.session.execute(text(f"DROP TRIGGER {name}"))
        db.session.commit()

    missed, blamed = [], []
    for name, (victim, statements) in mutations(scene).items():
        with attacker():
            for sql, params in statements:
                db.session.execute(text(sql), params)
            code, lines = verify(runner)
        named = [line for line in lines if line.startswith(f"{victim}: ")]
        if code != 1 or not named:
            missed.append(name)
        touched = {victim} | ({scene.swept} if "another case" in name else set())
        blamed += [(name, line) for line in lines
                   if any(line.startswith(f"{other}: ") for other in set(scene.others) - touched)]
    assert missed == [], f"undetected: {missed}"
    assert blamed == [], f"untouched cases reported: {blamed}"
    # and nothing stayed changed
    code, lines = verify(runner)
    assert code == 0, lines


def test_verify_prints_one_line_per_problem_naming_the_case(app, people, runner):
    number = file_complaint(people.client("claimant"))
    case_id = case(number).id
    with attacker():
        if not ON_POSTGRES:
            db.session.execute(text("DROP TRIGGER audit_events_no_update"))
        db.session.execute(text(event_sql("actor_roles = 'case_manager'")),
                           {"case": case_id, "seq": 2})
        db.session.execute(text("UPDATE cases SET stage = 'awarded' WHERE id = :case"),
                           {"case": case_id})
        code, lines = verify(runner)
    assert code == 1
    assert f"{number}: event 2 (update_filing) was altered: its hash does not match its " \
           "fields" in lines
    assert any(line.startswith(f"{number}: the stage is awarded but the last event")
               for line in lines)
    assert "2 problem(s) in 1 case(s)" in lines[-1]


def test_the_apps_own_bulk_statements_cannot_touch_the_trail(app, people):
    number = file_complaint(people.client("claimant"))
    events = AuditEvent.__table__
    for statement in (update(AuditEvent).values(action="forged"),
                      update(AuditEvent).where(AuditEvent.seq == 1).values(detail={}),
                      delete(AuditEvent).where(AuditEvent.seq > 1),
                      update(aliased(AuditEvent)).values(visibility="institution"),
                      events.update().values(actor_name="x"), events.delete()):
        with pytest.raises(AuditTrailViolation):
            db.session.execute(statement)
        db.session.rollback()
    assert [e.seq for e in case(number).events] == list(range(1, case(number).event_count + 1))


def test_the_database_refuses_raw_updates_and_deletes_of_events(app, people):
    number = file_complaint(people.client("claimant"))
    count = case(number).event_count
    statements = ["UPDATE audit_events SET action = 'forged'",
                  "DELETE FROM audit_events WHERE seq = 1", "DELETE FROM audit_events"]
    if ON_POSTGRES:
        statements += ["TRUNCATE audit_events CASCADE",
                       f"DELETE FROM cases WHERE id = {case(number).id}"]  # noqa: S608 (cascades)
    for sql in statements:
        with pytest.raises(DBAPIError, match="cannot be changed or deleted"):
            db.session.execute(text(sql))
        db.session.rollback()
    assert case(number).event_count == count == len(case(number).events)


def test_the_orm_still_refuses_to_flush_a_changed_event(app, people):
    file_complaint(people.client("claimant"))
    event = db.session.scalars(db.select(AuditEvent)).first()
    event.actor_roles = "case_manager"
    with pytest.raises(AuditTrailViolation):
        db.session.flush()
    db.session.rollback()


def test_the_case_row_keeps_the_head_and_length_of_its_chain(app, people):
    number = into_mediation(app, people)
    current = case(number)
    assert current.event_count == len(current.events) == current.events[-1].seq
    assert current.chain_head == current.events[-1].hash
    assert isinstance(current, Case)


def test_verify_finds_the_same_in_batches_of_one_case_as_in_one_batch(app, people, runner):
    """It streams: what it reports does not depend on where the batches end, rows whose case
    row is gone included (before the first case, between two, after the last)."""
    claimant = people.client("claimant")
    first, second = file_complaint(claimant), file_complaint(claimant)
    start_draft(claimant)
    with attacker():
        if not ON_POSTGRES:
            db.session.execute(text("DROP TRIGGER audit_events_no_update"))
        db.session.execute(text(event_sql("case_id = :to")),
                           {"case": case(first).id, "seq": 2, "to": 0})
        db.session.execute(text(event_sql("case_id = :to")),
                           {"case": case(second).id, "seq": 3, "to": 999999})
        db.session.execute(text("UPDATE cases SET id = 10 WHERE id = :case"),
                           {"case": case(second).id})
        outputs = [runner.invoke(args=["audit", "verify", "--batch", size]).output
                   for size in ("1", "2", "1000")]
    problems = [sorted(line for line in output.splitlines() if not line.startswith("Error"))
                for output in outputs]
    assert problems[0] == problems[1] == problems[2]
    named = {line.split(": ", 1)[0] for line in problems[0]}
    assert {first, second, "#0", "#999999", "#2"} <= named, problems[0]
