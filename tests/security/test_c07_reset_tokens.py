"""C7 (ASVS 6.4.1, 6.4.3), the reset half (invitations are tested with the Centre's people):
a password-reset link carries 256 random bits, is stored only as a hash, works once and for
one hour, dies with a newer reset or a change of address, and never signs anyone in — after a
reset the owner goes through the normal sign-in (where the second factor is asked), and every
session the account had is ended. Requests are throttled per address and per email."""

from __future__ import annotations

import re

from app.extensions import db
from app.models import AccountToken, SecurityEvent, User
from tests.conftest import PASSWORD, login, outbox_to
from tests.helpers import new_password_link, sign_in_cookie

NEW = "a brand new passphrase 42"


def choose(client, link: str, password: str = NEW):
    return client.post(link, data={"password": password, "confirm": password})


def password_is(email: str, password: str) -> bool:
    db.session.expire_all()
    return db.session.scalar(db.select(User).where(User.email == email)).check_password(password)


def signed_out(client) -> bool:
    response = client.get("/dashboard")
    return response.status_code == 302 and response.location.startswith("/login")


def test_the_link_carries_256_bits_and_only_its_hash_is_stored(app, people):
    user = people.make("claimant")
    link = new_password_link(app.test_client(), user.email)
    token = link.rsplit("/", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 32 random bytes, URL-safe base64
    row = db.session.scalar(db.select(AccountToken))
    assert row.token_hash == AccountToken.hash_token(token) and row.purpose == "password_reset"
    stored = " ".join(str(v) for v in db.session.execute(db.select(AccountToken.__table__)).one())
    assert token not in stored
    assert (row.expires_at - row.created_at).total_seconds() == 3600


def test_the_link_works_once(app, people):
    user = people.make("claimant")
    client = app.test_client()
    link = new_password_link(client, user.email)
    assert client.get(link).status_code == 200  # opening it (a mail scanner too) spends nothing
    assert client.get(link).status_code == 200
    assert choose(client, link).status_code == 302
    assert password_is(user.email, NEW)
    again = choose(app.test_client(), link, "yet another passphrase 9")
    assert again.status_code == 404
    assert "This link is not valid" in again.get_data(as_text=True)
    assert password_is(user.email, NEW)
    assert app.test_client().get(link).status_code == 404


def test_the_link_expires_after_an_hour(app, people, clock):
    user = people.make("claimant")
    early, late = (new_password_link(app.test_client(), user.email) for _ in range(2))
    clock.advance(minutes=59)
    assert app.test_client().get(early).status_code == 200
    clock.advance(minutes=1, seconds=1)
    for link in (early, late):
        assert choose(app.test_client(), link).status_code == 404
    assert password_is(user.email, PASSWORD)


def test_a_reset_spends_every_other_reset_link_of_the_account(app, people):
    user = people.make("claimant")
    first = new_password_link(app.test_client(), user.email)
    second = new_password_link(app.test_client(), user.email)
    assert choose(app.test_client(), second).status_code == 302
    assert choose(app.test_client(), first, "an older link's password").status_code == 404
    assert password_is(user.email, NEW)


def test_a_link_sent_to_an_address_the_account_no_longer_has_is_dead(app, people):
    user = people.make("claimant")
    link = new_password_link(app.test_client(), user.email)
    user.email = "moved@example.test"
    db.session.commit()
    assert choose(app.test_client(), link).status_code == 404


def test_a_reset_signs_nobody_in_and_the_owner_then_signs_in_as_usual(app, people):
    """The reset's answer sets no sign-in cookie and leads to the sign-in page; the new
    password then works only through that page (the path the second factor extends)."""
    user = people.make("claimant")
    client = app.test_client()
    link = new_password_link(client, user.email)
    response = choose(client, link)
    assert response.status_code == 302 and response.location == "/login"
    cookie_names = [h.split("=", 1)[0] for h in response.headers.getlist("Set-Cookie")]
    assert app.config["SIGN_IN_COOKIE_NAME"] not in cookie_names
    assert signed_out(client)
    assert "Sign in with your new password" in client.get("/login").get_data(as_text=True)
    login(client, user.email, NEW)
    assert client.get("/dashboard").status_code == 200
    assert db.session.scalar(db.select(db.func.count()).select_from(SecurityEvent).where(
        SecurityEvent.event == "password_reset", SecurityEvent.user_id == user.id)) == 1


def test_a_reset_ends_every_session_of_the_account(app, people, session_store):
    user = people.make("claimant")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, user.email)
    login(phone, user.email)
    token = sign_in_cookie(phone)
    assert choose(laptop, new_password_link(laptop, user.email)).status_code == 302
    assert signed_out(laptop) and signed_out(phone)
    replay = app.test_client()
    replay.set_cookie(app.config["SIGN_IN_COOKIE_NAME"], token, domain="localhost")
    assert signed_out(replay)
    told = outbox_to(user.email)[-1]
    assert "password was changed" in told.subject


def test_requests_for_one_email_are_throttled(app, people):
    user = people.make("claimant")
    for n in range(3):  # THROTTLE_PASSWORD_RESET_EMAIL: 3 per hour
        response = app.test_client().post("/password/forgot", data={"email": user.email},
                                          environ_base={"REMOTE_ADDR": f"192.0.2.{n}"})
        assert response.status_code == 302
    refused = app.test_client().post("/password/forgot", data={"email": user.email},
                                     environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert len(outbox_to(user.email)) == 3
    other = app.test_client().post("/password/forgot", data={"email": "other@example.test"},
                                   environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code == 302  # another email is unaffected


def test_a_link_that_is_not_one_is_refused_without_error(app, client):
    for token in ("x", "A" * 43, "%00", "a" * 5000):
        response = client.get(f"/password/reset/{token}")
        assert response.status_code in (400, 404), token
        response = choose(client, f"/password/reset/{token}")
        assert response.status_code in (400, 404), token
