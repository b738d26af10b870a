"""C1 (ASVS 6.2.1, 6.2.5, 6.2.8, 6.2.9): a new password has 12 to 128 characters — counted as
characters, not bytes — of any kind, spaces included, with no composition rules, and is used
exactly as typed: never stripped or truncated, so a shorter or trimmed version of it does not
sign in. The same rules hold wherever a password is chosen: registration, change, reset and
joining a case."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import User
from tests.conftest import PASSWORD, login
from tests.helpers import field_error, new_password_link

# 64 characters with spaces, Arabic, accented letters and an emoji.
LONG = "مفتاح سرّي طويل — élan vital & 7 ponts de Königsberg 🌉 olive tre"
assert len(LONG) == 64


def register(client, password: str, email: str = "layla@example.test"):
    return client.post("/register", data={"name": "Layla Haddad", "email": email,
                                           "password": password, "confirm": password,
                                           "locale": "en"})


def account(email: str = "layla@example.test") -> User | None:
    db.session.expire_all()
    return db.session.scalar(db.select(User).where(User.email == email))


def signs_in(app, email: str, password: str) -> bool:
    return app.test_client().post("/login", data={"email": email, "password": password}
                                  ).status_code == 302


@pytest.mark.parametrize("password, problem", [
    ("eleven char", "Use at least 12 characters (this one has 11)."),
    ("", "This field is required."),
    ("x" * 129, "Use at most 128 characters (this one has 129)."),
    # 11 emoji: 44 bytes and 22 UTF-16 units, but 11 characters
    ("🌉" * 11, "Use at least 12 characters (this one has 11)."),
])
def test_a_password_outside_12_to_128_characters_is_refused_next_to_the_field(
        app, client, password, problem):
    response = register(client, password)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "password") == problem
    assert f'<a href="#password">Password: {problem}</a>' in page  # the summary says it too
    assert account() is None


@pytest.mark.parametrize("password", [
    "twelve chars",            # exactly 12, lower case and a space: no composition rules
    "ب" * 6 + "ج" * 6,         # 12 Arabic characters (24 bytes)
    LONG,                      # 64 with spaces and non-ASCII
    "q" * 64 + " r" * 32,      # exactly 128
    "            ",            # twelve spaces are twelve characters too
])
def test_a_password_of_12_to_128_characters_of_any_kind_is_accepted(app, client, password):
    response = register(client, password)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert account().check_password(password)
    assert signs_in(app, "layla@example.test", password)


def test_the_password_is_used_exactly_as_typed(app, client):
    typed = "  " + LONG + "  "
    assert register(client, typed).status_code == 302
    assert signs_in(app, "layla@example.test", typed)
    for altered in (LONG, typed.strip(), typed[:-1], typed[:64], typed.upper()):
        assert not signs_in(app, "layla@example.test", altered), repr(altered)


def test_changing_the_password_follows_the_same_rules(app, people):
    user = people.make("claimant")
    client = app.test_client()
    login(client, user.email)
    short = client.post("/account/password", data={
        "current_password": PASSWORD, "password": "too short", "confirm": "too short"})
    assert short.status_code == 422
    assert "at least 12 characters" in field_error(short.get_data(as_text=True), "password")
    assert account(user.email).check_password(PASSWORD)  # nothing changed

    accepted = client.post("/account/password", data={
        "current_password": PASSWORD, "password": LONG, "confirm": LONG})
    assert accepted.status_code == 302
    assert account(user.email).check_password(LONG)


def test_a_reset_follows_the_same_rules(app, people):
    user = people.make("claimant")
    client = app.test_client()
    link = new_password_link(client, user.email)
    refused = client.post(link, data={"password": "x" * 129, "confirm": "x" * 129})
    assert refused.status_code == 422
    assert "at most 128 characters" in field_error(refused.get_data(as_text=True), "password")
    assert account(user.email).check_password(PASSWORD)
    assert client.post(link, data={"password": LONG, "confirm": LONG}).status_code == 302
    assert signs_in(app, user.email, LONG)


def test_the_page_says_the_rules_and_hints_while_typing_without_inline_script(client):
    page = client.get("/register").get_data(as_text=True)
    assert "12 to 128 characters: any letters, digits, symbols or spaces." in page
    assert 'data-min="12"' in page and 'data-max="128"' in page
    assert '<script src="/static/js/password.js" defer></script>' in page
    assert "<script>" not in page and " onclick=" not in page and " oninput=" not in page
    for field in re.findall(r'<input[^>]*type="password"[^>]*>', page):
        assert "maxlength" not in field  # a browser would cut a longer password short, silently
    script = client.get("/static/js/password.js").get_data(as_text=True)
    assert "Array.from(value).length" in script  # characters, as the server counts them
