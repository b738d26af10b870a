"""Security headers, in one place, on every response: pages, errors (404, 500), redirects,
JSON and file downloads alike (SECURITY.md C22).

One `after_request` hook sets them, because Flask runs it for every response it sends —
including the ones its error handlers build and the 500 of an unhandled exception. We chose
this over Flask-Talisman: Talisman would also redirect to HTTPS and rewrite the session cookie's
settings, which belong to the proxy in front of us and to the session layer; the headers alone
are these few lines.

- `Content-Security-Policy`: only our own origin; no plug-ins (`object-src 'none'`), no framing
  (`frame-ancestors 'none'`, and `X-Frame-Options` for browsers that predate it), no `<base>`
  and forms that post only to us. No `unsafe-inline`/`unsafe-eval`: the pages carry no inline
  script or style (`templates/` holds none; the stylesheet is `static/css/sulh.css`).
- `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin` (a join link's token never
  travels to another site in a Referer), `Cross-Origin-Opener-Policy: same-origin`, and a
  `Permissions-Policy` that turns off what Sulh never uses.
- `Strict-Transport-Security` when `HSTS_SECONDS` is set: production only (config.py), since the
  embedded default serves plain http://127.0.0.1.
- `Cache-Control: no-store` on every response to a signed-in user (a session that names one, or
  an API token's user), so that no browser, proxy or shared machine keeps a page, a JSON answer or
  a download of a case. Static files are the exception: the same bytes for everyone.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def signed_in() -> bool:
    """Whether this request is a signed-in user's, without a database query: the user
    flask-login already loaded (a page, an API token), else whether the browser sent a
    sign-in cookie (app/auth/sessions.py). A response built while the database is down (503)
    must not fail here."""
    user = g.get("_login_user")
    if user is not None:
        return bool(user.is_authenticated)
    return current_app.config["SIGN_IN_COOKIE_NAME"] in request.cookies


def secure_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers[name] = value
    hsts = current_app.config.get("HSTS_SECONDS")
    if hsts:
        response.headers["Strict-Transport-Security"] = f"max-age={int(hsts)}; includeSubDomains"
    if request.endpoint != "static" and signed_in():
        cache = response.headers.get("Cache-Control", "")
        if "no-store" not in cache:
            response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(secure_headers)
