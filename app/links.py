"""Links: absolute ones for what leaves the request (emails, PDFs, calendar feeds), and the
one check of a link a request hands us to go back to (`next`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for emails and PDFs, built from BASE_URL, so it works in jobs and
    commands as well as in requests."""
    anchor = values.pop("_anchor", None)
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    url = current_app.config["BASE_URL"].rstrip("/") + path
    return f"{url}#{anchor}" if anchor else url


# What a browser drops from anywhere in a URL before parsing it (WHATWG URL standard, "basic URL
# parser": ASCII tab and newline) and from its ends (C0 controls and space).
_DROPPED = str.maketrans("", "", "\t\n\r")
_TRIMMED = "".join(chr(c) for c in range(0x21))
_MAX_TARGET = 2000


def local_target(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: where a `next` parameter may send
    the browser after sign-in or a change of language.

    Checked the way the browser will read it, after normalisation: tabs and newlines removed,
    the ends trimmed, a backslash read as a slash (`/\\evil.test` is `//evil.test` to a browser),
    and the same again after each layer of percent-decoding (`/%09/evil.test`, `%2F%2Fx`), in
    case anything between us and the browser decodes once more. Only a path-absolute URL passes:
    one slash, then not a second slash — no scheme (`https:`, `javascript:`), no host."""
    if not target or len(target) > _MAX_TARGET:
        return None
    layer = target
    for _ in range(4):  # the value as given and up to three layers of percent-decoding
        if not _path_on_this_site(layer):
            return None
        decoded = unquote(layer)
        if decoded == layer:
            return target
        layer = decoded
    return None  # still encoded four layers deep: no honest link is


def _path_on_this_site(value: str) -> bool:
    seen = value.translate(_DROPPED).strip(_TRIMMED).replace("\\", "/")
    if not seen.startswith("/") or seen.startswith("//"):
        return False
    parts = urlsplit(seen)
    return not parts.scheme and not parts.netloc
