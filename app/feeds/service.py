"""Each user's private iCalendar feed of the time limits in their cases.

The feed URL carries a random secret; only its SHA-256 is stored, so a leaked database does not
leak working feed URLs. Rotating the secret revokes the old URL at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import force_locale
from icalendar import Calendar, Event
from sqlalchemy import or_, select

from app.extensions import db
from app.formatting import deadline_explanation, hijri
from app.i18n import gettext
from app.links import external_url
from app.models import Case, Deadline, User
from app.models.types import utcnow
from app.services.access import case_ids_visible_to


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def rotate_token(user: User) -> str:
    """A new secret for the user's feed; the previous URL stops working."""
    token = secrets.token_urlsafe(32)
    user.calendar_token_hash = hash_token(token)
    db.session.flush()
    return token


def revoke(user: User) -> None:
    user.calendar_token_hash = None
    db.session.flush()


def user_for_token(token: str) -> User | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(User).where(User.calendar_token_hash == hash_token(token),
                                                User.active.is_(True)))


def feed(user: User) -> bytes:
    """Open deadlines of the user's cases (and the Centre's own, for case managers) and those
    closed in the last 90 days, as all-day events on the due date."""
    query = (select(Deadline, Case).join(Case, Case.id == Deadline.case_id)
             .where(or_(Deadline.status == "open",
                        Deadline.closed_at >= utcnow() - timedelta(days=90)))
             .order_by(Deadline.due_at))
    mine = Case.id.in_(case_ids_visible_to(user))
    if user.is_case_manager:
        query = query.where(or_(mine, Deadline.addressee == "institution"))
    else:
        query = query.where(mine)
    cal = Calendar()
    cal.add("prodid", "-//Sulh//Time limits//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Sulh")
    with force_locale(user.locale or "en"):
        for deadline, case in db.session.execute(query).all():
            event = Event()
            event.add("uid", f"deadline-{deadline.id}@sulh")
            event.add("dtstamp", utcnow())
            event.add("dtstart", deadline.due_date)
            event.add("dtend", deadline.due_date + timedelta(days=1))
            status = "" if deadline.status == "open" else f" ({deadline.status})"
            event.add("summary", f"{case.number}: {gettext(deadline.label)}{status}")
            event.add("description", "\n".join([
                gettext("Ends at the end of the day: %(at)s UTC.",
                        at=deadline.due_at.strftime("%Y-%m-%d %H:%M")),
                hijri(deadline.due_date), deadline_explanation(deadline)]))
            if case.number:
                event.add("url", external_url("cases.show", number=case.number))
            cal.add_component(event)
    return cal.to_ical()
