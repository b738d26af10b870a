"""People who sign in: parties, counsel, neutrals and the Centre's case managers."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

# How passwords are hashed (werkzeug: scrypt, n=2**15, r=8, p=1); the dummy hash matches it.
HASH_METHOD = "scrypt"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(5), default="en")
    country: Mapped[str | None] = mapped_column(String(2))
    is_case_manager: Mapped[bool] = mapped_column(Boolean, default=False)
    is_neutral: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # SHA-256 of the secret in the user's private calendar-feed URL (None: no feed).
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The second factor (app/auth/second_factor.py). An authenticator app's base32 secret, set
    # once a code from the app has been checked (totp_enrolled_at); None: codes by email,
    # or none yet for those who must enrol. The last time step a code was accepted for: a
    # code is refused for that step and every earlier one (a replayed code, ASVS 6.5.1).
    totp_secret: Mapped[str | None] = mapped_column(String(32))
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    @property
    def has_totp(self) -> bool:
        return self.totp_secret is not None and self.totp_enrolled_at is not None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=HASH_METHOD)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sign-in for deactivated accounts
        return self.active

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()


def spend_a_password_check(password: str) -> None:
    """What checking a password costs, for an email with no account (or no password): a
    dummy hash of the same kind, checked and thrown away, so that the answer's timing does
    not tell which emails have accounts (ASVS 6.3.8). The dummy is made once per app, with
    the function that hashes real passwords."""
    from flask import current_app

    dummy = current_app.extensions.get("sulh_dummy_password_hash")
    if dummy is None:
        dummy = generate_password_hash(secrets.token_urlsafe(16), method=HASH_METHOD)
        current_app.extensions["sulh_dummy_password_hash"] = dummy
    check_password_hash(dummy, password)


def spend_a_password_hash(password: str) -> None:
    """What hashing a new password costs, thrown away (a registration for an email that has
    an account costs what one that creates the account does)."""
    generate_password_hash(password, method=HASH_METHOD)
