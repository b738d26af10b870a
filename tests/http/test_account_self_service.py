"""The self-service pages as a user meets them — forgot password, choose a new one, change
password, change email, confirm a link, name and language — in English, Arabic (right to left)
and French, each field with its label; bad input gets a message next to the field, changes
nothing and is never a 500."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import AccountToken, OutboxEmail, User
from tests.conftest import PASSWORD, login
from tests.helpers import field_error, last_link, new_password_link, switch

HEADINGS = {  # path kind → (en, ar, fr) heading
    "forgot": ("Forgot your password?", "نسيت كلمة المرور؟", "Mot de passe oublié ?"),
    "reset": ("Choose a new password", "اختر كلمة مرور جديدة", "Choisir un nouveau mot de passe"),
    "password": ("Change your password", "تغيير كلمة المرور", "Changer votre mot de passe"),
    "email": ("Change your email address", "تغيير بريدك الإلكتروني",
              "Changer votre adresse électronique"),
    "confirm": ("Confirm your new email address", "أكّد عنوان بريدك الإلكتروني الجديد",
                "Confirmez votre nouvelle adresse électronique"),
    "account": ("Name and language", "الاسم واللغة", "Nom et langue"),
}


def labelled(page: str) -> None:
    """Every visible input, select and textarea has a <label for=…>."""
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
        if re.search(r'type="(hidden|submit)"', tag):
            continue
        field_id = re.search(r'id="([^"]+)"', tag)
        assert field_id, tag
        assert f'<label for="{field_id.group(1)}">' in page, tag


def pages(app, people) -> dict[str, tuple]:
    """Each page as (client, path)."""
    user = people.make("claimant")
    signed_in = app.test_client()
    login(signed_in, user.email)
    signed_in.post("/account/email", data={"email": "new@example.test", "password": PASSWORD})
    return {
        "forgot": (app.test_client(), "/password/forgot"),
        "reset": (app.test_client(), new_password_link(app.test_client(), user.email)),
        "password": (signed_in, "/account/password"),
        "email": (signed_in, "/account/email"),
        "confirm": (signed_in, last_link("new@example.test", "/account/email/confirm/")),
        "account": (signed_in, "/account"),
    }


@pytest.mark.parametrize("lang, index, direction", [("en", 0, "ltr"), ("ar", 1, "rtl"),
                                                     ("fr", 2, "ltr")])
def test_every_page_in_each_language_with_a_label_on_every_field(app, people, lang, index,
                                                                  direction):
    for kind, (client, path) in pages(app, people).items():
        switch(client, lang)
        response = client.get(path)
        assert response.status_code == 200, (kind, lang)
        page = response.get_data(as_text=True)
        assert f'<html lang="{lang}" dir="{direction}">' in page
        assert HEADINGS[kind][index] in page, (kind, lang)
        assert "<script>" not in page and "style=" not in page, kind
        labelled(page)


def test_the_sign_in_page_links_to_the_forgotten_password(client):
    assert 'href="/password/forgot"' in client.get("/login").get_data(as_text=True)


def test_the_account_page_links_to_every_section(app, people):
    page = people.client("claimant").get("/account").get_data(as_text=True)
    for target in ('href="#profile"', 'href="#notifications"', 'href="#sign-in"',
                   'href="#sessions-heading"', 'href="/account/password"',
                   'href="/account/email"'):
        assert target in page


def test_name_and_language_are_saved_and_the_interface_follows(app, people):
    client = people.client("claimant")
    response = client.post("/account/profile", data={"name": "  Layla Haddad  ",
                                                     "locale": "ar"})
    assert response.status_code == 302
    db.session.expire_all()
    user = people.user("claimant")
    assert (user.name, user.locale) == ("Layla Haddad", "ar")
    assert 'dir="rtl"' in client.get("/account").get_data(as_text=True)


@pytest.mark.parametrize("data, field, message", [
    ({"name": "", "locale": "en"}, "name", "This field is required."),
    ({"name": "x" * 201, "locale": "en"}, "name", "200"),
    ({"name": "Layla", "locale": "de"}, "locale", "Not a valid choice"),
    ({"name": "Layla"}, "locale", "Not a valid choice"),
])
def test_bad_name_or_language_is_refused_next_to_the_field(app, people, data, field, message):
    client = people.client("claimant")
    response = client.post("/account/profile", data=data)
    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True), field)
    db.session.expire_all()
    user = people.user("claimant")
    assert (user.name, user.locale) == ("Claimant", "en")


@pytest.mark.parametrize("data, field, message", [
    ({"current_password": PASSWORD, "password": "a fine new passphrase",
      "confirm": "a different one"}, "confirm", "The passwords differ."),
    ({"current_password": "", "password": "a fine new passphrase",
      "confirm": "a fine new passphrase"}, "current_password", "This field is required."),
    ({"current_password": "not my password", "password": "a fine new passphrase",
      "confirm": "a fine new passphrase"}, "current_password",
     "This is not your current password."),
    ({"current_password": PASSWORD, "password": "claimant@example.test",
      "confirm": "claimant@example.test"}, "password", "email address or your name"),
])
def test_a_bad_password_change_is_refused_next_to_the_field(app, people, data, field, message):
    client = people.client("claimant")
    before = people.user("claimant").password_hash
    response = client.post("/account/password", data=data)
    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True), field)
    db.session.expire_all()
    assert people.user("claimant").password_hash == before
    assert client.get("/dashboard").status_code == 200  # still signed in


def test_a_password_change_keeps_this_session_with_a_new_token_and_tells_the_owner(app, people):
    user = people.make("claimant")
    client, other = app.test_client(), app.test_client()
    login(client, user.email)
    login(other, user.email)
    old = client.get_cookie(app.config["SIGN_IN_COOKIE_NAME"]).value
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "password": "a fine new passphrase",
        "confirm": "a fine new passphrase"})
    assert response.status_code == 302
    page = client.get("/account")
    assert page.status_code == 200  # this session goes on
    assert "Every other session was signed out" in page.get_data(as_text=True)
    assert client.get_cookie(app.config["SIGN_IN_COOKIE_NAME"]).value != old
    assert other.get("/dashboard").status_code == 302  # the other session ended
    told = db.session.scalar(db.select(OutboxEmail).where(OutboxEmail.to_addr == user.email))
    assert "password was changed" in told.subject


@pytest.mark.parametrize("email", ["", "not-an-email", "a@b", "x" * 250 + "@example.test",
                                   "\u202eevil@example.test"])
def test_a_bad_email_for_a_reset_is_refused_next_to_the_field(app, client, email):
    response = client.post("/password/forgot", data={"email": email})
    assert response.status_code in (400, 422)
    if response.status_code == 422:
        assert field_error(response.get_data(as_text=True), "email")
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxEmail)) == 0


def test_the_reset_page_refuses_bad_input_and_keeps_the_link(app, people):
    user = people.make("claimant")
    link = new_password_link(app.test_client(), user.email)
    client = app.test_client()
    for data in ({}, {"password": "a fine new passphrase"},
                 {"password": "a fine new passphrase", "confirm": "another one altogether"},
                 {"password": ["two", "values"], "confirm": "two"}):
        response = client.post(link, data=data)
        assert response.status_code == 422, data
    row = db.session.scalar(db.select(AccountToken))
    assert row.used_at is None  # the link still works after the mistakes
    assert client.post(link, data={"password": "a fine new passphrase",
                                   "confirm": "a fine new passphrase"}).status_code == 302


def test_links_of_another_kind_do_not_work_here(app, people):
    user = people.make("claimant")
    reset = new_password_link(app.test_client(), user.email).rsplit("/", 1)[1]
    for path in (f"/account/verify/{reset}", f"/account/email/confirm/{reset}"):
        assert app.test_client().post(path).status_code == 404


def test_a_deactivated_account_gets_no_working_link(app, people):
    user = people.make("claimant")
    link = new_password_link(app.test_client(), user.email)
    db.session.get(User, user.id).active = False
    db.session.commit()
    assert app.test_client().post(link, data={"password": "a fine new passphrase",
                                              "confirm": "a fine new passphrase"}
                                  ).status_code == 404
