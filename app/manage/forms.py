"""Forms of the case managers' console."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app import labels
from app.fields import DateField
from app.filing.forms import CountryField, StepForm
from app.i18n import lazy_gettext as _l


class OptionalCountryField(CountryField):
    def pre_validate(self, form):
        if self.data:
            super().pre_validate(form)


class CalendarDayForm(StepForm):
    kind = RadioField(_l("Correction"), choices=labels.options(labels.CALENDAR_DAY_LABELS.items()),
                      default="holiday", validators=[DataRequired()])
    country = OptionalCountryField(_l("Country"),
                           description=_l("Ignored for a closure of the Centre."))
    day = DateField(_l("Date"), validators=[DataRequired()])
    moved_from = DateField(_l("Moved from (optional)"), validators=[Optional()],
                           description=_l("The estimated date this holiday replaces: it "
                                          "becomes a working day."))
    name = StringField(_l("Name of the holiday"), validators=[Optional(), Length(max=200)],
                       description=_l("For example: Eid al-Fitr (moon sighted)."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.kind.data == "holiday" and not (self.name.data or "").strip():
            self.name.errors = [*self.name.errors, _l("Name the holiday.")]
            ok = False
        if self.moved_from.data and (self.kind.data != "holiday"
                                     or self.moved_from.data == self.day.data):
            self.moved_from.errors = [*self.moved_from.errors,
                                      _l("Only a holiday can be moved, to another date.")]
            ok = False
        return ok

    def validate_country(self, field):
        if self.kind.data != "closure" and not field.data:
            raise ValidationError(_l("Choose a country from the list."))


class DeleteForm(FlaskForm):
    """Only the CSRF token."""
