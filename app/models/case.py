"""The case aggregate: the dispute, its parties, the rights relied on and the remedies sought.

`Case` satisfies `workflows.engine.CaseRecord`: the engine moves it, records its events and
sets its deadlines; nothing else assigns `Case.stage`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session, relationship

from app.extensions import db
from app.models.audit import AuditEvent, event_hash
from app.models.deadline import Deadline
from app.models.types import UTCDateTime, utcnow
from workflows import calendar

if TYPE_CHECKING:
    from app.models.decision import AwardDraft, Decision
    from app.models.document import Document
    from app.models.messaging import Message, SettlementOffer, Submission
    from app.models.user import User

IP_RIGHT_KINDS = ("trademark", "copyright", "patent", "design", "gi", "domain")
REMEDY_KINDS = ("cease_use", "takedown", "domain_transfer", "domain_cancellation", "damages",
                "licence", "coexistence", "other")
LANGUAGES = ("en", "ar", "fr")
SIDES = ("claimant", "respondent")


def case_reference(number: str | None, case_id: int) -> str:
    """The case number, or the draft reference before filing."""
    return number or f"DRAFT-{case_id}"


def deadline_row(case_id: int, rule: Any, due: calendar.DueDate, *, at: datetime,
                 basis: dict[str, Any]) -> dict[str, Any]:
    """The columns of a deadline the engine opens (`basis`: how its due date was reached)."""
    return {"case_id": case_id, "key": rule.key, "label": rule.label,
            "addressee": rule.addressee, "on_expiry": rule.on_expiry, "source": rule.source,
            "due_date": due.due_date, "due_at": due.due_at, "basis": basis, "status": "open",
            "created_at": at, "extended_days": 0}


class CaseRules:
    """The engine's `CaseRecord` rules, written once for the ORM `Case` and the sweep's
    in-memory `BatchCase` (app/cases/sweep/apply.py): what the guards read of the deadlines,
    how deadlines close, what a new deadline and a new audit event hold and how the event is
    chained. Each class stores the new rows its own way (`add_deadline`, `add_event`)."""

    id: int
    number: str | None
    deadlines: Any  # rows with status, key, due_at, addressee, requested_days, extended_days
    event_count: int
    chain_head: str
    last_activity_at: datetime

    @property
    def reference(self) -> str:
        return case_reference(self.number, self.id)

    def open_deadlines(self) -> list[Any]:
        return [d for d in self.deadlines if d.status == "open"]

    def open_deadline_due(self, key: str) -> datetime | None:
        return next((d.due_at for d in self.open_deadlines() if d.key == key), None)

    def extension_pending(self) -> bool:
        return any(d.requested_days is not None for d in self.open_deadlines())

    def deadline_addressed_to(self, side: str) -> bool:
        return any(d.addressee.removesuffix("_counsel") == side for d in self.open_deadlines())

    def deadline_extended(self, key: str) -> bool:
        return any(d.key == key and d.extended_days for d in self.open_deadlines())

    # --- the engine's writes ------------------------------------------------------------
    def close_deadlines(self, *, outcome: str, at: datetime) -> None:
        for deadline in self.open_deadlines():
            deadline.status = "expired" if deadline.due_at <= at else "met"
            deadline.outcome = outcome
            deadline.closed_at = at

    def open_deadline(self, rule: Any, due: calendar.DueDate, *, at: datetime) -> None:
        self.add_deadline(deadline_row(self.id, rule, due, at=at, basis=self.due_basis(due)))

    def record_event(self, *, action: str, actor: Any, stage_from: str, stage_to: str,
                     detail: Mapping[str, Any], visibility: str, at: datetime) -> None:
        """Append the next link of the case's hash-chained audit trail. The case keeps the
        chain's head and length, so appending reads no event."""
        row = {"case_id": self.id, "seq": (self.event_count or 0) + 1, "at": at,
               "actor_id": actor.user_id, "actor_name": actor.name,
               "actor_roles": ",".join(sorted(actor.roles)), "action": action,
               "stage_from": stage_from, "stage_to": stage_to, "detail": _plain(detail),
               "visibility": visibility, "prev_hash": self.chain_head or ""}
        row["hash"] = event_hash(row)
        self.event_count, self.chain_head, self.last_activity_at = row["seq"], row["hash"], at
        self.add_event(row)

    def due_basis(self, due: calendar.DueDate) -> dict[str, Any]:
        return due.as_dict()

    def add_deadline(self, row: dict[str, Any]) -> None:
        raise NotImplementedError

    def add_event(self, row: dict[str, Any]) -> None:
        raise NotImplementedError


class Case(CaseRules, db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint("mediation_days IN (60, 90)", name="mediation_days"),
        CheckConstraint("language IN ('en', 'ar', 'fr')", name="language"),
        # The review queue, oldest filing first.
        Index("ix_cases_stage_submitted", "stage", "submitted_at", "id"),
        # List pages walk these in keyset order (app/services/paging.py): every case by last
        # activity, one stage by last activity, and a filer's drafts.
        Index("ix_cases_activity", "last_activity_at", "id"),
        Index("ix_cases_stage_activity", "stage", "last_activity_at", "id"),
        Index("ix_cases_filer_stage", "filer_id", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    procedure_key: Mapped[str] = mapped_column(String(40))
    rules_version: Mapped[str] = mapped_column(String(60))
    stage: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    language: Mapped[str] = mapped_column(String(2), default="en")
    mediation_days: Mapped[int] = mapped_column(Integer, default=60)
    filer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    infringement_description: Mapped[str] = mapped_column(Text, default="")
    infringement_locations: Mapped[str] = mapped_column(Text, default="")
    infringement_since: Mapped[date | None] = mapped_column(Date)
    deficiency_notice: Mapped[str | None] = mapped_column(Text)
    # While suspended for settlement: the stage to resume and the days its period had left.
    suspended_from: Mapped[str | None] = mapped_column(String(40))
    suspended_remaining: Mapped[int | None] = mapped_column(Integer)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    commenced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The trail's length and the hash of its last event, kept with every event appended: a
    # deleted tail, or a whole trail deleted, no longer matches them (flask audit verify).
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    chain_head: Mapped[str] = mapped_column(String(64), default="", server_default="")

    filer: Mapped[User] = relationship(foreign_keys=[filer_id])
    parties: Mapped[list[Party]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Party.side"
    )
    rights: Mapped[list[IPRight]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="IPRight.position"
    )
    remedies: Mapped[list[Remedy]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Remedy.id"
    )
    participants: Mapped[list[Participant]] = relationship(
        back_populates="case", cascade="all, delete-orphan"
    )
    deadlines: Mapped[list[Deadline]] = relationship(order_by=Deadline.due_at, viewonly=False)
    events: Mapped[list[AuditEvent]] = relationship(order_by=AuditEvent.seq, viewonly=False)
    messages: Mapped[list[Message]] = relationship(order_by="Message.id", viewonly=False)
    offers: Mapped[list[SettlementOffer]] = relationship(
        order_by="SettlementOffer.id", viewonly=False
    )
    submissions: Mapped[list[Submission]] = relationship(
        order_by="Submission.id", viewonly=False
    )
    documents: Mapped[list[Document]] = relationship(order_by="Document.id", viewonly=False)
    decisions: Mapped[list[Decision]] = relationship(order_by="Decision.id", viewonly=False)
    award_draft: Mapped[AwardDraft | None] = relationship(uselist=False, viewonly=False)

    __mapper_args__ = {"version_id_col": version}

    # --- reading -----------------------------------------------------------------------
    def party(self, side: str) -> Party | None:
        return next((p for p in self.parties if p.side == side), None)

    @property
    def claimant(self) -> Party | None:
        return self.party("claimant")

    @property
    def respondent(self) -> Party | None:
        return self.party("respondent")

    @property
    def title(self) -> str:
        claimant = self.claimant.name if self.claimant and self.claimant.name else "…"
        respondent = self.respondent.name if self.respondent and self.respondent.name else "…"
        return f"{claimant} v. {respondent}"

    def users_with_role(self, *roles: str) -> list[User]:
        return [p.user for p in self.participants if p.role in roles]

    def filing_problems(self) -> list[str]:
        """What is still missing before the complaint can be filed, by step."""
        missing: list[str] = []
        claimant, respondent = self.claimant, self.respondent
        if not (claimant and claimant.name and claimant.country and claimant.email
                and claimant.address):
            missing.append("claimant")
        if not (respondent and respondent.name and respondent.country and respondent.email
                and respondent.address):
            missing.append("respondent")
        if not self.rights:
            missing.append("rights")
        if not self.infringement_description.strip():
            missing.append("infringement")
        if not self.remedies or not self.remedies_allowed():
            missing.append("remedies")
        return missing

    def remedies_allowed(self) -> bool:
        """Whether every remedy sought is one the case's procedure can grant."""
        from workflows.engine import procedure_for

        allowed = procedure_for(self).remedies
        return allowed is None or all(r.kind in allowed for r in self.remedies)

    def current_offer(self) -> SettlementOffer | None:
        return next((o for o in reversed(self.offers) if o.status == "open"), None)

    def offer_awaiting(self, side: str) -> bool:
        offer = self.current_offer()
        return offer is not None and not offer.accepted_by(side)

    def settlement_agreed(self) -> bool:
        offer = self.current_offer()
        return offer is not None and offer.accepted_by("claimant") and offer.accepted_by(
            "respondent"
        )

    def award_draft_complete(self) -> bool:
        draft = self.award_draft
        return draft is not None and draft.is_complete({r.id for r in self.remedies})

    # --- facts the procedures' guards read ---------------------------------------------
    def open_deadline_row(self, key: str) -> Deadline | None:
        return next((d for d in self.open_deadlines() if d.key == key), None)

    def arbitrators(self) -> list[Participant]:
        return [p for p in self.participants if p.role == "arbitrator"]

    def nominated(self, side: str) -> bool:
        return any(p.capacity == f"{side}_nominee" for p in self.arbitrators())

    def co_arbitrators_complete(self) -> bool:
        return self.nominated("claimant") and self.nominated("respondent")

    def tribunal_vacancies(self) -> list[str]:
        """Seats of a three-member tribunal left empty (after a successful challenge)."""
        if self.procedure_key != "arbitration":
            return []
        seats = ["claimant_nominee", "respondent_nominee"]
        if self.stage not in ("nominations", "presiding"):
            seats.append("presiding")
        filled = {p.capacity for p in self.arbitrators()}
        return [s for s in seats if s not in filled]

    def challenge_pending(self) -> bool:
        return any(p.challenge_status == "pending" for p in self.arbitrators())

    # --- the engine's CaseRecord protocol ----------------------------------------------
    def addressee_calendar(self, addressee: str) -> calendar.Addressee:
        """The addressee's country (and state) and zone, with the institution's closure days
        and the confirmed holiday dates of that country."""
        from app.models.deadline import calendar_adjustments

        party = self.party(addressee.removesuffix("_counsel"))
        if party and party.country:
            country, subdiv = party.country, party.subdivision or None
        else:
            country, subdiv = current_app.config["INSTITUTION_COUNTRY"], None
        closures, overrides = calendar_adjustments(country)
        return calendar.Addressee(country=country, tz=calendar.default_timezone(country),
                                  subdiv=subdiv, closures=closures, overrides=overrides)

    def extend_deadline(self, key: str, days: int, *, at: datetime,
                        reason: str) -> calendar.DueDate:
        """Lengthen a running period by `days`, counted like the period itself from its
        original trigger, in the addressee's calendar."""
        deadline = self.open_deadline_row(key)
        assert deadline is not None  # the engine checked it runs
        basis = calendar.DueDate.from_dict(deadline.basis)
        due = self.addressee_calendar(deadline.addressee).due(
            basis.trigger, basis.days + days, business=basis.business,
            trigger_label=basis.trigger_label)
        deadline.due_date, deadline.due_at, deadline.basis = due.due_date, due.due_at, due.as_dict()
        deadline.extended_days = (deadline.extended_days or 0) + days
        deadline.extension_reason = reason
        deadline.requested_days = deadline.request_reason = None
        deadline.reminder_sent_at = None
        return due

    def record_event(self, **event: Any) -> None:
        if self.id is None:  # the event's hash covers its case id
            (object_session(self) or db.session).flush()
        super().record_event(**event)  # touching the row bumps its version: the optimistic lock

    def add_deadline(self, row: dict[str, Any]) -> None:
        self.deadlines.append(Deadline(**row))

    def add_event(self, row: dict[str, Any]) -> None:
        event = AuditEvent(**row)
        if "events" in self.__dict__:  # keep a loaded trail complete
            self.events.append(event)
        else:  # appending would load every event of the case first
            (object_session(self) or db.session).add(event)

class Party(db.Model):
    """A side of the dispute as pleaded: who they are, not who signs in for them."""

    __tablename__ = "parties"
    __table_args__ = (
        UniqueConstraint("case_id", "side", name="uq_parties_case_side"),
        CheckConstraint("side IN ('claimant', 'respondent')", name="side"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    # State or province with its own weekend and holidays (e.g. Kelantan, MY "03").
    subdivision: Mapped[str | None] = mapped_column(String(10))
    counsel_name: Mapped[str | None] = mapped_column(String(200))
    counsel_firm: Mapped[str | None] = mapped_column(String(200))
    counsel_email: Mapped[str | None] = mapped_column(String(254))

    case: Mapped[Case] = relationship(back_populates="parties")

    @property
    def counsel_line(self) -> str | None:
        if not self.counsel_name:
            return None
        return ", ".join(x for x in (self.counsel_name, self.counsel_firm) if x)


class IPRight(db.Model):
    __tablename__ = "ip_rights"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('trademark', 'copyright', 'patent', 'design', 'gi', 'domain')", name="kind"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    registration_number: Mapped[str] = mapped_column(String(100), default="")
    office: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    owner: Mapped[str] = mapped_column(String(200), default="")

    case: Mapped[Case] = relationship(back_populates="rights")


class Remedy(db.Model):
    __tablename__ = "remedies"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", name="uq_remedies_case_kind"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    details: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))

    case: Mapped[Case] = relationship(back_populates="remedies")


class Participant(db.Model):
    """A user's role in one case: party, counsel or neutral. Access follows these rows."""

    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("case_id", "user_id", "role", name="uq_participants_role"),
        # "My cases": the case ids of one user, read from the index alone.
        Index("ix_participants_user_case", "user_id", "case_id"),
        # ... and one page of them, most recent activity first, read from the index in order.
        Index("ix_participants_user_activity", "user_id", "case_activity_at", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(30))
    # For arbitrators: sole, claimant_nominee, respondent_nominee or presiding.
    capacity: Mapped[str | None] = mapped_column(String(30))
    challenge_status: Mapped[str | None] = mapped_column(String(10))  # pending|rejected
    challenge_grounds: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A copy of the case's last_activity_at (kept by _copy_case_activity): a party in a filing
    # campaign takes part in thousands of cases, and sorting all of them by their cases' activity
    # to show twenty cost 16 ms per page at a million cases; this column's index gives the page.
    case_activity_at: Mapped[datetime] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(back_populates="participants")
    user: Mapped[User] = relationship()


class CaseNumberCounter(db.Model):
    """One row per year; numbers are handed out by an atomic UPDATE … RETURNING."""

    __tablename__ = "case_number_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


def _plain(detail: Mapping[str, Any]) -> dict[str, Any]:
    """Audit details are stored as JSON: dates, decimals and the like become strings."""
    return json.loads(json.dumps(dict(detail), default=str))


@event.listens_for(Session, "before_flush")
def _copy_case_activity(session: Session, flush_context: Any, instances: Any) -> None:
    """Keep Participant.case_activity_at equal to its case's last_activity_at, whoever changes
    it (bulk statements outside the ORM must do the same: the sweep, the seeder)."""
    with session.no_autoflush:
        for obj in session.dirty:
            if isinstance(obj, Case) and inspect(obj).attrs.last_activity_at.history.has_changes():
                for participant in obj.participants:
                    participant.case_activity_at = obj.last_activity_at
        for obj in session.new:
            if isinstance(obj, Participant) and obj.case_activity_at is None:
                case = obj.case or (session.get(Case, obj.case_id) if obj.case_id else None)
                if case is not None and case.last_activity_at is None:
                    case.last_activity_at = utcnow()
                obj.case_activity_at = case.last_activity_at if case is not None else utcnow()
