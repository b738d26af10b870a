"""The case page, the filing receipt and the one route through which every action passes."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import escape
from sqlalchemy.orm.exc import StaleDataError

from app.cases import forms
from app.cases.page import case_page, page_key
from app.cases.service import take_action
from app.documents.service import UploadRejected, add_documents, commit_or_discard, discard
from app.documents.views import attachments_form, incoming_from
from app.extensions import db
from app.i18n import gettext as _
from app.idempotency import duplicate_response
from app.models.types import utcnow
from app.services.access import actor_for, load_case
from app.services.fragments import app_cache, cached_page
from app.services.locking import expect_version
from workflows.engine import ActionRefused, procedure_for, refusal

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.get("/<number>")
def show(number: str):
    """The case as this user may see it. The body is kept per case version, user, language
    and time limits passed (`page_key`), so a user reloading an unchanged case costs a few
    indexed lookups and no rendering."""
    case = load_case(number)
    now = utcnow()
    body = cached_page(page_key(case, current_user, now),
                       lambda: render_template("cases/_page.html",
                                               **case_page(case, current_user, now)))
    title = app_cache().get_or_render(("case-title", case.id, case.version),
                                      lambda: escape(f"{case.number} — {case.title}"))
    return render_template("cases/show.html", title=title, body=body)


@bp.get("/<number>/receipt")
def receipt(number: str):
    case = load_case(number)
    return render_template("cases/receipt.html", case=case,
                           procedure=procedure_for(case))


@bp.route("/<number>/actions/<name>", methods=["GET", "POST"])
def action(number: str, name: str):
    case = load_case(number)
    actor = actor_for(case, current_user)
    definition = procedure_for(case).action(name)
    if definition is None:
        abort(404)
    if not (actor.roles & definition.roles):
        return render_template("errors/error.html", status=403, title=_("Not allowed"),
                               message=_("Your role in this case does not allow this action.")
                               ), 403
    reason = refusal(case, name, actor, {}, now=utcnow())
    form = forms.form_for(name, case, actor)
    status = 422 if request.method == "POST" else 200
    attachments = attachments_form(case) if name in PLEADINGS else None
    if request.method == "POST" and reason is None and form.validate_on_submit() and (
            attachments is None or attachments.validate()):
        data = forms.action_data(name, case, form)
        keys: list[str] = []
        try:
            # The page the user acted on showed this version; if the case moved on since, 409.
            expect_version(case, request.form.get("expected_version"),
                           request.form.get("seen_events"))
            take_action(case, name, current_user, data)
            if attachments is not None and (items := incoming_from(attachments.files)):
                # The pleading and its files stand or fall together.
                add_documents(case, current_user, items, scope="participants",
                              stored_keys=keys)
        except ActionRefused as refused:
            db.session.rollback()
            discard(keys)
            reason = refused.reason
        except UploadRejected as rejected:
            db.session.rollback()
            discard(keys)
            reason = str(rejected)
        except StaleDataError:
            db.session.rollback()
            discard(keys)
            # The same form sent twice (a double-click): the first one's answer.
            if (duplicate := duplicate_response()) is not None:
                return duplicate
            # Someone changed the case first and nothing of this request was saved: show the
            # form again, still filled in, against the case as it is now, to review and resend.
            case = load_case(number)
            reason = refusal(case, name, actor_for(case, current_user), {},
                             now=utcnow()) or _(
                "This case changed while you were working — please review it and try again.")
            status = 409
        except BaseException:
            db.session.rollback()
            discard(keys)
            raise
        else:
            commit_or_discard(keys)
            flash(_(definition.done or definition.label), "success")
            return redirect(url_for("cases.show", number=case.number))
    return render_template("cases/action.html", case=case, action=definition, form=form,
                           reason=reason, attachments=attachments), status


# Actions whose written pleading may carry documents (shared with everyone in the case).
PLEADINGS = frozenset({"respond", "file_submission", "file_defence", "request_correction"})
