"""C6 (ASVS 6.3.8): signing in and asking for a password reset answer the same — status,
location, cookies, the page shown after — for an email with an account and one without (or
with a deactivated account), and take the same time: the median difference over 50 tries is
under 20 ms. Sign-in checks a dummy argon2id hash for an unknown email; a reset request
emails the address either way (a link, or a word that no account uses it)."""

from __future__ import annotations

import re

from app.extensions import db
from app.models import AccountToken, User
from tests.conftest import outbox_to
from tests.helpers import median_gap, production_password_hashing

TRIES = 50


def same(page: str, email: str) -> str:
    """The page but for the email given and the form's one-time key."""
    return re.sub(r'name="_submission" value="[^"]+"', "", page.replace(email, "@"))


def answer(response) -> tuple:
    cookies = sorted(h.split("=", 1)[0] for h in response.headers.getlist("Set-Cookie"))
    return response.status_code, response.location, cookies


def a_real_account(app, email: str = "known@example.test", active: bool = True) -> User:
    production_password_hashing(app)
    user = User(email=email, name="Known", locale="en", active=active)
    user.set_password("the real password of this account")
    db.session.add(user)
    db.session.commit()
    return user


def unthrottled(app) -> None:
    app.config.update(THROTTLE_SIGN_IN_ACCOUNT="1000 per minute",
                      THROTTLE_SIGN_IN_IP="1000 per minute",
                      THROTTLE_PASSWORD_RESET_IP="1000 per minute",
                      THROTTLE_PASSWORD_RESET_EMAIL="1000 per minute")


def test_sign_in_answers_the_same_for_an_email_with_and_without_an_account(app):
    a_real_account(app)
    a_real_account(app, "gone@example.test", active=False)
    answers = []
    for email in ("known@example.test", "unknown@example.test", "gone@example.test"):
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": "a wrong guess"})
        answers.append((*answer(response), same(response.get_data(as_text=True), email)))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 422


def test_sign_in_costs_the_same_for_an_email_with_and_without_an_account(app):
    a_real_account(app)
    unthrottled(app)
    client = app.test_client()

    def sign_in(email: str):
        return lambda: client.post("/login", data={"email": email, "password": "wrong guess"})

    known, unknown = median_gap(app, sign_in("known@example.test"),
                               sign_in("unknown@example.test"), TRIES)
    assert known > 0.01  # a real argon2id hash was checked
    assert abs(known - unknown) < 0.020, (known, unknown)


def test_a_reset_request_answers_the_same_for_an_email_with_and_without_an_account(app):
    a_real_account(app)
    a_real_account(app, "gone@example.test", active=False)
    answers = []
    for email in ("known@example.test", "unknown@example.test", "gone@example.test"):
        client = app.test_client()
        response = client.post("/password/forgot", data={"email": email})
        page = client.get(response.location).get_data(as_text=True)
        answers.append((*answer(response), same(page, email)))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][:2] == (302, "/login")
    # Each address was written to: a link for the account, a word for the others.
    assert "/password/reset/" in outbox_to("known@example.test")[-1].body
    for email in ("unknown@example.test", "gone@example.test"):
        assert "/password/reset/" not in outbox_to(email)[-1].body
    assert db.session.scalar(db.select(db.func.count()).select_from(AccountToken)) == 1


def test_a_reset_request_costs_the_same_for_an_email_with_and_without_an_account(app):
    a_real_account(app)
    unthrottled(app)
    client = app.test_client()

    def ask(email: str):
        return lambda: client.post("/password/forgot", data={"email": email})

    known, unknown = median_gap(app, ask("known@example.test"), ask("unknown@example.test"),
                                TRIES)
    assert abs(known - unknown) < 0.020, (known, unknown)
