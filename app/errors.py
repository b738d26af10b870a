"""Error pages: every failure a user can cause, or meet, gets a clear answer, never a bare 500.

Under /api every answer is JSON, as RFC 9457 problem details (`application/problem+json`:
`type`, `title`, `status`, `detail`), with the `error` code and `message` API clients already
read; elsewhere a page in the user's language. Every status a user can meet — 400, 401, 403,
404, 405, 409, 413, 422, 429, 500, 503, 507 — has its own title and explanation, translated;
none shows Werkzeug's English default page, and a 500 never shows what went wrong inside.

What the server cannot help is named for what it is: a database that cannot be reached is 503
with `Retry-After` (a read-only request is first tried once more on a fresh connection, which
is all a dropped connection needs), a full disk 507 — in both cases nothing of the request was
kept.
"""

from __future__ import annotations

import errno
import json
import logging

from flask import Flask, Response, current_app, g, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, InterfaceError
from sqlalchemy.exc import OperationalError as DatabaseOperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from app.extensions import db
from app.i18n import gettext as _
from app.services.storage import StorageFull

log = logging.getLogger(__name__)
RETRY_AFTER = 5  # seconds: a restarting database or a failover is usually back by then
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "invalid",
          429: "too_many_requests", 500: "server_error", 503: "unavailable",
          507: "insufficient_storage"}


def wants_json() -> bool:
    """Under /api (the JSON API, and any address below it, found or not) errors are JSON."""
    return (request.blueprint == "api" or request.path == "/api"
            or request.path.startswith("/api/"))


def problem(status: int, code: str, message: str, *, title: str | None = None,
            **extra: object) -> Response:
    """An API error as RFC 9457 problem details. `type` is about:blank: the status says what
    kind of problem it is, `title` is its (translated) name and `detail` this occurrence;
    `error` (a stable code) and `message` (= detail) are kept for the clients that read them."""
    body = {"type": "about:blank", "title": title or status_title(status), "status": status,
            "detail": message, "error": code, "message": message, **extra}
    response = Response(json.dumps(body, ensure_ascii=False, default=str), status=status,
                        content_type="application/problem+json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="sulh"'
    return response


def error_page(status: int, title: str, message: str, **extra) -> Response:
    """The answer for an error: JSON under /api, else a page in the user's language."""
    if wants_json():
        response = problem(status, _CODES.get(status, "error"), message, title=title)
    else:
        response = current_app.make_response((render_template(
            "errors/error.html", status=status, title=title, message=message, **extra),
            status))
    if status in (503, 507):
        response.headers["Retry-After"] = str(RETRY_AFTER)
        response.headers["Cache-Control"] = "no-store"
    return response


def status_title(status: int) -> str:
    """The translated name of a status, e.g. for an API error that only has a code."""
    known = _http_texts().get(status)
    return str(known[0]) if known else HTTP_STATUS_CODES.get(status, "Error")


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: the session is discarded at teardown anyway
        log.warning("rollback failed after a database error", exc_info=True)


def disk_full(exc: BaseException) -> bool:
    """A full disk, as the file system, SQLite (SQLITE_FULL) or PostgreSQL (53100) says it."""
    if isinstance(exc, StorageFull):
        return True
    if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
        return True
    original = getattr(exc, "orig", None)
    if original is None:
        return False
    return (getattr(original, "sqlstate", None) == "53100"
            or getattr(original, "sqlite_errorcode", None) == 13)


def init_app(app: Flask) -> None:
    from app import idempotency

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_page(400, _("The form expired"),
                          _("For your security the form could not be accepted. Go back, "
                            "reload the page and submit it again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        texts = _http_texts()
        fallback = texts[500] if status >= 500 else (_("Request refused"),
                                                     _("This request cannot be answered."))
        title, message = texts.get(status, fallback)
        response = error_page(status, str(title), str(message))
        for name, value in error.get_headers():  # Allow (405), Retry-After (429), ...
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(StaleDataError)
    def conflict(error):
        _rollback()
        duplicate = idempotency.duplicate_response()
        if duplicate is not None:
            return duplicate
        number = (request.view_args or {}).get("number")
        return error_page(409, _("The case changed"),
                          _("This case changed while you were working — please review it and "
                            "try again."),
                          review_url=url_for("cases.show", number=number) if number else None)

    @app.errorhandler(IntegrityError)
    def integrity(error):
        _rollback()
        duplicate = idempotency.duplicate_response()
        if duplicate is not None:
            return duplicate
        log.warning("integrity error on %s: %s", request.path, error.orig)
        return error_page(409, _("Changed at the same time"),
                          _("Someone made the same change at the same moment. Nothing you "
                            "sent was saved; reload the page and try again."))

    @app.errorhandler(StorageFull)
    def storage_full(error):
        return _disk_full_page()

    @app.errorhandler(OSError)
    def os_error(error: OSError):
        if not disk_full(error):
            raise error  # not ours to explain: the 500 page, with its traceback in the log
        return _disk_full_page()

    for kind in (DatabaseOperationalError, InterfaceError, DisconnectionError, PoolTimeout):
        app.register_error_handler(kind, database_unavailable)

    @app.errorhandler(500)
    def server_error(error):
        _rollback()
        log.error("500 on %s", request.path)
        title, message = _http_texts()[500]
        return error_page(500, title, message)


def database_unavailable(error: Exception):
    """503, or 507 when the database's disk is full. A GET or HEAD whose connection was
    found dead (the pool has replaced it) is run once more first."""
    _rollback()
    if disk_full(error):
        return _disk_full_page()
    lost = isinstance(error, DBAPIError) and error.connection_invalidated
    if lost and request.method in ("GET", "HEAD") and not g.get("database_retried"):
        g.database_retried = True
        app = current_app._get_current_object()
        try:
            response = app.preprocess_request()
            return response if response is not None else app.dispatch_request()
        except (DatabaseOperationalError, InterfaceError, DisconnectionError, PoolTimeout) as again:
            _rollback()
            error = again
    log.warning("database unavailable on %s: %s", request.path, error)
    if request.method in ("GET", "HEAD"):
        message = _("The database cannot be reached right now. Please try again in a few "
                    "seconds.")
    else:
        message = _("The database cannot be reached right now, so what you sent may not have "
                    "been saved. Check in a few seconds, and send it again if it is missing: "
                    "the same form sent twice is only acted on once.")
    return error_page(503, _("Temporarily unavailable"), message)


def _disk_full_page() -> Response:
    _rollback()
    log.error("disk full on %s", request.path)
    return error_page(507, _("No space left"),
                      _("The server has no space left to store this. Nothing you sent was "
                        "kept. Please try again later, and tell the Centre if it persists."))


def _http_texts() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood.")),
        401: (_("Sign in needed"), _("Sign in to continue.")),
        403: (_("Not allowed"), _("Your role does not allow this.")),
        404: (_("Not found"), _("This page does not exist, or you do not have access to it.")),
        405: (_("Not allowed"), _("This address does not accept that request.")),
        409: (_("Conflict"), _("This changed while you were working. Reload and try again.")),
        413: (_("File too large"), _("The upload is larger than this installation accepts.")),
        422: (_("Not accepted"), _("Some of what you sent is missing or invalid.")),
        429: (_("Too many requests"), _("Please wait a moment before trying again.")),
        500: (_("Something went wrong"), _("The error has been logged. Nothing you entered "
                                           "was saved; please try again.")),
        503: (_("Temporarily unavailable"), _("Please try again in a few seconds.")),
    }
