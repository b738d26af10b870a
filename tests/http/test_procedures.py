"""The expedited procedure, three-member arbitration, suspension for settlement with a consent
award, extensions of time and the choice of procedure, through HTTP as their users live them."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from pypdf import PdfReader

from app.extensions import db
from app.models import AuditEvent, Decision, User
from app.models.types import utcnow
from tests.conftest import link_in, outbox_to
from tests.helpers import (
    DOMAIN_ONLY,
    act,
    case,
    file_complaint,
    in_arbitration,
    join_with_new_account,
    served_case,
)


def join_as_respondent(app, people, number: str):
    join_path = link_in(outbox_to("respondent@example.test")[-1].body, "/join/")
    respondent = app.test_client()
    join_with_new_account(respondent, join_path, "Gulf Fashion Trading LLC")
    people.clients["respondent"] = respondent
    return respondent


def sweep_at(runner, moment) -> str:
    result = runner.invoke(args=["deadlines", "sweep", "--now", moment.strftime("%Y-%m-%dT%H:%M")])
    assert result.exit_code == 0, result.output
    return result.output


def neutral(people, key: str) -> User:
    people.make(key, name=f"Arbitrator {key.upper()}", is_neutral=True)
    return people.user(key)


def pdf_text(client, number, decision) -> str:
    pdf = client.get(f"/cases/{number}/decisions/{decision.id}.pdf")
    assert pdf.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    return re.sub(r"\s+", " ", text)


# ---------------------------------------------------------------------------- the choice
def test_the_claimant_chooses_the_procedure(people):
    claimant = people.client("claimant")
    page = claimant.get("/file/new").get_data(as_text=True)
    for key in ("med-arb", "expedited", "arbitration"):
        assert f'value="{key}"' in page and f"/rules/{key}" in page
    assert claimant.post("/file/new", data={"procedure": "teleport"}).status_code == 400
    number = file_complaint(claimant, "arbitration")
    filed = case(number)
    assert (filed.procedure_key, filed.rules_version) == ("arbitration", "arbitration/2026.1")
    assert file_complaint(claimant) and case(file_complaint(claimant)).rules_version == \
        "med-arb/2026.2"


def test_expedited_accepts_only_its_remedies(people):
    claimant = people.client("claimant")
    response = claimant.post("/file/new", data={"procedure": "expedited"})
    draft = int(re.search(r"/file/(\d+)/", response.location).group(1))
    refused = claimant.post(f"/file/{draft}/remedies",
                            data={"damages": "y", "damages_amount": "100",
                                  "damages_currency": "USD"})
    assert refused.status_code == 422
    assert "cannot grant this remedy" in refused.get_data(as_text=True)
    ok = claimant.post(f"/file/{draft}/remedies",
                       data={"domain_cancellation": "y", "damages_currency": "USD"})
    assert ok.status_code == 302
    proceedings = claimant.get(f"/file/{draft}/proceedings").get_data(as_text=True)
    assert "mediation_days" not in proceedings


# ---------------------------------------------------------------------------- expedited
def test_expedited_from_fee_to_stayed_implementation(app, people, runner):
    claimant, manager = people.client("claimant"), people.client("manager")
    number = file_complaint(claimant, "expedited", remedies=DOMAIN_ONLY)
    assert case(number).stage == "fee"
    assert [d.key for d in case(number).open_deadlines()] == ["fee"]
    act(claimant, number, "confirm_fee", expect=403)  # only the Centre confirms the fee
    act(manager, number, "confirm_fee")
    assert case(number).stage == "review"
    act(manager, number, "accept_filing")
    respondent = join_as_respondent(app, people, number)
    response_deadline = case(number).open_deadlines()[0]
    first_due = response_deadline.due_date
    first_nominal = date.fromisoformat(response_deadline.basis["nominal_end"])

    # One automatic 4-day extension, on request, and only one.
    act(respondent, number, "request_automatic_extension")
    extended = case(number).open_deadlines()[0]
    assert extended.extended_days == 4 and extended.due_date > first_due
    assert (date.fromisoformat(extended.basis["nominal_end"]) - first_nominal).days == 4
    act(respondent, number, "request_automatic_extension", expect=422)
    page = respondent.get(f"/cases/{number}").get_data(as_text=True)
    assert "Extended by 4 days" in page

    # The respondent lets the period lapse: the sweep puts the case in default, once.
    later = extended.due_at + timedelta(minutes=1)
    assert f"{number}: proceed_in_default" in sweep_at(runner, later)
    assert case(number).stage == "panel_appointment"
    assert "applied 0" in sweep_at(runner, later)

    panelist = people.user("arbitrator")
    act(manager, number, "appoint_arbitrator", {"neutral_id": panelist.id})
    assert case(number).stage == "decision"
    arb = people.client("arbitrator")
    remedy = case(number).remedies[0]
    act(arb, number, "draft_award", {
        "findings": "The domain name is identical to the mark.",
        "reasoning": "No rights or legitimate interests; registered in bad faith.",
        "costs": "No order as to costs.",
        f"order_{remedy.id}-granted": "yes",
        f"order_{remedy.id}-text": "The domain name shall be transferred to the claimant."})
    act(arb, number, "issue_award")
    assert case(number).stage == "notification"
    decision = db.session.scalar(db.select(Decision).where(Decision.case_id == case(number).id))
    assert decision.status == "issued"
    text = pdf_text(claimant, number, decision)
    assert "Decision of the panel" in text and "Sole panelist" in text
    assert "transferred to the claimant" in text
    act(manager, number, "notify_decision")
    assert case(number).stage == "implementation"
    implementation = case(number).open_deadlines()[0]
    assert implementation.key == "implementation" and implementation.basis["business"]

    act(claimant, number, "report_court_proceedings", expect=403)
    act(respondent, number, "report_court_proceedings",
        {"court": "Dubai Courts of First Instance", "reference": "2026/123",
         "filed_on": utcnow().date().isoformat()})
    assert case(number).stage == "stayed"
    act(manager, number, "close_without_implementation")
    assert case(number).stage == "closed" and case(number).closed_at is not None


def test_expedited_deemed_withdrawn_when_the_fee_is_not_paid(people, runner):
    claimant = people.client("claimant")
    number = file_complaint(claimant, "expedited", remedies=DOMAIN_ONLY)
    fee = case(number).open_deadlines()[0]
    sweep_at(runner, fee.due_at - timedelta(hours=1))
    assert case(number).stage == "fee"
    sweep_at(runner, fee.due_at + timedelta(hours=1))
    assert case(number).stage == "withdrawn"


# ---------------------------------------------------------------------------- arbitration
def test_three_member_tribunal_from_nominations_to_award(app, people):
    claimant, manager = people.client("claimant"), people.client("manager")
    number = file_complaint(claimant, "arbitration")
    act(manager, number, "accept_filing")
    assert case(number).open_deadlines()[0].key == "answer"
    respondent = join_as_respondent(app, people, number)
    act(respondent, number, "respond", {"position": "contest", "statement": "Genuine goods."})
    assert case(number).stage == "nominations"

    a, b, c = neutral(people, "arb-a"), neutral(people, "arb-b"), neutral(people, "arb-c")
    # The Centre may not appoint before the parties' time to nominate has run.
    act(manager, number, "appoint_arbitrator", {"side": "claimant", "neutral_id": a.id},
        expect=422)
    act(claimant, number, "nominate_arbitrator", {"neutral_id": a.id})
    act(claimant, number, "nominate_arbitrator", {"neutral_id": c.id}, expect=422)
    assert case(number).stage == "nominations"
    act(respondent, number, "nominate_arbitrator", {"neutral_id": b.id})
    assert case(number).stage == "presiding"
    act(claimant, number, "nominate_presiding", {"neutral_id": c.id}, expect=403)
    act(people.client("arb-a"), number, "nominate_presiding", {"neutral_id": c.id})
    assert case(number).stage == "proceedings"
    capacities = {p.user.name: p.capacity for p in case(number).arbitrators()}
    assert capacities == {a.name: "claimant_nominee", b.name: "respondent_nominee",
                          c.name: "presiding"}

    # A challenge is out of time 15 days after learning its grounds.
    member_b = next(p for p in case(number).arbitrators() if p.user_id == b.id)
    late = (utcnow().date() - timedelta(days=20)).isoformat()
    act(claimant, number, "challenge_arbitrator",
        {"arbitrator": member_b.id, "grounds": "Former counsel of the respondent.",
         "learned_on": late}, expect=422)
    act(claimant, number, "challenge_arbitrator",
        {"arbitrator": member_b.id, "grounds": "Former counsel of the respondent.",
         "learned_on": utcnow().date().isoformat()})
    act(manager, number, "decide_challenge", {"outcome": "rejected", "reasons": "Too remote."})
    act(manager, number, "decide_challenge", {"outcome": "rejected", "reasons": "x"}, expect=422)

    presiding = people.client("arb-c")
    act(presiding, number, "issue_procedural_order",
        {"title": "Procedural order No. 1", "body": "Statement of claim within 30 days."})
    act(claimant, number, "file_submission", {"title": "Statement of claim", "body": "Claim."})
    act(respondent, number, "file_submission", {"title": "Statement of defence", "body": "No."})
    act(presiding, number, "close_proceedings")
    remedies = {r.kind: r.id for r in case(number).remedies}
    act(presiding, number, "draft_award", {
        "findings": "Counterfeit goods.", "reasoning": "Identical sign and goods.",
        "costs": "Respondent bears the costs.",
        f"order_{remedies['cease_use']}-granted": "yes",
        f"order_{remedies['damages']}-granted": "no"})
    act(presiding, number, "issue_award")
    assert case(number).stage == "awarded"
    assert case(number).open_deadlines()[0].key == "correction_window"
    decision = db.session.scalar(db.select(Decision).where(Decision.case_id == case(number).id))
    text = pdf_text(claimant, number, decision)
    for name in (a.name, b.name, c.name):
        assert name in text
    assert "Presiding arbitrator" in text

    act(respondent, number, "request_correction",
        {"title": "Request for correction", "body": "The respondent's name is misspelt."})
    assert case(number).stage == "correction"
    act(presiding, number, "decide_correction", {"body": "The name is corrected."})
    assert case(number).stage == "closed"


def test_a_successful_challenge_leaves_a_seat_to_fill(app, people):
    claimant, manager = people.client("claimant"), people.client("manager")
    number = file_complaint(claimant, "arbitration")
    act(manager, number, "accept_filing")
    respondent = join_as_respondent(app, people, number)
    act(respondent, number, "respond", {"position": "contest", "statement": "No."})
    a, b, c, d = (neutral(people, k) for k in ("arb-a", "arb-b", "arb-c", "arb-d"))
    act(claimant, number, "nominate_arbitrator", {"neutral_id": a.id})
    act(respondent, number, "nominate_arbitrator", {"neutral_id": b.id})
    act(people.client("arb-a"), number, "nominate_presiding", {"neutral_id": c.id})
    member_b = next(p for p in case(number).arbitrators() if p.user_id == b.id)
    act(claimant, number, "challenge_arbitrator",
        {"arbitrator": member_b.id, "grounds": "Conflict.",
         "learned_on": utcnow().date().isoformat()})
    act(manager, number, "decide_challenge", {"outcome": "upheld", "reasons": "Conflict."})
    assert b.id not in {p.user_id for p in case(number).arbitrators()}
    assert people.client("arb-b").get(f"/cases/{number}").status_code == 404
    act(people.client("arb-c"), number, "close_proceedings", expect=422)  # seat vacant
    act(manager, number, "replace_arbitrator", {"neutral_id": d.id})
    assert {p.capacity for p in case(number).arbitrators()} == {
        "claimant_nominee", "respondent_nominee", "presiding"}


# ---------------------------------------------------------------------------- settlement
def test_suspension_then_consent_award(app, people):
    number = in_arbitration(app, people)
    act(people.client("claimant"), number, "suspend_proceedings", expect=403)
    act(people.client("manager"), number, "suspend_proceedings")
    suspended = case(number)
    assert suspended.stage == "suspended" and suspended.suspended_from == "arbitration"
    assert [d.key for d in suspended.open_deadlines()] == ["suspension"]
    act(people.client("respondent"), number, "propose_settlement",
        {"terms": "The respondent stops selling and pays USD 5,000."})
    act(people.client("claimant"), number, "accept_settlement")
    assert case(number).stage == "suspended"  # a tribunal sits: it records the settlement
    act(people.client("arbitrator"), number, "issue_consent_award")
    assert case(number).stage == "awarded"
    decision = db.session.scalar(db.select(Decision).where(Decision.case_id == case(number).id))
    assert decision.kind == "award"
    assert "pays USD 5,000" in pdf_text(people.client("claimant"), number, decision)


def test_resuming_gives_back_the_time_that_was_left(app, people):
    number = in_arbitration(app, people)
    before = case(number).open_deadline_row("closure").due_date
    act(people.client("manager"), number, "suspend_proceedings")
    act(people.client("respondent"), number, "resume_proceedings")
    resumed = case(number)
    assert resumed.stage == "arbitration" and resumed.suspended_from is None
    assert resumed.open_deadline_row("closure").due_date >= before
    actions = [e.action for e in resumed.events]
    assert actions.count("suspend_proceedings") == actions.count("resume_proceedings") == 1


def test_withdrawal_by_the_claimant_only(app, people):
    number, respondent = served_case(app, people)
    act(respondent, number, "withdraw", expect=403)
    act(people.client("claimant"), number, "withdraw")
    assert case(number).stage == "withdrawn"


# ---------------------------------------------------------------------------- extensions
def test_a_party_asks_for_more_time_and_the_case_manager_decides(app, people):
    number, respondent = served_case(app, people)
    first = case(number).open_deadlines()[0]
    due, nominal = first.due_date, date.fromisoformat(first.basis["nominal_end"])
    act(respondent, number, "request_extension", {"days": "7", "reason": "Counsel is ill."})
    act(respondent, number, "request_extension", {"days": "7", "reason": "Again."}, expect=422)
    page = people.client("manager").get(f"/cases/{number}").get_data(as_text=True)
    assert "Counsel is ill." in page
    act(people.client("claimant"), number, "grant_extension", expect=403)
    act(people.client("manager"), number, "grant_extension",
        {"days": "5", "reason": "Medical certificate produced."})
    deadline = case(number).open_deadlines()[0]
    # the period is lengthened by 5 days from its own end, then rolled past non-business days
    # (so less than 5 days after a due date that had itself been rolled forward)
    assert deadline.extended_days == 5 and deadline.due_date > due
    assert (date.fromisoformat(deadline.basis["nominal_end"]) - nominal).days == 5
    assert deadline.extension_reason == "Medical certificate produced."
    page = respondent.get(f"/cases/{number}").get_data(as_text=True)
    assert "Extended by 5 days: Medical certificate produced." in page

    act(respondent, number, "request_extension", {"days": "30", "reason": "More, please."})
    act(people.client("manager"), number, "refuse_extension", {"reason": "Enough time."})
    assert case(number).open_deadlines()[0].extended_days == 5
    events = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.case_id == case(number).id, AuditEvent.action == "refuse_extension")).all()
    assert len(events) == 1 and events[0].detail["reason"] == "Enough time."


def test_the_case_manager_sees_the_request_before_deciding(app, people):
    number, respondent = served_case(app, people)
    act(respondent, number, "request_extension", {"days": "9", "reason": "Translation."})
    page = people.client("manager").get(f"/cases/{number}/actions/grant_extension")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Translation." in body and 'value="9"' in body


def test_the_timeline_says_what_an_extension_changed(app, people):
    number, respondent = served_case(app, people)
    act(respondent, number, "request_extension", {"days": "3", "reason": "Holidays."})
    act(people.client("manager"), number, "grant_extension", {"days": "3", "reason": "Fair."})
    due = case(number).open_deadlines()[0].due_date
    page = people.client("claimant").get(f"/cases/{number}").get_data(as_text=True)
    assert "3 more days; now due" in page and str(due.year) in page and "Fair." in page


def test_an_expedited_hearing_lasts_at_most_three_days(app, people):
    number = in_arbitration(app, people)
    arb = people.client("arbitrator")
    start = (utcnow().date() + timedelta(days=20)).isoformat()
    act(arb, number, "schedule_hearing", {"start": start, "days": "4"}, expect=422)
    act(people.client("claimant"), number, "schedule_hearing", {"start": start, "days": "1"},
        expect=403)
    act(arb, number, "schedule_hearing", {"start": start, "days": "2", "details": "Online."})
    page = people.client("respondent").get(f"/cases/{number}").get_data(as_text=True)
    assert "Hearing scheduled" in page and "2 days from" in page
