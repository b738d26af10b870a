"""Pages and fragments kept per worker (app/services/fragments.py) never show stale, foreign or
unescaped content: every change to a case shows on the next load, each user sees their own
page, and forms from a kept page still carry a valid CSRF token."""

from __future__ import annotations

import re

from app.extensions import db
from app.models import Decision
from app.services.fragments import app_cache
from tests.helpers import act, case, file_complaint, into_mediation


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def test_a_kept_case_page_shows_every_change_on_the_next_load(app, people):
    number = into_mediation(app, people)
    claimant = people.client("claimant")
    first = page(claimant, f"/cases/{number}")
    assert page(claimant, f"/cases/{number}") == first  # served from the kept body
    with app.app_context():
        assert app_cache("pages").hits >= 1
    act(people.client("respondent"), number, "send_message",
        {"channel": "joint", "body": "We propose a coexistence agreement."})
    assert "We propose a coexistence agreement." in page(claimant, f"/cases/{number}")


def test_each_user_sees_their_own_kept_page_and_header(app, people):
    number = into_mediation(app, people)
    claimant, respondent = people.client("claimant"), people.client("respondent")
    act(claimant, number, "send_message", {"channel": "caucus:claimant",
                                           "body": "Our bottom line is 40,000."})
    for _ in range(2):  # the second round is served from what the first kept
        mine = page(claimant, f"/cases/{number}")
        theirs = page(respondent, f"/cases/{number}")
        assert "Our bottom line is 40,000." in mine
        assert "Our bottom line is 40,000." not in theirs
        assert "(Claimant)" in mine and "(Claimant)" not in theirs
        assert "Gulf Fashion Trading LLC" in theirs  # the respondent's own name, in its header


def test_the_language_is_part_of_every_key(app, people):
    number = into_mediation(app, people)
    claimant = people.client("claimant")
    english = page(claimant, f"/cases/{number}")
    claimant.post("/language", data={"lang": "ar", "next": f"/cases/{number}"})
    arabic = page(claimant, f"/cases/{number}")
    assert 'dir="rtl"' in arabic and "الرسائل" in arabic  # "Messages"
    assert "Messages" in english and "Messages" not in arabic
    dashboard = page(claimant, "/dashboard")
    assert "الوساطة" in dashboard  # the stage of the case, in the row kept in Arabic


def test_a_form_from_a_kept_page_carries_the_current_csrf_token(app, people):
    number = into_mediation(app, people)
    claimant = people.client("claimant")
    page(claimant, f"/cases/{number}")
    app.config["WTF_CSRF_ENABLED"] = True
    kept = page(claimant, f"/cases/{number}")
    assert "@@csrf@@" not in kept
    tokens = set(re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', kept))
    assert len(tokens) == 1
    version = re.search(r'name="expected_version" value="(\d+)"', kept).group(1)
    sent = claimant.post(f"/cases/{number}/actions/send_message",
                         data={"csrf_token": tokens.pop(), "expected_version": version,
                               "channel": "joint", "body": "Sent from a kept page."})
    assert sent.status_code == 302
    assert "Sent from a kept page." in page(claimant, f"/cases/{number}")


def test_party_names_stay_escaped_in_kept_titles_rows_and_headers(app, people):
    people.make("claimant", name="<b>Claimant</b>")
    claimant = people.client("claimant")
    number = file_complaint(claimant, respondent={"name": "<script>alert(1)</script> LLC"})
    manager = people.client("manager")
    for _ in range(2):
        for html in (page(claimant, f"/cases/{number}"), page(claimant, "/dashboard"),
                     page(manager, "/manage/")):
            assert "<script>alert(1)</script>" not in html
            assert "&lt;script&gt;alert(1)&lt;/script&gt; LLC" in html
        assert "<b>Claimant</b>" not in page(claimant, "/dashboard")


def test_list_rows_follow_the_stage_of_their_case(app, people):
    claimant = people.client("claimant")
    number = file_complaint(claimant)
    manager = people.client("manager")
    row = re.compile(rf"{number}.*?</tr>", re.S)
    assert "Administrative review" in row.search(page(claimant, "/dashboard")).group(0)
    act(manager, number, "accept_filing")
    assert "Response" in row.search(page(claimant, "/dashboard")).group(0)
    assert "Response" in row.search(page(manager, "/manage/?stage=response")).group(0)


def test_a_decision_rendered_after_the_page_was_kept_shows_on_the_next_load(app, people,
                                                                            monkeypatch):
    from app.decisions.service import render_decision
    from app.services import pdf

    real_render = pdf.render_decision

    def broken(*args, **kwargs):
        raise OSError("font cache locked")

    monkeypatch.setattr(pdf, "render_decision", broken)
    number = into_mediation(app, people)
    act(people.client("respondent"), number, "propose_settlement", {"terms": "Terms."})
    act(people.client("claimant"), number, "accept_settlement")
    claimant = people.client("claimant")
    assert "rendering failed" in page(claimant, f"/cases/{number}")
    monkeypatch.setattr(pdf, "render_decision", real_render)
    decision = db.session.scalar(db.select(Decision).where(Decision.case_id == case(number).id))
    with app.app_context():
        render_decision(decision.id)  # the retried job
    html = page(claimant, f"/cases/{number}")
    assert "rendering failed" not in html and "Download PDF" in html
    assert [e.action for e in case(number).events][-2:] == ["decision_render_failed",
                                                            "decision_rendered"]


def test_a_visitors_verification_page_is_kept_and_needs_no_session(app, people, client):
    number = into_mediation(app, people)
    act(people.client("respondent"), number, "propose_settlement", {"terms": "Terms."})
    act(people.client("claimant"), number, "accept_settlement")
    code = db.session.scalar(db.select(Decision.verification_code).where(
        Decision.case_id == case(number).id))
    first, second = client.get(f"/verify/{code}"), client.get(f"/verify/{code}")
    assert first.status_code == second.status_code == 200
    assert first.get_data() == second.get_data() and number in first.get_data(as_text=True)
    assert "Set-Cookie" not in second.headers  # no session, no token for a visitor
    with app.app_context():
        assert app_cache("pages").hits >= 1
    arabic = client.get(f"/verify/{code}", headers={"Accept-Language": "ar"})
    assert 'dir="rtl"' in arabic.get_data(as_text=True)
    member = people.client("claimant").get(f"/verify/{code}").get_data(as_text=True)
    assert "Sign out" in member and "Sign out" not in first.get_data(as_text=True)
    assert client.get("/verify/NOPE-0000").status_code == 404


def test_a_visitor_changes_language_by_a_link_a_member_by_a_form(app, people, client):
    page = client.get("/verify").get_data(as_text=True)
    assert 'href="/language/ar?next=/verify"' in page and 'name="csrf_token"' not in page
    response = client.get("/language/ar?next=/verify%3Fcode%3DX")
    assert response.status_code == 302 and response.location == "/verify?code=X"
    assert 'dir="rtl"' in client.get("/verify").get_data(as_text=True)
    assert client.get("/language/ar?next=//evil.example").location == "/"
    member = people.client("claimant").get("/dashboard").get_data(as_text=True)
    assert 'action="/language"' in member and 'name="csrf_token"' in member


def test_a_kept_page_offers_what_time_alone_made_available(app, people):
    """The response period ends at a moment, not at a change of the case: the Centre's kept
    case page offers "proceed in default" from then on, before any sweep records it."""
    from sqlalchemy import update

    from app.models import Deadline
    from app.models.types import utcnow
    from tests.helpers import served_case

    number, _respondent = served_case(app, people)
    manager = people.client("manager")
    default = f"/cases/{number}/actions/proceed_in_default"
    assert default not in page(manager, f"/cases/{number}")  # the period is running
    assert default not in page(manager, f"/cases/{number}")  # kept, still running
    version = case(number).version
    # Time passes: the period is over (the deadline row is not changed by anyone; the
    # case's version stays where it was).
    db.session.execute(update(Deadline).where(Deadline.case_id == case(number).id)
                       .values(due_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()
    assert case(number).version == version
    assert default in page(manager, f"/cases/{number}")
    act(manager, number, "proceed_in_default")
    assert case(number).stage == "arbitrator_appointment"
