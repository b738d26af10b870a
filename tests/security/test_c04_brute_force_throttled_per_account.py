"""C4 (ASVS 6.3.1): brute force is throttled per account. After 5 failed sign-ins within 15
minutes the next attempt is refused even with the right password, saying how long to wait;
the owner is emailed once; another account is unaffected (not a global lock). Per address a
higher limit (50 per 15 minutes by default, so one office does not lock itself out) stops one
source trying many accounts."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import SecurityEvent, User
from tests.conftest import PASSWORD, outbox_to

WRONG = "not the right password"


def sign_in(client, email: str, password: str, address: str = "198.51.100.7"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def locked_out_page(response) -> str:
    assert response.status_code == 429
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


@pytest.fixture(params=["memory", "redis"])
def limiter_storage(request, app):
    """The counts in this process's memory (embedded default), and in Redis (production)."""
    if request.param == "redis":
        import secrets

        from redis import Redis

        from app.extensions import limiter

        url = app.config["REDIS_URL"]
        try:
            Redis.from_url(url, socket_connect_timeout=2).ping()
        except Exception as exc:  # pragma: no cover - CI runs Redis
            pytest.skip(f"Redis not reachable at {url}: {exc}")
        prefix = f"sulh-test-limits-{secrets.token_hex(4)}"
        app.config.update(RATELIMIT_STORAGE_URI=url,
                          RATELIMIT_STORAGE_OPTIONS={"key_prefix": prefix})
        limiter.init_app(app)  # the extension reads its storage from the configuration
        yield request.param
        limiter.storage.reset()  # this prefix's keys only
    else:
        yield request.param


def test_sixth_attempt_is_refused_even_with_the_right_password(app, people, client,
                                                               limiter_storage):
    user = people.make("neutral", is_neutral=True)
    for _ in range(5):
        assert sign_in(client, user.email, WRONG).status_code == 422
    page = locked_out_page(sign_in(client, user.email, PASSWORD))
    assert "Too many failed attempts" in page and "Try again in 15 minutes." in page
    assert client.get("/dashboard").status_code == 302  # not signed in


def test_another_account_from_the_same_address_is_unaffected(app, people, client,
                                                              limiter_storage):
    target, other = people.make("neutral", is_neutral=True), people.make("claimant")
    for _ in range(6):
        sign_in(client, target.email, WRONG)
    assert sign_in(client, target.email, PASSWORD).status_code == 429
    response = sign_in(app.test_client(), other.email, PASSWORD)
    assert response.status_code == 302 and response.location == "/login/code"  # on to the code


def test_the_lock_lifts_when_the_window_has_passed(app, people, client, clock):
    user = people.make("neutral", is_neutral=True)
    for _ in range(5):
        sign_in(client, user.email, WRONG)
        clock.advance(seconds=10)  # five failures within a minute
    response = sign_in(client, user.email, PASSWORD)
    assert "Try again in 15 minutes." in locked_out_page(response)
    assert int(response.headers["Retry-After"]) == 15 * 60 - 50
    clock.advance(minutes=14)
    assert "Try again in 1 minute." in locked_out_page(sign_in(client, user.email, PASSWORD))
    clock.advance(minutes=1, seconds=1)  # the first failure is more than 15 minutes old
    assert sign_in(client, user.email, PASSWORD).status_code == 302


def test_the_owner_is_emailed_once(app, people, client):
    user = people.make("neutral", is_neutral=True, locale="fr")
    for _ in range(9):
        sign_in(client, user.email, WRONG)
    mails = outbox_to(user.email)
    assert len(mails) == 1
    assert "198.51.100.7" in mails[0].body and "15" in mails[0].body
    events = [(e.event, e.outcome) for e in db.session.scalars(
        db.select(SecurityEvent).where(SecurityEvent.user_id == user.id))]
    assert events.count(("sign_in", "failure")) == 5
    assert events.count(("sign_in_locked", "refused")) == 1
    assert events.count(("sign_in", "refused")) == 4


def test_an_email_without_an_account_is_locked_the_same_way(app, client):
    """The lock itself must not tell which emails have accounts."""
    for _ in range(5):
        assert sign_in(client, "nobody@example.test", WRONG).status_code == 422
    assert sign_in(client, "nobody@example.test", WRONG).status_code == 429
    assert outbox_to("nobody@example.test") == []


def test_one_address_trying_many_accounts_is_stopped_another_address_is_not(app, people):
    app.config["THROTTLE_SIGN_IN_IP"] = "8 per 15 minutes"
    users = [people.make(f"user{i}") for i in range(5)]
    client = app.test_client()
    for user in users:
        for _ in range(2):
            sign_in(client, user.email, WRONG, address="203.0.113.9")
    # 10 failures from one address: even a fresh account's right password waits.
    fresh = people.make("fresh")
    assert sign_in(client, fresh.email, PASSWORD, address="203.0.113.9").status_code == 429
    response = sign_in(app.test_client(), fresh.email, PASSWORD, address="203.0.113.10")
    assert response.status_code == 302


def test_the_default_per_address_limit_leaves_room_for_an_office(app):
    from limits import parse

    per_address, per_account = (parse(app.config[k]) for k in (
        "THROTTLE_SIGN_IN_IP", "THROTTLE_SIGN_IN_ACCOUNT"))
    assert per_account.amount == 5 and per_account.get_expiry() == 15 * 60
    assert per_address.amount >= 50 and per_address.get_expiry() <= 15 * 60


def test_a_deactivated_account_cannot_sign_in_and_looks_like_a_wrong_password(app, people,
                                                                               client):
    user = people.make("gone")
    user.active = False
    db.session.commit()
    response = sign_in(client, user.email, PASSWORD)
    assert response.status_code == 422
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert db.session.get(User, user.id).active is False
