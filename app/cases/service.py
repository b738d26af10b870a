"""Case actions: each is one verb that calls the engine and does the domain work around it.

`take_action` is the single entry point the views, the CLI and the sweep use. Every action goes
through `workflows.engine.perform`, which checks role, stage and guard and appends the audit
event; the handlers here add what the engine does not know about (rows, emails, PDFs). They
flush but never commit: the caller owns the transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from app.cases import notices
from app.decisions.service import create_decision
from app.edge import parse_id
from app.extensions import db
from app.links import external_url
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
from workflows.engine import N_, ActionRefused, Actor, Transition, perform
from workflows.procedures.roles import ARBITRATOR, MEDIATOR, RESPONDENT, side_of

Handler = Callable[[Case, Actor, Mapping[str, Any], User | None], Transition]


def take_action(case: Case, name: str, user: User | None, data: Mapping[str, Any] | None = None,
                *, actor: Actor | None = None, now: datetime | None = None) -> Transition:
    """Perform `name` on `case` as `user` (or as `actor`, e.g. the system), at `now` (the
    sweep's moment; users act at the present)."""
    data = dict(data or {})
    if actor is None:
        assert user is not None
        actor = actor_for(case, user)
    handler = HANDLERS.get(name)
    if handler is None:
        transition = perform(case, name, actor, data, now=now)
    else:
        transition = handler(case, actor, data, user)
    if transition.stage_to != transition.stage_from:
        notices.send(notify.case_audience(case, exclude=user), case, transition)
    db.session.flush()
    return transition


# ---------------------------------------------------------------------------------- filing
def submit(case: Case, actor: Actor, data: Mapping[str, Any], user: User | None) -> Transition:
    if user is not None and not user.email_verified:
        # The filing wizard says so first (app/filing/views.py); this holds for every door.
        raise ActionRefused(N_("Confirm your email address before filing a complaint: open "
                               "the link we emailed you, or ask for a new one."))
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
    """The sole arbitrator or panelist; in a three-member tribunal, the arbitrator the Centre
    appoints for a side that did not nominate one."""
    if case.procedure_key != "arbitration":
        return _appoint(case, actor, data, ARBITRATOR, "appoint_arbitrator", capacity="sole")
    side = data.get("side")
    if side not in ("claimant", "respondent") or case.nominated(side):
        raise ActionRefused("Choose a side whose arbitrator is still to be appointed.")
    transition = _appoint(case, actor, data, ARBITRATOR, "appoint_arbitrator",
                          capacity=f"{side}_nominee")
    _complete_nominations(case)
    return transition


def nominate_arbitrator(case: Case, actor: Actor, data: Mapping[str, Any],
                        user: User | None) -> Transition:
    side = side_of(actor.roles)
    transition = _appoint(case, actor, data, ARBITRATOR, "nominate_arbitrator",
                          capacity=f"{side}_nominee")
    _complete_nominations(case)
    return transition


def _complete_nominations(case: Case) -> None:
    if case.co_arbitrators_complete():
        perform(case, "complete_nominations", Actor.system(), {})


def nominate_presiding(case: Case, actor: Actor, data: Mapping[str, Any],
                       user: User | None) -> Transition:
    return _appoint(case, actor, data, ARBITRATOR, "nominate_presiding", capacity="presiding")


def appoint_presiding(case: Case, actor: Actor, data: Mapping[str, Any],
                      user: User | None) -> Transition:
    return _appoint(case, actor, data, ARBITRATOR, "appoint_presiding", capacity="presiding")


def replace_arbitrator(case: Case, actor: Actor, data: Mapping[str, Any],
                       user: User | None) -> Transition:
    vacancies = case.tribunal_vacancies()
    capacity = vacancies[0] if vacancies else "presiding"
    return _appoint(case, actor, data, ARBITRATOR, "replace_arbitrator", capacity=capacity)


def _appoint(case: Case, actor: Actor, data: Mapping[str, Any], role: str,
             action: str, capacity: str | None = None) -> Transition:
    neutral_id = parse_id(data.get("neutral_id"))
    neutral = db.session.get(User, neutral_id) if neutral_id is not None else None
    if neutral is None or not neutral.is_neutral:
        raise ActionRefused("Choose a neutral from the roster.")
    if any(p.user_id == neutral.id and p.role not in (MEDIATOR, ARBITRATOR)
           for p in case.participants):
        raise ActionRefused("A party or counsel in this case cannot be appointed as a neutral.")
    if any(p.user_id == neutral.id and p.role == role for p in case.participants):
        raise ActionRefused("This neutral already sits in this case.")
    detail = {"neutral": neutral.name}
    if capacity:
        detail["capacity"] = capacity
    transition = perform(case, action, actor, data, detail=detail)
    case.participants.append(Participant(user_id=neutral.id, role=role, user=neutral,
                                         capacity=capacity if role == ARBITRATOR else None))
    notify.email_users([neutral], "appointment", case=case, role=role)
    return transition


def challenge_arbitrator(case: Case, actor: Actor, data: Mapping[str, Any],
                         user: User | None) -> Transition:
    member = next((p for p in case.arbitrators() if p.id == parse_id(data.get("arbitrator"))),
                  None)
    grounds = str(data.get("grounds") or "").strip()
    if member is None or not grounds or data.get("learned_on") is None:
        raise ActionRefused("Choose the arbitrator, state the grounds and when you learned them.")
    if member.challenge_status == "pending":
        raise ActionRefused("This arbitrator is already challenged.")
    transition = perform(case, "challenge_arbitrator", actor, data,
                         detail={"arbitrator": member.user.name, "grounds": grounds,
                                 "learned_on": data["learned_on"]})
    member.challenge_status, member.challenge_grounds = "pending", grounds
    managers = db.session.scalars(db.select(User).where(User.is_case_manager.is_(True)))
    notices.send(managers, case, transition)
    return transition


def decide_challenge(case: Case, actor: Actor, data: Mapping[str, Any],
                     user: User | None) -> Transition:
    member = next((p for p in case.arbitrators() if p.challenge_status == "pending"), None)
    outcome = data.get("outcome")
    if member is None or outcome not in ("upheld", "rejected"):
        raise ActionRefused("Say whether the challenge is upheld or rejected.")
    transition = perform(case, "decide_challenge", actor, data,
                         detail={"arbitrator": member.user.name, "outcome": outcome,
                                 "reasons": str(data.get("reasons") or "")})
    if outcome == "upheld":
        case.participants.remove(member)  # the seat is vacant until a substitute is appointed
    else:
        member.challenge_status = "rejected"
    return transition


# ------------------------------------------------------------------------------ extensions
def request_extension(case: Case, actor: Actor, data: Mapping[str, Any],
                      user: User | None) -> Transition:
    days, reason = int(data.get("days") or 0), str(data.get("reason") or "").strip()
    if not 1 <= days <= MAX_EXTENSION_DAYS or not reason:
        raise ActionRefused("Say how many days you need (1 to 60) and why.")
    transition = perform(case, "request_extension", actor, data,
                         detail={"days": days, "reason": reason})
    side = side_of(actor.roles)
    deadline = next(d for d in case.open_deadlines()  # the guard checked there is one
                    if d.addressee.removesuffix("_counsel") == side)
    deadline.requested_days, deadline.request_reason = days, reason
    managers = db.session.scalars(db.select(User).where(User.is_case_manager.is_(True)))
    notices.send(managers, case, transition)
    return transition


MAX_EXTENSION_DAYS = 60


def grant_extension(case: Case, actor: Actor, data: Mapping[str, Any],
                    user: User | None) -> Transition:
    deadline = next((d for d in case.open_deadlines() if d.extension_pending), None)
    if deadline is None:
        raise ActionRefused("No request for an extension is waiting.")
    days = int(data.get("days") or deadline.requested_days or 0)
    reason = str(data.get("reason") or "").strip() or (deadline.request_reason or "")
    return perform(case, "grant_extension", actor, {"days": days, "reason": reason})


def refuse_extension(case: Case, actor: Actor, data: Mapping[str, Any],
                     user: User | None) -> Transition:
    deadline = next((d for d in case.open_deadlines() if d.extension_pending), None)
    reason = str(data.get("reason") or "").strip()
    transition = perform(case, "refuse_extension", actor, data,
                         detail={"reason": reason,
                                 "deadline": deadline.key if deadline else None})
    if deadline is not None:
        deadline.requested_days = deadline.request_reason = None
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
    if case.settlement_agreed() and not (case.stage == "suspended" and case.arbitrators()):
        # The second acceptance concludes the settlement: the system closes the case. Where a
        # tribunal sits, the parties may instead ask it for a consent award.
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


def _pleading(action: str, kind_title: str, side: str | None = None):
    """A written step that files a text: the statement of defence, a procedural order, a
    request for correction and the tribunal's ruling on it."""

    def handler(case: Case, actor: Actor, data: Mapping[str, Any],
                user: User | None) -> Transition:
        assert user is not None
        body = str(data.get("body", "")).strip()
        title = str(data.get("title") or "").strip() or kind_title
        if not body:
            raise ActionRefused("Write the text.")
        transition = perform(case, action, actor, data, detail={"title": title})
        db.session.add(Submission(case_id=case.id, author_id=user.id,
                                  side=side or side_of(actor.roles) or "", kind="submission",
                                  title=title, body=body))
        return transition

    return handler


def schedule_hearing(case: Case, actor: Actor, data: Mapping[str, Any],
                     user: User | None) -> Transition:
    start, days = data.get("start"), int(data.get("days") or 0)
    if start is None or days < 1:
        raise ActionRefused("Give the first day and the length of the hearing.")
    transition = perform(case, "schedule_hearing", actor, data,
                         detail={"start": start, "days": days,
                                 "details": str(data.get("details") or "")})
    notices.send(notify.case_audience(case, exclude=user), case, transition)
    return transition


def report_court_proceedings(case: Case, actor: Actor, data: Mapping[str, Any],
                             user: User | None) -> Transition:
    court, reference = str(data.get("court") or "").strip(), str(data.get("reference") or "")
    if not court:
        raise ActionRefused("Name the court.")
    return perform(case, "report_court_proceedings", actor, data,
                   detail={"court": court, "reference": reference.strip(),
                           "filed_on": data.get("filed_on")})


def issue_consent_award(case: Case, actor: Actor, data: Mapping[str, Any],
                        user: User | None) -> Transition:
    offer = case.current_offer()
    transition = perform(case, "issue_consent_award", actor, data)
    assert offer is not None  # the guard checked that both sides accepted it
    offer.status = "accepted"
    draft = case.award_draft or AwardDraft(case_id=case.id)
    draft.findings = "The parties settled their dispute and asked the tribunal to record " \
                     "their settlement in the form of an award."
    draft.reasoning = offer.terms
    draft.costs = draft.costs or "As agreed between the parties."
    draft.updated_at = utcnow()
    case.award_draft = draft
    create_decision(case, "award", issued_by=user)
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
    "nominate_arbitrator": nominate_arbitrator,
    "nominate_presiding": nominate_presiding,
    "appoint_presiding": appoint_presiding,
    "replace_arbitrator": replace_arbitrator,
    "challenge_arbitrator": challenge_arbitrator,
    "decide_challenge": decide_challenge,
    "request_extension": request_extension,
    "grant_extension": grant_extension,
    "refuse_extension": refuse_extension,
    "file_defence": _pleading("file_defence", "Answer and statement of defence"),
    "issue_procedural_order": _pleading("issue_procedural_order", "Procedural order",
                                        side="tribunal"),
    "request_correction": _pleading("request_correction",
                                    "Request for correction or interpretation"),
    "decide_correction": _pleading("decide_correction",
                                   "Ruling on the request for correction or interpretation",
                                   side="tribunal"),
    "schedule_hearing": schedule_hearing,
    "report_court_proceedings": report_court_proceedings,
    "issue_consent_award": issue_consent_award,
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
