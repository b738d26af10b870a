"""Absolute links, for what leaves the request: emails, PDFs, calendar feeds."""

from __future__ import annotations

from typing import Any

from flask import current_app


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for emails and PDFs, built from BASE_URL, so it works in jobs and
    commands as well as in requests."""
    anchor = values.pop("_anchor", None)
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    url = current_app.config["BASE_URL"].rstrip("/") + path
    return f"{url}#{anchor}" if anchor else url
