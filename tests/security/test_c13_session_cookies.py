"""C13 — cookies (ASVS 3.3.1–3.3.4): in production the session cookie and flask-login's
remember cookie are `Secure`, `HttpOnly`, `SameSite=Lax` and carry the `__Host-` prefix (so no
`Domain` and `Path=/`: a sibling subdomain cannot set or overwrite them); in every profile they
are HttpOnly and SameSite. What the session cookie holds is readable by whoever holds it
(signed, not encrypted): it names the user and nothing else — no email, name, password, hash
or second-factor material."""

from __future__ import annotations

import base64
import json
import zlib
from http.cookies import SimpleCookie

from flask import request
from flask_login import login_user

from app.extensions import db
from app.models import User
from tests.conftest import PASSWORD
from tests.helpers import csrf_token_of, production_app

HTTPS = "https://localhost"


def set_cookies(response) -> dict[str, dict[str, str | bool]]:
    """The cookies a response sets, with their attributes (names lower-cased)."""
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            flags = {k.lower(): True for k in ("Secure", "HttpOnly") if k.lower() in
                     header.lower()}
            found[name] = {**{k: v for k, v in morsel.items() if v}, **flags,
                           "value": morsel.value}
    return found


def make_user(app) -> tuple[str, str]:
    with app.app_context():
        user = User(email="claimant@example.test", name="Layla Haddad", locale="en")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user.email, user.password_hash


def assert_host_cookie(cookie: dict, name: str) -> None:
    assert name.startswith("__Host-"), name
    assert cookie.get("secure") and cookie.get("httponly"), cookie
    assert str(cookie.get("samesite")).lower() in ("lax", "strict"), cookie
    assert cookie.get("path") == "/" and not cookie.get("domain"), cookie


def test_production_session_cookie_is_secure_httponly_samesite_host_prefixed(app, monkeypatch):
    production = production_app(app, monkeypatch)
    email, password_hash = make_user(production)
    client = production.test_client()
    token = csrf_token_of(client.get("/login", base_url=HTTPS).get_data(as_text=True))
    response = client.post("/login", data={"email": email, "password": PASSWORD,
                                           "csrf_token": token}, base_url=HTTPS,
                           headers={"Referer": f"{HTTPS}/login"})  # CSRF over HTTPS wants it
    assert response.status_code == 302
    cookies = set_cookies(response)
    assert list(cookies) == ["__Host-session"], cookies
    assert_host_cookie(cookies["__Host-session"], "__Host-session")
    # signed in over HTTPS, the cookie works
    assert client.get("/dashboard", base_url=HTTPS).status_code == 200
    payload = readable_payload(cookies["__Host-session"]["value"])
    for secret in (email, "Layla", PASSWORD, password_hash):
        assert secret not in payload, secret


def test_production_remember_cookie_is_secure_httponly_samesite_host_prefixed(app, monkeypatch):
    """Sulh never asks to be remembered; if flask-login ever sets its cookie, it is as safe."""
    production = production_app(app, monkeypatch)
    make_user(production)
    with production.test_request_context("/", base_url=HTTPS):
        user = db.session.scalar(db.select(User))
        login_user(user, remember=True)
        response = production.process_response(production.make_response("ok"))
        assert request.is_secure
    cookies = set_cookies(response)
    name = production.config["REMEMBER_COOKIE_NAME"]
    assert name in cookies, cookies
    assert_host_cookie(cookies[name], name)


def test_every_profile_keeps_cookies_from_scripts_and_other_sites(app, people):
    response = app.test_client().post("/login", data={
        "email": people.make("claimant").email, "password": PASSWORD})
    [cookie] = set_cookies(response).values()
    assert cookie.get("httponly") and str(cookie.get("samesite")).lower() == "lax"


def readable_payload(value: str) -> str:
    """What anyone holding the cookie can read. Flask's signed cookie is base64 (zlib-compressed
    when it starts with "."), then a timestamp and a signature: its keys must be the expected
    few. A cookie that is only a server-side session's id reads as itself."""
    compressed = value.startswith(".")
    data = value.lstrip(".").split(".")[0]
    try:
        raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
        keys = set(json.loads(zlib.decompress(raw) if compressed else raw))
    except (ValueError, zlib.error, TypeError):
        assert len(value) <= 200, value  # an opaque id
        return value
    assert keys <= {"_user_id", "_fresh", "_id", "csrf_token", "lang", "_flashes"}, keys
    return (zlib.decompress(raw) if compressed else raw).decode()
