"""The sweep's batch path gives exactly what applying each expiry on its own gives, keeps the
audit chains intact, leaves a case that changed meanwhile alone, and notifies once."""

from __future__ import annotations

import pytest
from sqlalchemy import text, update

from app.cases.sweep import apply, claim, notify
from app.cases.sweep import run as sweep_run
from app.extensions import db
from app.models import AuditEvent, Case, Deadline, OutboxEmail
from app.services import relay
from tests.conftest import ON_POSTGRES
from tests.helpers import DOMAIN_ONLY, act, case, due_moment, file_complaint, served_case


def build(people) -> list[str]:
    """Cases of three procedures waiting on expiries of six kinds."""
    claimant, manager = people.client("claimant"), people.client("manager")
    numbers = []
    n = file_complaint(claimant)  # med-arb: response -> proceed_in_default
    act(manager, n, "accept_filing")
    numbers.append(n)
    n = file_complaint(claimant)  # deficient -> deem_withdrawn (terminal: closed_at)
    act(manager, n, "issue_deficiency", {"notice": "Sign the complaint."})
    numbers.append(n)
    n = file_complaint(claimant)  # still in review: flag_overdue (the case stays)
    numbers.append(n)
    numbers.append(file_complaint(claimant, "expedited", remedies=DOMAIN_ONLY))  # fee unpaid
    n = file_complaint(claimant, "arbitration")  # answer -> proceed_in_default
    act(manager, n, "accept_filing")
    numbers.append(n)
    return numbers


def snapshot(number: str) -> dict:
    db.session.expire_all()
    current = case(number)
    return {
        "stage": current.stage, "closed": current.closed_at is not None,
        "suspended": (current.suspended_from, current.suspended_remaining),
        "event_count": current.event_count,
        "events": [(e.seq, e.action, e.stage_from, e.stage_to, e.detail, e.visibility,
                    e.actor_name, e.actor_roles) for e in current.events],
        "deadlines": sorted((d.key, d.status, d.outcome, d.due_date, d.due_at, d.basis,
                             d.addressee, d.on_expiry) for d in current.deadlines),
        "notices": sorted((m.to_addr, m.subject.split(": ", 1)[1])
                          for m in db.session.scalars(db.select(OutboxEmail).where(
                              OutboxEmail.case_id == current.id,
                              OutboxEmail.subject.not_like("%Complaint%received%")))
                          if "news" in m.body),
    }


def test_a_batch_gives_what_the_expiries_one_by_one_give(app, people, runner):
    one_by_one, batched = build(people), build(people)
    before = {n: snapshot(n)["notices"] for n in one_by_one + batched}
    # two rounds: the expiries of the first stages, then those of the stages they lead to
    # (flag_overdue: the case stays where it is, the Centre is told)
    for expected in (4, 1):
        moment = due_moment([n for n in one_by_one + batched if case(n).open_deadlines()])
        # the reference: each expiry through take_action on the ORM, committed on its own
        reference = sweep_run.SweepResult()
        for number in one_by_one:
            for d in case(number).open_deadlines():
                if d.due_at <= moment:
                    sweep_run._apply_one(
                        claim.Claim(d.id, d.case_id, d.on_expiry, d.due_at), moment, reference)
        assert len(reference.applied) == expected
        # the batch path, in batches of two so that a sweep runs several
        result = sweep_run.sweep(moment, batch_size=2)
        relay.drain()  # its notices are a job, as the reference's are rows of its commit
        assert sorted(a for _, a in result.applied) == sorted(a for _, a in reference.applied)
        assert result.skipped == [] and result.batches == -(-expected // 2)
        for mine, theirs in zip(batched, one_by_one, strict=True):
            got, want = snapshot(mine), snapshot(theirs)
            for snap, number in ((got, mine), (want, theirs)):
                snap["notices"] = [x for x in snap["notices"] if x not in before[number]]
            # everything the rules decide is the same (only the hashes differ: case ids do)
            assert got == want, mine
    assert [snapshot(n)["stage"] for n in batched] == [
        "arbitrator_appointment", "withdrawn", "review", "withdrawn", "nominations"]
    assert {e[1] for n in batched for e in snapshot(n)["events"]} >= {
        "proceed_in_default", "deem_withdrawn", "flag_overdue"}
    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0, verify.output
    # every participant's list shows the swept cases in their new place
    for number in batched:
        swept = case(number)
        assert {p.case_activity_at for p in swept.participants} == {swept.last_activity_at}
    # a second sweep applies nothing and sends nothing more
    sent = db.session.scalar(db.select(db.func.count()).select_from(OutboxEmail))
    again = runner.invoke(args=["deadlines", "sweep", "--now", moment.strftime("%Y-%m-%dT%H:%M")])
    assert "applied 0, skipped 0" in again.output
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxEmail)) == sent


def test_the_notice_job_is_idempotent(app, people):
    number, _respondent = served_case(app, people)
    moment = due_moment([number])
    sweep_run.sweep(moment)
    relay.drain()
    notices = db.session.scalars(db.select(OutboxEmail).where(
        OutboxEmail.dedupe_key.like(f"event:{case(number).id}:%"))).all()
    assert len(notices) == 2  # the claimant and the respondent, once each
    assert all("Respondent in default" in m.subject for m in notices)
    # the job run again (a retry after a partial failure) writes nothing twice
    notify.send_notices(events=[[case(number).id, case(number).event_count]])
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxEmail).where(
        OutboxEmail.dedupe_key.like(f"event:{case(number).id}:%"))) == 2


def test_a_case_changed_meanwhile_is_skipped_and_swept_next_time(app, people, monkeypatch):
    number, _respondent = served_case(app, people)
    moment = due_moment([number])
    seen = case(number).version
    events = case(number).event_count

    write_cases = apply.write_cases

    def someone_acts_first(records, now):  # a user's action commits between load and writes
        db.session.execute(update(Case).where(Case.number == number)
                           .values(version=Case.version + 1)
                           .execution_options(synchronize_session=False))
        return write_cases(records, now)

    monkeypatch.setattr(apply, "write_cases", someone_acts_first)
    result = sweep_run.sweep(moment)
    assert result.applied == [] and result.skipped == [(number, "changed concurrently")]
    db.session.expire_all()
    assert case(number).stage == "response" and case(number).version == seen + 1
    assert case(number).event_count == events
    deadline = case(number).open_deadlines()[0]  # the claim was given back
    assert (deadline.status, deadline.outcome, deadline.closed_at) == ("open", None, None)
    monkeypatch.undo()
    assert sweep_run.sweep(moment).applied == [(number, "proceed_in_default")]
    assert case(number).stage == "arbitrator_appointment"


@pytest.mark.skipif(not ON_POSTGRES, reason="row locks held by another transaction")
def test_a_case_locked_by_a_user_transaction_is_left_for_the_next_sweep(app, people):
    number, _respondent = served_case(app, people)
    moment = due_moment([number])
    case_id = case(number).id
    db.session.commit()
    with db.engine.connect() as other:  # a user's transaction in flight on this case
        # what a user's action holds until it commits: the row lock of its UPDATE of the case
        other.execute(text("UPDATE cases SET version = version WHERE id = :id"), {"id": case_id})
        result = sweep_run.sweep(moment)  # does not wait for it
        assert result.applied == [] and result.skipped == [(number, "changed concurrently")]
        other.rollback()
    assert db.session.get(Deadline, case(number).open_deadlines()[0].id).status == "open"
    assert sweep_run.sweep(moment).applied == [(number, "proceed_in_default")]
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent).where(
        AuditEvent.case_id == case_id, AuditEvent.action == "proceed_in_default")) == 1


def test_recording_an_event_does_not_load_the_trail(app, people):
    number, _respondent = served_case(app, people)
    db.session.expire_all()
    current = case(number)
    from workflows.engine import Actor

    current.record_event(action="note", actor=Actor.system(), stage_from=current.stage,
                         stage_to=current.stage, detail={}, visibility="institution",
                         at=current.last_activity_at)
    assert "events" not in current.__dict__
    db.session.commit()
    assert [e.seq for e in case(number).events] == list(range(1, case(number).event_count + 1))
    assert case(number).events[-1].prev_hash == case(number).events[-2].hash
