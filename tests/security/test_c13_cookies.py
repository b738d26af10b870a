"""C13 (ASVS 3.3.1-3.3.4): in production both cookies — the session token and Flask's own
(language, CSRF token, messages) — are `__Host-` prefixed, Secure, HttpOnly and SameSite=Lax,
with Path=/ and no Domain. The embedded default works over http://127.0.0.1 (no prefix, no
Secure). Flask's signed-but-readable cookie holds nothing secret: no user id, no session
token, no password."""

from __future__ import annotations

import secrets

import pytest

import config
from app import create_app
from app.auth.second_factor import code_at, time_step
from app.extensions import db
from app.models import User
from app.models.types import utcnow
from tests.conftest import ON_POSTGRES, PASSWORD, TOTP_SECRET, _test_password_hash, login


@pytest.fixture
def production_app(app, monkeypatch, tmp_path):
    """The production profile on the test database (`app` has prepared it; on SQLite each
    app has its own in-memory database, so this one makes its tables)."""
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("DATABASE_URL", "postgresql://unused.invalid/sulh")
    settings = config.ProductionConfig()
    test = config.TestConfig()  # the test database, in-process jobs, memory limiter
    for name in ("SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS", "JOBS_MODE",
                 "JOBS_BACKGROUND", "RATELIMIT_STORAGE_URI", "REDIS_URL"):
        setattr(settings, name, getattr(test, name))
    settings.RATELIMIT_STORAGE_OPTIONS = {}
    settings.STORAGE_URL = f"file://{tmp_path / 'storage'}"
    settings.WTF_CSRF_ENABLED = False
    production = create_app(settings)
    with production.app_context():
        if not ON_POSTGRES:
            db.create_all()
        user = User(email="counsel@example.test", name="Counsel", locale="en",
                    totp_secret=TOTP_SECRET, totp_enrolled_at=utcnow())
        user.password_hash = _test_password_hash()
        db.session.add(user)
        db.session.commit()
        yield production
        db.session.remove()
        if not ON_POSTGRES:
            db.drop_all()
        db.engine.dispose()


def attributes(header: str) -> tuple[str, set[str]]:
    name, _, rest = header.partition("=")
    parts = {p.strip().split("=")[0].lower() for p in rest.split(";")[1:]}
    return name, parts | {p.strip().lower() for p in rest.split(";")[1:] if "=" in p}


def test_production_cookies_are_host_prefixed_secure_httponly_lax(production_app):
    client = production_app.test_client()
    first = client.get("/language/fr", base_url="https://sulh.example")  # Flask's cookie
    password = client.post("/login", base_url="https://sulh.example",
                           data={"email": "counsel@example.test", "password": PASSWORD})
    assert password.status_code == 302
    response = client.post("/login/code", base_url="https://sulh.example",
                           data={"code": code_at(TOTP_SECRET, time_step())})
    assert response.status_code == 302
    headers = [*first.headers.getlist("Set-Cookie"), *password.headers.getlist("Set-Cookie"),
               *response.headers.getlist("Set-Cookie")]
    seen = {}
    for header in headers:
        name, flags = attributes(header)
        seen[name] = flags
        assert name.startswith("__Host-"), header
        assert {"secure", "httponly", "path", "samesite=lax", "path=/"} <= flags, header
        assert "domain" not in flags, header
    assert {"__Host-sulh_session", "__Host-session", "__Host-sulh_second_step"} <= set(seen)
    assert client.get("/dashboard", base_url="https://sulh.example").status_code == 200


def test_the_embedded_default_works_over_plain_http(app, people):
    user = people.make("claimant")
    client = app.test_client()
    password = client.post("/login", data={"email": user.email, "password": PASSWORD},
                           base_url="http://127.0.0.1:5000")
    response = client.post("/login/code", data={"code": code_at(TOTP_SECRET, time_step())},
                           base_url="http://127.0.0.1:5000")
    assert password.status_code == response.status_code == 302
    header = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith("sulh_session="))
    _name, flags = attributes(header)
    assert "secure" not in flags and {"httponly", "samesite=lax", "path=/"} <= flags
    assert client.get("/dashboard", base_url="http://127.0.0.1:5000").status_code == 200


def test_flask_cookie_holds_no_secret(app, people):
    user = people.make("claimant")
    client = app.test_client()
    client.post("/language", data={"lang": "ar", "next": "/"})
    login(client, user.email)
    token = client.get_cookie(app.config["SIGN_IN_COOKIE_NAME"]).value
    client.get("/account")
    client.post("/account/sessions/end-others")  # a flashed message in the cookie
    raw = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    serializer = app.session_interface.get_signing_serializer(app)
    content = serializer.loads(raw)
    assert set(content) <= {"lang", "csrf_token", "_flashes"}, content
    assert "_user_id" not in content and "_id" not in content
    for secret in (token, PASSWORD):
        assert secret not in repr(content) and secret not in raw


def test_production_remember_cookie_is_host_prefixed_secure_httponly_lax(production_app):
    """Sulh never asks to be remembered; if flask-login ever sets its cookie, it is as safe."""
    from flask import request
    from flask_login import login_user

    with production_app.test_request_context("/", base_url="https://localhost"):
        login_user(db.session.scalar(db.select(User)), remember=True)
        response = production_app.process_response(production_app.make_response("ok"))
        assert request.is_secure
    name = production_app.config["REMEMBER_COOKIE_NAME"]
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert name.startswith("__Host-") and len(headers) == 1, response.headers
    _, flags = attributes(headers[0])
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= flags, flags
    assert not any(f.startswith("domain") for f in flags), flags
