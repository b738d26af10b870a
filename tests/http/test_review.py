"""Administrative review and the time limits that end a case without anyone acting."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import AuditEvent
from tests.conftest import outbox_to
from tests.helpers import act, case, file_complaint, served_case


def sweep_after(runner, days: int) -> str:
    from app.models.types import utcnow

    when = (utcnow() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")
    result = runner.invoke(args=["deadlines", "sweep", "--now", when])
    assert result.exit_code == 0, result.output
    return result.output


def test_deficiency_cured_in_time_goes_back_to_review(app, people):
    claimant = people.client("claimant")
    number = file_complaint(claimant)
    act(people.client("manager"), number, "issue_deficiency",
        {"notice": "Attach the registration certificate."})
    deficient = case(number)
    assert deficient.stage == "deficient"
    assert deficient.open_deadlines()[0].key == "cure"
    assert any("Attach the registration" in m.body for m in outbox_to("claimant@example.test"))
    page = claimant.get(f"/cases/{number}").get_data(as_text=True)
    assert "Attach the registration certificate." in page
    # the claimant edits the complaint and resubmits it
    response = claimant.post(f"/file/{deficient.id}/infringement", data={
        "description": "Counterfeits; certificate now described.", "locations": "Dubai"})
    assert response.status_code == 302
    response = claimant.post(f"/file/{deficient.id}/submit")
    assert response.status_code == 302
    assert case(number).stage == "review"


def test_uncured_filing_is_deemed_withdrawn(app, people, runner):
    number = file_complaint(people.client("claimant"))
    act(people.client("manager"), number, "issue_deficiency", {"notice": "Name the owner."})
    assert "applied 0" in sweep_after(runner, 2)
    output = sweep_after(runner, 12)
    assert f"{number}: deem_withdrawn" in output
    withdrawn = case(number)
    assert withdrawn.stage == "withdrawn" and withdrawn.closed_at is not None
    assert withdrawn.deadlines[0].status == "expired"
    system_event = withdrawn.events[-1]
    assert system_event.action == "deem_withdrawn" and system_event.actor_id is None
    # idempotent: a second sweep applies nothing
    assert "applied 0" in sweep_after(runner, 12)


def test_respondent_default_takes_the_case_on_without_a_response(app, people, runner):
    number, _respondent = served_case(app, people)
    manager = people.client("manager")
    # the case manager cannot declare a default before the period ends
    act(manager, number, "proceed_in_default", expect=422)
    output = sweep_after(runner, 40)
    assert f"{number}: proceed_in_default" in output
    defaulted = case(number)
    assert defaulted.stage == "arbitrator_appointment"
    assert not defaulted.submissions
    act(manager, number, "appoint_arbitrator", {"neutral_id": people.user("arbitrator").id})
    assert case(number).stage == "arbitration"


def test_deficiency_notice_needs_a_text(app, people):
    number = file_complaint(people.client("claimant"))
    response = act(people.client("manager"), number, "issue_deficiency", {"notice": ""},
                   expect=422)
    assert "This field is required." in response.get_data(as_text=True)
    assert case(number).stage == "review"


def test_withdrawal_by_the_claimant_is_final(app, people):
    number = file_complaint(people.client("claimant"))
    act(people.client("claimant"), number, "withdraw")
    assert case(number).stage == "withdrawn"
    act(people.client("manager"), number, "accept_filing", expect=422)
    count = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "withdraw"))
    assert count == 1


def test_mediation_period_running_out_sends_the_case_to_arbitration(app, people, runner):
    from tests.helpers import into_mediation

    number = into_mediation(app, people)
    assert "applied 0" in sweep_after(runner, 30)
    output = sweep_after(runner, 65)
    assert f"{number}: end_mediation" in output
    assert case(number).stage == "defence"  # med-arb 2026.2: the answer and defence come next
    assert case(number).events[-1].actor_name == "Sulh"
