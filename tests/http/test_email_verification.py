"""A self-registered account confirms its address before filing a complaint: the registration
message carries the link; until it is followed, every page of the filing wizard says so (403)
with a button that sends the link again, and the domain refuses the filing from any door. A
service link followed, a reset link followed or a confirmed new address count as confirmed."""

from __future__ import annotations

import re

import pytest

from app.auth import self_service
from app.cases.service import take_action
from app.extensions import db
from app.models import Case, User
from tests.conftest import PASSWORD, login, outbox_to
from tests.helpers import file_complaint, fill_complaint, last_link, served_case, switch
from workflows.engine import ActionRefused

TYPED = "a long enough password"


def registered(app, email: str = "layla@example.test", locale: str = "en"):
    client = app.test_client()
    response = client.post("/register", data={"name": "Layla Haddad", "email": email,
                                               "password": TYPED, "confirm": TYPED,
                                               "locale": locale})
    assert response.status_code == 302
    login(client, email, TYPED)
    return client


def user(email: str = "layla@example.test") -> User:
    db.session.expire_all()
    return db.session.scalar(db.select(User).where(User.email == email))


def test_the_registration_message_carries_the_link_and_filing_waits_for_it(app):
    client = registered(app)
    assert not user().email_verified
    link = last_link("layla@example.test", "/account/verify/")

    for path in ("/file/new", "/dashboard"):
        page = client.get(path)
        if path == "/file/new":
            assert page.status_code == 403
            text = page.get_data(as_text=True)
            assert "Confirm your email address first" in text
            assert 'action="/account/verify/resend"' in text and "Send the link again" in text
    assert client.post("/file/new", data={}).status_code == 403
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0

    opened = client.get(link)
    assert opened.status_code == 200 and "layla@example.test" in opened.get_data(as_text=True)
    assert not user().email_verified  # opening the link changes nothing; its button does
    confirmed = client.post(link)
    assert confirmed.status_code == 302 and confirmed.location == "/file/new"
    assert user().email_verified
    assert client.post(link).status_code == 404  # once
    file_complaint(client)


def test_resend_sends_a_new_link_and_is_throttled(app):
    client = registered(app)
    before = len(outbox_to("layla@example.test"))
    response = client.post("/account/verify/resend", data={"back": "filing"})
    assert response.status_code == 302 and response.location == "/file/new"
    assert len(outbox_to("layla@example.test")) == before + 1
    assert "We have sent a new link" in client.get("/file/new").get_data(as_text=True)
    for _ in range(2):  # THROTTLE_VERIFY_EMAIL_ACCOUNT: 3 per hour
        client.post("/account/verify/resend")
    assert client.post("/account/verify/resend").status_code == 429
    assert len(outbox_to("layla@example.test")) == before + 3
    client.post(last_link("layla@example.test", "/account/verify/"))
    assert user().email_verified


def test_a_verification_link_expires_after_seven_days(app, clock):
    client = registered(app)
    link = last_link("layla@example.test", "/account/verify/")
    clock.advance(days=7, seconds=1)
    assert client.post(link).status_code == 404
    assert not user().email_verified


def test_a_filing_from_an_unconfirmed_address_is_refused_from_every_door(app, people):
    claimant = people.client("claimant")
    draft = int(re.search(r"/file/(\d+)/", claimant.post("/file/new", data={}).location)[1])
    fill_complaint(claimant, draft)
    account = people.user("claimant")
    account.email_verified_at = None
    db.session.commit()
    assert claimant.post(f"/file/{draft}/submit").status_code == 403
    with pytest.raises(ActionRefused, match="Confirm your email address"):
        take_action(db.session.get(Case, draft), "submit", account)
    db.session.rollback()
    assert db.session.get(Case, draft).stage == "draft"


def test_the_gate_and_the_links_in_arabic_and_french(app):
    client = registered(app, locale="ar")
    assert "صلح" in outbox_to("layla@example.test")[-1].subject
    page = client.get("/file/new").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page and "أكّد عنوان بريدك الإلكتروني أولاً" in page
    switch(client, "fr")
    page = client.get("/file/new").get_data(as_text=True)
    assert "Confirmez d’abord votre adresse électronique" in page
    link = last_link("layla@example.test", "/account/verify/")
    assert "Confirmez votre adresse électronique" in client.get(link).get_data(as_text=True)


def test_a_followed_service_link_or_reset_link_confirms_the_address(app, people):
    _number, _respondent = served_case(app, people)
    assert user("respondent@example.test").email_verified
    stranger = people.make("stranger", verified=False)
    self_service.request_password_reset(stranger.email, "en")
    db.session.commit()
    link = last_link(stranger.email, "/password/reset/")
    app.test_client().post(link, data={"password": "a fresh passphrase 11",
                                       "confirm": "a fresh passphrase 11"})
    assert user(stranger.email).email_verified


def test_the_account_page_offers_the_link_again_until_confirmed(app):
    client = registered(app)
    page = client.get("/account").get_data(as_text=True)
    assert "not confirmed yet" in page and 'action="/account/verify/resend"' in page
    client.post(last_link("layla@example.test", "/account/verify/"))
    page = client.get("/account").get_data(as_text=True)
    assert "not confirmed yet" not in page
    assert client.post("/account/verify/resend").status_code == 302
    assert "already confirmed" in client.get("/account").get_data(as_text=True)


def test_login_password_of_the_registered_account_is_the_typed_one(app):
    registered(app)
    assert app.test_client().post("/login", data={
        "email": "layla@example.test", "password": PASSWORD}).status_code == 422
