"""Presentation: how stored codes, dates and time limits read to a person, in their language.

Template globals, and the text of emails, feeds and PDFs, built from stored values. Nothing here
reads the request: a job or a command formats the same way as a page.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import format_date

from app import i18n, labels
from app.i18n import gettext, ngettext
from workflows import calendar


def hijri(value: date | datetime | None) -> str:
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    return calendar.format_hijri(day, i18n.current_language())


def stage_name(case: Any, key: str) -> str:
    from workflows.engine import procedure_for

    try:
        return gettext(procedure_for(case).stage(key).label)
    except Exception:
        return key


def stage_label(case: Any) -> str:
    return stage_name(case, case.stage)


def event_label(case: Any, event: Any) -> str:
    from workflows.engine import procedure_for

    action = procedure_for(case).action(event.action)
    if action is not None:
        return gettext(action.done or action.label)
    label = labels.EVENT_LABELS.get(event.action)
    return str(label) if label else event.action


def deadline_status_label(status: str) -> str:
    return str(labels.DEADLINE_STATUS_LABELS.get(status, status))


def document_kind_label(kind: str) -> str:
    return str(labels.DOCUMENT_KIND_LABELS.get(kind, kind))


def document_scope_label(scope: str) -> str:
    return str(labels.SCOPE_LABELS.get(scope, scope))


def deadline_explanation(deadline: Any) -> str:
    """How the due date was reached, in the reader's language, from the stored basis."""
    basis = deadline.basis or {}
    if "trigger" not in basis:
        return ""
    trigger = date.fromisoformat(basis["trigger"])
    nominal = date.fromisoformat(basis["nominal_end"])
    due = date.fromisoformat(basis["due_date"])
    country = labels.country_name(basis["country"])
    values = {"country": country,
              "trigger": format_date(trigger, "long"),
              "event": gettext(basis.get("trigger_label") or ""),
              "nominal": format_date(nominal, "full"), "due": format_date(due, "full")}
    days = int(basis["days"])
    if basis.get("business"):
        text = ngettext("%(num)s business day in %(country)s, counted from %(event)s on "
                        "%(trigger)s.", "%(num)s business days in %(country)s, counted from "
                        "%(event)s on %(trigger)s.", days, **values)
    else:
        text = ngettext("%(num)s day counted from %(event)s on %(trigger)s.",
                        "%(num)s days counted from %(event)s on %(trigger)s.", days, **values)
    if nominal != due:
        rolled = next((s for s in basis.get("skipped", []) if s["date"] == basis["nominal_end"]),
                      None)
        kind = rolled["kind"] if rolled else ""
        if kind == "holiday":
            values["why"] = gettext("a public holiday (%(name)s)", name=rolled.get("name", ""))
        elif kind == "weekend":
            values["why"] = gettext("a weekend day")
        elif kind == "closure":
            values["why"] = gettext("a day the Centre is closed")
        if "why" in values:
            text += " " + gettext("The period would have ended on %(nominal)s, %(why)s in "
                                  "%(country)s, so it ends on the next business day there, "
                                  "%(due)s.", **values)
        else:
            text += " " + gettext("The period would have ended on %(nominal)s, which is not a "
                                  "business day in %(country)s, so it ends on the next "
                                  "business day, %(due)s.", **values)
    text += " " + gettext("Due: %(date)s (%(hijri)s), at the end of the day in %(tz)s.",
                          date=format_date(due, "full"), hijri=hijri(due),
                          tz=basis.get("tz", "UTC"))
    extended = getattr(deadline, "extended_days", 0) or 0
    if extended:
        text += " " + ngettext("Extended by %(num)s day: %(reason)s.",
                               "Extended by %(num)s days: %(reason)s.", extended,
                               reason=getattr(deadline, "extension_reason", "") or "")
    return text


def event_note(event: Any) -> str:
    """A line of detail for the timeline where the label alone would not say enough: the new
    due date of an extension or a recomputed time limit, and the dates of a hearing."""
    detail = event.detail or {}
    try:
        if "extension" in detail:
            ext = detail["extension"]
            return ngettext("%(num)s more day; now due %(date)s. %(reason)s",
                            "%(num)s more days; now due %(date)s. %(reason)s", int(ext["days"]),
                            date=format_date(date.fromisoformat(ext["due_date"]), "full"),
                            reason=ext.get("reason", ""))
        if event.action == "recompute_deadline":
            return gettext("Due %(old)s, now %(new)s.",
                           old=format_date(date.fromisoformat(detail["from"]), "full"),
                           new=format_date(date.fromisoformat(detail["to"]), "full"))
        if event.action == "schedule_hearing":
            return ngettext("%(num)s day from %(date)s.", "%(num)s days from %(date)s.",
                            int(detail["days"]),
                            date=format_date(date.fromisoformat(str(detail["start"])), "full"))
        if event.action in ("refuse_extension", "decide_challenge"):
            return str(detail.get("reason") or detail.get("reasons") or "")
    except (KeyError, ValueError, TypeError):
        return ""
    return ""
