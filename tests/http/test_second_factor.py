"""The second factor through the pages a person uses: setting up an app at the first sign-in
(QR code and the key as text), the recovery codes shown once and good once, codes by email,
joining a case from a service link into the second step, the account page's "Second factor"
section, in English, Arabic (right to left) and French. Bad input gets a clear message next
to the field, changes nothing and never a 500."""

from __future__ import annotations

import re

import pytest

from app.auth.second_factor import code_at, time_step
from app.extensions import db
from app.models import OutboxEmail, RecoveryCode, SecondStep, SecurityEvent, User
from tests.conftest import PASSWORD, TOTP_SECRET, emailed_code, login, outbox_to
from tests.helpers import act, file_complaint, link_in, switch

RECOVERY = re.compile(r"<code>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})</code>")


def password_step(client, email: str):
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response


def signed_in(client) -> bool:
    return client.get("/dashboard").status_code == 200


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def events(user: User) -> list[str]:
    db.session.expire_all()
    return [e.event for e in db.session.scalars(db.select(SecurityEvent).where(
        SecurityEvent.user_id == user.id).order_by(SecurityEvent.id))]


def key_on(page: str) -> str:
    match = re.search(r'<code class="secret" dir="ltr">([A-Z2-7 ]+)</code>', page)
    assert match, page[:2000]
    return match.group(1).replace(" ", "")


def enrol_at_first_sign_in(app, user: User):
    """The password, then the app set up from the key the page shows: the client and the
    recovery codes page."""
    client = app.test_client()
    assert password_step(client, user.email).location == "/login/enrol"
    page = client.get("/login/enrol").get_data(as_text=True)
    done = client.post("/login/enrol", data={"code": code_at(key_on(page), time_step())})
    assert done.status_code == 200, done.get_data(as_text=True)[:500]
    return client, done.get_data(as_text=True)


# ------------------------------------------------------------------ setting up at sign-in
def test_a_neutral_sets_up_an_app_at_the_first_sign_in(app, people, clock):
    neutral = people.make("mediator", is_neutral=True, totp=False)
    client = app.test_client()
    password_step(client, neutral.email)
    response = client.get("/login/enrol")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    # The QR code is inline SVG (no script, no style attribute: the CSP allows neither)...
    svg = re.search(r"<svg[^>]*>.*?</svg>", page, re.S).group(0)
    assert "<title>" in svg and "style=" not in svg and "<script" not in page
    # ...with the key as text for typing by hand, and a labelled field for the first code.
    key = key_on(page)
    assert len(key) == 32
    assert '<label for="code">Code from the app</label>' in page
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    assert not signed_in(client)
    done = client.post("/login/enrol", data={"code": code_at(key, time_step())})
    codes_page = done.get_data(as_text=True)
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    codes = RECOVERY.findall(codes_page)
    assert len(codes) == len(set(codes)) == 10
    assert 'href="/dashboard"' in codes_page and signed_in(client)
    user = fresh(neutral)
    assert user.totp_secret == key and user.has_totp
    stored = list(db.session.scalars(db.select(RecoveryCode.code_hash)))
    assert len(stored) == 10 and not {c.replace("-", "") for c in codes} & set(stored)
    assert events(neutral) == ["sign_in_password", "second_factor_enrolled", "sign_in"]
    assert db.session.scalar(db.select(db.func.count()).select_from(SecondStep)) == 0


def test_the_first_code_shown_cannot_be_used_again_to_sign_in(app, people, clock):
    neutral = people.make("arbitrator", is_neutral=True, totp=False)
    client, _codes = enrol_at_first_sign_in(app, neutral)
    key = fresh(neutral).totp_secret
    client.post("/logout")
    password_step(client, neutral.email)
    assert client.post("/login/code", data={"code": code_at(key, time_step())}
                       ).status_code == 422
    assert client.post("/login/code", data={"code": code_at(key, time_step() + 1)}
                       ).status_code == 302


def test_the_next_page_asked_for_is_reached_after_the_second_step(app, people):
    user = people.make("claimant")
    client = app.test_client()
    response = client.post("/login?next=/account", data={"email": user.email,
                                                          "password": PASSWORD})
    assert response.location == "/login/code"
    done = client.post("/login/code", data={"code": code_at(TOTP_SECRET, time_step())})
    assert done.status_code == 302 and done.location == "/account"


# ------------------------------------------------------------------------- recovery codes
def test_a_recovery_code_signs_in_once(app, people, clock):
    neutral = people.make("mediator", is_neutral=True, totp=False)
    client, page = enrol_at_first_sign_in(app, neutral)
    codes = RECOVERY.findall(page)
    client.post("/logout")
    password_step(client, neutral.email)
    typed = codes[3].lower().replace("-", " ")  # as someone copies it from paper
    response = client.post("/login/code", data={"code": typed})
    assert response.status_code == 302
    assert "a recovery code: 9 are left" in client.get("/dashboard").get_data(as_text=True)
    assert "recovery_code_used" in events(neutral)
    other = app.test_client()
    password_step(other, neutral.email)
    assert other.post("/login/code", data={"code": codes[3]}).status_code == 422
    assert other.post("/login/code", data={"code": codes[4]}).status_code == 302


def test_new_recovery_codes_replace_the_old_ones(app, people, clock):
    user = people.make("claimant")
    client = app.test_client()
    login(client, user.email)
    response = client.post("/account/second-factor", data={
        "factor-action": "codes", "factor-password": PASSWORD,
        "factor-code": code_at(TOTP_SECRET, time_step() + 1)})
    first = RECOVERY.findall(response.get_data(as_text=True))
    assert response.status_code == 200 and len(first) == 10
    again = client.post("/account/second-factor", data={
        "factor-action": "codes", "factor-password": PASSWORD, "factor-code": first[0]})
    second = RECOVERY.findall(again.get_data(as_text=True))
    assert len(second) == 10 and not set(first) & set(second)
    page = client.get("/account").get_data(as_text=True)
    assert "10 unused recovery codes are left." in page
    other = app.test_client()
    password_step(other, user.email)
    assert other.post("/login/code", data={"code": first[1]}).status_code == 422
    assert "recovery_codes_regenerated" in events(user)


# ------------------------------------------------------------------------ codes by email
def test_a_party_signs_in_with_a_code_by_email(app, people):
    party = people.make("claimant", totp=False)
    client = app.test_client()
    password_step(client, party.email)
    page = client.get("/login/code").get_data(as_text=True)
    assert party.email in page and "Send me a new code" in page
    assert "recovery codes" not in page  # a party on codes by email has none
    message = outbox_to(party.email)[-1]
    assert "Sulh" in message.subject and "code" in message.subject.lower()
    code = emailed_code(party.email)
    assert code not in message.subject
    assert client.post("/login/code", data={"code": f"{code[:3]} {code[3:]}"}
                       ).status_code == 302
    assert signed_in(client)


def test_asking_for_a_new_code_ends_the_old_one_and_is_limited(app, people):
    party = people.make("respondent", totp=False)
    client = app.test_client()
    password_step(client, party.email)
    old = emailed_code(party.email)
    response = client.post("/login/code/email")
    assert response.status_code == 302
    new = emailed_code(party.email)
    assert len(outbox_to(party.email)) == 2
    if new != old:
        assert client.post("/login/code", data={"code": old}).status_code == 422
    for _ in range(5):
        client.post("/login/code/email")
    assert len(outbox_to(party.email)) == 5  # THROTTLE_EMAIL_CODE_ACCOUNT: 5 per 15 minutes
    page = client.get("/login/code").get_data(as_text=True)
    assert "Several codes were sent" in page
    assert client.post("/login/code", data={"code": emailed_code(party.email)}
                       ).status_code == 302


# ------------------------------------------------------------------ joining a case by link
def served(people) -> tuple[str, str]:
    number = file_complaint(people.client("claimant"))
    act(people.client("manager"), number, "accept_filing")
    return number, link_in(outbox_to("respondent@example.test")[-1].body, "/join/")


def test_joining_by_link_leads_into_setting_up_an_app(app, people, clock):
    number, join_path = served(people)
    client = app.test_client()
    joined = client.post(join_path, data={"name": "Gulf Fashion Trading LLC",
                                          "password": PASSWORD, "confirm": PASSWORD})
    assert joined.location == "/login/code" and not signed_in(client)
    choice = client.get("/login/code").get_data(as_text=True)
    assert f"You have joined case {number}." in choice
    assert "Set up an authenticator app" in choice and "Use codes by email" in choice
    assert client.post("/login/enrol/new").location == "/login/enrol"
    page = client.get("/login/enrol").get_data(as_text=True)
    done = client.post("/login/enrol", data={"code": code_at(key_on(page), time_step())})
    assert done.status_code == 200 and f'href="/cases/{number}"' in done.get_data(as_text=True)
    assert client.get(f"/cases/{number}").status_code == 200
    respondent = db.session.scalar(db.select(User).where(
        User.email == "respondent@example.test"))
    assert respondent.has_totp


def test_an_existing_account_signs_in_then_joins(app, people):
    people.make("respondent", totp=False)
    number, join_path = served(people)
    client = app.test_client()
    response = client.get(join_path)
    assert response.status_code == 302 and response.location.startswith("/login?next=")
    password = client.post(response.location, data={"email": "respondent@example.test",
                                                    "password": PASSWORD})
    assert password.location == "/login/code"
    done = client.post("/login/code", data={"code": emailed_code("respondent@example.test")})
    assert done.location == join_path
    assert client.post(join_path).location == f"/cases/{number}"


def test_a_party_cannot_swap_email_codes_for_an_app_with_the_password_alone(app, people):
    """Someone with a party's password but not the mailbox must not set up their own app."""
    party = people.make("claimant", totp=False)
    client = app.test_client()
    password_step(client, party.email)
    assert client.get("/login/enrol").location == "/login/code"
    assert client.post("/login/enrol/new").location == "/login/code"
    assert client.post("/login/enrol", data={"code": "123456"}).location == "/login/code"
    assert client.post("/login/code/continue").location == "/login/code"
    assert not fresh(party).has_totp and not signed_in(client)


# --------------------------------------------------------------------- the account page
def test_the_account_page_shows_the_factor(app, people):
    party = people.make("claimant")
    client = app.test_client()
    login(client, party.email)
    page = client.get("/account").get_data(as_text=True)
    assert 'id="second-factor"' in page and "Second factor" in page
    assert "code from your authenticator app" in page
    for action in ("replace", "codes", "email"):
        assert f'value="{action}"' in page
    assert '<label for="factor-password">' in page and '<label for="factor-code">' in page
    manager = people.client("manager")
    page = manager.get("/account").get_data(as_text=True)
    assert 'value="email"' not in page
    assert "Your role at the Centre requires an authenticator app." in page


def test_a_party_switches_from_email_to_an_app_and_back(app, people, clock):
    party = people.make("respondent", totp=False)
    client = app.test_client()
    login(client, party.email)
    page = client.get("/account").get_data(as_text=True)
    assert "code sent to respondent@example.test" in page
    assert 'name="factor-action" value="totp"' in page
    client.post("/account/second-factor/email-code")
    confirmed = client.post("/account/second-factor", data={
        "factor-action": "totp", "factor-password": PASSWORD,
        "factor-code": emailed_code(party.email)})
    assert confirmed.location == "/account/second-factor/enrol"
    key = key_on(client.get("/account/second-factor/enrol").get_data(as_text=True))
    done = client.post("/account/second-factor/enrol", data={"code": code_at(key, time_step())})
    assert done.status_code == 200 and len(RECOVERY.findall(done.get_data(as_text=True))) == 10
    assert fresh(party).has_totp
    back = client.post("/account/second-factor", data={
        "factor-action": "email", "factor-password": PASSWORD,
        "factor-code": code_at(key, time_step() + 1)})
    assert back.location == "/account"
    assert not fresh(party).has_totp
    assert {"second_factor_enrolled", "second_factor_removed"} <= set(events(party))


# ----------------------------------------------------------------------------- languages
@pytest.mark.parametrize(("lang", "expected"), [
    ("ar", ["أكّد أنك أنت", "الرمز", "رموز الاسترداد"]),
    ("fr", ["Confirmez que c'est bien vous", "Code", "codes de secours"]),
])
def test_the_second_step_in_arabic_and_french(app, people, lang, expected):
    user = people.make("claimant")
    client = app.test_client()
    switch(client, lang, "/login")
    password_step(client, user.email)
    page = client.get("/login/code").get_data(as_text=True).replace("&#39;", "'")
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in page
    for text in expected:
        assert text in page, text
    wrong = client.post("/login/code", data={"code": "abc"}).get_data(as_text=True)
    assert 'id="code-error"' in wrong
    assert "Enter the 6 digits" not in wrong  # the message is translated


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_setting_up_and_the_account_section_in_arabic_and_french(app, people, lang, clock):
    neutral = people.make("arbitrator", is_neutral=True, totp=False, locale=lang)
    client = app.test_client()
    switch(client, lang, "/login")
    password_step(client, neutral.email)
    page = client.get("/login/enrol").get_data(as_text=True).replace("&#39;", "'")
    assert ("إعداد تطبيق مصادقة" if lang == "ar"
            else "Configurer une application d'authentification") in page
    assert '<code class="secret" dir="ltr">' in page  # the key reads left to right in Arabic
    done = client.post("/login/enrol", data={"code": code_at(key_on(page), time_step())})
    codes_page = done.get_data(as_text=True)
    assert 'class="recovery-codes" dir="ltr"' in codes_page
    account = client.get("/account").get_data(as_text=True).replace("&#39;", "'")
    assert ("العامل الثاني" if lang == "ar" else "Second facteur") in account
    assert ("بقيت 10 رموز استرداد" if lang == "ar" else "10 codes de secours inutilisés") in account


def test_the_emailed_code_is_in_the_accounts_language(app, people):
    party = people.make("claimant", totp=False, locale="ar")
    password_step(app.test_client(), party.email)
    message = outbox_to(party.email)[-1]
    assert "صلح" in message.subject and "يصلح مرة واحدة" in message.body


# ----------------------------------------------------------------------------- bad input
BAD_CODES = ["", "   ", "abc", "12345", "1234567", "12345a", "١٢٣٤٥", "<script>", "x" * 41,
             "🙂🙂🙂🙂🙂🙂", "0" * 40, "123\u200f456"]


@pytest.mark.parametrize("code", BAD_CODES)
def test_bad_codes_at_sign_in_get_a_message_and_change_nothing(app, people, code):
    user = people.make("manager", is_case_manager=True)
    client = app.test_client()
    password_step(client, user.email)
    response = client.post("/login/code", data={"code": code})
    assert response.status_code in (400, 422), response.status_code
    if response.status_code == 422:
        assert 'id="code-error"' in response.get_data(as_text=True)
    assert not signed_in(client) and fresh(user).totp_last_step is None


@pytest.mark.parametrize("code", BAD_CODES)
def test_bad_codes_when_setting_up_get_a_message_and_change_nothing(app, people, code):
    user = people.make("mediator", is_neutral=True, totp=False)
    client = app.test_client()
    password_step(client, user.email)
    response = client.post("/login/enrol", data={"code": code})
    assert response.status_code in (400, 422)
    assert not fresh(user).has_totp and not signed_in(client)


def test_a_code_in_arabic_digits_is_read(app, people, clock):
    user = people.make("manager", is_case_manager=True)
    client = app.test_client()
    password_step(client, user.email)
    code = code_at(TOTP_SECRET, time_step())
    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert client.post("/login/code", data={"code": arabic}).status_code == 302


@pytest.mark.parametrize("data", [
    {},
    {"factor-action": "hack", "factor-password": PASSWORD, "factor-code": "123456"},
    {"factor-action": "codes", "factor-password": "x" * 201, "factor-code": "123456"},
    {"factor-action": "codes", "factor-password": PASSWORD, "factor-code": "y" * 41},
    {"factor-action": ["codes", "email"], "factor-password": PASSWORD, "factor-code": "1"},
    {"factor-action": "codes", "factor-password": PASSWORD, "factor-code": "not a code"},
])
def test_bad_input_on_the_account_page_changes_nothing(app, people, data):
    user = people.make("claimant")
    client = app.test_client()
    login(client, user.email)
    before = (fresh(user).totp_secret, db.session.scalar(
        db.select(db.func.count()).select_from(RecoveryCode)))
    emails = db.session.scalar(db.select(db.func.count()).select_from(OutboxEmail))
    response = client.post("/account/second-factor", data=data)
    assert response.status_code == 422
    assert 'class="error-summary"' in response.get_data(as_text=True)
    assert (fresh(user).totp_secret, db.session.scalar(
        db.select(db.func.count()).select_from(RecoveryCode))) == before
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxEmail)) == emails
    assert signed_in(client)


@pytest.mark.parametrize("path", ["/login/code", "/login/enrol", "/login/code/email",
                                  "/login/code/continue", "/login/enrol/new"])
def test_the_second_steps_pages_without_a_step_send_to_sign_in(app, path):
    client = app.test_client()
    response = client.post(path, data={"code": "123456"}) if path != "/login/enrol" \
        else client.get(path)
    assert response.status_code == 302 and response.location == "/login"
    client.set_cookie(app.config["SECOND_STEP_COOKIE_NAME"], "forged<>", domain="localhost")
    assert client.get("/login/code").location == "/login"


# ---------------------------------------------------------------------------------- CSRF
def token_of(page: str, name: str = "csrf_token") -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]+)"', page).group(1)


def test_the_forms_carry_a_csrf_token_and_refuse_a_post_without(app, people, clock):
    """With CSRF protection on (as in production): each form of the second factor works with
    the token its page gave, and a POST without it is refused, changing nothing."""
    app.config["WTF_CSRF_ENABLED"] = True
    user = people.make("claimant")
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": user.email, "password": PASSWORD,
                                "csrf_token": token_of(login_page)})
    assert client.post("/login/code", data={"code": code_at(TOTP_SECRET, time_step())}
                       ).status_code == 400
    page = client.get("/login/code").get_data(as_text=True)
    done = client.post("/login/code", data={"code": code_at(TOTP_SECRET, time_step()),
                                            "csrf_token": token_of(page)})
    assert done.status_code == 302 and signed_in(client)
    account = client.get("/account").get_data(as_text=True)
    change = {"factor-action": "codes", "factor-password": PASSWORD,
              "factor-code": code_at(TOTP_SECRET, time_step() + 1)}
    assert client.post("/account/second-factor", data=change).status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(RecoveryCode)) == 0
    made = client.post("/account/second-factor", data={
        **change, "factor-csrf_token": token_of(account, "factor-csrf_token")})
    assert made.status_code == 200 and len(RECOVERY.findall(made.get_data(as_text=True))) == 10
