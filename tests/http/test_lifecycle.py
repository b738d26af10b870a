"""The whole life of a case through HTTP, as its users live it: both endings."""

from __future__ import annotations

import io
import re
from itertools import pairwise

from pypdf import PdfReader

from app.extensions import db
from app.models import AuditEvent, Decision
from tests.conftest import outbox_to
from tests.helpers import act, case, into_mediation


def test_settled_in_mediation(app, people):
    number = into_mediation(app, people)
    act(people.client("respondent"), number, "propose_settlement",
        {"terms": "The respondent withdraws all listings within 7 days."})
    act(people.client("claimant"), number, "accept_settlement")
    settled = case(number)
    assert settled.stage == "settled"
    assert settled.closed_at is not None
    decision = db.session.scalar(db.select(Decision).where(Decision.case_id == settled.id))
    assert decision.kind == "settlement" and decision.status == "issued"

    pdf = people.client("respondent").get(f"/cases/{number}/decisions/{decision.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert number in text
    assert "withdraws all listings" in text
    # No action is left on a closed case.
    page = people.client("claimant").get(f"/cases/{number}").get_data(as_text=True)
    assert "What you can do now" not in page


def test_decided_by_award(app, people):
    number = into_mediation(app, people)
    act(people.client("claimant"), number, "end_mediation")
    assert case(number).stage == "defence"
    assert [d.key for d in case(number).open_deadlines()] == ["defence"]
    act(people.client("respondent"), number, "file_defence",
        {"body": "The goods were bought from the owner's distributor."})
    assert case(number).stage == "arbitrator_appointment"
    arbitrator = people.user("arbitrator")
    act(people.client("manager"), number, "appoint_arbitrator", {"neutral_id": arbitrator.id})
    assert case(number).stage == "arbitration"
    act(people.client("claimant"), number, "file_submission",
        {"title": "Statement of claim", "body": "We rely on registration EG-118204."})
    act(people.client("respondent"), number, "file_submission",
        {"title": "Statement of defence", "body": "The goods were bought from the owner."})
    arb = people.client("arbitrator")
    act(arb, number, "close_proceedings")
    assert case(number).stage == "deliberation"
    # The award cannot be issued before it rules on every remedy.
    act(arb, number, "issue_award", expect=422)

    remedies = {r.kind: r.id for r in case(number).remedies}
    draft = {"findings": "The claimant owns the mark; the goods are counterfeit.",
             "reasoning": "Identical sign, identical goods, no consent.",
             "costs": "The respondent bears the costs of the proceedings."}
    draft[f"order_{remedies['cease_use']}-granted"] = "yes"
    draft[f"order_{remedies['cease_use']}-text"] = "The respondent shall cease all use."
    draft[f"order_{remedies['damages']}-granted"] = "no"
    draft[f"order_{remedies['damages']}-text"] = "No loss was proven."
    act(arb, number, "draft_award", draft)
    # The parties do not see the tribunal's draft being saved.
    timeline = people.client("claimant").get(f"/cases/{number}").get_data(as_text=True)
    assert "Award draft saved" not in timeline
    act(arb, number, "issue_award")
    awarded = case(number)
    assert awarded.stage == "awarded"

    decision = db.session.scalar(db.select(Decision).where(Decision.case_id == awarded.id))
    assert decision.status == "issued" and len(decision.sha256) == 64
    page = people.client("claimant").get(f"/cases/{number}").get_data(as_text=True)
    assert decision.verification_code in page
    pdf = people.client("claimant").get(f"/cases/{number}/decisions/{decision.id}.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    flat = re.sub(r"\s+", " ", text)
    assert number in flat
    assert "Nile Textiles S.A.E." in flat
    assert "Gulf Fashion Trading LLC" in flat
    assert "No loss was proven." in flat

    # Anyone can check it is genuine, without seeing its content.
    verify = app.test_client().get(f"/verify/{decision.verification_code}")
    body = verify.get_data(as_text=True)
    assert verify.status_code == 200
    assert number in body and decision.sha256 in body
    assert "No loss was proven." not in body
    assert app.test_client().get("/verify/AAAA-BBBB-CCCC").status_code == 404

    # The parties were notified of the award.
    assert any(decision.verification_code in m.body for m in outbox_to("claimant@example.test"))

    # One audit event per action, chained, and each action on the timeline.
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.case_id == awarded.id)
                                .order_by(AuditEvent.seq)).all()
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(e.prev_hash == p.hash for p, e in pairwise(events))
    actions = [e.action for e in events]
    for action in ("submit", "accept_filing", "join", "respond", "appoint_mediator",
                   "end_mediation", "appoint_arbitrator", "close_proceedings", "issue_award"):
        assert actions.count(action) == 1, action
