"""Open redirects (ASVS 3.7.2): after signing in or choosing a language, `next` sends the
browser back only to a path on this site — checked as the browser will read it: tabs and line
breaks dropped, a backslash taken as a slash, and again after each layer of percent-decoding.
Anything else goes to the usual page instead."""

from __future__ import annotations

import pytest

from app.links import local_target
from tests.conftest import PASSWORD, pass_second_step

LEAVING = ["//evil.test", "/\\evil.test", "\\\\evil.test", "/\t/evil.test", "/%09/evil.test",
           "/%2F/evil.test", "%2F%2Fevil.test", "/%5Cevil.test", "/%252F/evil.test",
           "https://evil.test/", "https:evil.test", "javascript:alert(1)",
           "JaVaScRiPt:alert(1)", " //evil.test", "\n//evil.test", "/\r\n/evil.test",
           "data:text/html,x", "evil.test", "", "///evil.test"]
STAYING = ["/", "/dashboard", "/cases/SULH-2026-000001?tab=documents", "/verify/ABCD-EFGH-JKMN",
           "/join/abc", "/a/b//c", "/.//x"]


@pytest.mark.parametrize("target", LEAVING)
def test_a_target_that_leaves_the_site_is_refused(target):
    assert local_target(target) is None


@pytest.mark.parametrize("target", STAYING)
def test_a_path_on_this_site_is_kept(target):
    assert local_target(target) == target


@pytest.mark.parametrize("target", ["/%09/x", "//x", "/\\x", "https:", "javascript:",
                                    "%2F%2Fx"])
def test_choosing_a_language_never_leaves_the_site(client, target):
    response = client.get("/language/fr", query_string={"next": target})
    assert response.status_code == 302 and response.location == "/"
    signed_in = client.post("/language", data={"lang": "ar", "next": target})
    assert signed_in.status_code == 302 and signed_in.location == "/"


@pytest.mark.parametrize("target", ["/%09/x", "//x", "/\\x", "https:", "javascript:",
                                    "%2F%2Fx", "/%2F/evil.test"])
def test_signing_in_never_leaves_the_site(app, people, target):
    people.make("claimant")
    client = app.test_client()
    response = pass_second_step(client, "claimant@example.test", client.post(
        "/login", query_string={"next": target},
        data={"email": "claimant@example.test", "password": PASSWORD}))
    assert response.status_code == 302 and response.location == "/dashboard"


def test_signing_in_returns_to_the_page_asked_for(app, people):
    people.make("claimant")
    client = app.test_client()
    response = pass_second_step(client, "claimant@example.test", client.post(
        "/login?next=/calendar/", data={"email": "claimant@example.test",
                                         "password": PASSWORD}))
    assert response.location == "/calendar/"


def test_a_raw_tab_in_the_query_is_refused_at_the_edge(client):
    """`?next=/%09/evil.test` decodes to a tab: the edge answers 400 before any view."""
    assert client.get("/language/fr?next=/%09/evil.test").status_code == 400
