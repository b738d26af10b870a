"""The exhibit index PDF of a case, rendered by a job and kept while the exhibits it lists
are unchanged."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class ExhibitIndexPdf(db.Model):
    """One rendering of a case's exhibit index for one state of its exhibit list.

    `state_key` is the SHA-256 of everything the PDF shows (case number, language, parties,
    and per exhibit: id, number, version, title, date, uploader, hash, withdrawn), computed
    from the exhibits the requesting user may see; any change (a new exhibit, a new version,
    a withdrawal) gives a new key, hence a new row and a new render. `document_ids` are the
    exhibits to list, in order, so that the job (which has no user) renders exactly them.
    """

    __tablename__ = "exhibit_index_pdfs"
    __table_args__ = (
        UniqueConstraint("case_id", "state_key"),
        CheckConstraint("status IN ('pending', 'ready', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    state_key: Mapped[str] = mapped_column(String(64))
    document_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    storage_key: Mapped[str | None] = mapped_column(String(300))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
