"""Forms for case actions. Each action the engine offers has a form built for the case."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import (
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from app import labels
from app.extensions import db
from app.fields import DateField, coerce_id
from app.i18n import lazy_gettext as _l
from app.models import Case, User
from workflows.engine import Actor
from workflows.procedures.roles import MEDIATOR, side_of


class ConfirmForm(FlaskForm):
    """Actions that need nothing but a deliberate click (and the CSRF token)."""


class DeficiencyForm(FlaskForm):
    notice = TextAreaField(
        _l("What must be cured"), validators=[DataRequired(), Length(max=10000)],
        description=_l("The claimant has 5 days to cure; otherwise the complaint is deemed "
                       "withdrawn."))


class ResponseForm(FlaskForm):
    position = RadioField(_l("Your position"),
                          choices=labels.options(labels.POSITION_LABELS.items()),
                          validators=[DataRequired()])
    statement = TextAreaField(_l("Your statement"),
                              validators=[DataRequired(), Length(max=50000)],
                              description=_l("Explain your position on the complaint."))
    proposed_terms = TextAreaField(_l("Settlement terms you propose"),
                                   validators=[Optional(), Length(max=20000)])

    def validate_proposed_terms(self, field):
        if self.position.data == "settle" and not (field.data or "").strip():
            raise ValidationError(_l("Write the terms you propose."))


class AppointForm(FlaskForm):
    neutral_id = SelectField(_l("Neutral"), coerce=coerce_id, validators=[DataRequired()])


class MessageForm(FlaskForm):
    channel = SelectField(_l("To"), validators=[DataRequired()])
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=20000)])


class SettlementForm(FlaskForm):
    terms = TextAreaField(_l("Proposed settlement terms"),
                          validators=[DataRequired(), Length(max=20000)],
                          description=_l("Both parties must accept the same terms. Proposing "
                                         "terms counts as your side's acceptance."))


class SubmissionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    body = TextAreaField(_l("Submission"), validators=[DataRequired(), Length(max=100000)])


class OrderForm(Form):
    granted = RadioField(_l("Decision"),
                         choices=labels.options([("yes", _l("Granted")), ("no", _l("Denied"))]),
                         validators=[Optional()])
    text = TextAreaField(_l("Order"), validators=[Optional(), Length(max=10000)])


class AwardForm(FlaskForm):
    findings = TextAreaField(_l("Findings of fact"), validators=[Optional(), Length(max=100000)])
    reasoning = TextAreaField(_l("Reasoning"), validators=[Optional(), Length(max=200000)])
    costs = TextAreaField(_l("Costs"), validators=[Optional(), Length(max=10000)])


class SideAppointForm(AppointForm):
    side = RadioField(_l("For the side of"), choices=labels.options(labels.SIDE_LABELS.items()),
                      validators=[DataRequired()])


class TextForm(FlaskForm):
    """A written step: statement of defence, procedural order, correction request, ruling."""

    title = StringField(_l("Title"), validators=[Optional(), Length(max=300)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=100000)])


class CorrectionRequestForm(FlaskForm):
    title = RadioField(_l("You ask for"), validators=[DataRequired()], choices=labels.options([
        ("Request for correction", _l("A correction of a clerical or computational error")),
        ("Request for interpretation", _l("An interpretation of a part of the award"))]))
    body = TextAreaField(_l("Your request"), validators=[DataRequired(), Length(max=20000)],
                         description=_l("Within 30 days of receiving the award."))


class ExtensionRequestForm(FlaskForm):
    days = IntegerField(_l("Days needed"), validators=[DataRequired(), NumberRange(1, 60)])
    reason = TextAreaField(_l("Why you need more time"),
                           validators=[DataRequired(), Length(max=5000)])


class GrantExtensionForm(FlaskForm):
    days = IntegerField(_l("Days granted"), validators=[DataRequired(), NumberRange(1, 60)])
    reason = TextAreaField(_l("Reason recorded with the new due date"),
                           validators=[DataRequired(), Length(max=5000)])


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=5000)])


class HearingForm(FlaskForm):
    start = DateField(_l("First day of the hearing"), validators=[DataRequired()])
    days = IntegerField(_l("Number of days"), default=1,
                        validators=[DataRequired(), NumberRange(1, 3)],
                        description=_l("At most 3 days in expedited arbitration."))
    details = TextAreaField(_l("Place or video link, and agenda"),
                            validators=[Optional(), Length(max=5000)])


class CourtForm(FlaskForm):
    court = StringField(_l("Court"), validators=[DataRequired(), Length(max=300)])
    reference = StringField(_l("Case reference"), validators=[Optional(), Length(max=100)])
    filed_on = DateField(_l("Filed on"), validators=[DataRequired()],
                         description=_l("Add the court's filing receipt as a document."))


class ChallengeForm(FlaskForm):
    arbitrator = SelectField(_l("Arbitrator challenged"), coerce=coerce_id,
                             validators=[DataRequired()])
    grounds = TextAreaField(_l("Grounds"), validators=[DataRequired(), Length(max=20000)],
                            description=_l("Circumstances giving rise to justifiable doubts as "
                                           "to impartiality or independence."))
    learned_on = DateField(_l("When you learned of the grounds"), validators=[DataRequired()],
                           description=_l("A challenge must be made within 15 days."))


class DecideChallengeForm(FlaskForm):
    outcome = RadioField(_l("Decision"), validators=[DataRequired()], choices=labels.options([
        ("upheld", _l("Upheld: the arbitrator is removed")),
        ("rejected", _l("Rejected: the arbitrator remains"))]))
    reasons = TextAreaField(_l("Reasons"), validators=[DataRequired(), Length(max=20000)])


def _neutrals() -> list[tuple[int, str]]:
    users = db.session.scalars(select(User).where(User.is_neutral.is_(True), User.active.is_(True))
                               .order_by(User.name))
    return [(u.id, f"{u.name} ({labels.country_name(u.country)})" if u.country else u.name)
            for u in users]


def _appoint(case: Case, actor: Actor) -> AppointForm:
    form = AppointForm()
    form.neutral_id.choices = labels.options(_neutrals())
    return form


def _appoint_for_side(case: Case, actor: Actor) -> FlaskForm:
    if case.procedure_key != "arbitration":
        return _appoint(case, actor)
    form = SideAppointForm()
    form.neutral_id.choices = labels.options(_neutrals())
    form.side.choices = labels.options(
        (side, labels.SIDE_LABELS[side]) for side in ("claimant", "respondent")
        if not case.nominated(side))
    return form


def _grant(case: Case, actor: Actor) -> GrantExtensionForm:
    pending = next((d for d in case.open_deadlines() if d.extension_pending), None)
    data = None
    if request.method == "GET" and pending is not None:
        data = {"days": pending.requested_days}
    return GrantExtensionForm(data=data)


def _challenge(case: Case, actor: Actor) -> ChallengeForm:
    form = ChallengeForm()
    form.arbitrator.choices = labels.options((p.id, p.user.name) for p in case.arbitrators())
    return form


def _message(case: Case, actor: Actor) -> MessageForm:
    form = MessageForm()
    side = side_of(actor.roles)
    channels = ["joint"]
    if MEDIATOR in actor.roles:
        channels += ["caucus:claimant", "caucus:respondent"]
    elif side:
        channels.append(f"caucus:{side}")
    form.channel.choices = labels.options((c, labels.CHANNEL_LABELS[c]) for c in channels)
    return form


def _award(case: Case, actor: Actor) -> AwardForm:
    """One order sub-form per remedy sought: the award must rule on each of them."""

    class DraftForm(AwardForm):
        pass

    for remedy in case.remedies:
        setattr(DraftForm, f"order_{remedy.id}", FormField(OrderForm, label=str(
            labels.REMEDY_LABELS[remedy.kind])))
    draft = case.award_draft
    data = None
    if request.method == "GET" and draft is not None:
        data = {"findings": draft.findings, "reasoning": draft.reasoning, "costs": draft.costs}
        for key, order in (draft.orders or {}).items():
            granted = order.get("granted")
            data[f"order_{key}"] = {"granted": None if granted is None else
                                    ("yes" if granted else "no"), "text": order.get("text", "")}
    return DraftForm(data=data)


def _award_orders(case: Case, form: FlaskForm) -> dict[str, dict]:
    orders = {}
    for remedy in case.remedies:
        sub = form[f"order_{remedy.id}"]
        granted = sub.granted.data
        orders[str(remedy.id)] = {"granted": None if granted not in ("yes", "no")
                                  else granted == "yes", "text": sub.text.data or ""}
    return orders


def action_data(name: str, case: Case, form: FlaskForm) -> dict[str, Any]:
    """What a validated action form submitted, as the data `take_action` receives: the one
    function both doors (the web form and the API) go through, so both store the same."""
    data = {key: value for key, value in form.data.items() if key != "csrf_token"}
    if name == "draft_award":  # one sub-form per remedy → {remedy id: {granted, text}}
        data = {key: value for key, value in data.items() if not key.startswith("order_")}
        data["orders"] = _award_orders(case, form)
    return data


def formdata_from_json(payload: Mapping[str, Any]) -> MultiDict:
    """A JSON object as the form fields a browser would send: nested objects are sub-forms
    (`{"order_7": {"granted": "yes"}}` is `order_7-granted=yes`, WTForms' naming), lists are
    repeated fields, true/false are a ticked or empty box."""
    fields: MultiDict = MultiDict()

    def add(name: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                add(f"{name}-{key}", inner)
        elif isinstance(value, list):
            for item in value:
                add(name, item)
        elif isinstance(value, bool):
            fields.add(name, "y" if value else "")
        elif value is not None:
            fields.add(name, str(value))

    for key, value in payload.items():
        add(str(key), value)
    return fields


def _simple(form_class: type[FlaskForm]) -> Callable[..., FlaskForm]:
    return lambda case, actor: form_class()


FORM_BUILDERS: dict[str, Callable[..., FlaskForm]] = {
    "issue_deficiency": _simple(DeficiencyForm),
    "respond": _simple(ResponseForm),
    "appoint_mediator": _appoint,
    "send_message": _message,
    "propose_settlement": _simple(SettlementForm),
    "file_submission": _simple(SubmissionForm),
    "draft_award": _award,
    "nominate_arbitrator": _appoint,
    "nominate_presiding": _appoint,
    "appoint_presiding": _appoint,
    "replace_arbitrator": _appoint,
    "appoint_arbitrator": _appoint_for_side,
    "challenge_arbitrator": _challenge,
    "decide_challenge": _simple(DecideChallengeForm),
    "request_extension": _simple(ExtensionRequestForm),
    "grant_extension": _grant,
    "refuse_extension": _simple(ReasonForm),
    "file_defence": _simple(TextForm),
    "issue_procedural_order": _simple(TextForm),
    "request_correction": _simple(CorrectionRequestForm),
    "decide_correction": _simple(TextForm),
    "schedule_hearing": _simple(HearingForm),
    "report_court_proceedings": _simple(CourtForm),
}


def form_for(action: str, case: Case, actor: Actor) -> FlaskForm:
    builder = FORM_BUILDERS.get(action, _simple(ConfirmForm))
    return builder(case, actor)
