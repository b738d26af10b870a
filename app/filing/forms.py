"""The complaint, one form per step. Forms validate input; the engine validates rules."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app import labels
from app.fields import DateField, DecimalField
from app.i18n import lazy_gettext as _l
from workflows import calendar

# The largest amount `remedies.amount` (NUMERIC(14, 2)) holds.
MAX_AMOUNT = Decimal("999999999999.99")
CURRENCIES = ("USD", "EUR", "AED", "SAR", "EGP", "JOD", "MAD", "TND", "DZD", "QAR", "KWD",
              "BHD", "OMR", "PKR", "BDT", "INR", "TRY", "MYR", "IDR")


class CountryField(SelectField):
    """Country of the reader's language, sorted by name; the choices are built per request."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, choices=[], **kwargs)

    def pre_validate(self, form):
        if not self.data or self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(_l("Choose a country from the list."))


class SubdivisionField(StringField):
    """A state or province with its own weekend or holidays (Malaysia's Kelantan, ...)."""


def _check_subdivision(form, field) -> None:
    code = (field.data or "").strip().upper()
    if code and code not in calendar.subdivisions(form.country.data or ""):
        raise ValidationError(_l("This country has no state or province with that code."))


class StepForm(FlaskForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self:
            if isinstance(field, CountryField):
                field.choices = labels.options([("", _l("— choose —")), *labels.countries()])


class ClaimantForm(StepForm):
    capacity = RadioField(
        _l("You are filing as"),
        choices=labels.options([("claimant", _l("The rights holder (claimant)")),
                                ("claimant_counsel", _l("Counsel for the rights holder"))]),
        default="claimant", validators=[DataRequired()])
    name = StringField(_l("Claimant's name"), validators=[DataRequired(), Length(max=200)],
                       description=_l("The person or company that holds the rights."))
    country = CountryField(_l("Claimant's country"))
    address = TextAreaField(_l("Claimant's address"), validators=[DataRequired(),
                                                                  Length(max=1000)])
    subdivision = SubdivisionField(
        _l("State or province (optional)"), validators=[Optional(), Length(max=10),
                                                        _check_subdivision],
        description=_l("Only where it has its own weekend or holidays, e.g. Malaysia: 03 "
                       "Kelantan, 11 Terengganu, 02 Kedah."))
    email = EmailField(_l("Claimant's email"), validators=[DataRequired(), Email(),
                                                           Length(max=254)])
    counsel_name = StringField(_l("Counsel's name"), validators=[Optional(), Length(max=200)])
    counsel_firm = StringField(_l("Counsel's firm"), validators=[Optional(), Length(max=200)])
    counsel_email = EmailField(_l("Counsel's email"),
                               validators=[Optional(), Email(), Length(max=254)])

    def validate_counsel_name(self, field):
        if self.capacity.data == "claimant_counsel" and not field.data:
            raise ValidationError(_l("Give counsel's name when you file as counsel."))


class RespondentForm(StepForm):
    name = StringField(_l("Respondent's name"), validators=[DataRequired(), Length(max=200)],
                       description=_l("The person or company you say infringes your rights."))
    country = CountryField(_l("Respondent's country"))
    address = TextAreaField(_l("Respondent's address"),
                            validators=[DataRequired(), Length(max=1000)])
    subdivision = SubdivisionField(
        _l("State or province (optional)"), validators=[Optional(), Length(max=10),
                                                        _check_subdivision],
        description=_l("Only where it has its own weekend or holidays, e.g. Malaysia: 03 "
                       "Kelantan, 11 Terengganu, 02 Kedah."))
    email = EmailField(_l("Respondent's email"),
                       validators=[DataRequired(), Email(), Length(max=254)],
                       description=_l("The respondent is served at this address."))


class RightForm(StepForm):
    kind = SelectField(_l("Type of right"), choices=labels.options(labels.IP_RIGHT_LABELS.items()),
                       validators=[DataRequired()])
    title = StringField(_l("Title, mark or domain name"),
                        validators=[DataRequired(), Length(max=300)])
    registration_number = StringField(_l("Registration number"),
                                      validators=[Optional(), Length(max=100)])
    office = StringField(_l("Registering office"), validators=[Optional(), Length(max=200)],
                         description=_l("For example: EUIPO, Saudi Authority for IP, ICANN "
                                        "registrar."))
    country = CountryField(_l("Country of registration or protection"))
    owner = StringField(_l("Owner of the right"), validators=[DataRequired(), Length(max=200)])


class InfringementForm(StepForm):
    description = TextAreaField(
        _l("What is infringed, and how"), validators=[DataRequired(), Length(max=20000)],
        description=_l("Describe the infringing use: the products, content or domain name."))
    locations = TextAreaField(
        _l("Where"), validators=[DataRequired(), Length(max=5000)],
        description=_l("URLs, marketplaces and countries, one per line."))
    since = DateField(_l("Since when"), validators=[Optional()],
                      description=_l("The date you first noticed the infringement, if known."))


class RemediesForm(StepForm):
    cease_use = BooleanField(labels.REMEDY_LABELS["cease_use"])
    cease_use_details = TextAreaField(_l("Details of the use to cease"),
                                      validators=[Optional(), Length(max=5000)])
    takedown = BooleanField(labels.REMEDY_LABELS["takedown"])
    takedown_details = TextAreaField(_l("Listings or content to take down"),
                                     validators=[Optional(), Length(max=5000)])
    domain_transfer = BooleanField(labels.REMEDY_LABELS["domain_transfer"])
    domain_transfer_details = StringField(_l("Domain name(s) to transfer"),
                                          validators=[Optional(), Length(max=1000)])
    domain_cancellation = BooleanField(labels.REMEDY_LABELS["domain_cancellation"])
    domain_cancellation_details = StringField(_l("Domain name(s) to cancel"),
                                              validators=[Optional(), Length(max=1000)])
    damages = BooleanField(labels.REMEDY_LABELS["damages"])
    damages_amount = DecimalField(_l("Amount claimed"), places=2,
                                  validators=[Optional(), NumberRange(min=Decimal("0.01")),
                                              NumberRange(max=MAX_AMOUNT)])
    damages_currency = SelectField(_l("Currency"),
                                   choices=labels.options((c, c) for c in CURRENCIES))
    licence = BooleanField(labels.REMEDY_LABELS["licence"])
    licence_details = TextAreaField(_l("Licence terms sought"),
                                    validators=[Optional(), Length(max=5000)])
    coexistence = BooleanField(labels.REMEDY_LABELS["coexistence"])
    coexistence_details = TextAreaField(_l("Coexistence terms sought"),
                                        validators=[Optional(), Length(max=5000)])
    other = BooleanField(labels.REMEDY_LABELS["other"])
    other_details = TextAreaField(_l("Describe the remedy"),
                                  validators=[Optional(), Length(max=5000)])

    KINDS = ("cease_use", "takedown", "domain_transfer", "domain_cancellation", "damages",
             "licence", "coexistence", "other")
    allowed: frozenset[str] | None = None  # the procedure's remedies, set by the view

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.allowed is not None:
            for kind in self.KINDS:
                if self[kind].data and kind not in self.allowed:
                    self[kind].errors = [*self[kind].errors, _l(
                        "The procedure you chose cannot grant this remedy.")]
                    ok = False
        if not any(self[kind].data for kind in self.KINDS):
            self.cease_use.errors = [*self.cease_use.errors, _l("Choose at least one remedy.")]
            ok = False
        if self.damages.data and not self.damages_amount.data:
            self.damages_amount.errors = [*self.damages_amount.errors,
                                          _l("Give the amount of damages claimed.")]
            ok = False
        if self.domain_transfer.data and not (self.domain_transfer_details.data or "").strip():
            self.domain_transfer_details.errors = [
                *self.domain_transfer_details.errors, _l("Name the domain name to transfer.")]
            ok = False
        if self.other.data and not (self.other_details.data or "").strip():
            self.other_details.errors = [*self.other_details.errors,
                                         _l("Describe the other remedy.")]
            ok = False
        return ok


class ProceedingsForm(StepForm):
    language = RadioField(_l("Language of the proceedings"),
                          choices=labels.options(labels.LANGUAGE_LABELS.items()), default="en",
                          validators=[DataRequired()])
    mediation_days = RadioField(
        _l("Length of the mediation period"),
        choices=labels.options([("60", _l("60 days")), ("90", _l("90 days"))]), default="60",
        validators=[DataRequired()],
        description=_l("If no settlement is reached within this period, the case goes to "
                       "expedited arbitration."))
