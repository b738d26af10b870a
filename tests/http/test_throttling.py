"""Throttling beyond sign-in (tests/security/test_c04_* has that): registrations, decision
codes looked up and not found, API tokens that are not valid. Each answers 429 with
Retry-After — a page in the user's language, JSON under /api — and lets other addresses and
other users through."""

from __future__ import annotations

from app.extensions import db
from app.models import ApiToken, User
from tests.helpers import switch

GUESSER = {"REMOTE_ADDR": "203.0.113.66"}


def test_guessing_decision_codes_is_refused_in_arabic_and_french(app, client):
    app.config["THROTTLE_VERIFY_IP"] = "3 per 15 minutes"
    for _ in range(3):
        assert client.get("/verify/SULH-XXXX-0000", environ_base=GUESSER).status_code == 404
    for lang, title, wait in (("ar", "محاولات كثيرة جداً", "حاول مرة أخرى بعد 15 دقيقة."),
                              ("fr", "Trop de tentatives", "Réessayez dans 15 minutes.")):
        switch(client, lang)
        response = client.get("/verify/SULH-XXXX-0001", environ_base=GUESSER)
        assert response.status_code == 429
        assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
        page = response.get_data(as_text=True)
        assert f'<html lang="{lang}"' in page and title in page and wait in page
    other = app.test_client().get("/verify/SULH-XXXX-0002",
                                  environ_base={"REMOTE_ADDR": "203.0.113.67"})
    assert other.status_code == 404


def test_bad_api_tokens_get_429_json_and_a_good_token_elsewhere_still_works(app, people):
    app.config["THROTTLE_API_TOKEN_IP"] = "4 per 15 minutes"
    _row, token = ApiToken.issue(people.user("claimant"), "test")
    db.session.commit()
    client = app.test_client()
    for attempt in range(4):
        response = client.get("/api/v1/cases/SULH-2026-000001", environ_base=GUESSER,
                              headers={"Authorization": f"Bearer sulh_guess{attempt}"})
        assert response.status_code == 401
    response = client.get("/api/v1/cases/SULH-2026-000001", environ_base=GUESSER,
                          headers={"Authorization": f"Bearer {token}"})  # even the right one
    assert response.status_code == 429 and response.is_json
    assert response.get_json()["error"] == "too_many_requests"
    assert "Try again in 15 minutes." in response.get_json()["message"]
    assert int(response.headers["Retry-After"]) > 0
    elsewhere = client.get("/api/v1/cases/SULH-2026-000001", headers={
        "Authorization": f"Bearer {token}"}, environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert elsewhere.status_code == 404  # signed in by the token; no such case


def test_a_deactivated_users_token_is_refused(app, people):
    user = people.user("claimant")
    _row, token = ApiToken.issue(user, "test")
    db.session.get(User, user.id).active = False
    db.session.commit()
    response = app.test_client().get("/api/v1/cases/SULH-2026-000001",
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def register(client, email: str, address: str = "203.0.113.80"):
    return client.post("/register", environ_base={"REMOTE_ADDR": address}, data={
        "name": "Layla Haddad", "email": email, "password": "a long enough password",
        "confirm": "a long enough password", "locale": "en"})


def test_registrations_are_limited_per_address_and_per_email(app, client):
    app.config.update(THROTTLE_REGISTER_IP="3 per hour", THROTTLE_REGISTER_EMAIL="2 per hour")
    assert register(client, "one@example.test").status_code == 302
    assert register(client, "one@example.test").status_code == 302
    assert register(client, "one@example.test", "198.51.100.2").status_code == 429  # per email
    assert register(client, "two@example.test").status_code == 302
    assert register(client, "three@example.test").status_code == 429  # per address
    assert register(client, "three@example.test", "198.51.100.3").status_code == 302
    # A form with mistakes is not counted: it sent nothing.
    bad = client.post("/register", data={"email": "x"},
                      environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert bad.status_code == 422
