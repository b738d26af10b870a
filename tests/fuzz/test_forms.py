"""Every form a role can reach, found by walking the app as that role (tests/fuzz/crawl.py),
posted with fuzzed values: control characters, numbers that are not numbers or do not fit,
dates out of range, overlong text, wrong choices, fields missing or added. No response is a 500.

Mostly one field is hostile and the others keep their real values, so a submission gets past
the rest of the form to the service and the database with the one bad value. Afterwards every
page the walk found is read again: what was stored must still display."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from tests.fuzz import strategies as hs
from tests.fuzz.conftest import ANONYMOUS, ROLES, Seeded, fuzz
from tests.fuzz.crawl import Field, Form, crawl

START = {
    ANONYMOUS: ["/", "/login", "/register", "/verify", "/rules/"],
    "manager": ["/dashboard", "/manage/", "/manage/jobs", "/manage/calendar", "/calendar/",
                "/file/new"],
}
PAGES_PER_ROLE = 60
# Per field, when several are hostile at once: mostly what a user would send.
MODES = ["keep"] * 6 + ["hostile"] * 3 + ["drop"]
PLAUSIBLE = {"email": "someone@example.test", "password": "a long enough password",
             "date": "2026-06-01", "number": "3", "text": "Fuzzed text.",
             "textarea": "Fuzzed text.\nSecond line."}


def usual(f: Field) -> str:
    """The value a user would most likely send: the page's own, the first real option."""
    if f.options:
        return next((o for o in f.options if o), f.options[0])
    if f.value:
        return f.value
    return PLAUSIBLE.get(f.kind, "y" if f.kind == "checkbox" else "Fuzzed text.")


def kept(f: Field) -> st.SearchStrategy[str]:
    """What a user would send: the page's own value, one of the offered options."""
    return st.sampled_from(f.options) if f.options else st.just(usual(f))


def hostile(f: Field) -> st.SearchStrategy[str]:
    if f.kind == "date":
        return st.one_of(st.sampled_from(hs.OUT_OF_RANGE), hs.dates, hs.hostile_text)
    numeric = f.kind == "number" or any(o.isdigit() for o in [*f.options, f.value])
    if numeric or f.name.endswith(("_id", "days", "version", "events")):  # ids, counts
        return st.one_of(st.sampled_from(hs.BEYOND), hs.numbers, hs.hostile_text)
    return hs.hostile_text


def worst(f: Field) -> str:
    """The one value most likely to get past a form unchecked, for the single-fault sweep."""
    if f.kind == "date":
        return "9999-12-31"
    if f.kind == "number":
        return "sNaN"
    if any(o.isdigit() for o in [*f.options, f.value]) or f.name.endswith(("_id", "version")):
        return "9" * 23
    if f.kind in ("select", "radio", "checkbox", "submit"):
        return "no-such-choice"
    return "x" * 200001


def sweep(seeded: Seeded, form: Form) -> list[str]:
    """Each field in turn gets `worst` while the others keep their values; then the form is
    sent empty. Deterministic, one request per field: the random search below may miss one."""
    fields = [f for f in form.fields if f.kind not in ("file", "submit")]
    bodies = [MultiDict([(g.name, worst(g) if g is f else usual(g)) for g in fields])
              for f in fields] + [MultiDict()]
    problems = []
    for body in bodies:
        status = seeded.client(form.role).post(form.action, data=body).status_code
        if status >= 500:
            problems.append(f"{form.action} {dict(body)!r:.300}: {status}")
    return problems


def payload(draw, form: Form) -> MultiDict:
    data: MultiDict = MultiDict()
    buttons = [f for f in form.fields if f.kind == "submit"]
    pressed = draw(st.sampled_from(buttons)) if buttons else None
    files = [f for f in form.fields if f.kind == "file"]
    if files and draw(st.integers(0, 2)) == 1:
        # A small, valid file (contents are not fuzzed: sniffing is tested with the uploads),
        # so that the other fields of the row reach the upload service.
        data.add(files[0].name, (io.BytesIO(b"A note for the case file.\n"), "note.txt"))
    fields = [f for f in form.fields
              if f.kind != "file" and (f.kind != "submit" or f is pressed)]
    if fields and draw(st.integers(0, 2)) < 2:
        # One field is hostile, the others are what a user would send: the bad value then gets
        # past the rest of the form to the service and the database.
        victim = draw(st.sampled_from(fields))
        for f in fields:
            data.add(f.name, draw(hostile(f) if f is victim else kept(f)))
        return data
    for f in fields:
        mode = draw(st.sampled_from(MODES))
        if mode == "drop":
            continue
        data.add(f.name, draw(kept(f) if mode == "keep" else hostile(f)))
        if draw(st.integers(0, 19)) == 7:
            data.add(f.name, draw(hostile(f)))  # the same field twice
    for name, value in draw(st.dictionaries(hs.plain_text, hs.hostile_text, max_size=2)).items():
        data.add(name, value)  # fields the form does not have
    if draw(st.integers(0, 9)) == 7:
        data.add(draw(hs.with_control), "x")  # a name no form has
    return data


def distinct(forms: list[Form]) -> list[Form]:
    """One form per (action with ids blurred, field names): 11 cases' identical forms are
    one target, each fuzzed against its first case."""
    unique: dict[tuple, Form] = {}
    for form in forms:
        unique.setdefault(form.key, form)
    return list(unique.values())


@pytest.mark.parametrize("role", [ANONYMOUS, *ROLES])
def test_no_form_answers_500(seeded: Seeded, role: str) -> None:
    start = START.get(role, ["/dashboard", "/calendar/", "/verify", "/file/new"])
    forms, pages = crawl(seeded.client(role), role, start, PAGES_PER_ROLE)
    assert forms, f"{role} reached no form"
    failures = []
    for form in distinct(forms):
        try:
            failures += sweep(seeded, form)
            fuzz_form(seeded, form)
        except Exception as failure:  # every form is tried, and all failures are reported
            notes = "\n".join(getattr(failure, "__notes__", []))  # Hypothesis' example
            failures.append(f"{form.action} (from {form.page}): {failure!r}\n{notes}"[:5000])
    # What the fuzzing stored must not break the pages that show it (a date of 9999-12-31
    # saved once made a draft's review page fail for good).
    for page in pages:
        status = seeded.client(role).get(page).status_code
        if status >= 500:
            failures.append(f"GET {page} after the forms were fuzzed: {status}")
    assert not failures, "\n\n".join(failures)


def fuzz_form(seeded: Seeded, form: Form) -> None:
    @fuzz(form.key, 6)
    @given(data=st.data())
    def submit(data) -> None:
        body = payload(data.draw, form)
        response = seeded.client(form.role).post(form.action, data=body)
        assert response.status_code < 500, (form.action, body, response.status_code)

    submit()
