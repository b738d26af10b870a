"""C11 (ASVS 7.3.1, 7.3.2): the idle timeout (30 minutes by default) and the absolute
lifetime (12 hours) are enforced on the server, whatever the browser keeps. "Last seen" is
written at most once a minute (a write per request would cost every page a statement), so
the idle timeout is exact to that minute."""

from __future__ import annotations

from app.auth import sessions
from app.extensions import db
from app.models import UserSession
from tests.conftest import login
from tests.helpers import sign_in_cookie


def signed_in(client) -> bool:
    return client.get("/dashboard").status_code == 200


def test_idle_for_31_minutes_gets_the_sign_in_page(app, people, clock, session_store):
    user = people.make("claimant")
    client = app.test_client()
    login(client, user.email)
    clock.advance(minutes=29)
    assert signed_in(client)  # and seen again now
    clock.advance(minutes=29)
    assert signed_in(client)
    clock.advance(minutes=31)
    response = client.get("/dashboard")
    assert response.status_code == 302 and response.location.startswith("/login")
    with app.test_request_context():
        assert sessions.store().of_user(user.id) == []  # the record is gone too


def test_active_for_12_hours_and_a_minute_gets_the_sign_in_page(app, people, clock,
                                                                session_store):
    user = people.make("claimant")
    client = app.test_client()
    login(client, user.email)
    for _ in range(12 * 6 - 1):  # a request every ten minutes until 11 h 50
        clock.advance(minutes=10)
        assert signed_in(client)
    clock.advance(minutes=11)
    assert not signed_in(client)


def test_timeouts_follow_the_configuration(app, people, clock):
    app.config.update(SESSION_IDLE_MINUTES=5, SESSION_LIFETIME_HOURS=1)
    user = people.make("claimant")
    client = app.test_client()
    login(client, user.email)
    clock.advance(minutes=6)
    assert not signed_in(client)
    login(client, user.email)
    for _ in range(14):
        clock.advance(minutes=4)
        assert signed_in(client)
    clock.advance(minutes=3)
    assert signed_in(client)  # 59 minutes after signing in
    clock.advance(minutes=2)
    assert not signed_in(client)  # 61 minutes, idle for 2


def test_last_seen_is_written_at_most_once_a_minute(app, people, clock):
    user = people.make("claimant")
    client = app.test_client()
    login(client, user.email)
    started = clock.now
    session_id = sessions.hash_token(sign_in_cookie(client))

    def last_seen():
        db.session.expire_all()
        return db.session.get(UserSession, session_id).last_seen_at

    clock.advance(seconds=30)
    assert signed_in(client) and last_seen() == started
    clock.advance(seconds=31)
    assert signed_in(client) and last_seen() == clock.now


def test_sessions_past_their_end_are_purged_at_the_next_sign_in(app, people, clock):
    users = [people.make(f"user{i}") for i in range(3)]
    for user in users:
        login(app.test_client(), user.email)
    clock.advance(hours=12, minutes=1)
    login(app.test_client(), users[0].email)
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(UserSession)) == 1
