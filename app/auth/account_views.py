"""The account's self-service pages: a forgotten password, a new password, a new email
address, the address's confirmation, the name and language, the emails received.

Views only: load, check, validate, call one verb of app/auth/self_service.py, commit, answer.
The one-time links (reset, new address, verification) open a page whose button does the
work: a GET never changes anything, since mail scanners open links too.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from app.auth import security_log, self_service, throttle
from app.auth.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    NotificationsForm,
    ProfileForm,
    ResendVerificationForm,
    ResetPasswordForm,
)
from app.auth.views import _tell_owner_of_lock, account_page, bp
from app.extensions import db
from app.i18n import gettext as _
from app.models import User
from app.models.account_token import EMAIL_CHANGE, EMAIL_VERIFICATION, PASSWORD_RESET
from app.request_info import client_ip
from app.web import public, select_locale


# ------------------------------------------------------------------ the identity check
def confirm_identity(user: User, form) -> bool:
    """Whether the person at the keyboard has shown again that they own the account, before
    a change that could hand it to someone else (ASVS 7.5.1): a new email address. It checks
    the current password typed in `form.password`; the second factor adds its code here, so
    that every such change asks for both. On failure the form's fields carry the reason."""
    return password_confirmed(user, form.password, form)


def password_confirmed(user: User, field, form) -> bool:
    """The current password, typed again. Wrong ones count against the account's sign-in
    limit (a stolen session must not become a way to guess the password), and once it is
    used up even the right one is refused for a while; the form is then marked `throttled`
    (the view answers 429)."""
    if not field.data:
        field.errors.append(_("Type your current password."))
        return False
    account = throttle.email_key(user.email)
    wait = throttle.SIGN_IN_PER_ACCOUNT.wait(account)
    if wait:
        form.throttled = True
        security_log.record("reauthentication", "refused", user_id=user.id, reason="throttled")
        field.errors.append(" ".join((_("Too many wrong passwords were typed for this "
                                        "account."), throttle.wait_message(wait))))
        return False
    if user.check_password(field.data or ""):
        return True
    locked = throttle.SIGN_IN_PER_ACCOUNT.count(account)
    throttle.SIGN_IN_PER_ADDRESS.count(client_ip())
    security_log.record("reauthentication", "failure", user_id=user.id, reason="password")
    if locked:
        _tell_owner_of_lock(user)
    field.errors.append(_("This is not your current password."))
    return False


def _failed(form, status: int = 422) -> int:
    return 429 if getattr(form, "throttled", False) else status


# ------------------------------------------------------------------- the account page
def sections(*, profile: ProfileForm | None = None,
             notifications: NotificationsForm | None = None) -> dict:
    """The account page's own sections (the sessions' are in app/auth/views.py)."""
    user = current_user
    return {
        "profile": profile or ProfileForm(formdata=None, name=user.name, locale=user.locale),
        "notifications": notifications or NotificationsForm(
            formdata=None, case_updates=user.notify_case_updates,
            messages=user.notify_messages, deadline_reminders=user.notify_deadline_reminders),
        "resend": ResendVerificationForm(formdata=None),
    }


@bp.post("/account/profile")
def update_profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return render_template("auth/account.html", **account_page(profile=form)), 422
    self_service.update_profile(current_user, form.name.data, form.locale.data)
    session["lang"] = form.locale.data  # the interface follows the account's language now
    db.session.commit()
    flash(_("Your name and language were saved."), "success")
    return redirect(url_for("auth.account", _anchor="profile"))


@bp.post("/account/notifications")
def update_notifications():
    form = NotificationsForm()
    if not form.validate_on_submit():
        return render_template("auth/account.html",
                               **account_page(notifications=form)), 422
    self_service.update_notifications(
        current_user, case_updates=form.case_updates.data, messages=form.messages.data,
        deadline_reminders=form.deadline_reminders.data)
    db.session.commit()
    flash(_("Your choice of emails was saved."), "success")
    return redirect(url_for("auth.account", _anchor="notifications"))


# -------------------------------------------------------------------- forgotten password
@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@throttle.guarded(
    (throttle.PASSWORD_RESET_PER_ADDRESS, client_ip),
    (throttle.PASSWORD_RESET_PER_EMAIL,
     lambda: throttle.email_key(request.form.get("email", ""))),
    counts_when=lambda response: response.status_code in (302, 303))
def forgot_password():
    """Ask for a link to choose a new password. The same answer — page, status, cookies,
    and about the same time — whether or not the address has an account (ASVS 6.3.8): the
    address is emailed either way, with the link or with a word that no account uses it."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = User.normalise_email(form.email.data)
        self_service.request_password_reset(email, locale=select_locale())
        db.session.commit()
        flash(_("We have sent a message to %(email)s. If an account uses this address, the "
                "message has a link to choose a new password: it works once, within "
                "%(minutes)s minutes.", email=email,
                minutes=current_app.config["PASSWORD_RESET_MINUTES"]), "success")
        return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template("auth/forgot_password.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    """Choose a new password with the emailed link. Nobody is signed in by it: the owner
    signs in afterwards with the new password, through the sign-in page and whatever second
    factor it asks for."""
    row = self_service.find_token(PASSWORD_RESET, token)
    if row is None:
        return _link_not_valid(_("Ask for a new link to choose your password."),
                               url_for("auth.forgot_password"), _("Ask for a new link"))
    form = ResetPasswordForm()
    form.personal = (row.user.email, row.user.name)
    if form.validate_on_submit():
        self_service.reset_password(row, form.password.data)
        db.session.commit()
        flash(_("Your password was changed, and you were signed out everywhere. Sign in "
                "with your new password."), "success")
        return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template("auth/reset_password.html", form=form, email=row.user.email), status


def _link_not_valid(what_to_do: str, href: str, label: str):
    return render_template("auth/link_not_valid.html", what_to_do=what_to_do, href=href,
                           label=label), 404


# ---------------------------------------------------------------------- password change
@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    """A new password, with the current one: every other session ends."""
    form = ChangePasswordForm()
    form.personal = (current_user.email, current_user.name)
    if form.validate_on_submit():
        if password_confirmed(current_user, form.current_password, form):
            ended = self_service.change_password(current_user, form.password.data)
            db.session.commit()
            flash(_("Your password was changed. Every other session was signed out.") if ended
                  else _("Your password was changed."), "success")
            return redirect(url_for("auth.account"))
        db.session.commit()  # the failure counted, and logged
        return render_template("auth/change_password.html", form=form), _failed(form)
    status = 422 if form.errors else 200
    return render_template("auth/change_password.html", form=form), status


# -------------------------------------------------------------------------- email change
@bp.route("/account/email", methods=["GET", "POST"])
def change_email():
    """A new address, with the password (and the second factor): the new address is sent a
    link and becomes the account's only when it is followed."""
    form = ChangeEmailForm()
    if form.validate_on_submit():
        new_email = User.normalise_email(form.email.data)
        if new_email == current_user.email:
            form.email.errors.append(_("This is already your address."))
            return render_template("auth/change_email.html", form=form), 422
        if confirm_identity(current_user, form):
            throttle.EMAIL_CHANGE_PER_ACCOUNT.check(str(current_user.id))
            self_service.request_email_change(current_user, new_email)
            throttle.EMAIL_CHANGE_PER_ACCOUNT.count(str(current_user.id))
            db.session.commit()
            flash(_("We have sent a link to %(email)s. Your address changes when you open it; "
                    "until then it stays %(current)s.", email=new_email,
                    current=current_user.email), "success")
            return redirect(url_for("auth.account"))
        db.session.commit()  # the failure counted, and logged
        # Not who they must be to change the address: forbidden (SECURITY.md C8).
        return render_template("auth/change_email.html", form=form), _failed(form, 403)
    status = 422 if form.errors else 200
    return render_template("auth/change_email.html", form=form), status


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_email_change(token: str):
    """The new address's owner confirms it (signed in or not: the link may be opened on
    another device)."""
    row = self_service.find_token(EMAIL_CHANGE, token)
    if row is None:
        return _link_not_valid(_("Ask for the change again on your account page."),
                               url_for("auth.change_email"), _("Change your email address"))
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            user = self_service.confirm_email_change(row)
        except self_service.AddressTaken:
            db.session.rollback()
            return render_template("auth/confirm_link.html", form=form, kind="email_change",
                                   address=row.email,
                                   error=_("Another account uses this address now, so it "
                                           "cannot become yours.")), 409
        db.session.commit()
        flash(_("Your email address is now %(email)s.", email=user.email), "success")
        return _after_link(user, url_for("auth.account"))
    return render_template("auth/confirm_link.html", form=form, kind="email_change",
                           address=row.email, error=None)


def _after_link(user: User, signed_in_target: str):
    """Where a followed link leads: on, for its account signed in on this browser; to the
    sign-in page otherwise (a link never signs anyone in)."""
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(signed_in_target)
    return redirect(url_for("auth.login"))


# -------------------------------------------------------------------- email verification
@bp.route("/account/verify/<token>", methods=["GET", "POST"])
@public
def verify_email(token: str):
    row = self_service.find_token(EMAIL_VERIFICATION, token)
    if row is None:
        return _link_not_valid(_("Sign in and ask for a new link on your account page."),
                               url_for("auth.account"), _("Your account"))
    form = ConfirmForm()
    if form.validate_on_submit():
        user = self_service.verify_email(row)
        db.session.commit()
        flash(_("Thank you: %(email)s is confirmed. You can file complaints.",
                email=user.email), "success")
        return _after_link(user, url_for("filing.choose"))
    return render_template("auth/confirm_link.html", form=form, kind="verification",
                           address=row.email, error=None)


RESEND_TARGETS = {"filing": "filing.choose", "account": "auth.account"}


@bp.post("/account/verify/resend")
def resend_verification():
    """Email the verification link again (from the account page or the filing page)."""
    form = ResendVerificationForm()
    target = url_for(RESEND_TARGETS.get(request.form.get("back", ""), "auth.account"))
    if current_user.email_verified:
        flash(_("Your email address is already confirmed."), "info")
        return redirect(target)
    if not form.validate_on_submit():
        flash(_("The form expired. Please submit it again."), "error")
        return redirect(target)
    throttle.VERIFY_EMAIL_PER_ACCOUNT.check(str(current_user.id))
    self_service.send_verification(current_user)
    throttle.VERIFY_EMAIL_PER_ACCOUNT.count(str(current_user.id))
    db.session.commit()
    flash(_("We have sent a new link to %(email)s. Open it to confirm your address.",
            email=current_user.email), "success")
    return redirect(target)

