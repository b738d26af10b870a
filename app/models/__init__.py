"""All models, imported here so that Alembic and the app see every table."""

from app.models.account_token import AccountToken
from app.models.api_token import ApiToken
from app.models.audit import AuditEvent, AuditTrailViolation
from app.models.case import Case, CaseNumberCounter, IPRight, Participant, Party, Remedy
from app.models.deadline import CalendarDay, Deadline
from app.models.decision import AwardDraft, Decision
from app.models.document import Document
from app.models.exhibit_index import ExhibitIndexPdf
from app.models.invitation import Invitation
from app.models.job import Job
from app.models.messaging import Message, SettlementOffer, Submission
from app.models.outbox import OutboxEmail
from app.models.second_factor import RecoveryCode, SecondStep
from app.models.security_event import SecurityEvent, SecurityLogViolation
from app.models.stage_total import StageTotal
from app.models.submission_key import SubmissionKey
from app.models.user import User
from app.models.user_session import UserSession

__all__ = [
    "AccountToken",
    "ApiToken",
    "AuditEvent",
    "AuditTrailViolation",
    "AwardDraft",
    "CalendarDay",
    "Case",
    "CaseNumberCounter",
    "Deadline",
    "Decision",
    "Document",
    "ExhibitIndexPdf",
    "IPRight",
    "Invitation",
    "Job",
    "Message",
    "OutboxEmail",
    "Participant",
    "Party",
    "RecoveryCode",
    "Remedy",
    "SecondStep",
    "SecurityEvent",
    "SecurityLogViolation",
    "SettlementOffer",
    "StageTotal",
    "Submission",
    "SubmissionKey",
    "User",
    "UserSession",
]
