"""Request plumbing shared by every area: deny-by-default login, the locale and the template
globals (their functions live in app/formatting.py and app/links.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, g, redirect, request, session, url_for
from flask_babel import format_date, format_datetime, format_decimal
from flask_login import current_user

from app import formatting, i18n, labels
from app.extensions import login_manager
from app.links import external_url
from app.services import fragments

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


def init_app(app: Flask) -> None:
    # Who is signed in comes from the server-side session (app/auth/sessions.py), never from
    # a user id in Flask's cookie.
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

    app.jinja_env.globals.update(
        format_date=format_date,
        format_datetime=format_datetime,
        hijri=formatting.hijri,
        text_direction=text_direction,
        labels=labels,
        current_locale=i18n.current_language,
        format_decimal=format_decimal,
        stage_name=formatting.stage_name,
        stage_label=formatting.stage_label,
        event_label=formatting.event_label,
        deadline_status_label=formatting.deadline_status_label,
        deadline_explanation=formatting.deadline_explanation,
        event_note=formatting.event_note,
        document_kind_label=formatting.document_kind_label,
        document_scope_label=formatting.document_scope_label,
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
