"""Documents in the case file. Bytes live in the storage backend; the row is written only
after the bytes are safely in place.

One row is one version of a document. The first version is the family's root
(`family_id` is NULL); each replacement is a new row pointing at the root with the next
`version_no`. Scope, side and exhibit number belong to the family and are copied onto each
version, so every row can be checked on its own.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.case import IPRight, Remedy
    from app.models.user import User

DOCUMENT_KINDS = ("exhibit", "submission", "correspondence", "procedural", "decision")
DOCUMENT_SCOPES = ("participants", "mediation", "tribunal", "institution", "caucus:claimant",
                   "caucus:respondent")
EXHIBIT_PREFIX = {"claimant": "C", "respondent": "R"}


class Document(db.Model):
    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('exhibit', 'submission', 'correspondence', 'procedural', 'decision')",
            name="kind",
        ),
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint(
            "scope IN ('participants', 'mediation', 'tribunal', 'institution', "
            "'caucus:claimant', 'caucus:respondent')",
            name="scope",
        ),
        CheckConstraint("exhibit_side IS NULL OR exhibit_side IN ('C', 'R')",
                        name="exhibit_side"),
        CheckConstraint("(exhibit_side IS NULL) = (exhibit_seq IS NULL)", name="exhibit_pair"),
        CheckConstraint("version_no >= 1", name="version_positive"),
        # An exhibit number belongs to one family for ever (versions share it).
        UniqueConstraint("case_id", "exhibit_side", "exhibit_seq", "version_no",
                         name="uq_documents_exhibit"),
        UniqueConstraint("family_id", "version_no", name="uq_documents_family_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploader_role: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    original_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    scope: Mapped[str] = mapped_column(String(30), default="participants")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document_date: Mapped[date | None] = mapped_column(Date)
    ip_right_id: Mapped[int | None] = mapped_column(
        ForeignKey("ip_rights.id", ondelete="SET NULL"))
    remedy_id: Mapped[int | None] = mapped_column(ForeignKey("remedies.id", ondelete="SET NULL"))
    family_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    version_no: Mapped[int] = mapped_column(Integer, default=1)
    exhibit_side: Mapped[str | None] = mapped_column(String(1))
    exhibit_seq: Mapped[int | None] = mapped_column(Integer)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    uploader: Mapped[User] = relationship(foreign_keys=[uploader_id])
    ip_right: Mapped[IPRight | None] = relationship()
    remedy: Mapped[Remedy | None] = relationship()

    @property
    def root_id(self) -> int:
        return self.family_id or self.id

    @property
    def exhibit_number(self) -> str | None:
        if self.exhibit_side is None:
            return None
        return f"{self.exhibit_side}-{self.exhibit_seq}"

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

