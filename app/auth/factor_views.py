"""The second factor's pages: the second step of signing in (a code from the app, a recovery
code or a code by email), setting up an authenticator app at the first sign-in, and the
account page's "Second factor" section (replace the app, new recovery codes, a party's
switch between the app and codes by email — each after the current password and a current
code, SECURITY.md C8).

Wrong codes are throttled per account (THROTTLE_SECOND_FACTOR_ACCOUNT): once the limit is
used up even the right code is refused, with how long to wait, and the owner is emailed —
someone who got that far knows the password. Codes sent by email are limited too
(THROTTLE_EMAIL_CODE_ACCOUNT).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from app.auth import second_factor, second_step, security_log, sessions, throttle
from app.auth.factor_forms import ChangeFactorForm, CodeForm, EnrolForm, PlainForm
from app.auth.second_factor import requires_totp
from app.extensions import db
from app.i18n import gettext as _
from app.i18n import ngettext
from app.models import SecondStep, User
from app.request_info import client_ip
from app.services import notify
from app.web import public

bp = Blueprint("factor", __name__)
NO_STORE = {"Cache-Control": "no-store"}
_DIGITS = re.compile(r"\s*([0-9]{3})[\s-]?([0-9]{3})\s*")


def _key(user: User) -> str:
    return f"user:{user.id}"


def _digits(text: str) -> str:
    """Six digits as typed ('123 456', '١٢٣٤٥٦' too) as six ASCII digits, else the text as
    it is (which then matches no code)."""
    match = _DIGITS.fullmatch(second_factor.ascii_digits(text))
    return match.group(1) + match.group(2) if match else text


def _headers(wait: int = 0) -> dict[str, str]:
    """Nothing of these pages is cached; a refusal says when to try again."""
    return {**NO_STORE, "Retry-After": str(wait)} if wait else NO_STORE


def _wait_error(wait: int) -> str:
    return " ".join((_("Too many wrong codes were entered for this account."),
                     throttle.wait_message(wait)))


def _failed(user: User, *, purpose: str, method: str) -> None:
    """A wrong code (or password, before a change): logged and counted; the failure that
    uses up the limit emails the owner, once."""
    second_factor.record_failure(user, purpose=purpose, method=method)
    if throttle.SECOND_FACTOR_PER_ACCOUNT.count(_key(user)):
        item = throttle.SECOND_FACTOR_PER_ACCOUNT.item()
        security_log.record("second_factor_locked", "refused", user_id=user.id)
        notify.email(user.email, "second_factor_locked", locale=user.locale, user=user,
                     attempts=item.amount, minutes=item.get_expiry() // 60, ip=client_ip())


def _throttled(user: User, purpose: str) -> int:
    """Seconds to wait before this account may try a code again (0: now); a refusal is
    logged."""
    wait = throttle.SECOND_FACTOR_PER_ACCOUNT.wait(_key(user))
    if wait:
        security_log.record("second_factor", "refused", user_id=user.id, purpose=purpose,
                            reason="throttled")
        db.session.commit()
    return wait


def _send_code(step: SecondStep, user: User) -> int:
    """Email a new code for this step unless too many were sent: 0, else seconds to wait."""
    wait = throttle.EMAIL_CODE_PER_ACCOUNT.wait(_key(user))
    if wait:
        return wait
    second_factor.send_email_code(step, user)
    throttle.EMAIL_CODE_PER_ACCOUNT.count(_key(user))
    return 0


def _too_many_codes_sent(wait: int) -> str:
    return " ".join((_("Several codes were sent in the last minutes: use the last one, or "
                       "ask for a new one later."), throttle.wait_message(wait)))


# ---------------------------------------------------------------------------- signing in
def start_sign_in(user: User, *, next_url: str | None = None,
                  email_proven: bool = False) -> Response:
    """The password was right (or a new account was made from a service link, which proves
    the mailbox too): the browser gets a second step, not a session. Whatever session it had
    ends. An account that must have an authenticator app and has none sets one up now; a
    party without one is emailed a code. Commits."""
    if sessions.current_session() is not None:
        sessions.end_current()
    method = second_factor.method_of(user)
    step = second_step.begin(user, "sign_in", next_url=next_url or None,
                             email_proven=email_proven,
                             totp_secret=second_factor.new_secret() if method == "none" else None)
    security_log.record("sign_in_password", "success", user_id=user.id)
    wait = _send_code(step, user) if method == "email" and not email_proven else 0
    db.session.commit()
    if wait:
        flash(_too_many_codes_sent(wait), "error")
    return redirect(url_for("factor.enrol" if method == "none" else "factor.verify"))


def _sign_in_step() -> tuple[SecondStep, User] | None:
    step = second_step.current("sign_in")
    if step is None:
        return None
    user = second_step.step_user(step)
    return (step, user) if user is not None else None


def _start_again() -> Response:
    flash(_("This sign-in has expired or was not started here. Please sign in again."), "info")
    return redirect(url_for("auth.login"))


def _code_shape_error(user: User, text: str) -> str | None:
    """A message for what cannot be a code at all (not counted as a guess), else None."""
    if _DIGITS.fullmatch(second_factor.ascii_digits(text)):
        return None
    if user.has_totp and second_factor.normalise_recovery_code(text):
        return None
    if user.has_totp:
        return _("Enter the 6 digits your app shows, or a recovery code (16 letters and "
                 "digits).")
    return _("Enter the 6 digits of the code we sent you.")


@bp.route("/login/code", methods=["GET", "POST"])
@public
def verify() -> ResponseReturnValue:
    """The second step: a code from the app (or a recovery code), or the code emailed."""
    found = _sign_in_step()
    if found is None:
        return _start_again()
    step, user = found
    method = second_factor.method_of(user)
    if method == "none":
        return redirect(url_for("factor.enrol"))
    if method == "email" and step.email_proven:
        return render_template("auth/choose_factor.html", user=user, form=PlainForm())
    form = CodeForm()
    status, wait = 200, 0
    if form.validate_on_submit():
        typed = form.code.data.strip()
        shape = _code_shape_error(user, typed)
        wait = 0 if shape else _throttled(user, "sign_in")
        if shape:
            form.code.errors.append(shape)
        elif wait:
            form.code.errors.append(_wait_error(wait))
            status = 429
        else:
            used = second_factor.check_code(user, _digits(typed), step)
            if used is not None:
                target = second_step.complete_sign_in(step, user, used)
                if used == "recovery_code":
                    left = second_factor.recovery_codes_left(user)
                    flash(ngettext("You signed in with a recovery code: %(num)d is left. "
                                   "Make new ones on your account page.",
                                   "You signed in with a recovery code: %(num)d are left. "
                                   "Make new ones on your account page.", left), "info")
                db.session.commit()
                return redirect(target)
            _failed(user, purpose="sign_in", method=method)
            db.session.commit()
            form.code.errors.append(_("This code is not right, has expired or was used "
                                      "already."))
    if form.errors and status == 200:
        status = 422
    return render_template("auth/second_step.html", form=form, user=user, method=method,
                           resend=PlainForm()), status, _headers(wait if status == 429 else 0)


@bp.post("/login/code/email")
@public
def resend() -> ResponseReturnValue:
    """A new code by email (the last one stops working)."""
    found = _sign_in_step()
    if found is None:
        return _start_again()
    step, user = found
    if second_factor.method_of(user) != "email" or not PlainForm().validate_on_submit():
        return redirect(url_for("factor.verify"))
    wait = _send_code(step, user)
    db.session.commit()
    if wait:
        flash(_too_many_codes_sent(wait), "error")
    else:
        flash(_("We sent a new code to %(email)s.", email=user.email), "success")
    return redirect(url_for("factor.verify"))


@bp.post("/login/code/continue")
@public
def continue_with_email() -> ResponseReturnValue:
    """A party who made the account from a service link (the mailbox is proved) goes on with
    codes by email for the next sign-ins."""
    found = _sign_in_step()
    if found is None:
        return _start_again()
    step, user = found
    if (second_factor.method_of(user) != "email" or not step.email_proven
            or not PlainForm().validate_on_submit()):
        return redirect(url_for("factor.verify"))
    target = second_step.complete_sign_in(step, user, "service_link")
    db.session.commit()
    return redirect(target)


def _may_enrol_at_sign_in(step: SecondStep, user: User) -> bool:
    """Setting up an app while signing in: for accounts that must have one (their first
    sign-in), or a party whose mailbox this step proved. Otherwise a password alone would
    be enough to replace a party's codes by email with the holder's own app."""
    return not user.has_totp and (requires_totp(user) or step.email_proven)


@bp.post("/login/enrol/new")
@public
def enrol_new() -> ResponseReturnValue:
    found = _sign_in_step()
    if found is None:
        return _start_again()
    step, user = found
    if not _may_enrol_at_sign_in(step, user) or not PlainForm().validate_on_submit():
        return redirect(url_for("factor.verify"))
    step.totp_secret = second_factor.new_secret()
    db.session.commit()
    return redirect(url_for("factor.enrol"))


@bp.route("/login/enrol", methods=["GET", "POST"])
@public
def enrol() -> ResponseReturnValue:
    """Set up an authenticator app while signing in: scan the code (or type the key), then
    enter the first code it shows. Then the session starts and the recovery codes are
    shown, once."""
    found = _sign_in_step()
    if found is None:
        return _start_again()
    step, user = found
    if not _may_enrol_at_sign_in(step, user):
        return redirect(url_for("factor.verify"))
    return _enrolment(step, user, signing_in=True)


def _enrolment(step: SecondStep, user: User, *, signing_in: bool) -> ResponseReturnValue:
    form = EnrolForm()
    status, wait = 200, 0
    secret = step.totp_secret
    if secret is not None and form.validate_on_submit():
        wait = _throttled(user, "enrol")
        if wait:
            form.code.errors.append(_wait_error(wait))
            status = 429
        else:
            keep = None if signing_in else sessions.current_session()
            codes = second_factor.enrol(user, secret, _digits(form.code.data), keep=keep)
            if codes is not None:
                if signing_in:
                    target = second_step.complete_sign_in(step, user, "totp")
                else:
                    second_step.end()
                    target = url_for("auth.account")
                db.session.commit()
                flash(_("Your authenticator app is set up."), "success")
                return render_template("auth/recovery_codes.html", codes=codes,
                                       next_url=target), 200, NO_STORE
            _failed(user, purpose="enrol", method="totp")
            db.session.commit()
            form.code.errors.append(_("This is not the code the app shows for this key. Check "
                                      "that the phone's time is right, and enter the newest "
                                      "code."))
    if form.errors and status == 200:
        status = 422
    context = {"form": form, "user": user, "signing_in": signing_in, "secret": None,
               "start": PlainForm()}
    if secret is not None:
        uri = second_factor.provisioning_uri(user, secret)
        context.update(secret=second_factor.grouped(secret),
                       qr=second_factor.qr_svg(uri, _("QR code to scan with your "
                                                      "authenticator app")))
    return render_template("auth/enrol.html", **context), status, _headers(
        wait if status == 429 else 0)


# ------------------------------------------------------------------------ the account page
def _choices(user: User) -> list[tuple[str, str]]:
    if not user.has_totp:
        return [("totp", _("Set up an authenticator app instead of codes by email"))]
    choices = [("replace", _("Set up a new authenticator app (the current one stops working)")),
               ("codes", _("Make new recovery codes (the current ones stop working)"))]
    if not requires_totp(user):
        choices.append(("email", _("Use codes by email instead of an authenticator app")))
    return choices


def change_form(user: User) -> ChangeFactorForm:
    form = ChangeFactorForm(prefix="factor")
    form.action.choices = _choices(user)
    if len(form.action.choices) == 1 and not form.action.data:
        form.action.data = form.action.choices[0][0]
    return form


def account_section(user: User, form: ChangeFactorForm | None = None) -> dict[str, Any]:
    """What the account page shows of the second factor (plain values for the template)."""
    step = second_step.current("reauth")
    return {"factor": {
        "method": second_factor.method_of(user), "since": user.totp_enrolled_at,
        "codes_left": second_factor.recovery_codes_left(user) if user.has_totp else 0,
        "required": requires_totp(user), "email": user.email,
        "code_sent": step is not None and step.user_id == user.id,
    }, "factor_form": form or change_form(user), "send_code": PlainForm()}


def _account_page(form: ChangeFactorForm, status: int, wait: int = 0) -> ResponseReturnValue:
    from app.auth.views import account_page  # the page is the account page's

    return render_template("auth/account.html",
                           **account_page(factor_form=form)), status, _headers(wait)


@bp.post("/account/second-factor")
def change() -> ResponseReturnValue:
    """Replace the app, make new recovery codes, or switch between the app and codes by
    email: only with the current password and a current code (SECURITY.md C8); anything
    else changes nothing."""
    user: User = current_user._get_current_object()
    form = change_form(user)
    if not form.validate_on_submit():
        return _account_page(form, 422)
    wait = _throttled(user, "change")
    if wait:
        form.code.errors.append(_wait_error(wait))
        return _account_page(form, 429, wait)
    if not user.check_password(form.password.data):
        _failed(user, purpose="change", method="password")
        db.session.commit()
        form.password.errors.append(_("This is not your current password."))
        return _account_page(form, 422)
    typed = form.code.data.strip()
    shape = _code_shape_error(user, typed)
    if shape:
        form.code.errors.append(shape)
        return _account_page(form, 422)
    if second_factor.check_code(user, _digits(typed), second_step.current("reauth")) is None:
        _failed(user, purpose="change", method=second_factor.method_of(user))
        db.session.commit()
        form.code.errors.append(_("This code is not right, has expired or was used already."))
        return _account_page(form, 422)
    action = form.action.data
    if action in ("replace", "totp"):
        second_step.begin(user, "enrol", totp_secret=second_factor.new_secret())
        db.session.commit()
        return redirect(url_for("factor.account_enrol"))
    if action == "codes":
        codes = second_factor.regenerate_recovery_codes(user)
        db.session.commit()
        flash(_("New recovery codes were made; the old ones no longer work."), "success")
        return render_template("auth/recovery_codes.html", codes=codes,
                               next_url=url_for("auth.account")), 200, NO_STORE
    second_factor.switch_to_email(user, keep=sessions.current_session())
    db.session.commit()
    flash(_("From now on you confirm each sign-in with a code sent to %(email)s. You were "
            "signed out everywhere else.", email=user.email), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/second-factor/email-code")
def account_email_code() -> ResponseReturnValue:
    """A code by email, to confirm a change (for parties who use codes by email)."""
    user: User = current_user._get_current_object()
    if second_factor.method_of(user) != "email" or not PlainForm().validate_on_submit():
        return redirect(url_for("auth.account"))
    step = second_step.begin(user, "reauth")
    wait = _send_code(step, user)
    db.session.commit()
    if wait:
        flash(_too_many_codes_sent(wait), "error")
    else:
        flash(_("We sent a code to %(email)s. It works for %(minutes)d minutes.",
                email=user.email, minutes=current_app.config["EMAIL_CODE_MINUTES"]), "success")
    return redirect(url_for("auth.account") + "#second-factor")


@bp.route("/account/second-factor/enrol", methods=["GET", "POST"])
def account_enrol() -> ResponseReturnValue:
    """The new app's key, after the password and a current code were confirmed."""
    user: User = current_user._get_current_object()
    step = second_step.current("enrol")
    if step is None or step.user_id != user.id or step.totp_secret is None:
        flash(_("To set up an authenticator app, first confirm your password and a current "
                "code."), "info")
        return redirect(url_for("auth.account") + "#second-factor")
    return _enrolment(step, user, signing_in=False)
