"""Forms of the second factor. A code field takes what people type — spaces, dashes, lower
case — and the views decide what it can be; the forms only bound its length."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp

from app.i18n import lazy_gettext as _l

# What a browser needs to offer the right keyboard and fill in a code from an SMS-like source.
_CODE_KW = {"autocomplete": "one-time-code", "dir": "ltr", "spellcheck": "false",
            "autocapitalize": "characters"}
_DIGITS_KW = {**_CODE_KW, "inputmode": "numeric", "maxlength": "8"}


class CodeForm(FlaskForm):
    """The second step of signing in: a code from the app or the email, or a recovery code."""

    code = StringField(_l("Code"), validators=[
        DataRequired(message=_l("Enter the code.")),
        Length(max=40, message=_l("A code has at most 40 characters."))], render_kw=_CODE_KW)


class EnrolForm(FlaskForm):
    """The first code an authenticator app shows for a new key."""

    code = StringField(_l("Code from the app"), validators=[
        DataRequired(message=_l("Enter the 6-digit code the app shows.")),
        Regexp(r"^\s*\d{3}[\s-]?\d{3}\s*$",  # \d: any script's digits (١٢٣ too)
               message=_l("Enter the 6 digits the app shows, without letters."))],
        description=_l("6 digits; a new code appears every 30 seconds."), render_kw=_DIGITS_KW)


class ChangeFactorForm(FlaskForm):
    """A change to the second factor: the current password and a current code (C8)."""

    action = RadioField(_l("What do you want to do?"),
                        validators=[InputRequired(message=_l("Choose what to do."))])
    password = PasswordField(_l("Current password"), validators=[
        DataRequired(message=_l("Enter your current password.")), Length(max=200)])
    code = StringField(_l("Current code"), validators=[
        DataRequired(message=_l("Enter a current code.")),
        Length(max=40, message=_l("A code has at most 40 characters."))], render_kw=_CODE_KW)


class PlainForm(FlaskForm):
    """A button with nothing to fill in but the CSRF token (send a code, go on)."""
