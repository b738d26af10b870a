"""C32 — errors and production configuration (ASVS 16.5.1, 16.5.3, 13.4.2). With the
production configuration, an unhandled exception is a generic 500 page — no traceback, no
exception text, no SQL, no secret — and DEBUG is off. 400, 401, 403, 404, 405, 413, 429 and 500
each have a page of ours in the user's language (right-to-left in Arabic), and JSON problem
details under /api (RFC 9457), never Werkzeug's English default. Production refuses to start
with a SECRET_KEY that is unset, a known default, repeated characters, a pattern, or anything
under 256 bits, and says why."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import text
from werkzeug.exceptions import Forbidden, TooManyRequests, Unauthorized

import config
from app import create_app
from app.extensions import db
from app.web import public
from tests.helpers import production_app

HTTPS = "https://localhost"
SECRET_IN_ERROR = "password=hunter2-CANARY"


@pytest.fixture
def production(app, monkeypatch):
    production = production_app(app, monkeypatch)
    production.config["MAX_CONTENT_LENGTH"] = 1024

    @production.get("/__fail/<kind>")
    @production.get("/api/v1/__fail/<kind>")
    @public
    def fail(kind: str):
        if kind == "sql":
            # two statements at once: refused by SQLite and PostgreSQL alike (not a lost
            # connection, which is a 503)
            db.session.execute(text("SELECT :secret; SELECT 2"), {"secret": SECRET_IN_ERROR})
        if kind in ("401", "403", "429"):
            raise {"401": Unauthorized, "403": Forbidden, "429": TooManyRequests}[kind]()
        raise RuntimeError(f"internal detail {SECRET_IN_ERROR}")

    return production


def test_production_is_not_in_debug_or_testing(production):
    assert production.debug is False and production.testing is False
    assert not production.config.get("PROPAGATE_EXCEPTIONS")


@pytest.mark.parametrize("kind", ["exception", "sql"])
def test_an_unhandled_exception_is_a_generic_500_page(production, kind, caplog):
    client = production.test_client()
    for path in (f"/__fail/{kind}", f"/api/v1/__fail/{kind}"):
        response = client.get(path, base_url=HTTPS)
        body = response.get_data(as_text=True)
        assert response.status_code == 500, path
        for leak in ("Traceback", SECRET_IN_ERROR, "SELECT", "RuntimeError", "File \"",
                     "sqlalchemy"):
            assert leak not in body, (path, leak)
        assert "Something went wrong" in body
    assert "500 on" in caplog.text  # the details go to the log, for the operators
    if kind == "sql":  # … but not the statement's values (hide_parameters)
        assert SECRET_IN_ERROR not in caplog.text


# (request, status) — each the way a user meets it, where a user can; 401, 403 and 429 from
# a route that raises them (sign-in and throttling answer them in their own flows).
ERRORS = [
    ("GET /verify?code=%00", 400),
    ("GET /__fail/401", 401),
    ("GET /__fail/403", 403),
    ("GET /no/such/page", 404),
    ("GET /logout", 405),
    ("POST /login", 413),
    ("GET /__fail/429", 429),
    ("GET /__fail/exception", 500),
]
TITLES = {
    400: ("Bad request", "Requête incorrecte", "طلب غير صالح"),
    401: ("Sign in needed", "Connexion requise", "يلزم تسجيل الدخول"),
    403: ("Not allowed", "Action non autorisée", "غير مسموح"),
    404: ("Not found", "Page introuvable", "الصفحة غير موجودة"),
    405: ("Not allowed", "Action non autorisée", "غير مسموح"),
    413: ("File too large", "Fichier trop volumineux", "الملف كبير جداً"),
    429: ("Too many requests", "Trop de requêtes", "طلبات كثيرة جداً"),
    500: ("Something went wrong", "Une erreur s'est produite", "حدث خطأ"),
}


def request(client, line: str, lang: str, prefix: str = ""):
    method, path = line.split(" ", 1)
    kwargs = {"base_url": HTTPS, "headers": {"Accept-Language": lang}}
    if method == "POST":
        kwargs["data"] = {"email": "x" * 2000}
    return client.open(prefix + path, method=method, **kwargs)


@pytest.mark.parametrize("line, status", ERRORS, ids=[str(s) for _line, s in ERRORS])
def test_each_error_has_a_page_of_ours_in_the_users_language(production, line, status):
    client = production.test_client()
    for index, lang in enumerate(("en", "fr", "ar")):
        response = request(client, line, lang)
        body = response.get_data(as_text=True)
        assert response.status_code == status, (line, lang)
        assert response.mimetype == "text/html", (line, lang)
        assert f'lang="{lang}"' in body and "Werkzeug" not in body, (line, lang)
        assert ('dir="rtl"' if lang == "ar" else 'dir="ltr"') in body
        title = TITLES[status][index]
        assert f"<h1>{title}</h1>" in body.replace("&#39;", "'"), (line, lang, body[-1500:])


@pytest.mark.parametrize("status", [401, 403, 404, 405, 429, 500])
def test_each_error_under_the_api_is_problem_json(production, status):
    client = production.test_client()
    paths = {401: "/api/v1/__fail/401", 403: "/api/v1/__fail/403",
             404: "/api/v1/no/such", 405: "/api/v1/__fail/x", 429: "/api/v1/__fail/429",
             500: "/api/v1/__fail/exception"}
    method = "POST" if status == 405 else "GET"
    response = client.open(paths[status], method=method, base_url=HTTPS,
                           headers={"Accept-Language": "fr"})
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status and problem["type"] == "about:blank"
    assert problem["title"] == TITLES[status][1] and problem["detail"]
    assert problem["error"] and problem["message"] == problem["detail"]


@pytest.mark.parametrize("path", ["/api", "/api/", "/api/v2/cases", "/api/v1/cases/X/nothing"])
def test_any_address_under_the_api_that_does_not_exist_is_a_json_404(production, path):
    response = production.test_client().get(path, base_url=HTTPS)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert response.get_json()["error"] == "not_found"


BAD_KEYS = {
    "unset": None,
    "empty": "",
    "a known default": "changeme",
    "another default": "dev",
    "32 × a": "a" * 32,
    "64 × a": "a" * 64,
    "a repeated pair": "ab" * 40,
    "128 bits": secrets.token_hex(16),
    "text": "correct horse battery staple correct horse battery staple",
    "a run": "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
}


@pytest.mark.parametrize("what", list(BAD_KEYS))
def test_production_refuses_to_start_with_a_weak_secret_key(monkeypatch, what):
    monkeypatch.setenv("DATABASE_URL", "postgresql://sulh@db/sulh")
    if BAD_KEYS[what] is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", BAD_KEYS[what])
    with pytest.raises(RuntimeError, match="SECRET_KEY") as refused:
        create_app("production")
    assert "256 bits" in str(refused.value) and "token_hex(32)" in str(refused.value)


@pytest.mark.parametrize("key", [secrets.token_hex(32), secrets.token_urlsafe(32),
                                 secrets.token_hex(32).upper()])
def test_a_random_256_bit_key_is_accepted(monkeypatch, key):
    monkeypatch.setenv("DATABASE_URL", "postgresql://sulh@db/sulh")
    monkeypatch.setenv("SECRET_KEY", key)
    accepted = config.ProductionConfig().SECRET_KEY
    assert accepted == key
