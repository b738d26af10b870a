"""Every route and method of the URL map, with path parameters, query strings and form bodies
drawn from hostile strategies, as each role and anonymously: no response is a 500."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import config
from app import create_app
from tests.fuzz import strategies as hs
from tests.fuzz.conftest import ANONYMOUS, ROLES, Seeded, fuzz

_app = create_app(config.TestConfig())
ROUTES = sorted((rule.rule, method) for rule in _app.url_map.iter_rules()
                for method in rule.methods - {"HEAD", "OPTIONS"})
VARIABLE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
QUERY_NAMES = ["stage", "after", "next", "code", "inline", "version", "lang"]
FORM_NAMES = ["lang", "next", "procedure", "remove", "continue", "save_draft", "add", "email",
              "password", "confirm", "name", "body", "terms", "neutral_id", "days", "start",
              "expected_version", "seen_events", "csrf_token", "kind", "day", "country",
              "moved_from", "scope", "files-0-title", "files-0-document_date"]


def real_values(seeded: Seeded, converter: str | None, name: str) -> list[str]:
    from app.filing.views import STEP_KEYS
    from workflows.engine import procedures

    if converter == "int":
        return [str(i) for i in seeded.ids]
    return {
        "number": [*seeded.numbers, "SULH-2026-999999", "DRAFT-1"],
        "step": list(STEP_KEYS),
        "name": sorted({a.name for p in procedures() for a in p.actions}),
        "code": seeded.codes,
        "token": seeded.secrets,
        "lang": ["en", "ar", "fr"],
        "key": sorted({p.key for p in procedures()}),
        "filename": ["css/sulh.css"],
    }.get(name, [])


def path_strategy(seeded: Seeded, rule: str) -> st.SearchStrategy[str]:
    parts: list[st.SearchStrategy[str]] = []
    position = 0
    for match in VARIABLE.finditer(rule):
        parts.append(st.just(rule[position:match.start()]))
        real = real_values(seeded, match.group(1), match.group(2))
        value = hs.id_value(real) if match.group(1) == "int" else hs.path_value(real)
        parts.append(value.map(hs.quoted))
        position = match.end()
    parts.append(st.just(rule[position:]))
    return st.tuples(*parts).map("".join)


@pytest.mark.parametrize(("rule", "method"), ROUTES, ids=[f"{m} {r}" for r, m in ROUTES])
def test_no_route_answers_500(seeded: Seeded, rule: str, method: str) -> None:
    form = st.dictionaries(st.one_of(st.sampled_from(FORM_NAMES), st.text(max_size=8)),
                           hs.url_text, max_size=5)

    @fuzz((rule, method), 12)
    @given(role=st.sampled_from([ANONYMOUS, *ROLES]), path=path_strategy(seeded, rule),
           query=hs.query_string(QUERY_NAMES), data=form)
    def request(role: str, path: str, query: str, data: dict[str, str]) -> None:
        url = f"{path}?{query}" if query else path
        client = seeded.client(role)
        response = client.open(url, method=method, data=data if method != "GET" else None)
        assert response.status_code < 500, (role, method, url, data, response.status_code)

    request()
