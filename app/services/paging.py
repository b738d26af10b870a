"""Keyset pagination for list pages sized for a million cases.

An OFFSET page costs as much as every row before it; a keyset page costs only its own rows:
the next page starts strictly after the last row shown, by a stable order on an indexed
(timestamp, id) pair. The cursor is a short opaque string carried in the "next page" link,
so paging works without JavaScript and survives rows being added at the top meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from app.extensions import db

DEFAULT_PAGE_SIZE = 50
_STAMP = "%Y%m%dT%H%M%S.%f"


@dataclass
class Page:
    items: Sequence[Any]
    next_cursor: str | None
    first: bool  # no cursor was given: this is the first page


def page_size() -> int:
    return int(current_app.config.get("PAGE_SIZE", DEFAULT_PAGE_SIZE))


def encode_cursor(at: datetime, row_id: int) -> str:
    return f"{at.astimezone(UTC).strftime(_STAMP)}_{row_id}"


def decode_cursor(raw: str | None) -> tuple[datetime, int] | None:
    """The (timestamp, id) a cursor names, or None for a missing or malformed one (which
    simply shows the first page: a cursor is a convenience, not an access decision)."""
    if not raw:
        return None
    try:
        stamp, _, row_id = raw.partition("_")
        return datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC), int(row_id)
    except ValueError:
        return None


def keyset_page(query: Select, at: InstrumentedAttribute, row_id: InstrumentedAttribute,
                cursor: str | None, *, descending: bool = True,
                size: int | None = None) -> Page:
    """One page of `query` ordered by (at, row_id), starting after `cursor`.

    Both columns must be in one index (e.g. cases (last_activity_at, id)), so the database
    walks the index from the cursor and stops after `size + 1` rows.
    """
    size = size or page_size()
    after = decode_cursor(cursor)
    if after is not None:
        key = tuple_(at, row_id)
        query = query.where(key < after if descending else key > after)
    order = (at.desc(), row_id.desc()) if descending else (at.asc(), row_id.asc())
    rows = db.session.scalars(query.order_by(*order).limit(size + 1)).all()
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if rows else None
    next_cursor = (encode_cursor(getattr(last, at.key), getattr(last, row_id.key))
                   if more and last is not None else None)
    return Page(items=rows, next_cursor=next_cursor, first=after is None)
