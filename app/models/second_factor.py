"""What the second factor keeps besides the user's own columns: recovery codes, and the
second step a browser is in the middle of (app/auth/second_step.py).

Neither holds a usable secret: a recovery code and a step's cookie token are stored as their
SHA-256 (each has at least 78 bits of entropy, so a digest cannot be reversed by trying), an
emailed code as an HMAC under the app's secret key (six digits would be tried in a second).
The one secret kept as it is, a pending authenticator key, is shown to the user on the
enrolment page anyway and is of no use until a code from it has been checked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime


class RecoveryCode(db.Model):
    """One of the ten single-use codes that stand in for a lost authenticator app."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash",
                                       name="uq_recovery_codes_user_id_code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the normalised code, hex
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SecondStep(db.Model):
    """A second-factor step in progress on one browser, named by a cookie of its own.

    - `sign_in`: the password was right; the session starts only once a code is too (C5).
      Carries the emailed code, or the authenticator key being set up, and where to go next.
    - `reauth`: a signed-in user asked for an emailed code to confirm a change.
    - `enrol`: a signed-in user confirmed password and code; a new authenticator key waits
      for its first code.
    """

    __tablename__ = "second_steps"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the token, hex
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # HMAC-SHA-256 of the code last emailed for this step, and when that code stops working.
    email_code_hash: Mapped[str | None] = mapped_column(String(64))
    email_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The mailbox was proved in this step already (a service link followed to make the
    # account): a party may go on with codes by email without another one.
    email_proven: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_secret: Mapped[str | None] = mapped_column(String(32))  # a key being set up
    next_url: Mapped[str | None] = mapped_column(String(500))
