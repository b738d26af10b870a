"""Neither registering nor signing in tells whether an email has an account (ASVS 6.3.8):
the same answer — status, page, cookies — either way, the existing account's owner told by
email instead; and a sign-in for an email without an account costs the same password check
as one with (a dummy hash): median difference under 20 ms."""

from __future__ import annotations

import re
import statistics
import time

from app.extensions import db
from app.models import User
from tests.conftest import emailed_code, outbox_to
from tests.helpers import production_password_hashing

PASSWORD_TYPED = "a long enough password"


def register(client, email: str):
    return client.post("/register", data={
        "name": "Layla Haddad", "email": email, "password": PASSWORD_TYPED,
        "confirm": PASSWORD_TYPED, "locale": "fr"})


def same(page: str, email: str) -> str:
    """The page but for the email given and the form's one-time key."""
    return re.sub(r'name="_submission" value="[^"]+"', "", page.replace(email, "@"))


def answer(response, email: str) -> tuple:
    cookies = sorted(h.split("=", 1)[0] for h in response.headers.getlist("Set-Cookie"))
    return response.status_code, response.location, cookies


def test_registering_an_existing_email_answers_as_a_new_one_and_emails_the_owner(app, people):
    owner = people.make("owner", email="owner@example.test", locale="ar")
    before = owner.password_hash
    taken, fresh = app.test_client(), app.test_client()
    first, second = register(taken, "Owner@Example.test"), register(fresh, "new@example.test")
    assert answer(first, "owner") == answer(second, "new") == (302, "/login", ["session"])
    pages = [same(c.get("/login").get_data(as_text=True), email)
             for c, email in ((taken, "owner@example.test"), (fresh, "new@example.test"))]
    assert pages[0] == pages[1]
    assert "An account with this email exists" not in pages[0]

    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(User).where(
        User.email == "owner@example.test")) == 1
    assert db.session.get(User, owner.id).password_hash == before  # nothing changed
    told = outbox_to("owner@example.test")
    assert len(told) == 1 and "صلح" in told[0].subject  # in the owner's language
    created = outbox_to("new@example.test")
    assert len(created) == 1 and "Sulh" in created[0].subject
    new = db.session.scalar(db.select(User).where(User.email == "new@example.test"))
    assert new.locale == "fr" and new.check_password(PASSWORD_TYPED)


def test_the_new_account_signs_in_with_its_password_and_a_code_by_email(app, client):
    register(client, "new@example.test")
    response = client.post("/login", data={"email": "new@example.test",
                                           "password": PASSWORD_TYPED})
    assert response.status_code == 302 and response.location == "/login/code"
    response = client.post("/login/code", data={"code": emailed_code("new@example.test")})
    assert response.status_code == 302 and response.location == "/dashboard"


def test_sign_in_answers_the_same_for_an_unknown_email(app, people):
    people.make("known")
    answers = []
    for email in ("known@example.test", "unknown@example.test"):
        response = app.test_client().post("/login", data={"email": email, "password": "wrong"})
        body = same(response.get_data(as_text=True), email)
        answers.append((response.status_code, body, response.headers.getlist("Set-Cookie")))
    assert answers[0] == answers[1]


def test_sign_in_for_an_unknown_email_costs_the_same_as_for_a_known_one(app):
    app.config.update(THROTTLE_SIGN_IN_ACCOUNT="1000 per minute",
                      THROTTLE_SIGN_IN_IP="1000 per minute")
    user = User(email="known@example.test", name="Known", locale="en")
    production_password_hashing(app)
    user.set_password("the real password of this account")  # argon2id, as in production
    db.session.add(user)
    db.session.commit()
    client = app.test_client()
    timings: dict[str, list[float]] = {"known@example.test": [], "unknown@example.test": []}
    for _ in range(20):
        for email, found in timings.items():
            started = time.perf_counter()
            response = client.post("/login", data={"email": email, "password": "wrong guess"})
            found.append(time.perf_counter() - started)
            assert response.status_code == 422
    known, unknown = timings.values()
    assert statistics.median(known) > 0.01  # a real password hash was checked
    # Each pair ran back to back, so a busy machine slows both alike: the median of the
    # pairs' differences is the steady figure.
    difference = statistics.median(b - a for a, b in zip(known, unknown, strict=True))
    assert abs(difference) < 0.020, (difference, statistics.median(known),
                                     statistics.median(unknown))
