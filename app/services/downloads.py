"""Streaming file responses with a safe, UTF-8 Content-Disposition."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from urllib.parse import quote

from flask import Response, stream_with_context


def safe_filename(name: str) -> str:
    """Keep letters of any script, digits and a few marks; drop path separators, control and
    bidi-override characters that could disguise an extension."""
    cleaned = []
    for ch in unicodedata.normalize("NFC", name):
        category = unicodedata.category(ch)
        if ch in "/\\" or category.startswith("C"):
            continue
        cleaned.append(ch)
    result = "".join(cleaned).strip(" .") or "document"
    return result[:200]


def attachment(chunks: Iterable[bytes], filename: str, media_type: str, size: int | None,
               *, inline: bool = False) -> Response:
    name = safe_filename(filename)
    ascii_name = name.encode("ascii", "ignore").decode() or "document"
    ascii_name = ascii_name.replace('"', "")
    disposition = "inline" if inline else "attachment"
    response = Response(stream_with_context(chunks), mimetype=media_type)
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    )
    if size is not None:
        response.headers["Content-Length"] = str(size)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
