"""C12 (ASVS 7.4.2, 7.4.3, 7.4.5): "sign out everywhere", a session revoked from the account
page and a deactivation end the user's other sessions within the one request: the other
browser's next request gets the sign-in page. Password change and reset and second-factor
reset (to come) call the same `end_other_sessions(user, keep=...)`; the password's are tested
through their pages. Run with the database store and with the Redis store."""

from __future__ import annotations

import re

from app.auth import service, sessions
from app.extensions import db
from app.models import SecurityEvent, User
from tests.conftest import PASSWORD, login
from tests.helpers import new_password_link, sign_in_cookie


def two_browsers(app, user):
    first, second = app.test_client(), app.test_client()
    login(first, user.email)
    login(second, user.email)
    assert first.get("/dashboard").status_code == 200
    assert second.get("/dashboard").status_code == 200
    return first, second


def signed_out(client) -> bool:
    response = client.get("/dashboard")
    return response.status_code == 302 and response.location.startswith("/login")


def test_sign_out_everywhere_else_ends_the_other_browser_at_once(app, people, session_store):
    user = people.make("claimant")
    first, second = two_browsers(app, user)
    third = app.test_client()
    login(third, user.email)
    response = first.post("/account/sessions/end-others")
    assert response.status_code == 302
    assert "2 sessions ended" in first.get("/account").get_data(as_text=True)
    assert signed_out(second) and signed_out(third)
    assert first.get("/dashboard").status_code == 200  # this browser stays signed in
    event = db.session.scalars(db.select(SecurityEvent).where(
        SecurityEvent.event == "sessions_ended")).one()
    assert event.detail == {"count": 2, "reason": "sign_out_everywhere"}


def test_revoking_one_session_from_the_account_page(app, people, session_store):
    user = people.make("claimant")
    first, second = two_browsers(app, user)
    page = first.get("/account").get_data(as_text=True)
    handles = re.findall(r'name="handle" value="([0-9a-f]{16})"', page)
    assert len(handles) == 1  # the other browser; this one is marked "This session"
    response = first.post("/account/sessions/revoke", data={"handle": handles[0]})
    assert response.status_code == 302
    assert signed_out(second)
    assert first.get("/dashboard").status_code == 200
    event = db.session.scalars(db.select(SecurityEvent).where(
        SecurityEvent.event == "session_revoked")).one()
    assert (event.user_id, event.actor_id, event.session_ref) == (user.id, user.id, handles[0])


def test_deactivation_ends_every_session(app, people, session_store):
    user = people.make("arbitrator", is_neutral=True)
    first, second = two_browsers(app, user)
    with app.test_request_context():
        assert service.deactivate(db.session.get(User, user.id)) == 2
        db.session.commit()
    assert signed_out(first) and signed_out(second)


def test_an_account_switched_off_by_any_means_is_signed_out(app, people, session_store):
    """Even without the service (a flag set by hand in the database), the next request of a
    deactivated account is refused."""
    user = people.make("mediator", is_neutral=True)
    first, _second = two_browsers(app, user)
    db.session.get(User, user.id).active = False
    db.session.commit()
    assert signed_out(first)


def test_end_other_sessions_keeps_only_the_one_named(app, people, session_store):
    """What a password change will do: the browser that changed it stays, the others end."""
    user = people.make("claimant")
    first, second = two_browsers(app, user)
    first_id = sessions.hash_token(sign_in_cookie(first))
    with app.test_request_context():
        account = db.session.get(User, user.id)
        kept = next(s for s in sessions.active_sessions(account) if s.id == first_id)
        assert sessions.end_other_sessions(account, keep=kept, reason="password_changed") == 1
        db.session.commit()
    assert first.get("/dashboard").status_code == 200
    assert signed_out(second)


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, people,
                                                                     session_store):
    """The account page's password change: the browser that changed it goes on (with a new
    token), every other one gets the sign-in page at its next request."""
    user = people.make("claimant")
    first, second = two_browsers(app, user)
    response = first.post("/account/password", data={
        "current_password": PASSWORD, "password": "a fine new passphrase",
        "confirm": "a fine new passphrase"})
    assert response.status_code == 302
    assert first.get("/dashboard").status_code == 200
    assert signed_out(second)
    event = db.session.scalars(db.select(SecurityEvent).where(
        SecurityEvent.event == "sessions_ended")).one()
    assert event.detail == {"count": 1, "reason": "password_changed"}


def test_a_password_reset_ends_every_session(app, people, session_store):
    user = people.make("claimant")
    first, second = two_browsers(app, user)
    link = new_password_link(first, user.email)
    assert first.post(link, data={"password": "a fine new passphrase",
                                  "confirm": "a fine new passphrase"}).status_code == 302
    assert signed_out(first) and signed_out(second)


def test_another_users_sessions_are_untouched(app, people, session_store):
    user, other = people.make("claimant"), people.make("respondent")
    mine, _ = two_browsers(app, user)
    theirs = app.test_client()
    login(theirs, other.email)
    mine.post("/account/sessions/end-others")
    assert theirs.get("/dashboard").status_code == 200
