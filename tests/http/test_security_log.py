"""The security log (table security_events): sign-ins that worked, failed or were refused,
with the source address and the request's id; append-only (the ORM refuses a change or a
deletion). Not case events: the case trail stays per case."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import AuditEvent, SecurityEvent, SecurityLogViolation
from tests.conftest import PASSWORD


def events() -> list[SecurityEvent]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(SecurityEvent).order_by(SecurityEvent.id)))


def test_sign_in_success_and_failure_are_logged_with_address_and_request_id(app, people):
    user = people.make("claimant")
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": "wrong password"},
                environ_base={"REMOTE_ADDR": "192.0.2.10"})
    client.post("/login", data={"email": "nobody@example.test", "password": "wrong password"},
                environ_base={"REMOTE_ADDR": "192.0.2.11"})
    client.post("/login", data={"email": user.email, "password": PASSWORD},
                environ_base={"REMOTE_ADDR": "192.0.2.12"})
    logged = [(e.event, e.outcome, e.user_id, e.ip, e.detail) for e in events()]
    assert logged == [
        ("sign_in", "failure", user.id, "192.0.2.10", {"reason": "password"}),
        ("sign_in", "failure", None, "192.0.2.11", {"reason": "unknown"}),
        ("sign_in", "success", user.id, "192.0.2.12", {}),
    ]
    ids = [e.request_id for e in events()]
    assert all(len(i) == 32 for i in ids) and len(set(ids)) == 3
    assert events()[-1].session_ref and len(events()[-1].session_ref) == 16
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == 0


def test_a_trusted_proxys_address_and_request_id_are_used(app, people):
    app.config["PROXY_HOPS"] = 1  # read per request by request_info; ProxyFix is wired at start
    user = people.make("claimant")
    app.test_client().post("/login", data={"email": user.email, "password": PASSWORD},
                           headers={"X-Request-Id": "nginx-7f3a9c2e11"})
    assert events()[-1].request_id == "nginx-7f3a9c2e11"
    app.config["PROXY_HOPS"] = 0  # without a proxy the header is the client's own
    app.test_client().post("/login", data={"email": user.email, "password": PASSWORD},
                           headers={"X-Request-Id": "forged-by-client"})
    assert events()[-1].request_id != "forged-by-client"


def test_events_cannot_be_changed_or_deleted(app, people):
    user = people.make("claimant")
    app.test_client().post("/login", data={"email": user.email, "password": "wrong password"})
    event = events()[0]
    event.outcome = "success"
    with pytest.raises(SecurityLogViolation):
        db.session.flush()
    db.session.rollback()
    db.session.delete(events()[0])
    with pytest.raises(SecurityLogViolation):
        db.session.flush()
    db.session.rollback()
    assert events()[0].outcome == "failure"


def test_behind_a_proxy_the_address_is_the_one_it_forwarded(app, people):
    """PROXY_HOPS wraps the app in werkzeug's ProxyFix (production: 1): throttling and the log
    see the client's address, not the proxy's."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    import config
    from app import create_app

    settings = config.TestConfig()
    settings.PROXY_HOPS = 1
    assert isinstance(create_app(settings).wsgi_app, ProxyFix)
    assert not isinstance(app.wsgi_app, ProxyFix)  # the test profile has no proxy
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
    user = people.make("claimant")
    app.test_client().post("/login", data={"email": user.email, "password": PASSWORD},
                           headers={"X-Forwarded-For": "203.0.113.200"})
    assert events()[-1].ip == "203.0.113.200"
