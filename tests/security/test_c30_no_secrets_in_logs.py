"""C30 — no secret in any log or table (ASVS 16.2.5, 16.4.1). The secrets Sulh hands out — a
respondent's service link, a private calendar-feed address, an API token — and what users type —
a password, a document's contents — are planted as canaries and used the way people use them:
over real HTTP (the development server's access log), through gunicorn's access-log format, by
the test client, with email delivered to a real SMTP server. Then every captured log line,
gunicorn's access log and every row of every table are searched: none holds a canary. Links are
redacted wherever they are logged (`/join/[redacted]`, also inside `next=` and Referer), a
message kept in the outbox is logged by recipient and subject only, and a delivered one keeps
its body's SHA-256, not the body. User-supplied text cannot forge a log line: CR, LF and ANSI
escapes in a record's arguments are written as escapes.

Passwords are hashed (tests/http and C3); TOTP secrets and session ids belong to the rows of the
other half of this issue (C5, C9–C12) and are added to this scan there."""

from __future__ import annotations

import http.client
import logging
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

import pytest

from app.extensions import db
from app.models import OutboxEmail
from tests.conftest import outbox_to
from tests.helpers import act, case, every_row, file_complaint, upload

CANARY_PASSWORD = "CANARY-pass phrase-7e1b"
CANARY_CONTENT = b"CANARY-document-contents-41c9"


def http_get(base: str, path: str, headers: dict | None = None) -> int:
    """One request over a real socket, redirects not followed."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def inbox_link(inbox, address: str, prefix: str) -> str:
    import email
    import email.policy

    for _sender, recipients, content in inbox.messages:
        if address in recipients:
            body = email.message_from_bytes(content, policy=email.policy.default).get_content()
            match = re.search(rf"https?://\S+?({re.escape(prefix)}\S+)", body)
            if match:
                return match.group(1)
    raise AssertionError(f"no {prefix} link mailed to {address}")


def gunicorn_access_line(tmp_path: Path, path: str, query: str, referer: str) -> str:
    """The line gunicorn writes for one request, with gunicorn.conf.py's settings."""
    import runpy

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    settings = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    if settings.get("access_log_format"):
        cfg.set("access_log_format", settings["access_log_format"])
    logger = Logger(cfg)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"{path}?{query}" if query else path,
               "PATH_INFO": path, "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "203.0.113.7", "HTTP_REFERER": referer,
               "HTTP_USER_AGENT": "test"}
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=[("REFERER", referer)])
    logger.access(response, request, environ, timedelta(milliseconds=3))
    for handler in logger.access_log.handlers:
        handler.flush()
    return (tmp_path / "access.log").read_text()


@pytest.fixture
def smtp(app, smtp_server):
    inbox, port = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
    return inbox


def test_canary_secrets_reach_no_log_and_no_table(app, people, smtp, live_server, runner,
                                                  caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    claimant, manager = people.client("claimant"), people.client("manager")
    number = file_complaint(claimant)
    act(manager, number, "accept_filing")
    join_path = inbox_link(smtp, "respondent@example.test", "/join/")
    join_token = join_path.rsplit("/", 1)[1]

    # The respondent opens the link (a real browser would, over HTTP), switches language on
    # that page, and joins with a password of their own.
    assert http_get(live_server, join_path) == 200
    assert http_get(live_server, f"/language/fr?next={quote(join_path, safe='')}") == 302
    assert http_get(live_server, "/static/css/sulh.css",
                    {"Referer": f"{live_server}{join_path}"}) == 200
    respondent = app.test_client()
    joined = respondent.post(join_path, data={"name": "Gulf Fashion Trading LLC",
                                              "password": CANARY_PASSWORD,
                                              "confirm": CANARY_PASSWORD})
    assert joined.status_code == 302 and joined.location == "/login/code"  # the second step
    done = respondent.post("/login/code/continue")  # a party choosing codes by email
    assert done.status_code == 302 and number in done.location
    signed_in = respondent.post("/login", data={"email": "respondent@example.test",
                                                "password": CANARY_PASSWORD})
    assert signed_in.status_code == 302
    assert http_get(live_server, f"/login?next={quote(join_path, safe='')}") == 200

    # A private calendar address, used by a calendar application.
    page = claimant.post("/calendar/rotate").get_data(as_text=True)
    feed_path = re.search(r"http://localhost(/calendar/feed/[^<\s]+)", page).group(1)
    feed_token = feed_path.rsplit("/", 1)[1].removesuffix(".ics")
    assert http_get(live_server, feed_path) == 200

    # An API token, sent where it belongs and, by mistake, in a query string.
    issued = runner.invoke(args=["api", "token", "claimant@example.test"])
    api_token = issued.output.strip()
    assert api_token.startswith("sulh_")
    assert http_get(live_server, f"/api/v1/cases/{number}",
                    {"Authorization": f"Bearer {api_token}"}) == 200
    assert http_get(live_server, f"/api/v1/cases/{number}?token={api_token}") == 401

    # A document's contents.
    upload(claimant, number, [("statement.txt", CANARY_CONTENT)])

    access_log = gunicorn_access_line(tmp_path, join_path, f"token={api_token}",
                                      f"https://sulh.example{feed_path}")
    assert "/join/[redacted]" in access_log and "token=[redacted]" in access_log

    canaries = {"join token": join_token, "feed token": feed_token, "API token": api_token,
                "password": CANARY_PASSWORD, "document": CANARY_CONTENT.decode()}
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "/join/[redacted]" in logged and "/calendar/feed/[redacted]" in logged
    tables = every_row()
    for what, canary in canaries.items():
        assert canary not in logged, f"{what} in the log"
        assert canary not in access_log, f"{what} in gunicorn's access log"
        for table, rows in tables.items():
            assert not any(canary in row for row in rows), f"{what} in table {table}"
    delivered = outbox_to("respondent@example.test")
    assert delivered and all(m.sent_at and m.body == "" and len(m.body_sha256) == 64
                             for m in delivered)
    assert case(number).stage == "response"


def test_without_smtp_the_log_names_the_message_not_its_body(app, people, caplog):
    caplog.set_level(logging.DEBUG)
    number = file_complaint(people.client("claimant"))
    act(people.client("manager"), number, "accept_filing")
    [service] = [m for m in outbox_to("respondent@example.test")]
    token = re.search(r"/join/(\S+)", service.body).group(1)
    assert service.sent_at is None and token  # kept, for `flask mail outbox`
    lines = [r.getMessage() for r in caplog.records if r.name == "sulh.mail"]
    assert any("respondent@example.test" in line and service.subject in line for line in lines)
    assert token not in caplog.text and "Use this personal link" not in caplog.text


def test_flask_mail_outbox_shows_a_kept_message_and_only_the_hash_of_a_delivered_one(
        app, people, runner):
    number = file_complaint(people.client("claimant"))
    act(people.client("manager"), number, "accept_filing")
    shown = runner.invoke(args=["mail", "outbox", "--to", "respondent@example.test"]).output
    assert "/join/" in shown
    message = outbox_to("respondent@example.test")[0]
    message.delivered(message.created_at)
    db.session.commit()
    shown = runner.invoke(args=["mail", "outbox", "--to", "respondent@example.test"]).output
    assert "/join/" not in shown and message.body_sha256 in shown
    assert db.session.get(OutboxEmail, message.id).body == ""


def test_user_text_cannot_forge_a_log_line(app, caplog):
    caplog.set_level(logging.INFO)
    logging.getLogger("sulh.test").warning(
        "subject was %s", "Hello\r\n2026-01-01 INFO sulh: forged line\x1b[2J\x00")
    [record] = [r for r in caplog.records if r.name == "sulh.test"]
    message = record.getMessage()
    assert "\n" not in message and "\r" not in message and "\x1b" not in message
    assert "\\r\\n2026-01-01 INFO sulh: forged line" in message
