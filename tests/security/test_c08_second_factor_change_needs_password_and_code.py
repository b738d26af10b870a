"""C8 (ASVS 7.5.1), the second factor's half: replacing the authenticator app, making new
recovery codes, or a party's switch between the app and codes by email requires the current
password AND a current code in the same request; without them the change is refused and
nothing changes. The new app's page cannot be reached without that confirmation, nor with
another account's. A change of the factor ends the user's other sessions (ASVS 7.4.3).
Resetting someone else's factor is the Centre's (`flask users reset-second-factor`; admin
pages come with issue 12 item 6): it ends every session and is in the security log.

Changing the email address is the self-service half of C8 (issue 12 item 5), built
elsewhere; it is to check the code with `app.auth.second_factor.check_code`, as here."""

from __future__ import annotations

import pytest

from app.auth import second_factor
from app.auth.second_factor import code_at, time_step
from app.extensions import db
from app.models import RecoveryCode, SecondStep, SecurityEvent, User
from tests.conftest import PASSWORD, TOTP_SECRET, emailed_code, login


def state(user_id: int) -> tuple:
    """What a change would alter: the key, when it was set up, the recovery codes."""
    db.session.expire_all()
    user = db.session.get(User, user_id)
    codes = sorted(db.session.scalars(db.select(RecoveryCode.code_hash).where(
        RecoveryCode.user_id == user_id)))
    return user.totp_secret, user.totp_enrolled_at, codes


def code_now(offset: int = 0) -> str:
    """The app's code, `offset` steps on: signing in used this step's (a code works once),
    so a change right after takes the next one, which is accepted as clocks drift."""
    return code_at(TOTP_SECRET, time_step() + offset)


def change(client, action: str, password: str | None, code: str | None):
    data = {"factor-action": action}
    if password is not None:
        data["factor-password"] = password
    if code is not None:
        data["factor-code"] = code
    return client.post("/account/second-factor", data=data)


def signed_in(client) -> bool:
    return client.get("/dashboard").status_code == 200


@pytest.fixture
def party(app, people, clock):
    """A party with an app (so every action is offered), signed in on one browser, at the
    clock's moment."""
    user = people.make("claimant")
    second_factor.new_recovery_codes(user)
    db.session.commit()
    client = app.test_client()
    login(client, user.email)
    return user, client


@pytest.mark.parametrize("action", ["replace", "codes", "email"])
@pytest.mark.parametrize(("password", "code", "field"), [
    (None, None, "factor-password"),
    ("", "", "factor-password"),
    (PASSWORD, None, "factor-code"),
    ("not my password", "RIGHT", "factor-password"),
    (PASSWORD, "000000", "factor-code"),
    (None, "RIGHT", "factor-password"),
])
def test_a_change_without_the_password_and_a_current_code_is_refused(
        app, party, clock, action, password, code, field):
    user, client = party
    before = state(user.id)
    if code == "RIGHT":
        code = code_now()
    response = change(client, action, password, code)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page  # the message is next to the field
    assert state(user.id) == before
    assert db.session.scalar(db.select(db.func.count()).select_from(SecondStep).where(
        SecondStep.purpose == "enrol")) == 0
    assert client.get("/account/second-factor/enrol").status_code == 302
    assert signed_in(client)


def test_the_new_apps_page_needs_the_confirmation_first(app, party):
    user, client = party
    before = state(user.id)
    response = client.get("/account/second-factor/enrol")
    assert response.status_code == 302 and response.location.startswith("/account")
    posted = client.post("/account/second-factor/enrol", data={"code": code_now()})
    assert posted.status_code == 302
    assert state(user.id) == before


def test_another_accounts_confirmation_cannot_be_used(app, people, party, clock):
    """Alice confirms and gets the new key's page; her step's cookie in Bob's browser opens
    nothing for Bob."""
    _alice, alice_client = party
    bob = people.make("counsel")
    bob_client = app.test_client()
    login(bob_client, bob.email)
    assert change(alice_client, "replace", PASSWORD, code_now(+1)).status_code == 302
    token = alice_client.get_cookie(app.config["SECOND_STEP_COOKIE_NAME"]).value
    bob_client.set_cookie(app.config["SECOND_STEP_COOKIE_NAME"], token, domain="localhost")
    bob_before = state(bob.id)
    assert bob_client.get("/account/second-factor/enrol").status_code == 302
    assert bob_client.post("/account/second-factor/enrol",
                           data={"code": "123456"}).status_code == 302
    assert state(bob.id) == bob_before


def test_replacing_the_app_ends_the_other_sessions(app, party, clock):
    user, client = party
    other = app.test_client()
    login(other, user.email)
    assert signed_in(other)
    assert change(client, "replace", PASSWORD, code_now(+1)).status_code == 302
    page = client.get("/account/second-factor/enrol").get_data(as_text=True)
    assert "<svg" in page
    new_key = db.session.scalar(db.select(SecondStep.totp_secret).where(
        SecondStep.purpose == "enrol"))
    assert signed_in(other)  # nothing changes until the new app is confirmed
    done = client.post("/account/second-factor/enrol",
                       data={"code": code_at(new_key, time_step())})
    assert done.status_code == 200 and "Your recovery codes" in done.get_data(as_text=True)
    assert state(user.id)[0] == new_key != TOTP_SECRET
    assert signed_in(client) and not signed_in(other)
    events = [e.event for e in db.session.scalars(db.select(SecurityEvent).where(
        SecurityEvent.user_id == user.id))]
    assert "second_factor_replaced" in events and "sessions_ended" in events


def test_switching_to_codes_by_email_ends_the_other_sessions(app, party, clock):
    user, client = party
    other = app.test_client()
    login(other, user.email)
    response = change(client, "email", PASSWORD, code_now(+1))
    assert response.status_code == 302
    assert state(user.id) == (None, None, [])
    assert signed_in(client) and not signed_in(other)


def test_a_party_on_codes_by_email_confirms_with_an_emailed_code(app, people, clock):
    user = people.make("respondent", totp=False)
    client = app.test_client()
    login(client, user.email)
    # No code asked for yet: refused.
    assert change(client, "totp", PASSWORD, "123456").status_code == 422
    client.post("/account/second-factor/email-code")
    code = emailed_code(user.email)
    assert change(client, "totp", "wrong password", code).status_code == 422
    response = change(client, "totp", PASSWORD, code)
    assert response.status_code == 302 and response.location == "/account/second-factor/enrol"


def test_case_managers_cannot_switch_to_codes_by_email(app, people):
    user = people.make("manager", is_case_manager=True)
    client = app.test_client()
    login(client, user.email)
    before = state(user.id)
    response = change(client, "email", PASSWORD, code_now(+1))
    assert response.status_code == 422
    assert state(user.id) == before


def test_the_centre_resets_a_lost_factor_from_the_command_line(app, people, runner):
    user = people.make("mediator", is_neutral=True)
    client = app.test_client()
    login(client, user.email)
    result = runner.invoke(args=["users", "reset-second-factor", user.email,
                                 "--reason", "phone lost, identity checked by phone call"])
    assert result.exit_code == 0, result.output
    assert "1 session(s) ended" in result.output
    assert state(user.id) == (None, None, [])
    assert not signed_in(client)
    event = db.session.scalar(db.select(SecurityEvent).where(
        SecurityEvent.event == "second_factor_reset"))
    assert event.user_id == user.id and "phone lost" in event.detail["reason"]
    # The next sign-in sets up a new app (a reset never skips the second factor).
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.location == "/login/enrol"


def test_a_reset_ends_a_sign_in_half_way(app, people, runner, clock):
    """A browser past the password when the Centre resets the factor starts again."""
    user = people.make("manager", is_case_manager=True)
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert runner.invoke(args=["users", "reset-second-factor", user.email]).exit_code == 0
    response = client.post("/login/code", data={"code": code_now()})
    assert response.status_code == 302 and response.location == "/login"
    assert not signed_in(client)
