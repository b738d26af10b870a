"""Error pages: every failure a user can cause gets a clear page, never a bare 500."""

from __future__ import annotations

from flask import Flask, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.i18n import gettext as _


def init_app(app: Flask) -> None:
    def page(status: int, title: str, message: str, **extra):
        return render_template("errors/error.html", status=status, title=title,
                               message=message, **extra), status

    @app.errorhandler(400)
    def bad_request(error):
        return page(400, _("Bad request"), _("The request could not be understood."))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return page(400, _("The form expired"),
                    _("For your security the form could not be accepted. Go back, reload the "
                      "page and submit it again."))

    @app.errorhandler(404)
    def not_found(error):
        return page(404, _("Not found"),
                    _("This page does not exist, or you do not have access to it."))

    @app.errorhandler(405)
    def method_not_allowed(error):
        return page(405, _("Not allowed"), _("This address does not accept that request."))

    @app.errorhandler(413)
    def too_large(error):
        return page(413, _("File too large"),
                    _("The upload is larger than this installation accepts."))

    @app.errorhandler(StaleDataError)
    def conflict(error):
        db.session.rollback()
        number = (request.view_args or {}).get("number")
        return page(409, _("The case changed"),
                    _("This case changed while you were working — please review it and try "
                      "again."),
                    review_url=url_for("cases.show", number=number) if number else None)

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        app.logger.error("500 on %s", request.path)
        return page(500, _("Something went wrong"),
                    _("The error has been logged. Nothing you entered was saved; please try "
                      "again."))
