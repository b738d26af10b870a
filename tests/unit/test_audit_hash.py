"""The audit chain's link: every stored field of an event is in its hash, and the formula does
not drift (existing trails would stop verifying; a change needs a migration that rehashes, as
migrations/versions/20261201_9c4e2a7b51d3_audit_chain_head.py does)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.models.audit import HASHED_COLUMNS, AuditEvent, event_hash

EVENT = {"case_id": 7, "seq": 2, "prev_hash": "ab" * 32,
         "at": datetime(2026, 3, 1, 9, 30, 15, 250000, tzinfo=UTC), "actor_id": 3,
         "actor_name": "Layla Haddad", "actor_roles": "claimant,claimant_counsel",
         "action": "upload_document", "stage_from": "mediation", "stage_to": "mediation",
         "detail": {"size": 10, "document": 4, "sha256": "cd" * 32},
         "visibility": "caucus:claimant"}


def test_every_column_but_the_surrogate_id_and_the_hash_itself_is_hashed():
    columns = {c.name for c in AuditEvent.__table__.columns}
    assert set(HASHED_COLUMNS) == columns - {"id", "hash"}
    assert set(EVENT) == set(HASHED_COLUMNS)


def test_the_formula_is_pinned():
    assert event_hash(EVENT) == "6fed3ec53e8fafd1a63e708e9ee284ec923fc0a7be6c17b8cd38d9f29098948b"


CHANGES = {"case_id": 8, "seq": 3, "prev_hash": "", "at": EVENT["at"] + timedelta(microseconds=1),
           "actor_id": None, "actor_name": "Omar Farouk", "actor_roles": "claimant",
           "action": "replace_document", "stage_from": "arbitration", "stage_to": "arbitration",
           "detail": {"size": 11, "document": 4, "sha256": "cd" * 32},
           "visibility": "participants"}


@pytest.mark.parametrize("column", HASHED_COLUMNS)
def test_changing_any_field_changes_the_hash(column):
    assert event_hash(EVENT | {column: CHANGES[column]}) != event_hash(EVENT)


def test_one_moment_hashes_alike_however_it_is_written():
    """Stored timestamps come back naive (bench/seed.py writes them so) or UTC-aware."""
    at = EVENT["at"]
    cairo = at.astimezone(timezone(timedelta(hours=2)))
    for same in (at.replace(tzinfo=None), cairo):
        assert event_hash(EVENT | {"at": same}) == event_hash(EVENT)


def test_detail_key_order_does_not_matter():
    reordered = dict(reversed(list(EVENT["detail"].items())))
    assert event_hash(EVENT | {"detail": reordered}) == event_hash(EVENT)
