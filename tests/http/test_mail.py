"""Email: kept in the outbox without SMTP; delivered to a real SMTP server when configured."""

from __future__ import annotations

import email
import email.policy
import hashlib
import socket

from app.extensions import db
from app.models import OutboxEmail
from tests.helpers import file_complaint


def test_without_smtp_mail_stays_in_the_outbox_and_is_logged(app, people, caplog):
    caplog.set_level("INFO", logger="sulh.mail")
    number = file_complaint(people.client("claimant"))
    receipt = db.session.scalar(db.select(OutboxEmail).where(
        OutboxEmail.to_addr == "claimant@example.test"))
    assert number in receipt.subject
    assert receipt.sent_at is None
    assert any(number in record.getMessage() for record in caplog.records)


def test_with_smtp_configured_mail_is_delivered(app, people, smtp_server):
    inbox, port = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
    number = file_complaint(people.client("claimant"))
    assert any("claimant@example.test" in rcpt and number.encode() in content
               for _sender, rcpt, content in inbox.messages)
    db.session.expire_all()
    receipt = db.session.scalar(db.select(OutboxEmail).where(
        OutboxEmail.to_addr == "claimant@example.test"))
    assert receipt.sent_at is not None and receipt.attempts == 1
    # Delivered: the hash of what was sent stays, the body does not.
    sent = next(email.message_from_bytes(content, policy=email.policy.default)
                for _sender, rcpt, content in inbox.messages if "claimant@example.test" in rcpt)
    assert receipt.body == ""
    text = sent.get_content().replace("\r\n", "\n")  # SMTP carries lines as CRLF
    assert receipt.body_sha256 == hashlib.sha256(text.encode()).hexdigest()


def test_a_failed_delivery_is_recorded_and_the_filing_still_stands(app, people):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=dead_port, MAIL_USE_TLS=False)
    number = file_complaint(people.client("claimant"))
    db.session.expire_all()
    receipt = db.session.scalar(db.select(OutboxEmail).where(
        OutboxEmail.to_addr == "claimant@example.test"))
    assert receipt.sent_at is None and receipt.last_error
    assert receipt.attempts == 1 + len(app.config["JOBS_RETRY_INTERVALS"])  # retried
    assert number.startswith("SULH-")
