"""Hostile values: what a fuzzer, a broken client or an attacker sends instead of a form's
answer. Each strategy mixes real values (so requests get past the first check) with the kinds of
values that caused 500s: control characters, ids beyond 32 bits, dates no calendar can show,
numbers that are not numbers, overlong text, deep JSON."""

from __future__ import annotations

import json
from urllib.parse import quote

from hypothesis import strategies as st

CONTROLS = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x80",
            "\x85", "\x9f", "\t", "\n", "\r", "\r\n"]
LONG = [201, 255, 301, 1001, 5001, 20001, 100001, 200001]
LONG_IN_URL = [201, 1001, 4001]  # servers refuse longer request lines (gunicorn: 4094)
NUMBERS = ["0", "-1", "1", "2", "7", "60", "61", "-0", "+5", " 5 ", "1.5", "1e3", "1e309",
           "NaN", "nan", "sNaN", "Infinity", "-Infinity", "1_000", "0x10", "٣", "²", "①",
           str(2**31 - 1), str(2**31), str(2**32), str(2**63), str(-(2**31) - 1), "9" * 30,
           "9" * 5000]
DATES = ["2026-06-01", "1900-01-01", "2100-12-31", "1899-12-31", "2101-01-01", "9999-12-31",
         "0001-01-01", "0000-00-00", "2026-02-30", "2026-13-01", "2026-1-1", "20260101",
         "26-06-01", "2026-06-01T00:00", "١٤٤٧-٠١-٠١", "-2026-01-01", "99999-01-01"]
WORDS = ["", " ", "null", "None", "true", "[]", "{}", "' OR 1=1 --", "<script>x</script>",
         "%s%s%n", "{{ 7*7 }}", "../../etc/passwd", "\u202eevil", "\ufeff", "\uffff", "\ufffd",
         "𝕊𝕦𝕝𝕙", "صلح", "İ" * 200, "ß" * 200, "a@b", "x@example.test", "ZZ", "EG", "yes",
         "no", "on", "y", "claimant", "respondent", "joint", "caucus:claimant", "caucus:x",
         "right:1", "remedy:99999999999", "right:²", "participants", "institution"]

# Beyond every id column (PostgreSQL integer: 2**31 - 1; SQLite: 2**63 - 1).
BEYOND = [str(2**31), str(2**32), str(2**63), str(2**64), "9" * 23, "0", "-1"]
# Dates Python parses that no calendar of the app can use.
OUT_OF_RANGE = ["9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01", "1066-10-14"]
control_char = st.sampled_from(CONTROLS)
numbers = st.one_of(st.sampled_from(NUMBERS), st.integers(-(2**70), 2**70).map(str))
dates = st.one_of(st.sampled_from(OUT_OF_RANGE), st.sampled_from(DATES))
with_control = st.tuples(st.text(max_size=12), control_char, st.text(max_size=12)).map("".join)


def _long(sizes: list[int]) -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(sizes), st.sampled_from("xé中 ")).map(lambda p: p[1] * p[0])


#: Any characters but controls and surrogates (`with_control` brings those, one time in six,
#: so that most values get past the edge to the forms and services).
plain_text = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40)


def _text(longest: list[int]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(WORDS), numbers, dates, with_control, _long(longest),
                     plain_text)


#: Any string a form field might receive (no lone surrogates: those cannot be sent in a URL or
#: a form, only as JSON escapes).
hostile_text = _text(LONG)
#: The same, short enough for a request line.
url_text = _text(LONG_IN_URL)


def path_value(real: list[str]) -> st.SearchStrategy[str]:
    """A path segment: mostly a real value (a case number, an id...), else anything."""
    strategies = [url_text]
    if real:
        strategies.insert(0, st.sampled_from(real))
    return st.one_of(*strategies)


def id_value(real: list[str]) -> st.SearchStrategy[str]:
    """An `<int:…>` segment: a real id, a number of any size or sign, or anything."""
    return st.one_of(st.sampled_from(real or ["1"]), st.sampled_from(BEYOND), numbers, url_text)


def quoted(value: str) -> str:
    return quote(value, safe="")


def query_string(names: list[str]) -> st.SearchStrategy[str]:
    pairs = st.lists(st.tuples(st.one_of(st.sampled_from(names), st.text(max_size=8)),
                               url_text), max_size=4)
    return pairs.map(lambda items: "&".join(f"{quoted(k)}={quoted(v)}" for k, v in items))


# ---------------------------------------------------------------------------------- JSON
surrogates = st.sampled_from(["\ud800", "\udfff", "a\udc00b"])
#: Strings in JSON: mostly ones the edge lets through, sometimes a control or a lone surrogate.
json_text = st.one_of(plain_text, plain_text, st.sampled_from(WORDS), numbers, dates,
                      _long(LONG), st.one_of(with_control, surrogates))
json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**80), 2**80),
    st.floats(allow_nan=True, allow_infinity=True), json_text, json_text,
)
json_value = st.recursive(
    json_leaf,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(plain_text, children, max_size=3),
    max_leaves=8,
)


def json_object(names: list[str]) -> st.SearchStrategy[dict]:
    """An action's JSON: some of its form fields (any type of value), maybe others."""
    known = st.fixed_dictionaries({}, optional={name: st.one_of(json_text, json_text, json_value)
                                                for name in names})
    extra = st.dictionaries(st.one_of(plain_text, plain_text, plain_text, with_control),
                            json_value, max_size=2)
    return st.tuples(known, extra).map(lambda p: {**p[1], **p[0]})


def deep(depth: int) -> str:
    return '{"body": ' + "[" * depth + "]" * depth + "}"


def json_body(names: list[str]) -> st.SearchStrategy[str]:
    """The raw body: valid JSON of any shape, nested past the limit, malformed, or huge."""
    valid = json_object(names).map(json.dumps)
    return st.one_of(
        valid, valid, valid, valid,
        json_value.map(json.dumps),
        st.sampled_from([31, 32, 33, 200, 5000, 100000]).map(deep),
        st.sampled_from(['{"body": "unterminated', "{", "", "nul\x00", '{"a":1}{"b":2}',
                         '{"days": 1e99999}', '{"days": ' + "9" * 5000 + "}",
                         '{"body": "' + "x" * (1024 * 1024) + '"}']),
    )
