"""Who may see and do what. Hidden is 404; a role that does not allow an action is refused."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import AuditEvent, Case, Decision
from tests.helpers import act, case, file_complaint, into_mediation


def test_anonymous_users_are_sent_to_the_login_page(client, app, people):
    number = file_complaint(people.client("claimant"))
    for path in ("/dashboard", f"/cases/{number}", f"/cases/{number}/actions/withdraw",
                 "/manage/", "/file/1/claimant"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.location.startswith("/login?next="), path


def test_every_route_requires_login_unless_marked_public(app):
    public = {"static", "main.index", "main.set_language", "main.choose_language",
              "main.healthz", "auth.login",
              "auth.register", "auth.join", "decisions.verify", "decisions.verify_form",
              "rules.index", "rules.show", "calendar.feed",
              # one-time links, opened from an email on any device, and asking for one
              "auth.forgot_password", "auth.reset_password", "auth.verify_email",
              "auth.confirm_email_change"}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        is_public = getattr(view, "is_public", False) or rule.endpoint == "static"
        assert is_public == (rule.endpoint in public), rule.endpoint


def test_another_claimant_gets_404_on_the_case_its_messages_and_award(app, people):
    number = into_mediation(app, people)
    stranger = people.client("stranger")
    the_case = case(number)
    for path in (f"/cases/{number}", f"/cases/{number}/receipt",
                 f"/cases/{number}/actions/send_message", "/cases/SULH-2099-999999"):
        assert stranger.get(path).status_code == 404, path
    assert stranger.post(f"/cases/{number}/actions/send_message",
                         data={"channel": "joint", "body": "hi"}).status_code == 404
    assert stranger.get(f"/file/{the_case.id}/claimant").status_code == 404
    # and nothing of it shows on the stranger's dashboard
    assert number not in stranger.get("/dashboard").get_data(as_text=True)


def test_another_user_cannot_download_an_award(app, people):
    number = into_mediation(app, people)
    act(people.client("respondent"), number, "propose_settlement", {"terms": "Terms."})
    act(people.client("claimant"), number, "accept_settlement")
    decision = db.session.scalar(db.select(Decision).where(Decision.case_id == case(number).id))
    path = f"/cases/{number}/decisions/{decision.id}.pdf"
    assert people.client("claimant").get(path).status_code == 200
    assert people.client("stranger").get(path).status_code == 404


def test_a_party_cannot_take_a_case_managers_or_neutrals_action(app, people):
    number = into_mediation(app, people)
    claimant = people.client("claimant")
    before = len(case(number).events)
    for action in ("appoint_arbitrator", "accept_filing", "close_proceedings", "issue_award",
                   "draft_award"):
        response = claimant.post(f"/cases/{number}/actions/{action}", data={})
        assert response.status_code == 403, action
    assert len(case(number).events) == before
    assert case(number).stage == "mediation"


def test_case_managers_see_every_case_and_the_queue(app, people):
    number = file_complaint(people.client("claimant"))
    manager = people.client("manager")
    assert manager.get(f"/cases/{number}").status_code == 200
    assert people.client("claimant").get("/manage/").status_code == 404


def test_caucus_message_hidden_from_the_other_side_and_the_tribunal(app, people):
    number = into_mediation(app, people)
    canary = "CANARY-7f3a: we would accept 40 percent"
    act(people.client("claimant"), number, "send_message",
        {"channel": "caucus:claimant", "body": canary})
    # the respondent may not post into, nor read, the claimant's caucus
    act(people.client("respondent"), number, "send_message",
        {"channel": "caucus:claimant", "body": "let me in"}, expect=422)
    assert canary in people.client("claimant").get(f"/cases/{number}").get_data(as_text=True)
    assert canary in people.client("mediator").get(f"/cases/{number}").get_data(as_text=True)
    act(people.client("mediator"), number, "end_mediation")
    act(people.client("respondent"), number, "file_defence",
        {"body": "The goods are genuine parallel imports."})
    act(people.client("manager"), number, "appoint_arbitrator",
        {"neutral_id": people.user("arbitrator").id})
    for key in ("respondent", "arbitrator", "manager"):
        body = people.client(key).get(f"/cases/{number}").get_data(as_text=True)
        assert canary not in body, key
        assert "Welcome to the joint session." not in body or key != "arbitrator"
    # not even the timeline tells the tribunal that a caucus took place
    caucus_events = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.visibility == "caucus:claimant")).all()
    assert caucus_events
    arbitrator_page = people.client("arbitrator").get(f"/cases/{number}").get_data(as_text=True)
    assert "Private caucus" not in arbitrator_page


@pytest.mark.parametrize("path", ["/login", "/register", "/password/forgot"])
def test_forms_refuse_a_post_without_csrf_token(app, path):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post(path, data={"email": "x@example.test", "password": "x" * 12})
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)


def test_csrf_protects_case_actions(app, people):
    number = file_complaint(people.client("claimant"))
    manager = people.client("manager")
    app.config["WTF_CSRF_ENABLED"] = True
    response = manager.post(f"/cases/{number}/actions/accept_filing", data={})
    assert response.status_code == 400
    assert case(number).stage == "review"


def test_audit_events_cannot_be_changed(app, people):
    number = file_complaint(people.client("claimant"))
    event = db.session.scalars(db.select(AuditEvent)).first()
    event.action = "forged"
    with pytest.raises(Exception, match="cannot be changed"):
        db.session.flush()
    db.session.rollback()
    assert isinstance(case(number), Case)
