"""Three languages from the first line: Arabic right-to-left, French, and the user's choice kept."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import OutboxEmail, User
from tests.helpers import file_complaint, served_case, switch


@pytest.mark.parametrize("lang, direction, phrase", [
    ("en", "ltr", "Sign in"), ("ar", "rtl", "تسجيل الدخول"), ("fr", "ltr", "Se connecter")])
def test_login_page_in_each_language(client, lang, direction, phrase):
    switch(client, lang)
    body = client.get("/login").get_data(as_text=True)
    assert f'<html lang="{lang}" dir="{direction}">' in body
    assert phrase in body


def test_the_case_page_and_filing_form_are_translated(app, people):
    claimant = people.client("claimant")
    number = file_complaint(claimant)
    switch(claimant, "ar")
    page = claimant.get(f"/cases/{number}").get_data(as_text=True)
    assert 'dir="rtl"' in page
    assert "المدعى عليه" in page  # "Respondent"
    assert "الجدول الزمني" in page or "التسلسل الزمني" in page  # "Timeline"
    # the Hijri date of the filing is shown beside the Gregorian one
    assert re.search(r"14\d\d هـ", page)
    draft = claimant.post("/file/new").location
    form = claimant.get(draft).get_data(as_text=True)
    assert "المدعي" in form
    switch(claimant, "fr")
    page = claimant.get(f"/cases/{number}").get_data(as_text=True)
    assert "Défendeur" in page or "défendeur" in page


def test_the_language_choice_is_kept_on_the_account(app, people):
    claimant = people.client("claimant")
    switch(claimant, "fr")
    db.session.expire_all()
    assert db.session.scalar(db.select(User.locale).where(
        User.email == "claimant@example.test")) == "fr"


def test_unknown_language_and_foreign_redirects_are_ignored(client):
    response = switch(client, "xx", "https://evil.example/")
    assert response.location == "/"
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)


def test_emails_are_written_in_the_recipients_language(app, people):
    people.make("manager", is_case_manager=True, locale="fr")
    number, _respondent = served_case(app, people)
    mail = db.session.scalar(db.select(OutboxEmail).where(
        OutboxEmail.to_addr == "manager@example.test").order_by(OutboxEmail.id))
    assert number in mail.subject
    assert mail.subject.startswith("Nouvelle plainte à examiner")
