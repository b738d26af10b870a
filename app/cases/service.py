"""Case actions: each is one verb that calls the engine and does the domain work around it.

`take_action` is the single entry point the views, the CLI and the sweep use. Every action goes
through `workflows.engine.perform`, which checks role, stage and guard and appends the audit
event; the handlers here add what the engine does not know about (rows, emails, PDFs). They
flush but never commit: the caller owns the transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from flask import current_app

from app.decisions.service import create_decision
from app.extensions import db
from app.models import (
    AwardDraft,
    Case,
    Invitation,
    Message,
    Participant,
    SettlementOffer,
    Submission,
    User,
)
from app.models.types import utcnow
from app.services import notify
from app.services.access import actor_for, message_visibility
from app.services.numbering import next_case_number
from app.web import external_url
from workflows.engine import ActionRefused, Actor, Transition, perform, procedure_for
from workflows.procedures.roles import ARBITRATOR, MEDIATOR, RESPONDENT, side_of

Handler = Callable[[Case, Actor, Mapping[str, Any], User | None], Transition]


def take_action(case: Case, name: str, user: User | None, data: Mapping[str, Any] | None = None,
                *, actor: Actor | None = None) -> Transition:
    """Perform `name` on `case` as `user` (or as `actor`, e.g. the system)."""
    data = dict(data or {})
    if actor is None:
        assert user is not None
        actor = actor_for(case, user)
    handler = HANDLERS.get(name)
    if handler is None:
        transition = perform(case, name, actor, data)
    else:
        transition = handler(case, actor, data, user)
    if transition.stage_to != transition.stage_from:
        if procedure_for(case).stage(transition.stage_to).terminal:
            case.closed_at = utcnow()
        notify.email_users(notify.case_audience(case, exclude=user), "case_update", case=case,
                           transition=transition)
    db.session.flush()
    return transition


# ---------------------------------------------------------------------------------- filing
def submit(case: Case, actor: Actor, data: Mapping[str, Any], user: User | None) -> Transition:
    now = utcnow()
    if case.number is None:
        case.number = next_case_number(now)
    case.submitted_at = now
    transition = perform(case, "submit", actor, data, now=now)
    notify.email_users(case.users_with_role("claimant", "claimant_counsel"), "filing_receipt",
                       case=case)
    managers = db.session.scalars(db.select(User).where(User.is_case_manager.is_(True)))
    notify.email_users(managers, "new_filing", case=case)
    return transition


def resubmit(case: Case, actor: Actor, data: Mapping[str, Any], user: User | None) -> Transition:
    return perform(case, "resubmit", actor, data)


def issue_deficiency(case: Case, actor: Actor, data: Mapping[str, Any],
                     user: User | None) -> Transition:
    notice = str(data.get("notice", "")).strip()
    if not notice:
        raise ActionRefused("Describe what the claimant must cure.")
    case.deficiency_notice = notice
    transition = perform(case, "issue_deficiency", actor, data, detail={"notice": notice})
    notify.email_users(case.users_with_role("claimant", "claimant_counsel"), "deficiency",
                       case=case, notice=notice, transition=transition)
    return transition


def accept_filing(case: Case, actor: Actor, data: Mapping[str, Any],
                  user: User | None) -> Transition:
    now = utcnow()
    case.commenced_at = now
    case.deficiency_notice = None
    transition = perform(case, "accept_filing", actor, data, now=now)
    serve_respondent(case, transition)
    return transition


def serve_respondent(case: Case, transition: Transition) -> Invitation:
    """Service by email: a one-time link to join the case and set a password."""
    respondent = case.respondent
    assert respondent is not None
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        case_id=case.id, email=User.normalise_email(respondent.email), name=respondent.name,
        role=RESPONDENT, token_hash=Invitation.hash_token(token),
        expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_DAYS"]),
    )
    db.session.add(invitation)
    link = external_url("auth.join", token=token)
    notify.email(respondent.email, "service", locale=case.language, case=case, link=link,
                 deadline=transition.deadline)
    return invitation


# -------------------------------------------------------------------------------- response
def respond(case: Case, actor: Actor, data: Mapping[str, Any], user: User | None) -> Transition:
    assert user is not None
    position = data.get("position")
    if position not in ("consent", "contest", "settle"):
        raise ActionRefused("Choose whether you consent, contest or propose a settlement.")
    transition = perform(case, "respond", actor, data, detail={"position": position})
    side = side_of(actor.roles) or "respondent"
    db.session.add(Submission(case_id=case.id, author_id=user.id, side=side, kind="response",
                              position=position, title="Response",
                              body=str(data.get("statement", ""))))
    terms = str(data.get("proposed_terms") or "").strip()
    if position == "consent" and not terms:
        terms = "The respondent consents to the remedies sought in the complaint."
    if position in ("consent", "settle") and terms:
        _new_offer(case, user, actor, terms)
    return transition


# ------------------------------------------------------------------------------- mediation
def appoint_mediator(case: Case, actor: Actor, data: Mapping[str, Any],
                     user: User | None) -> Transition:
    return _appoint(case, actor, data, MEDIATOR, "appoint_mediator")


def appoint_arbitrator(case: Case, actor: Actor, data: Mapping[str, Any],
                       user: User | None) -> Transition:
    return _appoint(case, actor, data, ARBITRATOR, "appoint_arbitrator")


def _appoint(case: Case, actor: Actor, data: Mapping[str, Any], role: str,
             action: str) -> Transition:
    neutral = db.session.get(User, int(data.get("neutral_id") or 0))
    if neutral is None or not neutral.is_neutral:
        raise ActionRefused("Choose a neutral from the roster.")
    if any(p.user_id == neutral.id and p.role not in (MEDIATOR, ARBITRATOR)
           for p in case.participants):
        raise ActionRefused("A party or counsel in this case cannot be appointed as a neutral.")
    transition = perform(case, action, actor, data, detail={"neutral": neutral.name})
    case.participants.append(Participant(user_id=neutral.id, role=role, user=neutral))
    notify.email_users([neutral], "appointment", case=case, role=role)
    return transition


def send_message(case: Case, actor: Actor, data: Mapping[str, Any],
                 user: User | None) -> Transition:
    assert user is not None
    channel = str(data.get("channel") or "joint")
    body = str(data.get("body", "")).strip()
    if not body:
        raise ActionRefused("Write a message.")
    visibility = message_visibility(channel)
    transition = perform(case, "send_message", actor, {"channel": channel},
                         detail={"channel": channel}, visibility=visibility)
    role = _main_role(actor)
    case.messages.append(Message(case_id=case.id, sender_id=user.id, sender_role=role,
                                 channel=channel, body=body))
    notify.email_users(notify.case_audience(case, visibility, exclude=user), "message",
                       case=case, channel=channel)
    return transition


def propose_settlement(case: Case, actor: Actor, data: Mapping[str, Any],
                       user: User | None) -> Transition:
    assert user is not None
    terms = str(data.get("terms", "")).strip()
    if not terms:
        raise ActionRefused("Write the proposed terms.")
    transition = perform(case, "propose_settlement", actor, data)
    _new_offer(case, user, actor, terms)
    return transition


def _new_offer(case: Case, user: User, actor: Actor, terms: str) -> SettlementOffer:
    for offer in case.offers:
        if offer.status == "open":
            offer.status = "superseded"
    offer = SettlementOffer(case_id=case.id, proposed_by_id=user.id,
                            proposer_role=_main_role(actor), terms=terms, status="open")
    side = side_of(actor.roles)
    if side:
        offer.accept(side, user.id, utcnow())  # proposing terms is accepting them
    case.offers.append(offer)
    return offer


def accept_settlement(case: Case, actor: Actor, data: Mapping[str, Any],
                      user: User | None) -> Transition:
    assert user is not None
    transition = perform(case, "accept_settlement", actor, data)
    offer = case.current_offer()
    assert offer is not None  # the guard checked it
    offer.accept(side_of(actor.roles) or "", user.id, utcnow())
    if case.settlement_agreed():
        # The second acceptance concludes the settlement: the system closes the case.
        transition = perform(case, "conclude_settlement", Actor.system(), {},
                             detail={"offer": offer.id})
        offer.status = "accepted"
        create_decision(case, "settlement", issued_by=None)
    return transition


# ----------------------------------------------------------------------------- arbitration
def file_submission(case: Case, actor: Actor, data: Mapping[str, Any],
                    user: User | None) -> Transition:
    assert user is not None
    body = str(data.get("body", "")).strip()
    title = str(data.get("title", "")).strip()
    if not body or not title:
        raise ActionRefused("Give the submission a title and a text.")
    transition = perform(case, "file_submission", actor, data, detail={"title": title})
    db.session.add(Submission(case_id=case.id, author_id=user.id,
                              side=side_of(actor.roles) or "", kind="submission",
                              title=title, body=body))
    return transition


def draft_award(case: Case, actor: Actor, data: Mapping[str, Any],
                user: User | None) -> Transition:
    transition = perform(case, "draft_award", actor, data)
    draft = case.award_draft or AwardDraft(case_id=case.id)
    draft.findings = str(data.get("findings", ""))
    draft.reasoning = str(data.get("reasoning", ""))
    draft.costs = str(data.get("costs", ""))
    draft.orders = {str(k): v for k, v in dict(data.get("orders") or {}).items()}
    draft.updated_at = utcnow()
    case.award_draft = draft
    return transition


def issue_award(case: Case, actor: Actor, data: Mapping[str, Any],
                user: User | None) -> Transition:
    transition = perform(case, "issue_award", actor, data)
    create_decision(case, "award", issued_by=user)
    return transition


def _main_role(actor: Actor) -> str:
    for role in ("mediator", "arbitrator", "claimant", "claimant_counsel", "respondent",
                 "respondent_counsel", "case_manager"):
        if role in actor.roles:
            return role
    return "system"


HANDLERS: dict[str, Handler] = {
    "submit": submit,
    "resubmit": resubmit,
    "issue_deficiency": issue_deficiency,
    "accept_filing": accept_filing,
    "respond": respond,
    "appoint_mediator": appoint_mediator,
    "appoint_arbitrator": appoint_arbitrator,
    "send_message": send_message,
    "propose_settlement": propose_settlement,
    "accept_settlement": accept_settlement,
    "file_submission": file_submission,
    "draft_award": draft_award,
    "issue_award": issue_award,
}
