"""C21 — cross-site request forgery (ASVS 3.5.1, 3.5.3): every route that changes state takes
POST (no route takes PUT, PATCH or DELETE), and every POST without its CSRF token, or with a
wrong one, is refused with 400 and changes nothing — signed in or not, forms and the JSON API
alike. GET changes nothing a user acts on: walked as a party and as a case manager, it leaves
every table as it was but the audit trail of reads (downloads are audited: the events, and the
chain's head, length and last activity on the case row) and the exhibit-index render it may
ask a job for.

The normal tests switch CSRF off (TestConfig); this suite switches it on. API requests with a
bearer token skip the token on purpose: a cross-site page cannot send an Authorization header
(app/api/views.py); a session request to the API must send it like a form."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Decision, Document
from tests.helpers import (
    STATE_CHANGING,
    act,
    case,
    csrf_token_of,
    every_row,
    into_mediation,
    route_requests,
    start_draft,
    upload,
)

READS_AUDITED = {"cases": {"event_count", "chain_head", "version", "last_activity_at"},
                 "participants": {"case_activity_at"}}


@pytest.fixture
def a_case_with_everything(app, people) -> dict:
    """A case in mediation with a document and an issued settlement decision, a draft."""
    number = into_mediation(app, people)
    upload(people.client("claimant"), number)
    act(people.client("respondent"), number, "propose_settlement", {"terms": "Terms."})
    act(people.client("claimant"), number, "accept_settlement")
    return {"number": number,
            "document_id": db.session.scalars(db.select(Document.id)).first(),
            "decision_id": db.session.scalars(db.select(Decision.id).where(
                Decision.case_id == case(number).id)).first(),
            "draft_id": start_draft(people.client("claimant"))}


def test_state_changes_are_posts_only(app):
    for endpoint, method, _url in route_requests(app):
        assert method in ("GET", "POST"), (endpoint, method)


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_every_post_without_the_right_csrf_token_is_refused_and_changes_nothing(
        app, people, token):
    number = into_mediation(app, people)
    clients = {"anonymous": app.test_client(), "claimant": people.client("claimant"),
               "manager": people.client("manager")}
    app.config["WTF_CSRF_ENABLED"] = True
    before = every_row()
    posts = [r for r in route_requests(app, {"number": number}) if r[1] in STATE_CHANGING]
    assert len(posts) >= 15
    for who, client in clients.items():
        for endpoint, method, url in posts:
            data = {"csrf_token": token} if token else {}
            response = client.open(url, method=method, data=data)
            if endpoint.startswith("api.") and who == "anonymous":
                assert response.status_code == 401, (who, url)  # no session to ride on
                continue
            assert response.status_code == 400, (who, method, url, response.status_code)
            if endpoint.startswith("api."):
                assert response.get_json()["error"] == "bad_request"
            else:
                assert "The form expired" in response.get_data(as_text=True), (who, url)
    assert every_row() == before


def test_a_form_with_its_token_goes_through(app, people):
    """The same protection lets the real form through: its page's token is accepted."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    people.make("claimant")
    response = client.post("/login", data={"csrf_token": token, "email": "claimant@example.test",
                                           "password": "correct horse battery"})
    assert response.status_code == 302


def test_get_changes_nothing_but_the_trail_of_reads(app, people, a_case_with_everything):
    clients = [people.client("claimant"), people.client("manager"), app.test_client()]
    before = every_row(skip=("audit_events", "jobs", "exhibit_index_pdfs"),
                       ignore=READS_AUDITED)
    gets = [r for r in route_requests(app, a_case_with_everything)
            if r[1] == "GET" and r[0] != "static"]
    for client in clients:
        for _endpoint, _method, url in gets:
            assert client.get(url).status_code < 500, url
    assert every_row(skip=("audit_events", "jobs", "exhibit_index_pdfs"),
                     ignore=READS_AUDITED) == before
