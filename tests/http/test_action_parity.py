"""One way in for every action: the web form and the API turn the same submitted fields into
the same data for the one domain verb (`take_action`), through one function
(`app.cases.forms.action_data`), so both store the same.

For each action that takes data, both doors are driven with the same fields — form-encoded
through the web, JSON (sub-forms as nested objects) through the API — and what reaches
`take_action` is compared. Whether the action is open at the case's stage is not what is
tested here (the procedure tests do that), so `refusal` lets both doors through.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app import demo
from app.api import views as api_views
from app.cases import forms
from app.cases import views as web_views
from app.extensions import db
from app.models import ApiToken, AwardDraft, Case, User
from app.services.access import case_roles
from tests.conftest import login
from tests.helpers import act, case
from workflows.engine import procedure_for

TODAY = dt.date.today()


def sample(name: str, case: Case) -> dict[str, Any]:
    """Fields a user would send for the action, valid for its form."""
    neutral = db.session.scalar(db.select(User).where(User.is_neutral.is_(True))
                                .order_by(User.id))
    arbitrators = case.arbitrators()
    text = {"title": "Procedural order no. 1", "body": "The hearing is held by video link."}
    samples: dict[str, dict[str, Any]] = {
        "issue_deficiency": {"notice": "Attach the registration certificate."},
        "respond": {"position": "settle", "statement": "We prefer to settle.",
                    "proposed_terms": "Coexistence, with a distinct logo."},
        "appoint_mediator": {"neutral_id": neutral.id},
        "send_message": {"channel": "joint", "body": "Shall we meet on Monday?"},
        "propose_settlement": {"terms": "1. Stop all sales.\n2. Pay USD 3,000."},
        "file_submission": {"title": "Statement of claim", "body": "The claimant relies on…"},
        "draft_award": {"findings": "The mark is registered.", "reasoning": "Identical sign.",
                        "costs": "Each party bears its own.",
                        **{f"order_{r.id}": {"granted": "yes" if i % 2 else "no",
                                             "text": f"Order {i} as sought."}
                           for i, r in enumerate(case.remedies)}},
        "nominate_arbitrator": {"neutral_id": neutral.id},
        "nominate_presiding": {"neutral_id": neutral.id},
        "appoint_presiding": {"neutral_id": neutral.id},
        "replace_arbitrator": {"neutral_id": neutral.id},
        "appoint_arbitrator": {"neutral_id": neutral.id, **(
            {"side": "claimant"} if case.procedure_key == "arbitration" else {})},
        "challenge_arbitrator": {"arbitrator": arbitrators[0].id if arbitrators else 0,
                                 "grounds": "Counsel to the claimant's parent company.",
                                 "learned_on": TODAY.isoformat()},
        "decide_challenge": {"outcome": "rejected", "reasons": "No justifiable doubts."},
        "request_extension": {"days": 7, "reason": "Our counsel is in hospital."},
        "grant_extension": {"days": 5, "reason": "Illness of counsel."},
        "refuse_extension": {"reason": "No reason shown."},
        "file_defence": dict(text, title="Statement of defence"),
        "issue_procedural_order": text,
        "request_correction": {"title": "Request for correction",
                               "body": "The amount in ¶12 should read USD 3,000."},
        "decide_correction": dict(text, title="Ruling on the request"),
        "schedule_hearing": {"start": (TODAY + dt.timedelta(days=30)).isoformat(), "days": 2,
                             "details": "By video link."},
        "report_court_proceedings": {"court": "Dubai Court of First Instance",
                                     "reference": "2026/1234",
                                     "filed_on": TODAY.isoformat()},
    }
    return samples[name]


def form_encoded(data: dict[str, Any]) -> dict[str, str]:
    """The same fields as a browser posts them: sub-forms as `name-field`."""
    flat = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update({f"{key}-{inner}": str(v) for inner, v in value.items()})
        else:
            flat[key] = str(value)
    return flat


def where_to_act(name: str) -> tuple[Case, User]:
    """A demo case whose procedure has the action, and a demo user in a role it names."""
    for candidate in db.session.scalars(db.select(Case).where(Case.number.is_not(None))
                                        .order_by(Case.id)):
        definition = procedure_for(candidate).action(name)
        if definition is None:
            continue
        for user in db.session.scalars(db.select(User).order_by(User.id)):
            if case_roles(candidate, user) & definition.roles:
                return candidate, user
    raise LookupError(name)


@pytest.fixture
def demo_data(app):
    demo.seed()  # the jobs it deferred (PDFs, mail) are not needed here


def test_web_and_api_give_every_action_the_same_data(app, demo_data, monkeypatch):
    captured: list[tuple[str, str, dict]] = []

    def capture(door: str):
        def take_action(case, name, user, data=None, **kwargs):
            captured.append((door, name, dict(data or {})))
        return take_action

    monkeypatch.setattr(web_views, "take_action", capture("web"))
    monkeypatch.setattr(api_views, "take_action", capture("api"))
    for module in (web_views, api_views):
        monkeypatch.setattr(module, "refusal", lambda *args, **kwargs: None)

    clients: dict[int, tuple[Any, str]] = {}
    actions = sorted(forms.FORM_BUILDERS)
    assert len(actions) >= 20
    for name in actions:
        target, user = where_to_act(name)
        if user.id not in clients:
            web = app.test_client()
            login(web, user.email, demo.PASSWORD)
            _row, token = ApiToken.issue(user, "parity")
            db.session.commit()
            clients[user.id] = (web, token)
        web, token = clients[user.id]
        data = sample(name, target)
        captured.clear()
        page = web.post(f"/cases/{target.number}/actions/{name}", data=form_encoded(data))
        assert page.status_code == 302, (name, page.get_data(as_text=True)[:2000])
        api = app.test_client().post(f"/api/v1/cases/{target.number}/actions/{name}",
                                     json=data, headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 200, (name, api.get_data(as_text=True)[:500])
        assert [door for door, *_ in captured] == ["web", "api"], name
        (_, _, from_web), (_, _, from_api) = captured
        assert from_web == from_api, name
        assert "csrf_token" not in from_web, name


def test_award_orders_saved_on_the_web_survive_the_same_fields_through_the_api(
        app, demo_data):
    """The reported defect: the API stored `orders = {}` for fields the web form stored."""
    deliberating = db.session.scalar(db.select(Case).where(Case.stage == "deliberation"))
    arbitrator = db.session.scalar(db.select(User).where(
        User.email == "arbitrator@demo.sulh.test"))
    number = deliberating.number
    data = sample("draft_award", deliberating)
    web = app.test_client()
    login(web, arbitrator.email, demo.PASSWORD)
    act(web, number, "draft_award", form_encoded(data))
    saved = db.session.scalar(db.select(AwardDraft).where(
        AwardDraft.case_id == deliberating.id))
    from_web = dict(saved.orders)
    assert len(from_web) == len(deliberating.remedies) and all(
        order["granted"] is not None for order in from_web.values())

    _row, token = ApiToken.issue(arbitrator, "parity")
    db.session.commit()
    response = app.test_client().post(
        f"/api/v1/cases/{number}/actions/draft_award", json=data,
        headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    db.session.expire_all()
    assert case(number).award_draft.orders == from_web
