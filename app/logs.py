"""Logging: the format, and no secret in any line (SECURITY.md C30).

A link that works by itself — a service link `/join/<token>`, a private calendar feed
`/calendar/feed/<token>.ics`, and any later route whose argument is named `token` (a password
reset, an invitation) — is a secret: whoever reads it can use it. Such links reach log lines
through the access log (gunicorn's, the development server's), through a `next=` parameter
(`/login?next=%2Fjoin%2F…`), a Referer, or an application message that names the path. So
the redaction is not left to each call: every log record of the process is redacted when it is
created (`logging.setLogRecordFactory`, the standard library's hook for it), whichever library
writes it. What is redacted:

- the argument of every route whose variable is `token` or ends in `_token`, in a path written
  plainly or percent-encoded (read from the URL map, so a new route is covered when added);
- the value of query parameters that carry secrets (`token`, `password`, `secret`, …).

User-supplied text cannot forge lines either: control characters in a record's arguments
(CR, LF, ESC and the rest of C0/C1) are written as escapes (`\\n`, `\\x1b`). ANSI colours the
development server adds around its own status codes are dropped first.

gunicorn's access log is one of these records too: it is written in the worker, after the
worker built the app, with the request's fields (request line, path, query, Referer, headers)
as the record's arguments — all redacted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from flask import Flask

REDACTED = "[redacted]"
SECRET_PARAMETERS = ("token", "access_token", "password", "secret", "api_key", "key",
                     "reset_token", "invite", "invitation", "code_verifier")
# "/", or "%2F" — or "%252F", a link inside a `next` inside a `next` (the language switch on
# the sign-in page a join link led to).
_SLASH = r"(?:/|%(?:25)*2[fF])"
# A token runs to the next separator of a path or query, plain or percent-encoded.
_SEGMENT = r"[^/?#&\s\"'%<>;]+"
_QUERY = re.compile(
    r"((?:[?&]|%(?:25)*3[fF]|%(?:25)*26)(?:" + "|".join(SECRET_PARAMETERS)
    + r")(?:=|%(?:25)*3[dD]))"
    r"[^&\s\"'#;]+", re.IGNORECASE)
_SGR = re.compile(r"\x1b\[[0-9;]*m")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")

_patterns: list[re.Pattern[str]] = []
_prefixes: set[str] = set()
_installed = False


def secret_route_prefixes(rules: Iterable[str]) -> set[str]:
    """The static part before each `<token>` (or `<…_token>`) variable of these URL rules:
    `/join/<token>` → `/join/`."""
    found = set()
    for rule in rules:
        for match in re.finditer(r"<(?:[a-z_]+:)?([a-z_]*token)>", rule):
            prefix = rule[:match.start()]
            if "<" not in prefix:
                found.add(prefix)
            else:  # a variable before the token: keep the static part after it
                found.add(prefix[prefix.rindex(">") + 1:])
    return {p for p in found if p.strip("/")}


def register(prefixes: Iterable[str]) -> None:
    """Add path prefixes whose next segment is a secret (idempotent)."""
    for prefix in sorted(set(prefixes) - _prefixes):
        _prefixes.add(prefix)
        plain = re.escape(prefix.strip("/")).replace("/", _SLASH)
        _patterns.append(re.compile(f"({_SLASH}{plain}{_SLASH}){_SEGMENT}"))


def redact(text: str) -> str:
    """`text` with every secret of a link replaced by [redacted]."""
    if "/" not in text and "%2" not in text.lower() and "=" not in text:
        return text
    for pattern in _patterns:
        text = pattern.sub(r"\1" + REDACTED, text)
    return _QUERY.sub(r"\1" + REDACTED, text)


def neutralise(value: str) -> str:
    """A value for one log line: secrets redacted, control characters as escapes."""
    value = redact(_SGR.sub("", value))
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), value)


def clean(record: logging.LogRecord) -> logging.LogRecord:
    """Redact a record in place: its message's arguments (or a message without any)."""
    args = record.args
    if isinstance(args, tuple) and args:
        record.args = tuple(neutralise(a) if isinstance(a, str) else _other(a) for a in args)
    elif isinstance(args, dict) and args:
        record.args = {k: neutralise(v) if isinstance(v, str) else v for k, v in args.items()}
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    return record


def _other(value: object) -> object:
    """A non-string argument logged with %s (an exception, a path object): its text, redacted,
    when that differs (a `%d` argument stays a number)."""
    if isinstance(value, int | float) or value is None:
        return value
    try:
        text = str(value)
    except Exception:  # a broken __str__ is the formatter's to report, as before
        return value
    shown = neutralise(text)
    return shown if shown != text else value


def _install_record_factory() -> None:
    global _installed
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def redacting_factory(*args: object, **kwargs: object) -> logging.LogRecord:
        return clean(make(*args, **kwargs))

    logging.setLogRecordFactory(redacting_factory)
    _installed = True


def init_app(app: Flask) -> None:
    """After the blueprints: the URL map says which routes carry a token."""
    register(secret_route_prefixes(rule.rule for rule in app.url_map.iter_rules()))
    _install_record_factory()
