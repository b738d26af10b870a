"""The forms of signing up and in, joining a case, and looking after one's account."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    Regexp,
    ValidationError,
)

from app.i18n import lazy_gettext as _l
from app.labels import LANGUAGE_LABELS, options
from app.services import passwords

PASSWORD_RULES = _l("%(min)d to %(max)d characters: any letters, digits, symbols or spaces. "
                    "Several unrelated words make a password that is long and easy to "
                    "remember.", min=passwords.MIN_LENGTH, max=passwords.MAX_LENGTH)


def _typing_hints() -> dict:
    """The attributes app/static/js/password.js reads to say, while typing, what the server
    will say on sending: the rules' bounds and the sentences, translated here."""
    return {"data-min": passwords.MIN_LENGTH, "data-max": passwords.MAX_LENGTH,
            "data-short": _l("{n} characters: use at least %(min)d.", min=passwords.MIN_LENGTH),
            "data-long": _l("{n} characters: use at most %(max)d.", max=passwords.MAX_LENGTH),
            "data-enough": _l("{n} characters: long enough.")}


def new_password_field(label) -> PasswordField:
    """A new password: checked by `NewPasswordMixin.validate_password`, hinted while typed."""
    return PasswordField(label, validators=[InputRequired()], description=PASSWORD_RULES,
                         render_kw=_typing_hints())


def password_field(label) -> PasswordField:
    """A password as typed: InputRequired, not DataRequired, so that a password of spaces is
    checked like any other rather than taken for an empty field; no filters, so nothing is
    stripped; no length validator here — `NewPasswordMixin` says what is wrong in one place."""
    return PasswordField(label, validators=[InputRequired()])


class NewPasswordMixin:
    """A new password, typed twice, checked against the rules of app/services/passwords.py.
    A view sets `personal` to what the account is known by (its email, its name) when the form
    has no such fields itself."""

    password = new_password_field(_l("Password"))
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[InputRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"data-same-as": "password", "data-differ": _l("The passwords differ.")},
    )
    personal: tuple[str | None, ...] = ()

    def password_personal(self) -> tuple[str | None, ...]:
        return self.personal

    def validate_password(self, field) -> None:
        found = passwords.problem(field.data or "", personal=self.password_personal())
        if found is not None:
            # str: the error summary shows strings (a lazy string would read "check this part")
            raise ValidationError(str(password_message(found, len(field.data or ""))))


def password_message(problem: str, length: int) -> str:
    """Why a new password was refused, in words that say what to do instead."""
    if problem == "too_short":
        return _l("Use at least %(min)d characters (this one has %(n)d).",
                  min=passwords.MIN_LENGTH, n=length)
    if problem == "too_long":
        return _l("Use at most %(max)d characters (this one has %(n)d).",
                  max=passwords.MAX_LENGTH, n=length)
    if problem == "common":
        return _l("This password is on a list of passwords that are common or have appeared "
                  "in data breaches: it is among the first that someone guessing would try. "
                  "Choose another one.")
    return _l("Do not use your email address or your name as your password.")


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email()])
    password = password_field(_l("Password"))


class RegisterForm(NewPasswordMixin, FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    locale = SelectField(_l("Preferred language"), choices=options(LANGUAGE_LABELS.items()))

    def password_personal(self) -> tuple[str | None, ...]:
        return (self.email.data, self.name.data)


class JoinForm(NewPasswordMixin, FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])

    def password_personal(self) -> tuple[str | None, ...]:
        return (*self.personal, self.name.data)


class RevokeSessionForm(FlaskForm):
    """One session of the account's list, named by its handle (16 hex digits)."""

    handle = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{16}$")])


class EndOtherSessionsForm(FlaskForm):
    """"Sign out everywhere else": nothing to fill in but the CSRF token."""


# ------------------------------------------------------------------------- self-service
class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)],
                       description=_l("The address you sign in with."))


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    password = new_password_field(_l("New password"))


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = password_field(_l("Current password"))
    password = new_password_field(_l("New password"))


class ChangeEmailForm(FlaskForm):
    email = EmailField(_l("New email address"),
                       validators=[DataRequired(), Email(), Length(max=254)],
                       description=_l("We send a link to this address; it becomes your "
                                      "address when you follow the link."))
    # Checked by the view (app/auth/account_views.py `confirm_identity`), which answers 403
    # when it is missing or wrong: no validator here.
    password = PasswordField(_l("Current password"))


class ProfileForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    locale = SelectField(_l("Language of the interface and of your emails"),
                         choices=options(LANGUAGE_LABELS.items()))


class NotificationsForm(FlaskForm):
    case_updates = BooleanField(_l("Case updates: a case moved to another stage"))
    messages = BooleanField(_l("Messages: a new message in one of your cases"))
    deadline_reminders = BooleanField(_l("Deadline reminders: a time limit is about to end"))


class ConfirmForm(FlaskForm):
    """A button that does what a one-time link asks (a link's GET changes nothing: mail
    scanners open links too)."""


class ResendVerificationForm(FlaskForm):
    """"Send the link again": nothing to fill in but the CSRF token."""
