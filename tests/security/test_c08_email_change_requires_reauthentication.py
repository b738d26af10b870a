"""C8 (ASVS 7.5.1), the email half (resetting the second factor is tested with it): changing
the account's email address needs the current password — and the second factor, which adds
its code to the same `confirm_identity` check — without which the answer is 403 and nothing
is sent or changed. The new address then gets a link (single use, 24 hours) and becomes the
account's only when it is followed; the old address is told. Asking never reveals whether the
new address has an account. Wrong passwords count against the account's sign-in limit."""

from __future__ import annotations

from app.auth import account_views
from app.extensions import db
from app.models import AccountToken, OutboxEmail, User
from tests.conftest import PASSWORD, login, outbox_to
from tests.helpers import last_link

NEW = "layla.new@example.test"


def signed_in(app, people):
    user = people.make("claimant", email="layla@example.test")
    client = app.test_client()
    login(client, user.email)
    return user, client


def ask(client, password: str | None = PASSWORD, email: str = NEW):
    data = {"email": email}
    if password is not None:
        data["password"] = password
    return client.post("/account/email", data=data)


def address(user_id: int) -> str:
    db.session.expire_all()
    return db.session.get(User, user_id).email


def nothing_sent_or_changed(user) -> None:
    assert address(user.id) == "layla@example.test"
    assert outbox_to(NEW) == []
    assert db.session.scalar(db.select(db.func.count()).select_from(AccountToken)) == 0


def test_without_the_password_the_change_is_forbidden(app, people):
    user, client = signed_in(app, people)
    for password in (None, "", "not my password at all"):
        response = ask(client, password)
        assert response.status_code == 403, password
        assert 'id="password-error"' in response.get_data(as_text=True)
    nothing_sent_or_changed(user)


def test_the_identity_check_is_the_gate_that_the_second_factor_extends(app, people,
                                                                        monkeypatch):
    user, client = signed_in(app, people)
    monkeypatch.setattr(account_views, "confirm_identity", lambda user, form: False)
    assert ask(client).status_code == 403  # the right password alone is not enough then
    nothing_sent_or_changed(user)


def test_wrong_passwords_count_against_the_sign_in_limit(app, people):
    user, client = signed_in(app, people)
    for _ in range(5):  # THROTTLE_SIGN_IN_ACCOUNT: 5 per 15 minutes
        assert ask(client, "a wrong guess again").status_code == 403
    locked = ask(client)  # now even the right one waits
    assert locked.status_code == 429
    assert "Too many wrong passwords" in locked.get_data(as_text=True)
    nothing_sent_or_changed(user)
    assert app.test_client().post("/login", data={
        "email": user.email, "password": PASSWORD}).status_code == 429


def test_the_new_address_confirms_and_only_then_the_old_one_is_replaced_and_told(app, people):
    user, client = signed_in(app, people)
    response = ask(client)
    assert response.status_code == 302
    assert address(user.id) == "layla@example.test"  # not yet
    link = last_link(NEW, "/account/email/confirm/")
    assert outbox_to("layla@example.test") == []  # only the new address is written to

    other = app.test_client()  # the link may be opened on another device, signed out
    page = other.get(link)
    assert page.status_code == 200 and NEW in page.get_data(as_text=True)
    assert address(user.id) == "layla@example.test"  # opening it changes nothing
    confirmed = other.post(link)
    assert confirmed.status_code == 302 and confirmed.location == "/login"
    assert address(user.id) == NEW
    assert db.session.get(User, user.id).email_verified_at is not None
    told = outbox_to("layla@example.test")[-1]
    assert NEW in told.body and "changed" in told.subject

    assert other.post(link).status_code == 404  # once
    login(app.test_client(), NEW)  # the account now signs in with the new address


def test_the_link_expires_after_24_hours(app, people, clock):
    user, client = signed_in(app, people)
    assert ask(client).status_code == 302
    link = last_link(NEW, "/account/email/confirm/")
    clock.advance(hours=24, seconds=1)
    assert app.test_client().post(link).status_code == 404
    assert address(user.id) == "layla@example.test"


def test_asking_for_an_address_that_has_an_account_answers_the_same(app, people):
    people.make("owner", email="taken@example.test")
    user, client = signed_in(app, people)
    taken = ask(client, email="taken@example.test")
    free = ask(client, email="free@example.test")
    assert (taken.status_code, taken.location) == (free.status_code, free.location)
    assert "/account/email/confirm/" not in outbox_to("taken@example.test")[-1].body
    assert "/account/email/confirm/" in outbox_to("free@example.test")[-1].body
    assert address(user.id) == "layla@example.test"


def test_an_address_taken_since_the_link_was_sent_is_refused_when_confirmed(app, people):
    user, client = signed_in(app, people)
    assert ask(client).status_code == 302
    link = last_link(NEW, "/account/email/confirm/")
    people.make("late", email=NEW)
    response = app.test_client().post(link)
    assert response.status_code == 409
    assert "Another account uses this address" in response.get_data(as_text=True)
    assert address(user.id) == "layla@example.test"


def test_the_same_address_or_a_malformed_one_is_refused_next_to_the_field(app, people):
    user, client = signed_in(app, people)
    for bad in ("layla@example.test", "LAYLA@example.test ", "not an address", "x" * 300):
        response = ask(client, email=bad)
        assert response.status_code == 422, bad
        assert 'id="email-error"' in response.get_data(as_text=True), bad
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxEmail)) == 0
    nothing_sent_or_changed(user)
