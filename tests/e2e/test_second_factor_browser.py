"""The second factor in a real browser: a case manager's first sign-in sets up an
authenticator app from the page (the key typed by hand, as from the QR code), keeps the
recovery codes, then signs in again with a code from the app; in English and in Arabic
(right to left)."""

from __future__ import annotations

import re

import pytest

from app.auth.second_factor import code_at, time_step
from app.extensions import db
from app.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def submit(page) -> None:
    page.locator("main form button[type=submit]").first.click()


def sign_in_with_password(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    submit(page)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_set_up_an_app_then_sign_in_with_a_code(live_server, page, people, lang):
    manager = people.make("manager", is_case_manager=True, totp=False)
    page.goto(live_server + "/")
    if lang == "ar":
        page.locator(".lang-switch a[hreflang=ar]").click()
    sign_in_with_password(page, live_server, manager.email)
    page.wait_for_url(re.compile(r"/login/enrol$"))
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    qr = page.locator("figure.qr svg")
    assert qr.is_visible() and qr.bounding_box()["width"] >= 150  # big enough to scan
    key = page.locator("code.secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", key)
    # A wrong code first: the message is next to the field, nothing is set up.
    page.locator("#code").fill("000000")
    submit(page)
    assert page.locator(".field.has-error .error").is_visible()
    page.locator("#code").fill(code_at(key, time_step()))
    submit(page)
    codes = page.locator("ol.recovery-codes li")
    assert codes.count() == 10
    page.locator("main a.button.primary").click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    db.session.expire_all()
    assert db.session.get(User, manager.id).has_totp

    # Sign out, and in again with the app's code (the next one: a code works once).
    page.locator("header form[action='/logout'] button").click()
    page.wait_for_url(re.compile(r"/$"))
    sign_in_with_password(page, live_server, manager.email)
    page.wait_for_url(re.compile(r"/login/code$"))
    assert page.locator("label[for=code]").is_visible()
    page.locator("#code").fill(code_at(key, time_step() + 1))
    submit(page)
    page.wait_for_url(re.compile(r"/dashboard$"))
    if lang == "ar":
        assert page.locator("html").get_attribute("dir") == "rtl"
