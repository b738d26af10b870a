"""The case's optimistic lock, as clients see it.

Every change of a case bumps `Case.version` (SQLAlchemy's `version_id_col`: the UPDATE says
`WHERE version = <the version loaded>`), so of two transactions that loaded the same version
only the first commits; the second fails with `StaleDataError`. A client may also say which
version it was looking at (a hidden `expected_version` field in forms, `If-Match` or
`expected_version` in the API): if the case has moved on since, the request is refused before
anything is done. Both end as HTTP 409 "this case changed while you were working".
"""

from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError

from app.models import Case


class CaseChanged(StaleDataError):
    """The client acted on a version of the case that is no longer current."""

    def __init__(self, message: str, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version


def parse_version(value: object) -> int | None:
    """`7`, `"7"`, an ETag `"\\"7\\""` or `W/"7"`; anything else (or nothing) is None."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    text = text.removeprefix("W/").strip('"')
    try:
        return int(text)
    except ValueError:
        return None


def expect_version(case: Case, expected: object) -> None:
    version = parse_version(expected)
    if version is not None and version != case.version:
        raise CaseChanged(f"case {case.reference} is at version {case.version}, not {version}",
                          case.version)
