"""A double-click acts once: every form carries a one-time submission key (the API an
`Idempotency-Key`), and of identical submissions only the first has an effect; the others get
its answer. Exhibit numbers are taken under the case's lock, so uploads at once never share one.
"""

from __future__ import annotations

import io
import re
import threading
from collections import Counter

import pytest

from app.extensions import db
from app.models import ApiToken, AuditEvent, Document, Message, SubmissionKey
from tests.conftest import ON_POSTGRES
from tests.helpers import (
    act,
    case,
    documents,
    into_mediation,
    pdf_bytes,
    served_case,
    sign_in_cookie,
    use_sign_in,
)

CONCURRENT = 10
needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="SQLite runs one writer at a time (and the in-memory test database "
    "is one connection): real races need PostgreSQL, which CI runs")


def key_in(page: str) -> str:
    match = re.search(r'name="_submission" value="([^"]+)"', page)
    assert match, "the form carries no submission key"
    return match.group(1)


def upload_data(key: str, content: bytes, title: str = "Invoice") -> dict:
    return {"_submission": key, "scope": "participants", "confirm": "y",
            "files-0-file": (io.BytesIO(content), "invoice.pdf"), "files-0-title": title,
            "files-0-kind": "exhibit"}


def test_every_form_carries_a_fresh_submission_key(app, people):
    number = into_mediation(app, people)
    claimant = people.client("claimant")
    first = key_in(claimant.get(f"/cases/{number}/documents/upload").get_data(as_text=True))
    second = key_in(claimant.get(f"/cases/{number}/documents/upload").get_data(as_text=True))
    assert first != second and len(first) >= 24
    page = claimant.get(f"/cases/{number}/actions/send_message").get_data(as_text=True)
    key_in(page)


def test_an_upload_sent_twice_makes_one_document_and_the_second_gets_the_first_answer(
        app, people):
    number, _ = served_case(app, people)
    claimant = people.client("claimant")
    key = key_in(claimant.get(f"/cases/{number}/documents/upload").get_data(as_text=True))
    first = claimant.post(f"/cases/{number}/documents/upload",
                          data=upload_data(key, pdf_bytes()), content_type="multipart/form-data")
    again = claimant.post(f"/cases/{number}/documents/upload",
                          data=upload_data(key, pdf_bytes()), content_type="multipart/form-data")
    assert first.status_code == 302
    assert again.status_code == 303 and again.location == first.location
    assert [d.exhibit_number for d in documents()] == ["C-1"]
    page = claimant.get(again.location).get_data(as_text=True)
    assert "already been sent" in page
    uploads = [e for e in case(number).events if e.action == "upload_document"]
    assert len(uploads) == 1


def test_a_different_submission_with_a_repeated_key_is_not_a_duplicate(app, people):
    """A page kept in a cache may offer the same key twice: another message is still sent."""
    number = into_mediation(app, people)
    claimant = people.client("claimant")
    key = key_in(claimant.get(f"/cases/{number}").get_data(as_text=True))
    for body in ("First point.", "Second point."):
        act(claimant, number, "send_message", {"channel": "joint", "body": body,
                                                "_submission": key})
    bodies = [m.body for m in case(number).messages]
    assert "First point." in bodies and "Second point." in bodies


def test_a_refused_submission_writes_no_key_so_it_can_be_corrected_and_sent(app, people):
    number = into_mediation(app, people)
    claimant = people.client("claimant")
    act(claimant, number, "send_message", {"channel": "joint", "body": "", "_submission": "k1"},
        expect=422)
    assert db.session.scalar(db.select(db.func.count()).select_from(SubmissionKey)) == 0
    act(claimant, number, "send_message", {"channel": "joint", "body": "Now written.",
                                            "_submission": "k1"})
    assert "Now written." in [m.body for m in case(number).messages]


def test_api_replays_the_first_answer_and_refuses_a_key_reused_for_another_request(
        app, people):
    number = into_mediation(app, people)
    _row, token = ApiToken.issue(people.user("claimant"), "test")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "order-17"}
    url = f"/api/v1/cases/{number}/actions/send_message"
    first = app.test_client().post(url, headers=headers, json={"channel": "joint",
                                                                "body": "Once only."})
    again = app.test_client().post(url, headers=headers, json={"channel": "joint",
                                                                "body": "Once only."})
    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert [m.body for m in case(number).messages].count("Once only.") == 1
    other = app.test_client().post(url, headers=headers, json={"channel": "joint",
                                                                "body": "Something else."})
    assert other.status_code == 422 and other.is_json
    assert "different request" in other.get_json()["message"]


def _race(app, send, count: int = CONCURRENT) -> list:
    barrier = threading.Barrier(count)
    responses: list = [None] * count
    errors: list[BaseException] = []

    def racer(i: int) -> None:
        try:
            barrier.wait()
            responses[i] = send(i)
        except BaseException as exc:  # a 500 propagates in testing mode: surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    return responses


@needs_postgres
def test_ten_identical_uploads_at_once_make_one_document(app, people):
    number, _ = served_case(app, people)
    claimant = people.client("claimant")
    cookie = sign_in_cookie(claimant)
    key = key_in(claimant.get(f"/cases/{number}/documents/upload").get_data(as_text=True))
    content = pdf_bytes()

    def send(_i: int):
        client = app.test_client()
        use_sign_in(client, cookie)
        return client.post(f"/cases/{number}/documents/upload",
                           data=upload_data(key, content), content_type="multipart/form-data")

    responses = _race(app, send)
    statuses = Counter(r.status_code for r in responses)
    assert statuses[302] == 1 and statuses[302] + statuses[303] == CONCURRENT, statuses
    assert {r.location for r in responses} == {f"/cases/{number}/documents/"}
    assert [d.exhibit_number for d in documents()] == ["C-1"]
    uploads = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == "upload_document")).all()
    assert len(uploads) == 1
    storage = app.config["STORAGE_URL"].removeprefix("file://")
    from pathlib import Path

    stored = [p for p in Path(storage, "cases").rglob("*") if p.is_file()]
    assert len(stored) == 1  # the duplicates' bytes were discarded


@needs_postgres
def test_ten_identical_api_actions_at_once_have_one_effect(app, people):
    number = into_mediation(app, people)
    _row, token = ApiToken.issue(people.user("respondent"), "test")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "retry-me"}
    before = len(case(number).messages)

    def send(_i: int):
        return app.test_client().post(f"/api/v1/cases/{number}/actions/send_message",
                                      headers=headers,
                                      json={"channel": "joint", "body": "Only once, please."})

    responses = _race(app, send)
    assert Counter(r.status_code for r in responses) == Counter({200: CONCURRENT})
    assert len({r.get_data() for r in responses}) == 1  # the same answer for all
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 9
    assert len(case(number).messages) == before + 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Message).where(
        Message.body == "Only once, please.")) == 1


@needs_postgres
def test_ten_identical_web_actions_at_once_have_one_effect(app, people):
    number = into_mediation(app, people)
    mediator = people.client("mediator")
    cookie = sign_in_cookie(mediator)
    page = mediator.get(f"/cases/{number}/actions/send_message").get_data(as_text=True)
    key = key_in(page)
    version = re.search(r'name="expected_version" value="(\d+)"', page).group(1)

    def send(_i: int):
        client = app.test_client()
        use_sign_in(client, cookie)
        return client.post(f"/cases/{number}/actions/send_message", data={
            "_submission": key, "expected_version": version, "channel": "joint",
            "body": "The next session is on Monday."})

    responses = _race(app, send)
    statuses = Counter(r.status_code for r in responses)
    assert statuses[302] == 1 and statuses[303] == CONCURRENT - 1, statuses
    assert {r.location for r in responses} == {f"/cases/{number}"}
    assert [m.body for m in case(number).messages].count("The next session is on Monday.") == 1


@needs_postgres
def test_ten_different_uploads_at_once_get_ten_distinct_exhibit_numbers(app, people):
    """The race that gave C-1 twice and 500s: numbers are now taken under the case's lock."""
    number, _ = served_case(app, people)
    cookie = sign_in_cookie(people.client("claimant"))

    def send(i: int):
        client = app.test_client()
        use_sign_in(client, cookie)
        return client.post(f"/cases/{number}/documents/upload",
                           data=upload_data(f"key-{i}", pdf_bytes(), title=f"Invoice {i}"),
                           content_type="multipart/form-data")

    responses = _race(app, send)
    assert Counter(r.status_code for r in responses) == Counter({302: CONCURRENT})
    numbers = sorted(d.exhibit_seq for d in documents())
    assert numbers == list(range(1, CONCURRENT + 1))
    assert db.session.scalar(db.select(db.func.count()).select_from(Document)) == CONCURRENT
