"""Filing a complaint in a real browser, in English and in Arabic (right-to-left)."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import Case
from tests.conftest import emailed_code
from tests.helpers import last_link

pytestmark = pytest.mark.e2e



def register(page, base: str, name: str, email: str) -> None:
    page.goto(f"{base}/register")
    page.get_by_label(re.compile("Full name|الاسم الكامل|Nom complet")).fill(name)
    page.locator("#email").fill(email)
    # While typing, app/static/js/password.js counts characters as the server does (an emoji
    # is one) and says whether the two passwords match.
    page.locator("#password").fill("short 🌉")
    assert re.match(r"^7\D", page.locator("#password-live").inner_text())
    page.locator("#password").fill("correct horse battery")
    page.locator("#confirm").fill("correct horse batter")
    assert page.locator("#confirm-live").inner_text() != ""
    page.locator("#confirm").fill("correct horse battery")
    assert page.locator("#confirm-live").inner_text() == ""
    page.locator("form:not(.lang-switch) button[type=submit]").last.click()
    # Registering answers the same whether or not the email has an account: the new account
    # then signs in, with the code emailed to it (a party without an authenticator app).
    page.wait_for_url(re.compile(r"/login$"))
    page.locator("#email").fill(email)
    page.locator("#password").fill("correct horse battery")
    page.locator("form:not(.lang-switch) button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/login/code$"))
    page.locator("#code").fill(emailed_code(email))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    # A complaint is filed from a confirmed address: the link of the registration message.
    page.goto(base + last_link(email, "/account/verify/"))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/file/new$"))
    page.goto(f"{base}/dashboard")


def fill_complaint(page) -> None:
    """Every step through the keyboard-reachable form fields, by their ids."""
    page.locator("#capacity-0").check()
    page.locator("#name").fill("Nile Textiles S.A.E.")
    page.locator("#country").select_option("EG")
    page.locator("#address").fill("12 Corniche el Nil, Cairo")
    page.locator("#email").fill("claimant@example.test")
    page.locator("button[name=continue]").click()
    page.wait_for_url(re.compile(r"/respondent$"))

    page.locator("#name").fill("شركة الخليج للأزياء")
    page.locator("#country").select_option("AE")
    page.locator("#address").fill("Business Bay, Dubai")
    page.locator("#email").fill("respondent@example.test")
    page.locator("button[name=continue]").click()
    page.wait_for_url(re.compile(r"/rights$"))

    page.locator("#kind").select_option("trademark")
    page.locator("#title").fill("NILE COTTON")
    page.locator("#registration_number").fill("EG-118204")
    page.locator("#office").fill("Egyptian Trademark Office")
    page.locator("#country").select_option("EG")
    page.locator("#owner").fill("Nile Textiles S.A.E.")
    page.locator("button[name=add]").click()
    page.wait_for_url(re.compile(r"/rights$"))
    assert page.get_by_role("cell", name="NILE COTTON", exact=True).is_visible()
    page.locator("button[name=continue]").click()
    page.wait_for_url(re.compile(r"/infringement$"))

    page.locator("#description").fill("Counterfeit bed linen sold under the NILE COTTON mark.")
    page.locator("#locations").fill("https://market.example/item/1")
    page.locator("button[name=continue]").click()
    page.wait_for_url(re.compile(r"/remedies$"))

    # Submitting no remedy shows the error next to the field, and nothing is lost.
    page.locator("button[name=continue]").click()
    assert page.locator(".field.has-error .error").first.is_visible()
    page.locator("#cease_use").check()
    page.locator("#damages").check()
    page.locator("#damages_amount").fill("25000")
    page.locator("button[name=continue]").click()
    page.wait_for_url(re.compile(r"/proceedings$"))
    page.locator("button[name=continue]").click()
    page.wait_for_url(re.compile(r"/review$"))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_file_a_complaint_in_the_browser(live_server, page, lang):
    page.goto(live_server + "/")
    if lang == "ar":
        page.locator(".lang-switch a[hreflang=ar]").click()
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.locator("html").get_attribute("lang") == "ar"
    else:
        assert page.locator("html").get_attribute("dir") == "ltr"
    register(page, live_server, "Layla Haddad", f"layla-{lang}@example.test")
    page.locator("main form button[type=submit]").last.click()  # file a new complaint
    page.wait_for_url(re.compile(r"/file/\d+/claimant$"))
    if lang == "ar":
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert "المدعي" in page.locator("main").inner_text()
    fill_complaint(page)
    assert "NILE COTTON" in page.locator("main").inner_text()
    page.locator("main form.form-actions button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cases/SULH-\d{4}-\d{6}/receipt$"))
    number = re.search(r"SULH-\d{4}-\d{6}", page.url).group(0)
    assert number in page.locator("main").inner_text()
    if lang == "ar":
        assert page.locator("html").get_attribute("dir") == "rtl"
    db.session.expire_all()
    filed = db.session.scalar(db.select(Case).where(Case.number == number))
    assert filed.stage == "review"
    assert filed.respondent.name == "شركة الخليج للأزياء"
    assert [r.title for r in filed.rights] == ["NILE COTTON"]
