"""The deadline sweep works a batch of cases per transaction, yet each case keeps its own
optimistic lock: a case changed while the sweep runs is skipped, the rest of its batch is
applied, and nothing the other cases queued (their notices) is lost."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from app.extensions import db
from app.models.types import utcnow
from app.services import deadlines
from tests.conftest import outbox_to
from tests.http.filing_steps import file_complaint
from tests.http.test_lifecycle import act, case


def test_case_changed_meanwhile_is_skipped_and_its_batch_applied(app, people, monkeypatch):
    claimant, manager = people.client("claimant"), people.client("manager")
    numbers = [file_complaint(claimant) for _ in range(5)]
    for number in numbers:
        act(manager, number, "issue_deficiency", {"notice": "Name the owner."})
    changed = case(numbers[2]).id
    load_batch = deadlines._load_cases

    def load_then_somebody_acts(case_ids):
        loaded = load_batch(case_ids)
        if changed in case_ids:  # another transaction moves the case after we read it
            db.session.execute(text("UPDATE cases SET version = version + 1 WHERE id = :id"),
                               {"id": changed})
        return loaded

    monkeypatch.setattr(deadlines, "_load_cases", load_then_somebody_acts)
    notices_before = len(outbox_to("claimant@example.test"))
    later = utcnow() + timedelta(days=12)
    result = deadlines.sweep(later, batch_size=2)
    assert result.skipped == [(numbers[2], "changed concurrently")]
    assert sorted(result.applied) == sorted(
        (n, "deem_withdrawn") for n in numbers if n != numbers[2])
    db.session.expire_all()
    assert [case(n).stage for n in numbers] == [
        "withdrawn", "withdrawn", "deficient", "withdrawn", "withdrawn"]
    assert len(outbox_to("claimant@example.test")) == notices_before + 4
    for number in numbers:
        events = case(number).events
        assert [e.seq for e in events] == list(range(1, len(events) + 1))

    # the next sweep applies the skipped case, once
    monkeypatch.setattr(deadlines, "_load_cases", load_batch)
    result = deadlines.sweep(later, batch_size=2)
    assert result.applied == [(numbers[2], "deem_withdrawn")] and not result.skipped
    assert not deadlines.sweep(later).applied
