"""Request plumbing shared by every area: deny-by-default login, locale, template helpers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any, TypeVar

from flask import Flask, g, redirect, request, session, url_for
from flask_babel import format_date, format_datetime, format_decimal
from flask_login import current_user
from sqlalchemy import bindparam, select

from app import i18n, labels
from app.extensions import db, login_manager
from app.i18n import gettext, ngettext
from app.services import fragments
from workflows import calendar

F = TypeVar("F", bound=Callable[..., Any])
RTL_LANGUAGES = {"ar"}


def public(view: F) -> F:
    """Marks a view anyone may open without signing in. Every other view requires login."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def select_locale() -> str:
    supported = ["en", "ar", "fr"]
    chosen = session.get("lang")
    if chosen in supported:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    return request.accept_languages.best_match(supported) or "en"


def text_direction() -> str:
    return "rtl" if i18n.current_language() in RTL_LANGUAGES else "ltr"


def hijri(value: date | datetime | None) -> str:
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    return calendar.format_hijri(day, i18n.current_language())


def init_app(app: Flask) -> None:
    @login_manager.user_loader
    def load_user(user_id: str):
        return db.session.scalar(_user_by_id(), {"id": int(user_id)})

    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @app.before_request
    def require_login():
        if request.endpoint is None:
            return None  # 404 handled by Flask
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "is_public", False) or request.endpoint == "static":
            return None
        if request.blueprint == "api":
            return None  # the API signs in by token or session itself, and answers 401 in JSON
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'",
        )
        return response

    app.jinja_env.globals.update(
        format_date=format_date,
        format_datetime=format_datetime,
        hijri=hijri,
        text_direction=text_direction,
        labels=labels,
        current_locale=i18n.current_language,
        format_decimal=format_decimal,
        stage_name=stage_name,
        stage_label=stage_label,
        event_label=event_label,
        deadline_status_label=deadline_status_label,
        deadline_explanation=deadline_explanation,
        event_note=event_note,
        document_kind_label=document_kind_label,
        document_scope_label=document_scope_label,
        external_url=external_url,
        cached=fragments.cached,
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    # Flask-Babel installed its gettext; ours reads the same locale choice, faster (app/i18n.py).
    app.jinja_env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    app.jinja_env.globals["_"] = i18n.template_gettext

    @app.context_processor
    def page_globals():
        return {"institution_name": app.config["INSTITUTION_NAME"], "g": g}


@cache
def _user_by_id() -> Any:
    """Built once: every signed-in request runs it (app.services.paging.keyset_statement)."""
    from app.models import User

    return select(User).where(User.id == bindparam("id"))


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
    from app.documents.forms import DOCUMENT_KIND_LABELS

    return str(DOCUMENT_KIND_LABELS.get(kind, kind))


def document_scope_label(scope: str) -> str:
    from app.documents.service import SCOPE_LABELS

    return str(SCOPE_LABELS.get(scope, scope))


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


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for emails and PDFs, built from BASE_URL, so it works in jobs and
    commands as well as in requests."""
    from flask import current_app

    anchor = values.pop("_anchor", None)
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    url = current_app.config["BASE_URL"].rstrip("/") + path
    return f"{url}#{anchor}" if anchor else url
