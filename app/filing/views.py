"""The multi-step complaint form. Each step saves, so a draft is never lost."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.cases.service import take_action
from app.edge import parse_id
from app.extensions import db
from app.filing import forms, service
from app.i18n import gettext as _
from app.i18n import lazy_gettext as _l
from app.services.access import load_draft
from workflows.engine import ActionRefused, procedure_for

bp = Blueprint("filing", __name__, url_prefix="/file")

STEPS = (
    ("claimant", _l("Claimant")),
    ("respondent", _l("Respondent")),
    ("rights", _l("Rights")),
    ("infringement", _l("Infringement")),
    ("remedies", _l("Remedies")),
    ("proceedings", _l("Proceedings")),
    ("review", _l("Review and submit")),
)
STEP_KEYS = [key for key, _label in STEPS]


@bp.before_request
def require_verified_email():
    """A complaint is filed only from a confirmed address: the Centre sends every notice of
    the case to it, and the respondent learns it as the claimant's. Until then every page of
    the wizard says so, with a button that sends the link again (drafts wait untouched)."""
    if current_user.is_authenticated and not current_user.email_verified:
        from app.auth.forms import ResendVerificationForm

        return render_template("filing/verify_email_first.html",
                               form=ResendVerificationForm(formdata=None)), 403
    return None


def _next_step(step: str) -> str:
    index = STEP_KEYS.index(step)
    return STEP_KEYS[min(index + 1, len(STEP_KEYS) - 1)]


@bp.get("/new")
def choose():
    return render_template("filing/choose.html", procedures=service.procedure_choices(),
                           default=service.DEFAULT_PROCEDURE)


@bp.post("/new")
def new():
    key = request.form.get("procedure") or service.DEFAULT_PROCEDURE
    if key not in {p.key for p in service.procedure_choices()}:
        abort(400)
    case = service.start_draft(current_user, key)
    db.session.commit()
    return redirect(url_for("filing.step", draft_id=case.id, step="claimant"))


@bp.route("/<int:draft_id>/<step>", methods=["GET", "POST"])
def step(draft_id: int, step: str):
    case = load_draft(draft_id)
    if step not in STEP_KEYS:
        abort(404)
    if step == "rights":
        return _rights(case)
    if step == "review":
        return _review(case)
    form = _form_for(case, step)
    if step == "proceedings" and case.procedure_key != "med-arb":
        del form.mediation_days  # only med-arb has a mediation period to choose
    if step == "remedies":
        form.allowed = procedure_for(case).remedies
    if form.validate_on_submit():
        SAVERS[step](case, form.data, current_user)
        db.session.commit()
        if "save_draft" in request.form:
            flash(_("Draft saved."), "success")
            return redirect(url_for("filing.step", draft_id=case.id, step=step))
        return redirect(url_for("filing.step", draft_id=case.id, step=_next_step(step)))
    status = 422 if form.errors else 200
    return render_template(f"filing/{step}.html", case=case, form=form, steps=STEPS,
                           step=step), status


def _form_for(case, step: str):
    if request.method == "POST":
        return FORMS[step]()
    if step in ("claimant", "respondent"):
        party = case.party(step)
        data = {"name": party.name, "country": party.country, "address": party.address,
                "email": party.email, "subdivision": party.subdivision}
        if step == "claimant":
            data.update(counsel_name=party.counsel_name, counsel_firm=party.counsel_firm,
                        counsel_email=party.counsel_email,
                        capacity="claimant_counsel" if any(
                            p.role == "claimant_counsel" and p.user_id == current_user.id
                            for p in case.participants) else "claimant")
        return FORMS[step](data=data)
    if step == "infringement":
        return FORMS[step](data={"description": case.infringement_description,
                                 "locations": case.infringement_locations,
                                 "since": case.infringement_since})
    if step == "remedies":
        return FORMS[step](data=service.remedies_as_form_data(case))
    return FORMS[step](data={"language": case.language,
                             "mediation_days": str(case.mediation_days)})


def _rights(case):
    form = forms.RightForm()
    if request.method == "POST":
        if "remove" in request.form:
            right_id = parse_id(request.form["remove"])
            if right_id is None or not service.remove_right(case, right_id, current_user):
                # Only a tampered form names no right of this draft: say so above the list.
                return _rights_page(case, forms.RightForm(formdata=None), 422,
                                    remove_error=_("Choose a right from the list."))
            db.session.commit()
            flash(_("Right removed."), "success")
            return redirect(url_for("filing.step", draft_id=case.id, step="rights"))
        if "continue" in request.form and case.rights:
            return redirect(url_for("filing.step", draft_id=case.id, step="infringement"))
        if form.validate_on_submit():
            service.add_right(case, form.data, current_user)
            db.session.commit()
            flash(_("Right added. Add another, or continue."), "success")
            return redirect(url_for("filing.step", draft_id=case.id, step="rights"))
        if "continue" in request.form:
            form.title.errors = [*form.title.errors, _("Add at least one right.")]
    return _rights_page(case, form, 422 if form.errors else 200)


def _rights_page(case, form, status: int, remove_error: str | None = None):
    return render_template("filing/rights.html", case=case, form=form, steps=STEPS,
                           step="rights", remove_error=remove_error), status


def _review(case, documents_form=None, errors=(), status=200):
    from app.documents.forms import FilingDocumentsForm, support_choices

    form = documents_form or FilingDocumentsForm(formdata=None)
    for entry in form.files:
        entry.form.supports.choices = support_choices(case)
    return render_template("filing/review.html", case=case, steps=STEPS, step="review",
                           problems=case.filing_problems(), documents_form=form,
                           upload_errors=list(errors),
                           attached=[d for d in case.documents if not d.withdrawn]), status


@bp.post("/<int:draft_id>/documents")
def documents(draft_id: int):
    """Evidence attached to the complaint before it is filed."""
    from app.documents.forms import FilingDocumentsForm, support_choices
    from app.documents.service import UploadRejected, add_documents, commit_or_discard, discard
    from app.documents.views import incoming_from

    case = load_draft(draft_id)
    form = FilingDocumentsForm()
    for entry in form.files:
        entry.form.supports.choices = support_choices(case)
    if not form.validate_on_submit():
        return _review(case, form, status=422)
    keys: list[str] = []
    try:
        added = add_documents(case, current_user, incoming_from(form.files),
                              scope="participants", stored_keys=keys)
    except BaseException as failure:
        db.session.rollback()
        discard(keys)
        if not isinstance(failure, UploadRejected):
            raise
        return _review(case, form, errors=[str(failure)], status=422)
    commit_or_discard(keys)
    flash(_("%(n)s document(s) attached to the complaint.", n=len(added)), "success")
    return redirect(url_for("filing.step", draft_id=case.id, step="review"))


@bp.post("/<int:draft_id>/submit")
def submit(draft_id: int):
    case = load_draft(draft_id)
    action = "resubmit" if case.stage == "deficient" else "submit"
    try:
        take_action(case, action, current_user)
    except ActionRefused as refused:
        flash(_(refused.reason), "error")
        return redirect(url_for("filing.step", draft_id=case.id, step="review"))
    db.session.commit()
    if action == "resubmit":
        flash(_("The cured complaint was resubmitted for review."), "success")
        return redirect(url_for("cases.show", number=case.number))
    return redirect(url_for("cases.receipt", number=case.number))


FORMS = {
    "claimant": forms.ClaimantForm,
    "respondent": forms.RespondentForm,
    "infringement": forms.InfringementForm,
    "remedies": forms.RemediesForm,
    "proceedings": forms.ProceedingsForm,
}
SAVERS = {
    "claimant": service.save_claimant,
    "respondent": service.save_respondent,
    "infringement": service.save_infringement,
    "remedies": service.save_remedies,
    "proceedings": service.save_proceedings,
}
