"""Rendered pieces of pages, kept per worker and keyed by what they show.

A list row, the page header or a verified decision is rendered the same way until what it shows
changes; formatting dates and translating labels for it again on every request was most of a
list page's cost. The key is every value the fragment shows (the
row's columns; the language is added here), so a fragment is a pure function of its key and a
stale one can never be served: a change makes a new key, and the old one ages out of the
bounded LRU. Each app has its own cache (tests create many apps over reused ids).

What differs per viewer must be in the key (the header is kept per user, a case page per user
and case version); a secret never goes into a kept fragment: the CSRF token is a hole filled in
per request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.i18n import current_language

FRAGMENT_BYTES = 16 * 1024 * 1024  # per worker: list rows, headers, verified decisions
PAGE_BYTES = 48 * 1024 * 1024  # per worker: case page bodies (≈ 15 KB each)
CSRF_HOLE = "@@csrf@@"


class FragmentCache:
    """A bounded LRU of rendered HTML, by total size in bytes (UTF-8: an Arabic page is about
    twice its length in characters)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[Markup, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # gunicorn's gthread workers serve requests in threads
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Markup | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, key: Hashable, value: str) -> Markup:
        value = Markup(value)  # noqa: S704  (rendered by Jinja: already escaped)
        size = len(value.encode("utf-8"))
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= previous[1]
            self._entries[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes and len(self._entries) > 1:
                _, (_evicted, evicted_size) = self._entries.popitem(last=False)
                self._bytes -= evicted_size
        return value

    @property
    def size(self) -> int:
        """Bytes held (UTF-8)."""
        return self._bytes

    def get_or_render(self, key: Hashable, render: Callable[[], str]) -> Markup:
        found = self.get(key)
        return found if found is not None else self.put(key, render())


def app_cache(name: str = "fragments") -> FragmentCache:
    caches: dict[str, FragmentCache] = current_app.extensions.setdefault("sulh_fragments", {})
    found = caches.get(name)
    if found is None:
        found = caches.setdefault(name, FragmentCache(PAGE_BYTES if name == "pages"
                                                      else FRAGMENT_BYTES))
    return found


def cached(*key: Hashable, caller: Callable[[], str]) -> Markup:
    """Jinja: ``{% call cached("row", case.id, case.number, case.title, …) %}…{% endcall %}``
    renders the block once per key and language."""
    return app_cache().get_or_render((*key, current_language()), caller)


def cached_page(key: tuple[Hashable, ...], render: Callable[[], str]) -> Markup:
    """A page body for one viewer, rendered once per key and language. Its forms' CSRF token
    (the session's, signed per request) is cut out when it is stored and the current one put
    back when it is served, so the body itself holds nothing secret."""
    token = generate_csrf()
    pages = app_cache("pages")
    full_key = (*key, current_language())
    body = pages.get(full_key)
    if body is None:
        body = pages.put(full_key, render().replace(token, CSRF_HOLE))
    return body.replace(CSRF_HOLE, token)
