"""Two deadline sweeps at once on PostgreSQL apply each expiry exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from app.cases.sweep import apply
from app.cases.sweep import run as sweep_run
from app.extensions import db
from app.models import AuditEvent, Deadline
from app.services import relay
from tests.conftest import ON_POSTGRES, outbox_to
from tests.helpers import act, case, file_complaint

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
    calendars = apply.Calendars

    def meet_then_read_calendars(country):  # once per sweep, just before its first claim
        barrier.wait()
        return calendars(country)

    monkeypatch.setattr(apply, "Calendars", meet_then_read_calendars)
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                results.append(sweep_run.sweep(moment))
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


def test_a_backlog_is_swept_by_forked_helpers_each_expiry_once(app, people):
    """A first batch that comes back full means a backlog: the sweep forks a helper, and the
    two work through it side by side (their claims skip each other's rows)."""
    claimant, manager = people.client("claimant"), people.client("manager")
    numbers = [file_complaint(claimant) for _ in range(6)]
    for number in numbers:
        act(manager, number, "accept_filing")
    moment = max(case(n).open_deadlines()[0].due_at for n in numbers) + timedelta(minutes=1)
    db.session.remove()

    result = sweep_run.sweep(moment, batch_size=1, processes=2)
    assert result.processes == 2  # the helper was forked
    assert sorted(n for n, _ in result.applied) == sorted(numbers)  # each once, in all
    assert result.batches == len(numbers) and not result.skipped
    db.session.remove()
    for number in numbers:
        current = case(number)
        assert current.stage == "arbitrator_appointment"
        seqs = [e.seq for e in current.events]
        assert seqs == list(range(1, len(seqs) + 1))
        assert [e.action for e in current.events].count("proceed_in_default") == 1
    # the claimants heard of it once per case, whichever process applied it (the notices are
    # jobs each process committed with its batches)
    relay.drain()
    notices = sorted(m.subject for m in outbox_to("claimant@example.test")
                     if "Respondent in default" in m.subject)
    assert notices == sorted(f"{n}: Respondent in default; the case proceeds" for n in numbers)


def test_no_helper_without_a_backlog(app, people):
    claimant, manager = people.client("claimant"), people.client("manager")
    number = file_complaint(claimant)
    act(manager, number, "accept_filing")
    moment = case(number).open_deadlines()[0].due_at + timedelta(minutes=1)
    result = sweep_run.sweep(moment, batch_size=10, processes=2)
    assert result.processes == 1 and [n for n, _ in result.applied] == [number]
