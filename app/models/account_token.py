"""One-time links emailed to an account's owner: a password reset, the confirmation of a new
email address, the verification of the address after registering.

The link carries a random 256-bit token; only its SHA-256 is stored, so someone who reads this
table cannot use a link (ASVS 6.4.1). A token is good for one use (`used_at`), until
`expires_at`, and only for the address it was sent to (`email`): once the account's address
changes, links sent to the old one are worth nothing.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow
from app.models.user import User

PASSWORD_RESET = "password_reset"  # noqa: S105  (a purpose, not a password)
EMAIL_CHANGE = "email_change"
EMAIL_VERIFICATION = "email_verification"
PURPOSES = (PASSWORD_RESET, EMAIL_CHANGE, EMAIL_VERIFICATION)


class AccountToken(db.Model):
    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint(f"purpose IN {PURPOSES!r}", name="purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The address the link was sent to: the account's (reset, verification) or the new one
    # (an email change, which becomes the account's address when the link is followed).
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def usable(self, now: datetime) -> bool:
        """Not used, not expired, and still for the account's address (or, for an email
        change, still for the account that asked)."""
        if self.used_at is not None or self.expires_at <= now or not self.user.active:
            return False
        return self.purpose == EMAIL_CHANGE or self.email == self.user.email
