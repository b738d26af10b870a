"""Two deadline sweeps at once on PostgreSQL apply each expiry exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import AuditEvent, Deadline
from app.services import deadlines
from tests.conftest import ON_POSTGRES
from tests.http.filing_steps import file_complaint
from tests.http.test_lifecycle import act, case

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="needs real concurrent transactions")


def test_two_concurrent_sweeps_apply_each_expiry_once(app, people, monkeypatch):
    claimant, manager = people.client("claimant"), people.client("manager")
    numbers = [file_complaint(claimant) for _ in range(4)]
    for number in numbers:
        act(manager, number, "accept_filing")
    latest = max(case(n).open_deadlines()[0].due_at for n in numbers)
    moment = latest + timedelta(minutes=1)
    db.session.remove()

    # Both sweeps read the expired deadlines before either claims one.
    barrier = threading.Barrier(2, timeout=30)
    monkeypatch.setattr(deadlines, "_before_claims", barrier.wait)
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                results.append(deadlines.sweep(moment))
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    applied = [a for r in results for a in r.applied]
    assert sorted(n for n, _ in applied) == sorted(numbers)  # each once, across both sweeps
    assert all(action == "proceed_in_default" for _, action in applied)
    for number in numbers:
        current = case(number)
        assert current.stage == "arbitrator_appointment"
        events = db.session.scalars(db.select(AuditEvent).where(
            AuditEvent.case_id == current.id, AuditEvent.action == "proceed_in_default")).all()
        assert len(events) == 1
        seqs = [e.seq for e in current.events]
        assert seqs == list(range(1, len(seqs) + 1))
    assert db.session.scalar(db.select(db.func.count()).select_from(Deadline).where(
        Deadline.key == "response", Deadline.status == "expired")) == len(numbers)
