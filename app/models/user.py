"""People who sign in: parties, counsel, neutrals and the Centre's case managers."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow
from app.services import passwords


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # argon2id (app/services/passwords.py); a werkzeug hash from before until the next sign-in
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
    # When the owner of `email` followed a link sent to it (None: not yet). A complaint can be
    # filed only from a verified address: the Centre serves and writes to it.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which optional emails the user receives (app/services/notify.py `OPTIONAL`); the notices
    # the rules require (service, deficiency, appointment, decisions) are always sent.
    notify_case_updates: Mapped[bool] = mapped_column(Boolean, default=True,
                                                      server_default=true())
    notify_deadline_reminders: Mapped[bool] = mapped_column(Boolean, default=True,
                                                            server_default=true())
    notify_messages: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    def set_password(self, password: str) -> None:
        self.password_hash = passwords.hash_password(password)

    def check_password(self, password: str) -> bool:
        return passwords.verify(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sign-in for deactivated accounts
        return self.active

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()
