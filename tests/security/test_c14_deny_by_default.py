"""C14 — deny by default (ASVS 8.2.1, 8.3.1): every route needs a signed-in user unless it is
in PUBLIC_ENDPOINTS below, a decision written here. Adding a route without deciding fails:
either it is marked `@public` in the code and listed here, or anonymous requests to it, by
every method it takes, are sent to the sign-in page (the JSON API answers 401)."""

from __future__ import annotations

import pytest

from tests.helpers import route_requests

# Who may use these without signing in, and why.
PUBLIC_ENDPOINTS = {
    "static": "stylesheet and fonts",
    "main.index": "the start page",
    "main.set_language": "the language switch (signed in or not)",
    "main.choose_language": "the visitor's language links",
    "main.healthz": "the load balancer's health check (component states only)",
    "auth.login": "signing in",
    "auth.register": "creating an account",
    "auth.join": "a served respondent's one-time link",
    "auth.forgot_password": "asking for a password reset link",
    "auth.reset_password": "… the one-time link, opened from an email on any device",
    "auth.verify_email": "confirming an address by its one-time link",
    "auth.confirm_email_change": "confirming a new address by its one-time link",
    "factor.verify": "the second step of signing in (a password passed, no session yet)",
    "factor.resend": "… another code by email",
    "factor.continue_with_email": "… a party who chose codes by email",
    "factor.enrol_new": "… setting up an authenticator app before the first session",
    "factor.enrol": "… confirming it with its first code",
    "decisions.verify": "anyone checks a decision's authenticity",
    "decisions.verify_form": "… by typing its code",
    "rules.index": "the published procedures",
    "rules.show": "… each of them",
    "calendar.feed": "a calendar application, authenticated by the feed's secret address",
}


def test_public_routes_are_exactly_the_listed_ones(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        is_public = getattr(view, "is_public", False) or rule.endpoint == "static"
        assert is_public == (rule.endpoint in PUBLIC_ENDPOINTS), (
            f"{rule.endpoint}: mark it @public and list it in PUBLIC_ENDPOINTS with a reason, "
            "or neither")


@pytest.fixture
def anonymous(app):
    return app.test_client()


def test_every_other_route_and_method_sends_an_anonymous_user_to_sign_in(app, anonymous):
    checked = 0
    for endpoint, method, url in route_requests(app):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = anonymous.open(url, method=method)
        if endpoint.startswith("api."):
            assert response.status_code == 401, (method, url, response.status_code)
            assert response.get_json()["status"] == 401
        else:
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.location.startswith("/login?next="), (method, url)
        checked += 1
    assert checked >= 25
