"""Two people acting on one case at once: exactly one succeeds, the other is told the case
changed (a 409 page, or 409 JSON from the API) — never a 500, never a lost update."""

from __future__ import annotations

import re
import threading
from collections import Counter

import pytest

from app.extensions import db
from app.models import ApiToken, AuditEvent, Message
from tests.conftest import ON_POSTGRES
from tests.helpers import (
    act,
    case,
    documents,
    into_mediation,
    served_case,
    sign_in_cookie,
    start_draft,
    upload,
    use_sign_in,
)

CHANGED = "This case changed while you were working"


def token_for(people, key: str) -> dict[str, str]:
    _row, token = ApiToken.issue(people.user(key), "test")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_every_kind_of_change_bumps_the_case_version(app, people):
    claimant = people.client("claimant")
    draft_id = start_draft(claimant)
    from app.models import Case

    def version(case_id: int) -> int:
        db.session.expire_all()
        return db.session.get(Case, case_id).version

    before = version(draft_id)
    response = claimant.post(f"/file/{draft_id}/respondent", data={
        "name": "Gulf Fashion Trading LLC", "country": "AE", "address": "Business Bay, Dubai",
        "email": "respondent@example.test"})
    assert response.status_code == 302
    assert version(draft_id) == before + 1  # a filing edit

    number, respondent = served_case(app, people)  # an invitation accepted (join)
    served = case(number)
    joins = [e for e in served.events if e.action == "join"]
    assert joins, [e.action for e in served.events]
    before = served.version
    upload(people.client("claimant"), number)
    assert case(number).version == before + 1  # an upload

    before = case(number).version
    act(respondent, number, "respond", {"position": "contest", "statement": "No."})
    assert case(number).version > before  # an action (one bump per flush that touched it)


def test_acting_on_a_stale_page_is_refused_and_the_form_kept_for_review(app, people):
    number = into_mediation(app, people)
    claimant = people.client("claimant")
    seen = case(number).version
    assert f'name="expected_version" value="{seen}"' in claimant.get(
        f"/cases/{number}").get_data(as_text=True)
    act(people.client("mediator"), number, "send_message",
        {"channel": "joint", "body": "Please both send your proposals.", "expected_version": seen})
    response = claimant.post(f"/cases/{number}/actions/send_message", data={
        "channel": "joint", "body": "Here is ours.", "expected_version": seen})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert CHANGED in page
    assert "Here is ours." in page  # nothing typed is lost
    assert f'href="/cases/{number}"' in page  # the case, to review what changed
    assert "Here is ours." not in [m.body for m in case(number).messages]
    # Having reviewed it, the claimant sends again from that page: it now carries the new version.
    now = case(number).version
    assert f'name="expected_version" value="{now}"' in page
    act(claimant, number, "send_message",
        {"channel": "joint", "body": "Here is ours.", "expected_version": now})
    assert [m.body for m in case(number).messages].count("Here is ours.") == 1


def test_somebody_downloading_a_document_meanwhile_does_not_make_the_page_stale(app, people):
    number = into_mediation(app, people)
    upload(people.client("respondent"), number)
    claimant = people.client("claimant")
    page = claimant.get(f"/cases/{number}").get_data(as_text=True)
    seen = re.search(r'name="expected_version" value="(\d+)"', page).group(1)
    events = re.search(r'name="seen_events" value="(\d+)"', page).group(1)
    document = documents()[-1]
    for _ in range(2):  # the mediator reads the file twice: two events, two versions
        assert people.client("mediator").get(
            f"/cases/{number}/documents/{document.id}/download").status_code == 200
    assert case(number).version == int(seen) + 2
    act(claimant, number, "send_message", {"channel": "joint", "body": "Our proposal.",
                                           "expected_version": seen, "seen_events": events})
    assert "Our proposal." in [m.body for m in case(number).messages]
    # A real change meanwhile still makes the page stale, downloads or not.
    now, events = case(number).version, case(number).event_count
    act(people.client("respondent"), number, "send_message",
        {"channel": "joint", "body": "Counter-proposal."})
    people.client("mediator").get(f"/cases/{number}/documents/{document.id}/download")
    response = claimant.post(f"/cases/{number}/actions/send_message", data={
        "channel": "joint", "body": "Too late.", "expected_version": now,
        "seen_events": events})
    assert response.status_code == 409
    assert "Too late." not in [m.body for m in case(number).messages]


def test_api_reads_a_case_with_its_version(app, people):
    number = into_mediation(app, people)
    api = app.test_client()
    response = api.get(f"/api/v1/cases/{number}", headers=token_for(people, "claimant"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["number"] == number and body["stage"] == "mediation"
    assert body["version"] == case(number).version
    assert response.headers["ETag"] == f'"{body["version"]}"'
    assert "send_message" in body["available_actions"]


def test_api_refuses_a_stale_version_with_409(app, people):
    number = into_mediation(app, people)
    headers = token_for(people, "claimant")
    api = app.test_client()
    seen = api.get(f"/api/v1/cases/{number}", headers=headers).get_json()["version"]
    ok = api.post(f"/api/v1/cases/{number}/actions/send_message", headers=headers,
                  json={"channel": "joint", "body": "First.", "expected_version": seen})
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["version"] == seen + 1
    stale = api.post(f"/api/v1/cases/{number}/actions/send_message",
                     headers={**headers, "If-Match": f'"{seen}"'},
                     json={"channel": "joint", "body": "Second."})
    assert stale.status_code == 409
    assert stale.get_json()["error"] == "conflict" and CHANGED in stale.get_json()["message"]
    assert stale.get_json()["version"] == seen + 1
    assert [m.body for m in case(number).messages].count("Second.") == 0


def test_api_authentication_and_refusals(app, people):
    number = into_mediation(app, people)
    api = app.test_client()
    assert api.get(f"/api/v1/cases/{number}").status_code == 401
    bad = api.get(f"/api/v1/cases/{number}", headers={"Authorization": "Bearer sulh_nope"})
    assert bad.status_code == 401 and bad.get_json()["error"] == "unauthorized"
    # A stranger's token: the case does not exist for them.
    assert api.get(f"/api/v1/cases/{number}",
                   headers=token_for(people, "stranger")).status_code == 404
    # The claimant cannot take the arbitrator's action, nor send an empty message.
    headers = token_for(people, "claimant")
    assert api.post(f"/api/v1/cases/{number}/actions/issue_award", headers=headers,
                    json={}).status_code == 403
    empty = api.post(f"/api/v1/cases/{number}/actions/send_message", headers=headers,
                     json={"channel": "joint", "body": ""})
    assert empty.status_code == 422


def test_api_session_requests_need_the_csrf_token_bearer_requests_do_not(app, people):
    number = into_mediation(app, people)
    claimant = people.client("claimant")
    headers = token_for(people, "claimant")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = claimant.post(f"/api/v1/cases/{number}/actions/send_message",
                                json={"channel": "joint", "body": "Via the session."})
        assert refused.status_code == 400
        bearer = app.test_client().post(f"/api/v1/cases/{number}/actions/send_message",
                                        headers=headers,
                                        json={"channel": "joint", "body": "Via a token."})
        assert bearer.status_code == 200, bearer.get_json()
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    bodies = [m.body for m in case(number).messages]
    assert "Via a token." in bodies and "Via the session." not in bodies


THREADS, ROUNDS = 32, 50


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite serialises every writer; the race needs "
                    "PostgreSQL's row locks (CI runs it in the PostgreSQL pass)")
def test_32_people_racing_the_same_action_exactly_one_wins_each_round(app, people, runner):
    number = into_mediation(app, people)
    tokens = [token_for(people, key) for key in ("claimant", "respondent", "mediator")]
    messages_before = len(case(number).messages)
    events_before = len(case(number).events)
    barrier = threading.Barrier(THREADS)
    outcomes: list[Counter] = [Counter() for _ in range(ROUNDS)]
    errors: list[BaseException] = []
    version: dict[str, int] = {}

    def racer(i: int) -> None:
        client = app.test_client()
        headers = tokens[i % len(tokens)]
        try:
            for r in range(ROUNDS):
                if i == 0:  # everyone acts on the version one of them just read
                    version["seen"] = client.get(f"/api/v1/cases/{number}",
                                                 headers=headers).get_json()["version"]
                barrier.wait()
                response = client.post(
                    f"/api/v1/cases/{number}/actions/send_message", headers=headers,
                    json={"channel": "joint", "body": f"round {r} from {i}",
                          "expected_version": version["seen"]})
                outcomes[r][response.status_code] += 1
                barrier.wait()  # the round is over for everyone
        except BaseException as exc:  # surfaced below: a 500 propagates in testing mode
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    for r, outcome in enumerate(outcomes):
        assert outcome == Counter({200: 1, 409: THREADS - 1}), (r, outcome)

    final = case(number)
    assert len(final.messages) == messages_before + ROUNDS
    assert db.session.scalar(db.select(db.func.count()).select_from(Message).where(
        Message.case_id == final.id)) == messages_before + ROUNDS
    seqs = list(db.session.scalars(db.select(AuditEvent.seq).where(
        AuditEvent.case_id == final.id).order_by(AuditEvent.seq)))
    assert seqs == list(range(1, events_before + ROUNDS + 1))  # contiguous, nothing lost
    assert final.event_count == len(seqs)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output, result.output


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL's row locks (run in the PG pass)")
def test_people_racing_through_the_web_form_one_wins_the_others_get_the_409_page(app, people):
    number = into_mediation(app, people)
    keys = ("claimant", "respondent", "mediator")
    cookies = {k: sign_in_cookie(people.client(k)) for k in keys}
    threads_n, rounds = 8, 5
    barrier = threading.Barrier(threads_n)
    outcomes: list[Counter] = [Counter() for _ in range(rounds)]
    errors: list[BaseException] = []
    seen: dict[str, int] = {}

    def racer(i: int) -> None:
        client = app.test_client()
        use_sign_in(client, cookies[keys[i % len(keys)]])
        try:
            for r in range(rounds):
                if i == 0:
                    with app.app_context():
                        seen["v"] = case(number).version
                barrier.wait()
                response = client.post(f"/cases/{number}/actions/send_message", data={
                    "channel": "joint", "body": f"web {r} {i}", "expected_version": seen["v"]})
                outcomes[r][response.status_code] += 1
                if response.status_code == 409:
                    assert CHANGED in response.get_data(as_text=True)
                barrier.wait()
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert outcomes == [Counter({302: 1, 409: threads_n - 1})] * rounds


def test_an_api_token_issued_on_the_command_line_works_until_revoked(app, people, runner):
    number = into_mediation(app, people)
    people.user("claimant")
    result = runner.invoke(args=["api", "token", "claimant@example.test", "--name", "scripts"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get(f"/api/v1/cases/{number}", headers=headers).status_code == 200
    row = db.session.scalar(db.select(ApiToken).where(ApiToken.name == "scripts"))
    assert row.token_hash != token and token not in row.token_hash  # only the hash is kept
    from app.models.types import utcnow

    row.revoked_at = utcnow()
    db.session.commit()
    assert app.test_client().get(f"/api/v1/cases/{number}", headers=headers).status_code == 401
