"""Email through the outbox: rows written in the change's transaction, sent after commit.

Each message is rendered in the recipient's language. Without MAIL_SERVER (the embedded
default) messages stay in the outbox, where `flask mail outbox` shows them; the log only says
that one was kept, for whom and its subject — never its body, which may carry a link that works
by itself. Delivered, a message keeps its hash but not its body (app/models/outbox.py).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale

from app.extensions import db
from app.models import Case, OutboxEmail, User
from app.models.types import utcnow
from app.services import jobs
from app.services.access import can_see, case_roles

log = logging.getLogger("sulh.mail")


def render(to: str, template: str, *, locale: str = "en", case: Case | None = None,
           **context: object) -> OutboxEmail:
    """The message in the recipient's language, not yet added to the session."""
    with force_locale(locale):
        subject = render_template(f"email/{template}.txt", part="subject", case=case, **context)
        body = render_template(f"email/{template}.txt", part="body", case=case, **context)
    return OutboxEmail(case_id=case.id if case else None, to_addr=to,
                       subject=" ".join(subject.split()), body=body.strip() + "\n")


def email(to: str, template: str, *, locale: str = "en", case: Case | None = None,
          **context: object) -> OutboxEmail:
    message = render(to, template, locale=locale, case=case, **context)
    db.session.add(message)
    db.session.flush()
    jobs.defer(deliver, email_id=message.id)
    return message


# The messages a user may choose not to receive (the account page's notification
# preferences), and the User column that records the choice. Every other message is always
# sent: what the rules require a party or neutral to be told (service, a deficiency, an
# appointment, a decision, the filing receipt) and what concerns the account's security.
OPTIONAL: dict[str, str] = {
    "case_update": "notify_case_updates",
    "deadline_reminder": "notify_deadline_reminders",
    "message": "notify_messages",
}


def wants(user: User, template: str) -> bool:
    """Whether `user` receives messages of this template (False only for an optional one
    they switched off)."""
    column = OPTIONAL.get(template)
    return column is None or bool(getattr(user, column))


def email_users(users: Iterable[User], template: str, *, case: Case | None = None,
                **context: object) -> None:
    """One message to each user (once each), but to none who switched this kind off."""
    seen: set[int] = set()
    for user in users:
        if user.id in seen or not wants(user, template):
            continue
        seen.add(user.id)
        email(user.email, template, locale=user.locale, case=case, user=user, **context)


def case_audience(case: Case, visibility: str = "participants",
                  exclude: User | None = None) -> list[User]:
    """The participants allowed to see something with this visibility."""
    users = {p.user_id: p.user for p in case.participants}
    return [u for u in users.values()
            if (exclude is None or u.id != exclude.id) and can_see(visibility, case_roles(case, u))]


@jobs.job(retry="MAIL_RETRY_INTERVALS")
def deliver_many(email_ids: list[int]) -> None:
    """One job for the messages a batch wrote (the sweep's notices, reminders)."""
    for email_id in email_ids:
        deliver(email_id)


@jobs.job(retry="MAIL_RETRY_INTERVALS", alert=False)
def deliver_alert(email_id: int) -> None:
    """A message telling the Centre that a job failed: if it cannot be delivered either, it
    raises no further alert (the console still shows both failures)."""
    deliver(email_id)


@jobs.job(retry="MAIL_RETRY_INTERVALS")
def deliver(email_id: int) -> None:
    """Send one message over SMTP. Retried until the mail server takes it, backing off to a
    day between attempts (MAIL_RETRY_INTERVALS)."""
    message = db.session.get(OutboxEmail, email_id)
    if message is None or message.sent_at is not None:
        return  # idempotent: already sent, or rolled back
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        log.info("outbox #%s to %s kept (no MAIL_SERVER; `flask mail outbox` shows it): %s",
                 message.id, message.to_addr, message.subject)
        return
    mail = EmailMessage()
    mail["From"] = config["MAIL_DEFAULT_SENDER"]
    mail["To"] = message.to_addr
    mail["Subject"] = message.subject
    mail.set_content(message.body)
    message.attempts += 1
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        message.last_error = str(exc)
        db.session.commit()
        raise
    message.delivered(utcnow())
    db.session.commit()
