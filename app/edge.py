"""The edge: input that no page of Sulh could mean is refused before any view, form or query
sees it — a 400 (413 for an oversized JSON body) that says what is wrong, never a 500.

What gets here would otherwise fail deep inside: PostgreSQL refuses a NUL in text (the driver
raises on the bind), its integer columns are 32-bit, Python's JSON parser recurses once per level
of nesting, a carriage return in a redirect target splits a header. So:

- control characters (C0, DEL, C1) are refused in the path and the query string, in form and
  JSON keys, and in form and JSON values except tab, line feed and carriage return (text areas
  send those); JSON strings must also be valid Unicode (no lone surrogates). Upload contents are
  not looked at here, and their file names are checked with the upload;
- a JSON body is at most `JSON_MAX_BYTES` and `JSON_MAX_DEPTH` levels deep;
- `<int:…>` in a route matches only 1..2**31-1, so an id no row can have is simply not found.

Forms bound the ids, numbers and dates they read themselves (app/fields.py).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Request, render_template, request
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map

from app.i18n import gettext as _

#: The largest value of a PostgreSQL `integer` (every id column).
MAX_ID = 2**31 - 1
JSON_MAX_BYTES = 1024 * 1024
JSON_MAX_DEPTH = 32

# Nothing of these belongs in an address or a name; lone surrogates only come from JSON escapes.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Text may carry tab, line feed and carriage return.
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_NAME_SHOWN = 60  # characters of a field name quoted back in a message


def parse_id(value: object) -> int | None:
    """An id as a form or JSON sent it — `7`, `"7"` — or None when it cannot be a row's id
    (not a whole number, or outside 1..MAX_ID): callers answer "choose from the list", the
    database never sees it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.strip().isdigit() \
            and len(value.strip()) <= len(str(MAX_ID)):
        number = int(value)
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


class IdConverter(IntegerConverter):
    """`<int:…>` bounded to the ids a row can have: 2**31 or 0 matches no route (404), where it
    used to reach PostgreSQL ("integer out of range") or SQLite (OverflowError)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = 1,
                 max: int | None = MAX_ID, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class Refused(BadRequest):
    """Input refused at the edge; `message` is shown to the user (or sent as JSON)."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(description=message)
        self.error = error
        self.message = message


class JsonTooLarge(RequestEntityTooLarge):
    def __init__(self) -> None:
        message = _("The JSON body is larger than %(size)s KiB.", size=JSON_MAX_BYTES // 1024)
        super().__init__(description=message)
        self.error = "json_too_large"
        self.message = message


def _too_deep() -> Refused:
    return Refused("json_too_deep", _("The JSON body is nested more than %(depth)s levels "
                                      "deep.", depth=JSON_MAX_DEPTH))


def _shown(name: str) -> str:
    name = _CONTROL.sub("\N{REPLACEMENT CHARACTER}", name)
    return name if len(name) <= _NAME_SHOWN else name[:_NAME_SHOWN] + "…"


class EdgeRequest(Request):
    """Reads a JSON body of at most JSON_MAX_BYTES, nested at most JSON_MAX_DEPTH deep, with no
    control characters in its keys or strings — for every caller of `get_json`."""

    @property
    def max_content_length(self) -> int | None:
        limit = super().max_content_length
        if self.is_json:
            return JSON_MAX_BYTES if limit is None else min(limit, JSON_MAX_BYTES)
        return limit

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        try:
            value = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            # The parser recurses once per level: thousands of levels exhaust the stack before
            # any limit of ours could count them.
            raise _too_deep() from None
        except RequestEntityTooLarge:
            if force or self.is_json:
                raise JsonTooLarge() from None
            raise
        try:
            check_json(value)
        except Refused:
            self._cached_json = (Ellipsis, Ellipsis)
            raise
        return value


def check_json(value: Any) -> None:
    """Depth, keys and strings of a parsed JSON document, without recursion."""
    pending: list[tuple[Any, str, int]] = [(value, "", 1)]
    while pending:
        item, path, depth = pending.pop()
        if isinstance(item, dict | list) and depth > JSON_MAX_DEPTH:
            raise _too_deep()
        if isinstance(item, dict):
            for key, child in item.items():
                if _CONTROL.search(key):
                    raise Refused("invalid_characters", _(
                        "A key in the JSON body contains a control character."))
                pending.append((child, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(item, list):
            pending.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
        elif isinstance(item, str) and _CONTROL_IN_TEXT.search(item):
            raise Refused("invalid_characters", _(
                "The value of “%(name)s” contains a control character or is not valid text "
                "(only tabs and line breaks may appear in text).", name=_shown(path or "/")))


def check_request() -> None:
    """Runs before every other hook and view (registered first)."""
    if _CONTROL.search(request.path):
        raise Refused("invalid_characters", _("The address contains a control character."))
    for name, value in request.args.items(multi=True):
        _check_name(name)
        if _CONTROL.search(value):
            raise Refused("invalid_characters", _(
                "The parameter “%(name)s” contains a control character.", name=_shown(name)))
    if request.mimetype in _FORM_TYPES:
        for name, value in request.form.items(multi=True):
            _check_name(name)
            if _CONTROL_IN_TEXT.search(value):
                raise Refused("invalid_characters", _(
                    "The field “%(name)s” contains a control character (only tabs and line "
                    "breaks may appear in text).", name=_shown(name)))
        for name in request.files:
            _check_name(name)
    if request.is_json:
        request.get_json(silent=True)  # EdgeRequest refuses it here; malformed is the view's


def _check_name(name: str | None) -> None:
    if name is None:  # a multipart part without a name (no browser sends one)
        raise Refused("unnamed_field", _("A part of the form has no field name."))
    if _CONTROL.search(name):
        raise Refused("invalid_characters", _(
            "A field or parameter name contains a control character."))


def answer(error: HTTPException):
    """The refusal as the client reads it: JSON under /api (problem details, as the API's own
    errors), else the error page."""
    from app.errors import problem, wants_json

    code = error.code or 400
    message = getattr(error, "message", None) or error.description or ""
    title = _("Request too large") if code == 413 else _("Bad request")
    if wants_json():
        return problem(code, getattr(error, "error", "bad_request"), message, title=title)
    return render_template("errors/error.html", status=code, title=title,
                           message=message), code


def init_app(app: Flask) -> None:
    """Call before anything else registers hooks, converters or blueprints."""
    app.request_class = EdgeRequest
    app.url_map.converters["int"] = IdConverter
    app.before_request(check_request)
    app.register_error_handler(Refused, answer)
    app.register_error_handler(JsonTooLarge, answer)
