"""Keyset pagination for list pages sized for a million cases.

An OFFSET page costs as much as every row before it; a keyset page costs only its own rows:
the next page starts strictly after the last row shown, by a stable order on an indexed
(timestamp, id) pair. The cursor is a short opaque string carried in the "next page" link,
so paging works without JavaScript and survives rows being added at the top meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from app.extensions import db

# The reference list page shows 20 rows; SULH_PAGE_SIZE changes it.
DEFAULT_PAGE_SIZE = 20
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
                cursor: str | None, *, descending: bool = True, size: int | None = None,
                rows: Callable[[Any], Sequence[Any]] | None = None) -> Page:
    """One page of `query` ordered by (at, row_id), starting after `cursor`.

    Both columns must be in one index (e.g. cases (last_activity_at, id)), so the database
    walks the index from the cursor and stops after `size + 1` rows. `rows` turns the result
    into items (default: ORM objects, for a select of one entity).
    """
    size = size or page_size()
    after = decode_cursor(cursor)
    if after is not None:
        key = tuple_(at, row_id)
        query = query.where(key < after if descending else key > after)
    order = (at.desc(), row_id.desc()) if descending else (at.asc(), row_id.asc())
    result = db.session.execute(query.order_by(*order).limit(size + 1))
    items = rows(result) if rows else result.scalars().all()
    more = len(items) > size
    items = items[:size]
    last = items[-1] if items else None
    next_cursor = (encode_cursor(getattr(last, at.key), getattr(last, row_id.key))
                   if more and last is not None else None)
    return Page(items=items, next_cursor=next_cursor, first=after is None)
