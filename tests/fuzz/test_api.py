"""The JSON API: `GET /api/v1/cases/<n>` and `POST /api/v1/cases/<n>/actions/<name>` for every
action of every procedure, as each role (bearer token), a forged token and no token, with
fuzzed JSON — wrong types, deep nesting, huge numbers, control characters, lone surrogates,
malformed and oversized bodies. No response is a 500."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

from app.cases import forms as case_forms
from tests.fuzz import strategies as hs
from tests.fuzz.conftest import ANONYMOUS, ROLES, Seeded, fuzz
from workflows.engine import procedures

ACTIONS = sorted({a.name for p in procedures() for a in p.actions})
FORGED = "forged"
#: Every field name of the case action forms, and the lock.
FIELDS = sorted({name for form in vars(case_forms).values() if isinstance(form, type)
                 for klass in form.__mro__ for name, value in vars(klass).items()
                 if isinstance(value, UnboundField)} | {"expected_version"})
CONTENT_TYPES = ["application/json", "application/json", "application/json; charset=utf-8",
                 "text/plain", "application/x-www-form-urlencoded"]


def headers(seeded: Seeded, role: str, draw) -> dict[str, str]:
    found: dict[str, str] = {}
    if role == FORGED:
        found["Authorization"] = draw(st.sampled_from(["Bearer sulh_forged", "Bearer ", "Basic x",
                                                       "Bearer " + "x" * 5000]))
    elif role != ANONYMOUS:
        found["Authorization"] = f"Bearer {seeded.tokens[role]}"
    if draw(st.integers(0, 3)) == 2:
        found["If-Match"] = draw(st.one_of(hs.numbers, st.sampled_from(['"1"', 'W/"2"', "*"])))
    return found


def numbers_for(seeded: Seeded, role: str, action: str) -> list[str]:
    """The cases this role sees whose procedure has the action (else the cases it sees), then
    every case and one that does not exist: most requests get past the lookup."""
    visible = seeded.cases_of.get(role, [])
    having = [n for n in visible if action in ACTIONS_OF[seeded.procedure_of[n]]]
    return [*(having or visible), *seeded.numbers, "SULH-2026-999999"]


ACTIONS_OF: dict[str, set[str]] = {}
for _procedure in procedures():
    ACTIONS_OF.setdefault(_procedure.key, set()).update(a.name for a in _procedure.actions)


@pytest.mark.parametrize("action", ACTIONS)
def test_no_api_action_answers_500(seeded: Seeded, action: str) -> None:
    @fuzz(action, 6)
    @given(data=st.data(), role=st.sampled_from(ROLES), body=hs.json_body(FIELDS),
           content_type=st.sampled_from(CONTENT_TYPES))
    def post(data, role: str, body: str, content_type: str) -> None:
        numbers = numbers_for(seeded, role, action)
        number = data.draw(st.one_of(st.sampled_from(numbers[:3]), st.sampled_from(numbers)))
        response = seeded.client(ANONYMOUS).post(
            f"/api/v1/cases/{number}/actions/{action}", data=body.encode("utf-8", "surrogatepass"),
            headers={**headers(seeded, role, data.draw), "Content-Type": content_type})
        assert response.status_code < 500, (role, number, body[:500], response.status_code)

    post()


def test_no_api_request_without_a_valid_token_answers_500(seeded: Seeded) -> None:
    @fuzz("no token", 40)
    @given(data=st.data(), role=st.sampled_from([ANONYMOUS, FORGED]),
           action=st.sampled_from(ACTIONS), number=st.sampled_from(seeded.numbers),
           body=hs.json_body(FIELDS))
    def post(data, role: str, action: str, number: str, body: str) -> None:
        response = seeded.client(ANONYMOUS).post(
            f"/api/v1/cases/{number}/actions/{action}", data=body.encode("utf-8", "surrogatepass"),
            headers={**headers(seeded, role, data.draw), "Content-Type": "application/json"})
        assert response.status_code < 500, (role, number, body[:500], response.status_code)

    post()


def test_no_api_read_answers_500(seeded: Seeded) -> None:
    @fuzz("read", 30)
    @given(data=st.data(), role=st.sampled_from([*ROLES, ANONYMOUS, FORGED]),
           number=hs.path_value(seeded.numbers).map(hs.quoted))
    def get(data, role: str, number: str) -> None:
        response = seeded.client(ANONYMOUS).get(f"/api/v1/cases/{number}",
                                                headers=headers(seeded, role, data.draw))
        assert response.status_code < 500, (role, number, response.status_code)

    get()
