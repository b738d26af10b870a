"""C10 (ASVS 7.4.1): after signing out, replaying the cookie captured before gets the sign-in
page (the API: 401). The session is a server-side record that signing out deletes; the
cookie alone proves nothing. Run with the database store and with the Redis store."""

from __future__ import annotations

import pytest

import config
from app import create_app
from app.extensions import db
from app.models import SecurityEvent
from tests.conftest import login
from tests.helpers import sign_in_cookie, use_sign_in


def test_a_cookie_saved_before_signing_out_is_worthless_after(app, people, session_store):
    user = people.make("claimant")
    client = app.test_client()
    login(client, user.email)
    saved = sign_in_cookie(client)
    assert client.get("/dashboard").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 302  # the browser itself is signed out

    replay = use_sign_in(app.test_client(), saved)
    response = replay.get("/dashboard")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert replay.get("/api/v1/cases/SULH-2026-000001").status_code == 401


def test_signing_out_clears_the_cookie_and_is_logged(app, people, session_store):
    user = people.make("claimant")
    client = app.test_client()
    login(client, user.email)
    response = client.post("/logout", environ_base={"REMOTE_ADDR": "192.0.2.44"})
    cleared = [h for h in response.headers.getlist("Set-Cookie")
               if h.startswith(app.config["SIGN_IN_COOKIE_NAME"] + "=")]
    assert cleared and "Max-Age=0" in cleared[0]
    event = db.session.scalars(db.select(SecurityEvent).where(
        SecurityEvent.event == "sign_out")).one()
    assert (event.user_id, event.outcome, event.ip) == (user.id, "success", "192.0.2.44")
    assert event.request_id and event.session_ref


def test_an_unknown_session_store_is_refused_at_start():
    settings = config.TestConfig()
    settings.SESSION_STORE = "cookie"
    with pytest.raises(RuntimeError, match="SULH_SESSION_STORE"):
        create_app(settings)
