"""Throttling: how many attempts at a secret one account or one address may make.

Each limit is a named `Throttle` whose rate is read from the configuration ("5 per 15
minutes"); counts live in Flask-Limiter's storage (app/extensions.py `limiter`: memory in the
embedded default and tests, Redis in production, so that every worker counts the same
attempts) under its moving-window strategy. What is counted is the failures — a wrong
password, a token that is not valid, a verification code that does not exist, a registration
sent — and the check comes *before* the attempt: once a limit is used up, even the right
password is refused, with how long to wait (ASVS 6.3.1). Flask-Limiter's route decorators
count requests; these limits need to count outcomes and to tell the moment a limit was
reached (the account's owner is emailed then, once), hence the explicit calls.

If the storage cannot be reached, the attempt is let through (and logged): an outage of Redis
must not lock everyone out. Production lets Flask-Limiter fall back to each worker's memory.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from flask_limiter.errors import RateLimitExceeded
from limits import RateLimitItem, parse
from werkzeug.exceptions import TooManyRequests

from app.extensions import limiter
from app.i18n import gettext as _
from app.i18n import ngettext

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


@lru_cache(maxsize=64)
def _item(rate: str) -> RateLimitItem:
    return parse(rate)


@dataclass(frozen=True)
class Throttle:
    """One limit: `name` keeps its counts apart, `setting` names its rate in the config."""

    name: str
    setting: str

    def item(self) -> RateLimitItem:
        return _item(current_app.config[self.setting])

    def wait(self, key: str) -> int:
        """Seconds before `key` may try again; 0 when it may now."""
        try:
            item = self.item()
            if limiter.limiter.test(item, self.name, key):
                return 0
            reset, _remaining = limiter.limiter.get_window_stats(item, self.name, key)
        except Exception:
            log.exception("throttle %s: storage unreachable, attempt let through", self.name)
            return 0
        return max(1, math.ceil(reset - time.time()))

    def check(self, key: str) -> None:
        """Refuse (429) while `key` has used up this limit."""
        wait = self.wait(key)
        if wait:
            raise TooManyAttempts(wait)

    def count(self, key: str) -> bool:
        """One more attempt for `key`; True when this one used up the limit (the moment to
        tell someone, once)."""
        try:
            item = self.item()
            if not limiter.limiter.hit(item, self.name, key):
                return False  # already used up (attempts at the same moment)
            _reset, remaining = limiter.limiter.get_window_stats(item, self.name, key)
        except Exception:
            log.exception("throttle %s: storage unreachable, attempt not counted", self.name)
            return False
        return remaining <= 0


# Sign-in: failures per account (keyed by the email typed, whether or not it has an account,
# so that the lock itself says nothing about which emails exist) and per source address.
SIGN_IN_PER_ACCOUNT = Throttle("sign-in/account", "THROTTLE_SIGN_IN_ACCOUNT")
SIGN_IN_PER_ADDRESS = Throttle("sign-in/address", "THROTTLE_SIGN_IN_IP")
# Registrations sent: each one emails the address given.
REGISTRATION_PER_ADDRESS = Throttle("register/address", "THROTTLE_REGISTER_IP")
REGISTRATION_PER_EMAIL = Throttle("register/email", "THROTTLE_REGISTER_EMAIL")
# /verify/<code> lookups that found nothing (someone guessing codes).
VERIFY_PER_ADDRESS = Throttle("verify/address", "THROTTLE_VERIFY_IP")
# API requests whose bearer token is not valid.
API_TOKEN_PER_ADDRESS = Throttle("api-token/address", "THROTTLE_API_TOKEN_IP")
# Wrong second-factor codes per account (app/auth/factor_views.py), and codes emailed per
# account (each one is a message to the owner's mailbox).
SECOND_FACTOR_PER_ACCOUNT = Throttle("second-factor/account", "THROTTLE_SECOND_FACTOR_ACCOUNT")
EMAIL_CODE_PER_ACCOUNT = Throttle("email-code/account", "THROTTLE_EMAIL_CODE_ACCOUNT")
# Password-reset requests sent (each emails the address given), per address and per email.
PASSWORD_RESET_PER_ADDRESS = Throttle("password-reset/address", "THROTTLE_PASSWORD_RESET_IP")
PASSWORD_RESET_PER_EMAIL = Throttle("password-reset/email", "THROTTLE_PASSWORD_RESET_EMAIL")
# Links a signed-in account asks to be emailed: the verification link again, a new address.
VERIFY_EMAIL_PER_ACCOUNT = Throttle("verify-email/account", "THROTTLE_VERIFY_EMAIL_ACCOUNT")
EMAIL_CHANGE_PER_ACCOUNT = Throttle("email-change/account", "THROTTLE_EMAIL_CHANGE_ACCOUNT")


def email_key(email: str) -> str:
    """Counts are kept per email under its hash: no address is written to the storage."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def guarded(*checks: tuple[Throttle, Callable[[], str]],
            counts_when: Callable[[Response], bool]) -> Callable[[F], F]:
    """A view whose POSTs are checked against each (throttle, key) before it runs, and
    counted against them when its response `counts_when` (for instance: a registration was
    sent)."""
    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.method != "POST":
                return view(*args, **kwargs)
            keys = [(throttle, key()) for throttle, key in checks]
            for throttle, key in keys:
                throttle.check(key)
            response = current_app.make_response(view(*args, **kwargs))
            if counts_when(response):
                for throttle, key in keys:
                    throttle.count(key)
            return response
        return wrapper  # type: ignore[return-value]
    return decorate


class TooManyAttempts(TooManyRequests):
    """429 with how long to wait (seconds)."""

    def __init__(self, wait: int, message: str | None = None) -> None:
        super().__init__()
        self.wait = wait
        self.message = message


def wait_message(wait: int) -> str:
    minutes = max(1, math.ceil(wait / 60))
    return ngettext("Try again in %(num)d minute.", "Try again in %(num)d minutes.", minutes)


def too_many_requests(error: TooManyRequests) -> Response:
    """The localised 429 page (JSON under /api) with Retry-After."""
    from app.errors import error_page

    wait = getattr(error, "wait", 0)
    if not wait and isinstance(error, RateLimitExceeded):  # a Flask-Limiter decorator's
        current = limiter.current_limit
        wait = max(1, math.ceil(current.reset_at - time.time())) if current else 60
    wait = wait or 60
    message = error.message if isinstance(error, TooManyAttempts) else None
    text = " ".join((message or _("Too many attempts were made from here or for this "
                                  "account."), wait_message(wait)))
    response = error_page(429, _("Too many attempts"), text)
    response.headers["Retry-After"] = str(wait)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    limiter.init_app(app)
    app.register_error_handler(TooManyAttempts, too_many_requests)
    app.register_error_handler(RateLimitExceeded, too_many_requests)
