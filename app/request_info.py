"""Who sent this request, and which request it is: what throttling counts by and what the
security log records. Plain Flask only, so that app/extensions.py can name `client_ip` as the
rate limiter's key without importing the app."""

from __future__ import annotations

import re
import uuid

from flask import current_app, g, has_request_context, request

# A request id set by the proxy in front (nginx `$request_id`, a load balancer's trace id) is
# kept so that its log and ours name the same request; anything else is replaced.
_FOREIGN_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def client_ip() -> str:
    """The source address as the socket or the trusted proxies (PROXY_HOPS, applied by
    werkzeug's ProxyFix in create_app) give it."""
    if not has_request_context():
        return ""
    return request.remote_addr or ""


def request_id() -> str:
    """One id per request: the trusted proxy's `X-Request-Id` when it looks like one (with
    no proxy configured, the header is the client's own and is ignored), else a new one."""
    if not has_request_context():
        return ""
    found: str | None = g.get("request_id")
    if found is None:
        offered = request.headers.get("X-Request-Id", "")
        trusted = current_app.config.get("PROXY_HOPS", 0) > 0 and _FOREIGN_ID.fullmatch(offered)
        found = offered if trusted else uuid.uuid4().hex
        g.request_id = found
    return found
