"""C5 (ASVS 6.3.3, 6.5.1, 6.5.5): a second factor for every account; case managers and
neutrals (and everyone, with SULH_REQUIRE_TOTP) must use an authenticator app, parties may
use one or a code by email. A right password alone gets no authenticated session. A code
already used is refused; codes outside one 30-second step either side are refused; wrong
codes are throttled per account.

The API is not behind the second factor: its bearer tokens are a factor of their own (made
by a signed-in user, stored hashed, revocable), so a token works whatever the account's app.
"""

from __future__ import annotations

import pytest

from app.auth import second_factor
from app.auth.second_factor import code_at, time_step
from app.extensions import db
from app.models import ApiToken, SecondStep, SecurityEvent, User, UserSession
from tests.conftest import PASSWORD, TOTP_SECRET, emailed_code, login, outbox_to
from tests.helpers import file_complaint, sign_in_cookie, use_sign_in


def password_step(client, email: str):
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response


def signed_in(client) -> bool:
    return client.get("/dashboard").status_code == 200


def sessions_of(user: User) -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count()).select_from(UserSession).where(
        UserSession.user_id == user.id))


def code_now(offset: int = 0) -> str:
    return code_at(TOTP_SECRET, time_step() + offset)


ROLES = {  # key: (flags, has an app already, where the password leads)
    "claimant": ({}, True, "/login/code"),
    "respondent": ({}, False, "/login/code"),  # a party with codes by email
    "manager": ({"is_case_manager": True}, True, "/login/code"),
    "mediator": ({"is_neutral": True}, False, "/login/enrol"),  # must set up an app first
    "arbitrator": ({"is_neutral": True}, True, "/login/code"),
}


@pytest.mark.parametrize("role", sorted(ROLES))
def test_a_right_password_alone_gets_no_authenticated_session(app, people, role):
    flags, totp, leads_to = ROLES[role]
    user = people.make(role, totp=totp, **flags)
    client = app.test_client()
    response = password_step(client, user.email)
    assert response.location == leads_to
    assert client.get_cookie(app.config["SIGN_IN_COOKIE_NAME"]) is None
    assert sessions_of(user) == 0
    for path in ("/dashboard", "/account", "/manage/", "/file/new"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.location.startswith("/login"), path
    # The step's own token is no session token either.
    step_token = client.get_cookie(app.config["SECOND_STEP_COOKIE_NAME"]).value
    assert not signed_in(use_sign_in(app.test_client(), step_token))
    # Only the code makes the session.
    login(client, user.email)
    assert signed_in(client) and sessions_of(user) == 1


def test_case_managers_and_neutrals_must_use_an_app_not_an_email_code(app, people):
    manager = people.make("manager", is_case_manager=True, totp=False)
    client = app.test_client()
    assert password_step(client, manager.email).location == "/login/enrol"
    assert outbox_to(manager.email) == []  # no code by email for the Centre's people
    assert client.get("/login/code").location == "/login/enrol"
    client.post("/login/code/email")
    client.post("/login/code/continue")
    assert outbox_to(manager.email) == [] and not signed_in(client)
    login(client, manager.email)  # sets up the app the step shows
    assert signed_in(client)
    db.session.expire_all()
    assert db.session.get(User, manager.id).has_totp


def test_a_signed_in_case_manager_without_an_app_is_signed_out_to_set_one_up(app, people):
    """A party made case manager while signed in (or SULH_REQUIRE_TOTP switched on): the
    session ends at its next request; the next sign-in sets up an app."""
    user = people.make("counsel", totp=False)
    client = app.test_client()
    login(client, user.email)
    assert signed_in(client)
    user.is_case_manager = True
    db.session.commit()
    response = client.get("/dashboard")
    assert response.status_code == 302 and response.location == "/login"
    assert sessions_of(user) == 0 and not signed_in(client)
    assert password_step(client, user.email).location == "/login/enrol"


def test_the_setting_requires_an_app_of_every_party(app, people):
    app.config["REQUIRE_TOTP"] = True
    party = people.make("claimant", totp=False)
    client = app.test_client()
    assert password_step(client, party.email).location == "/login/enrol"
    assert outbox_to(party.email) == []
    assert not signed_in(client)


def test_a_party_without_an_app_gets_a_code_by_email(app, people):
    party = people.make("claimant", totp=False)
    client = app.test_client()
    password_step(client, party.email)
    assert not signed_in(client)
    response = client.post("/login/code", data={"code": emailed_code(party.email)})
    assert response.status_code == 302 and signed_in(client)


def test_a_code_already_used_is_refused(app, people, clock):
    user = people.make("arbitrator", is_neutral=True)
    first = app.test_client()
    password_step(first, user.email)
    code = code_now()
    assert first.post("/login/code", data={"code": code}).status_code == 302
    replay = app.test_client()
    password_step(replay, user.email)
    response = replay.post("/login/code", data={"code": code})
    assert response.status_code == 422
    assert "was used already" in response.get_data(as_text=True)
    assert not signed_in(replay) and sessions_of(user) == 1
    # An earlier step's code is refused too, once a later one was used.
    assert replay.post("/login/code", data={"code": code_now(-1)}).status_code == 422
    # The next step's code (one step ahead: clocks drift) is a new one, and works.
    assert replay.post("/login/code", data={"code": code_now(+1)}).status_code == 302


def test_two_browsers_with_one_code_at_the_same_moment_get_one_session(app, people, clock):
    user = people.make("manager", is_case_manager=True)
    browsers = [app.test_client(), app.test_client()]
    for browser in browsers:
        password_step(browser, user.email)
    code = code_now()
    answers = [b.post("/login/code", data={"code": code}).status_code for b in browsers]
    assert sorted(answers) == [302, 422]
    assert sessions_of(user) == 1


@pytest.mark.parametrize(("offset", "accepted"), [(-2, False), (-1, True), (0, True),
                                                   (1, True), (2, False)])
def test_one_step_either_side_is_accepted_two_are_not(app, people, clock, offset, accepted):
    clock.advance(seconds=12)  # inside a step, not at its edge
    user = people.make("mediator", is_neutral=True)
    client = app.test_client()
    password_step(client, user.email)
    response = client.post("/login/code", data={"code": code_now(offset)})
    assert (response.status_code == 302) is accepted, response.status_code
    assert signed_in(client) is accepted


def test_a_code_for_the_step_after_is_accepted_only_until_that_step_ends(app, people, clock):
    user = people.make("manager", is_case_manager=True)
    client = app.test_client()
    code = code_now(+1)
    clock.advance(seconds=90)  # three steps on: the code is two steps behind
    password_step(client, user.email)
    assert client.post("/login/code", data={"code": code}).status_code == 422


def test_wrong_codes_are_throttled_per_account_and_the_owner_told(app, people, clock):
    user = people.make("manager", is_case_manager=True)
    other = people.make("arbitrator", is_neutral=True)
    client = app.test_client()
    password_step(client, user.email)
    wrong = f"{(int(code_now()) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert client.post("/login/code", data={"code": wrong}).status_code == 422
    refused = client.post("/login/code", data={"code": code_now()})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["Cache-Control"] == "no-store"
    page = refused.get_data(as_text=True)
    assert "Too many wrong codes" in page and "Try again in 15 minutes." in page
    assert not signed_in(client)
    told = outbox_to(user.email)
    assert len(told) == 1 and "Wrong codes" in told[0].subject
    assert wrong not in told[0].body
    logged = [(e.event, e.outcome) for e in db.session.scalars(
        db.select(SecurityEvent).where(SecurityEvent.user_id == user.id))]
    assert logged.count(("second_factor", "failure")) == 5
    assert ("second_factor_locked", "refused") in logged
    assert ("second_factor", "refused") in logged
    # Another account is unaffected.
    login(app.test_client(), other.email)
    # The lock lifts when the window has passed.
    clock.advance(minutes=16)
    password_step(client, user.email)
    assert client.post("/login/code", data={"code": code_now()}).status_code == 302


def test_the_second_step_ends_after_its_time(app, people, clock):
    user = people.make("claimant")
    client = app.test_client()
    password_step(client, user.email)
    clock.advance(minutes=16)
    response = client.post("/login/code", data={"code": code_now()})
    assert response.status_code == 302 and response.location == "/login"
    assert not signed_in(client) and sessions_of(user) == 0


def test_an_emailed_code_works_once_in_the_browser_that_asked_for_ten_minutes(app, people,
                                                                              clock):
    party = people.make("respondent", totp=False)
    asked, elsewhere = app.test_client(), app.test_client()
    password_step(asked, party.email)
    code = emailed_code(party.email)
    password_step(elsewhere, party.email)  # a second browser gets a code of its own
    assert elsewhere.post("/login/code", data={"code": code}).status_code == 422
    clock.advance(minutes=10, seconds=1)  # the step lasts 15 minutes, its code 10
    assert asked.post("/login/code", data={"code": code}).status_code == 422
    assert not signed_in(asked)
    fresh = app.test_client()
    password_step(fresh, party.email)
    new = emailed_code(party.email)
    assert fresh.post("/login/code", data={"code": new}).status_code == 302
    again = app.test_client()
    password_step(again, party.email)
    assert again.post("/login/code", data={"code": new}).status_code == 422


def test_the_session_token_is_new_after_the_second_step(app, people):
    """C9 as well: the token of the step and the token of the session differ, and a session
    held before signing in again ends."""
    user = people.make("claimant")
    client = app.test_client()
    login(client, user.email)
    before = sign_in_cookie(client)
    password_step(client, user.email)  # signing in again ends the session this browser had
    assert not signed_in(use_sign_in(app.test_client(), before))
    login(client, user.email)
    assert sign_in_cookie(client) != before


def test_api_tokens_are_not_behind_the_second_factor(app, people):
    number = file_complaint(people.client("claimant"))
    manager = people.make("manager", is_case_manager=True, totp=False)
    _row, token = ApiToken.issue(manager, "integration")
    db.session.commit()
    response = app.test_client().get(f"/api/v1/cases/{number}",
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


def test_codes_and_secrets_are_stored_only_hashed_or_unusable(app, people):
    party = people.make("respondent", totp=False)
    client = app.test_client()
    password_step(client, party.email)
    code = emailed_code(party.email)
    step = db.session.scalar(db.select(SecondStep).where(SecondStep.user_id == party.id))
    assert step.email_code_hash and code not in step.email_code_hash
    token = client.get_cookie(app.config["SECOND_STEP_COOKIE_NAME"]).value
    assert step.id != token and len(step.id) == 64
    assert second_factor.time_step() > 0
