"""Walk the app as a user does — follow the links of each page — and collect every
`<form method="post">` with its fields, read from the HTML as a browser would."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask.testing import FlaskClient


@dataclass
class Field:
    name: str
    kind: str  # input type, "textarea", "select" or "submit"
    value: str = ""
    options: list[str] = field(default_factory=list)  # select options, radio values


@dataclass
class Form:
    role: str
    page: str
    action: str
    fields: list[Field]

    @property
    def key(self) -> tuple:
        return (self.role, re.sub(r"\d+", "#", self.action),
                tuple(sorted({f.name for f in self.fields})))


class _Page(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.links: list[str] = []
        self.forms: list[tuple[str, str, list[Field]]] = []
        self._form: tuple[str, str, list[Field]] | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
        elif tag == "a" and a.get("href"):
            self.links.append(urljoin(self.url, a["href"]))
        elif tag == "form":
            self._form = (a.get("method", "get").lower(),
                          urljoin(self.url, a.get("action") or self.url), [])
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            fields = self._form[2]
            same = next((f for f in fields if f.name == a["name"] and f.kind == kind), None)
            if kind == "radio" and same is not None:
                same.options.append(a.get("value", "on"))
                return
            fields.append(Field(a["name"], kind, a.get("value", ""),
                                [a.get("value", "on")] if kind == "radio" else []))
        elif tag == "textarea":
            self._textarea = Field(a["name"], "textarea")
            self._form[2].append(self._textarea)
        elif tag == "select":
            self._select = Field(a["name"], "select")
            self._form[2].append(self._select)
        elif tag == "button":
            self._form[2].append(Field(a["name"], "submit", a.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_startendtag(self, tag, attrs) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


# Links not worth following: downloads and renders (what they return is not a page with forms),
# switching language, signing out.
SKIP = re.compile(r"/download|\.pdf|\.zip|\.ics|/language|/logout|/static/|inline=|/healthz")


def crawl(client: FlaskClient, role: str, start: list[str],
          limit: int) -> tuple[list[Form], list[str]]:
    """Breadth first from `start`, at most `limit` pages; the forms found, and the pages read.
    Every page must answer below 500."""
    queue = deque(start)
    seen = set(start)
    forms: list[Form] = []
    pages: list[str] = []
    while queue and len(pages) < limit:
        url = queue.popleft()
        response = client.get(url)
        pages.append(url)
        assert response.status_code < 500, (role, url, response.status_code)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        page = _Page(url)
        page.feed(response.get_data(as_text=True))
        for method, action, fields in page.forms:
            if method == "post":
                forms.append(Form(role, url, _local(action), fields))
        for link in page.links:
            local = _local(link)
            if local and local not in seen and not SKIP.search(local):
                seen.add(local)
                queue.append(local)
    return forms, pages


def _local(url: str) -> str:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")
