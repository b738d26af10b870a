"""The number of cases in each stage, counted for the whole deployment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime


class StageTotal(db.Model):
    """Counting a million cases by stage reads a whole index; one worker counts at most once a
    minute and stores the result here, and every other worker's console reads it."""

    __tablename__ = "stage_totals"

    stage: Mapped[str] = mapped_column(String(40), primary_key=True)
    cases: Mapped[int] = mapped_column(Integer)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime)
