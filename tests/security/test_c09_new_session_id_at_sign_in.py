"""C9 (ASVS 7.2.4): a new session identifier at sign-in and at every change of privilege.
The token a browser had before (its own, or one planted by an attacker) never becomes a
signed-in one, and Flask's own cookie starts afresh (as SecureDrop's
test_session_login_regenerate_sid)."""

from __future__ import annotations

import secrets

from app.auth import sessions
from app.extensions import db
from app.models import UserSession
from tests.conftest import PASSWORD, login, outbox_to
from tests.helpers import act, file_complaint, link_in, sign_in_cookie, use_sign_in


def rows_of(user_id: int) -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(db.select(UserSession.id).where(
        UserSession.user_id == user_id)))


def test_signing_in_again_issues_a_new_token_and_ends_the_old_one(app, people):
    user = people.make("claimant")
    client = app.test_client()
    login(client, user.email)
    before = sign_in_cookie(client)
    login(client, user.email)
    after = sign_in_cookie(client)
    assert after != before
    assert rows_of(user.id) == {sessions.hash_token(after)}
    stale = use_sign_in(app.test_client(), before)
    assert stale.get("/dashboard").status_code == 302


def test_a_planted_token_is_never_adopted(app, people):
    """Session fixation: the attacker sets the victim's cookie to a token they know."""
    user = people.make("claimant")
    planted = secrets.token_urlsafe(32)
    victim = use_sign_in(app.test_client(), planted)
    login(victim, user.email)
    assert sign_in_cookie(victim) != planted
    attacker = use_sign_in(app.test_client(), planted)
    assert attacker.get("/dashboard").status_code == 302
    assert sessions.hash_token(planted) not in rows_of(user.id)


def test_flask_cookie_starts_afresh_at_sign_in(app, people):
    user = people.make("claimant")
    client = app.test_client()
    with client.session_transaction() as before:
        before["lang"] = "fr"
        before["csrf_token"] = "token-from-before-sign-in"
    login(client, user.email)
    with client.session_transaction() as after:
        assert dict(after) == {"lang": "fr"}  # the language is kept, nothing else


def test_joining_a_case_is_a_privilege_change_and_renews_the_token(app, people):
    """An existing account follows a service link: it gains a role in a case, and its
    session gets a new token (the old one stops working)."""
    respondent = people.make("respondent")
    claimant = people.client("claimant")
    number = file_complaint(claimant)
    act(people.client("manager"), number, "accept_filing")
    join_path = link_in(outbox_to("respondent@example.test")[-1].body, "/join/")
    client = app.test_client()
    login(client, respondent.email, PASSWORD)
    before = sign_in_cookie(client)
    response = client.post(join_path)
    assert response.status_code == 302 and number in response.location
    after = sign_in_cookie(client)
    assert after != before
    assert client.get(f"/cases/{number}").status_code == 200
    assert use_sign_in(app.test_client(), before).get(f"/cases/{number}").status_code == 302
    assert rows_of(respondent.id) == {sessions.hash_token(after)}
