"""The account page: the sessions an account has open (browser, address, last use, "this
session"), ending one or all the others — plain forms with a CSRF token, no script, in
English, Arabic (right to left) and French. Bad input changes nothing."""

from __future__ import annotations

import re

import pytest

from app.auth import sessions
from app.extensions import db
from app.models import SecurityEvent
from tests.conftest import PASSWORD, pass_second_step
from tests.helpers import sign_in_cookie, switch

FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1")


def sign_in_from(app, email: str, agent: str, address: str):
    client = app.test_client()
    browser = {"headers": {"User-Agent": agent}, "environ_base": {"REMOTE_ADDR": address}}
    response = client.post("/login", data={"email": email, "password": PASSWORD}, **browser)
    assert response.status_code == 302
    pass_second_step(client, email, response, **browser)
    return client


def handles(page: str) -> list[str]:
    return re.findall(r'name="handle" value="([0-9a-f]{16})"', page)


def test_the_page_lists_each_session_with_browser_address_and_which_is_this_one(app, people):
    user = people.make("claimant")
    laptop = sign_in_from(app, user.email, FIREFOX, "203.0.113.5")
    sign_in_from(app, user.email, IPHONE, "198.51.100.23")
    page = laptop.get("/account").get_data(as_text=True)
    assert "Firefox on Linux" in page and "Safari on iPhone" in page
    assert "203.0.113.5" in page and "198.51.100.23" in page
    assert page.count("This session") == 1
    assert len(handles(page)) == 1  # only the other one can be signed out from here
    assert "Sign out everywhere else" in page
    assert 'href="/account"' in page  # linked from the header


def test_the_page_in_arabic_and_french(app, people):
    user = people.make("claimant")
    client = sign_in_from(app, user.email, FIREFOX, "203.0.113.5")
    sign_in_from(app, user.email, IPHONE, "198.51.100.23")
    switch(client, "ar")
    page = client.get("/account").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "Firefox على Linux" in page and "هذه الجلسة" in page
    assert "تسجيل الخروج من كل مكان آخر" in page
    switch(client, "fr")
    page = client.get("/account").get_data(as_text=True)
    assert "Firefox sur Linux" in page and "Cette session" in page


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 302 and response.location.startswith("/login")


@pytest.mark.parametrize("handle", ["", "zz", "0" * 16, "0123456789abcdef0", "<script>"])
def test_a_bad_or_unknown_handle_changes_nothing(app, people, handle):
    user = people.make("claimant")
    client = sign_in_from(app, user.email, FIREFOX, "203.0.113.5")
    other = sign_in_from(app, user.email, IPHONE, "198.51.100.23")
    response = client.post("/account/sessions/revoke", data={"handle": handle})
    assert response.status_code in (302, 422)
    assert other.get("/dashboard").status_code == 200
    assert not db.session.scalars(db.select(SecurityEvent).where(
        SecurityEvent.event == "session_revoked")).all()


def test_another_accounts_session_cannot_be_revoked(app, people):
    mine, theirs = people.make("claimant"), people.make("respondent")
    me = sign_in_from(app, mine.email, FIREFOX, "203.0.113.5")
    them = sign_in_from(app, theirs.email, IPHONE, "198.51.100.23")
    their_handle = sessions.hash_token(sign_in_cookie(them))[:16]
    me.post("/account/sessions/revoke", data={"handle": their_handle})
    assert them.get("/dashboard").status_code == 200


def test_the_forms_need_their_csrf_token(app, people):
    user = people.make("claimant")
    client = sign_in_from(app, user.email, FIREFOX, "203.0.113.5")
    other = sign_in_from(app, user.email, IPHONE, "198.51.100.23")
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/account").get_data(as_text=True)
    for action in ("/account/sessions/revoke", "/account/sessions/end-others"):
        response = client.post(action, data={"handle": handles(page)[0]})
        assert response.status_code == 400, action
    assert other.get("/dashboard").status_code == 200
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/account/sessions/end-others", data={"csrf_token": token})
    assert response.status_code == 302
    assert other.get("/dashboard").status_code == 302


def test_the_same_form_sent_twice_acts_once(app, people):
    user = people.make("claimant")
    client = sign_in_from(app, user.email, FIREFOX, "203.0.113.5")
    sign_in_from(app, user.email, IPHONE, "198.51.100.23")
    page = client.get("/account").get_data(as_text=True)
    key = re.search(r'name="_submission" value="([^"]+)"', page.split("end-others")[1]).group(1)
    for _ in range(2):
        client.post("/account/sessions/end-others", data={"_submission": key})
    assert len(db.session.scalars(db.select(SecurityEvent).where(
        SecurityEvent.event == "sessions_ended")).all()) == 1
