from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Regexp

from app.i18n import lazy_gettext as _l
from app.labels import LANGUAGE_LABELS, options

MIN_PASSWORD = 10


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class PasswordMixin:
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD, max=200,
                                           message=_l("Use at least 10 characters."))],
        description=_l("At least 10 characters."),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class RegisterForm(PasswordMixin, FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    locale = SelectField(_l("Preferred language"), choices=options(LANGUAGE_LABELS.items()))


class JoinForm(PasswordMixin, FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])


class RevokeSessionForm(FlaskForm):
    """One session of the account's list, named by its handle (16 hex digits)."""

    handle = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{16}$")])


class EndOtherSessionsForm(FlaskForm):
    """"Sign out everywhere else": nothing to fill in but the CSRF token."""
