"""What tests share: steps that read like what users do (file a complaint, serve it, bring
it into mediation, act on it, upload), so tests never import one another."""

from __future__ import annotations

from app.extensions import db
from app.models import Case
from tests.conftest import PASSWORD, link_in, outbox_to
from tests.http.document_steps import documents, pdf_bytes, sample, upload
from tests.http.filing_steps import file_complaint, fill_complaint, start_draft

__all__ = ["act", "case", "documents", "file_complaint", "fill_complaint", "into_mediation",
           "pdf_bytes", "sample", "served_case", "start_draft", "upload"]


def act(client, number: str, action: str, data: dict | None = None, expect: int = 302):
    response = client.post(f"/cases/{number}/actions/{action}", data=data or {})
    assert response.status_code == expect, (action, response.status_code,
                                            response.get_data(as_text=True)[:3000])
    return response


def case(number: str) -> Case:
    db.session.expire_all()
    return db.session.scalar(db.select(Case).where(Case.number == number))


def served_case(app, people) -> tuple[str, object]:
    """File, accept and serve a complaint; the respondent joins through the emailed link."""
    claimant = people.client("claimant")
    number = file_complaint(claimant)
    assert case(number).stage == "review"
    receipt = claimant.get(f"/cases/{number}/receipt")
    assert number in receipt.get_data(as_text=True)

    manager = people.client("manager")
    assert number in manager.get("/manage/").get_data(as_text=True)
    act(manager, number, "accept_filing")
    assert case(number).stage == "response"
    assert [d.key for d in case(number).open_deadlines()] == ["response"]

    service_email = outbox_to("respondent@example.test")[-1]
    assert number in service_email.subject
    join_path = link_in(service_email.body, "/join/")
    respondent = app.test_client()
    page = respondent.get(join_path)
    assert page.status_code == 200
    joined = respondent.post(join_path, data={"name": "Gulf Fashion Trading LLC",
                                              "password": PASSWORD, "confirm": PASSWORD})
    assert joined.status_code == 302 and number in joined.location
    # The link works once.
    assert app.test_client().get(join_path).status_code == 404
    people.clients["respondent"] = respondent
    return number, respondent


def into_mediation(app, people) -> str:
    number, respondent = served_case(app, people)
    act(respondent, number, "respond", {"position": "contest",
                                        "statement": "Our goods are genuine parallel imports."})
    assert case(number).stage == "mediator_appointment"
    mediator = people.user("mediator")
    act(people.client("manager"), number, "appoint_mediator", {"neutral_id": mediator.id})
    assert case(number).stage == "mediation"
    act(people.client("mediator"), number, "send_message",
        {"channel": "joint", "body": "Welcome to the joint session."})
    page = people.client("claimant").get(f"/cases/{number}").get_data(as_text=True)
    assert "Welcome to the joint session." in page
    return number
