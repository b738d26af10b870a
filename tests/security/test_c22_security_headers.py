"""C22 — security headers on every response (ASVS 3.4.1, 3.4.3–3.4.6, 3.4.8, 14.3.2): pages,
redirects, JSON, errors (404, 405, 500, 503) and file downloads, to visitors and to signed-in
users, carry a Content-Security-Policy with `default-src 'self'`, `object-src 'none'`,
`frame-ancestors 'none'` and no `unsafe-inline`/`unsafe-eval`; `nosniff`; `Referrer-Policy:
same-origin`; `Cross-Origin-Opener-Policy: same-origin`. Every response to a signed-in user is
`Cache-Control: no-store` (static files aside: the same bytes for everyone). Production adds
`Strict-Transport-Security` for a year; the embedded default (plain http://127.0.0.1) does not.
The templates hold no inline script, style or event handler, so the policy breaks no page."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

import config
from app import create_app
from app.extensions import db
from app.models import Decision, Document
from app.web import public
from tests.helpers import act, case, into_mediation, production_app, route_requests, upload

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def assert_secure_headers(response, what: str, *, signed_in: bool) -> None:
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives.get("default-src") == ["'self'"], (what, policy)
    assert directives.get("object-src") == ["'none'"], (what, policy)
    assert directives.get("frame-ancestors") == ["'none'"], (what, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") in ("same-origin", "no-referrer"), what
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin", what
    if signed_in:
        assert "no-store" in headers.get("Cache-Control", ""), what


@pytest.fixture
def decided_case(app, people) -> dict:
    number = into_mediation(app, people)
    upload(people.client("claimant"), number)
    act(people.client("respondent"), number, "propose_settlement", {"terms": "Terms."})
    act(people.client("claimant"), number, "accept_settlement")
    return {"number": number, "document_id": db.session.scalars(db.select(Document.id)).first(),
            "decision_id": db.session.scalars(db.select(Decision.id).where(
                Decision.case_id == case(number).id)).first()}


@pytest.fixture
def raising_route(app) -> str:
    """A route that fails, added before the app's first request."""
    @app.get("/__raise")
    @public
    def raises():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer with the 500 page, as in production
    return "/__raise"


def test_every_route_every_error_and_every_download(app, raising_route, people, decided_case):
    claimant, visitor = people.client("claimant"), app.test_client()
    feed = claimant.post("/calendar/rotate").get_data(as_text=True)
    feed_path = re.search(r"http://localhost(/calendar/feed/[^<\s]+)", feed).group(1)
    number = decided_case["number"]
    extra = [(f"/cases/{number}/documents/bundle.zip", 200),
             (f"/cases/{number}/documents/{decided_case['document_id']}/download", 200),
             (f"/cases/{number}/decisions/{decided_case['decision_id']}.pdf", 200),
             (f"/cases/{number}/documents/exhibits.pdf", None),
             ("/no/such/page", 404), ("/api/v1/no/such", 404), ("/logout", 405),
             (raising_route, 500)]
    for client, signed_in in ((claimant, True), (visitor, False)):
        seen = set()
        for endpoint, method, url in route_requests(app, decided_case):
            if method != "GET":
                continue
            response = client.get(url)
            seen.add(response.status_code)
            assert_secure_headers(response, f"{url} {response.status_code}",
                                  signed_in=signed_in and endpoint != "static")
        for url, status in extra:
            response = client.get(url)
            if status and signed_in:
                assert response.status_code == status, url
            assert_secure_headers(response, f"{url} {response.status_code}", signed_in=signed_in)
        assert {200, 302, 404} <= seen
    feed_response = visitor.get(feed_path)
    assert feed_response.status_code == 200
    assert_secure_headers(feed_response, "calendar feed", signed_in=False)
    static = claimant.get("/static/css/sulh.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")


def test_a_503_while_the_database_is_down_still_carries_them(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = config.TestConfig()
    settings.SQLALCHEMY_DATABASE_URI = (
        f"postgresql+psycopg://postgres@127.0.0.1:{port}/sulh?connect_timeout=2")
    settings.SQLALCHEMY_ENGINE_OPTIONS = {}
    settings.STORAGE_URL = f"file://{tmp_path / 'storage'}"
    response = create_app(settings).test_client().get("/verify/ABCD-EFGH-JKMN")
    assert response.status_code == 503
    assert_secure_headers(response, "503", signed_in=False)


def test_hsts_for_a_year_in_production_only(app, monkeypatch):
    assert "Strict-Transport-Security" not in app.test_client().get("/").headers
    production = production_app(app, monkeypatch)
    hsts = production.test_client().get("/", base_url="https://localhost").headers[
        "Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31_536_000
    assert "includeSubDomains" in hsts


def test_templates_hold_no_inline_script_style_or_handler():
    """What `script-src 'self'; style-src 'self'` would block. (templates/pdf/ is WeasyPrint's
    input, never served as a page.)"""
    inline = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|"
                        r"=[\"']?\s*javascript:", re.IGNORECASE)
    found = [f"{path.relative_to(TEMPLATES)}: {match.group()}"
             for path in TEMPLATES.rglob("*.html") if "pdf" not in path.parts
             for match in inline.finditer(path.read_text(encoding="utf-8"))]
    assert found == []
