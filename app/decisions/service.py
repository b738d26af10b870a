"""Issuing decisions: a pending row in the action's transaction, the PDF rendered after commit.

The stored bytes never change; their SHA-256 is what /verify/<code> vouches for. Rendering runs
as a job (in-process in the embedded default) because WeasyPrint costs about a second.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import current_app
from flask_babel import force_locale

from app.extensions import db
from app.i18n import gettext
from app.i18n import lazy_gettext as _l
from app.labels import (
    ARBITRATOR_CAPACITY_LABELS,
    DECISION_LABELS,
    IP_RIGHT_LABELS,
    KEY_DATES,
    REMEDY_LABELS,
    country_name,
)
from app.links import external_url
from app.models import Case, Decision, User
from app.models.types import utcnow
from app.services import jobs, notify, pdf
from app.services.storage import get_storage
from workflows.engine import Actor, procedure_for

log = logging.getLogger(__name__)

# Crockford's base32 without look-alikes: codes are read aloud and typed from paper.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


# The procedural history printed in a decision: the action that marks each step.

_SEAT_ORDER = ("presiding", "claimant_nominee", "respondent_nominee", "sole")


def _tribunal(case: Case) -> list[dict[str, str]]:
    """The members who sign the award, the presiding arbitrator first."""
    members = sorted(case.arbitrators(), key=lambda p: _SEAT_ORDER.index(p.capacity)
                     if p.capacity in _SEAT_ORDER else len(_SEAT_ORDER))
    return [{"name": p.user.name,
             "capacity": str(ARBITRATOR_CAPACITY_LABELS.get(p.capacity or "sole",
                                                          ARBITRATOR_CAPACITY_LABELS["sole"]))}
            for p in members]


def new_verification_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    return f"{cleaned[:4]}-{cleaned[4:8]}-{cleaned[8:12]}" if len(cleaned) == 12 else code


def create_decision(case: Case, kind: str, *, issued_by: User | None) -> Decision:
    decision = Decision(case_id=case.id, kind=kind, verification_code=new_verification_code(),
                        language=case.language, status="pending",
                        issued_by_id=issued_by.id if issued_by else None)
    db.session.add(decision)
    db.session.flush()
    jobs.defer(render_decision, decision_id=decision.id)
    return decision


@jobs.job()
def render_decision(decision_id: int) -> None:
    """Render, store, seal and announce a decision. Idempotent: an issued decision is left
    alone, so a retried job never produces a second, different PDF."""
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.status == "issued":
        return
    case = db.session.get(Case, decision.case_id)
    assert case is not None
    try:
        template = "award.html" if decision.kind == "award" else "settlement.html"
        with force_locale(decision.language):
            context = decision_context(case, decision)
        data = pdf.render_decision(template, context, lang=decision.language)
        stored = get_storage().save_bytes(data, prefix=f"decisions/{case.id}", suffix=".pdf")
    except Exception as exc:
        db.session.rollback()
        decision = db.session.get(Decision, decision_id)
        decision.status = "failed"
        decision.error = f"{type(exc).__name__}: {exc}"
        _record(decision, "decision_render_failed", "institution")
        db.session.commit()
        raise
    decision.storage_key = stored.key
    decision.sha256 = stored.sha256
    decision.size = stored.size
    decision.status = "issued"
    decision.issued_at = utcnow()
    _record(decision, "decision_rendered", "participants")
    notify.email_users(notify.case_audience(case), "decision_issued", case=case,
                       decision=decision)
    db.session.commit()


def _record(decision: Decision, action: str, visibility: str) -> None:
    """The job's outcome is a change to the case like any other: on its audit trail, and it
    moves the case version (pages kept per version show the decision, or the failure)."""
    case = db.session.get(Case, decision.case_id)
    assert case is not None
    case.record_event(action=action, actor=Actor.system(), stage_from=case.stage,
                      stage_to=case.stage, detail={"decision": decision.verification_code},
                      visibility=visibility, at=utcnow())


def decision_context(case: Case, decision: Decision) -> dict[str, Any]:
    """Plain data for the PDF templates: strings, dates and lists only."""
    lang = decision.language

    def party(side: str) -> dict[str, Any]:
        p = case.party(side)
        assert p is not None
        return {"name": p.name, "country_name": country_name(p.country, lang),
                "address": p.address, "email": p.email, "counsel": p.counsel_line}

    def first(role: str) -> dict[str, str] | None:
        users = case.users_with_role(role)
        return {"name": users[0].name} if users else None

    procedure = procedure_for(case)
    tribunal = _tribunal(case)
    consent = any(e.action == "issue_consent_award" for e in case.events)
    events = {e.action: e.at.date() for e in case.events}
    key_dates = [(str(label), events.get(action)) for action, label in KEY_DATES.items()]
    draft = case.award_draft
    orders = []
    for remedy in case.remedies:
        order = (draft.orders if draft else {}).get(str(remedy.id), {})
        orders.append({"remedy_label": str(REMEDY_LABELS[remedy.kind]),
                       "granted": bool(order.get("granted")), "text": order.get("text", "")})
    offer = next((o for o in reversed(case.offers) if o.status == "accepted"), None)
    acceptances = []
    if offer:
        for side in ("claimant", "respondent"):
            acceptances.append({"party": case.party(side).name,  # type: ignore[union-attr]
                                "at": getattr(offer, f"{side}_accepted_at")})
    return {
        "case": {
            "number": case.number, "procedure_title": gettext(procedure.title),
            "rules_version": case.rules_version, "language": lang,
            "seat": current_app.config["INSTITUTION_SEAT"],
            "infringement": {"description": case.infringement_description,
                             "locations": case.infringement_locations,
                             "since": case.infringement_since},
        },
        "claimant": party("claimant"),
        "respondent": party("respondent"),
        "rights": [{"type_label": str(IP_RIGHT_LABELS[r.kind]), "title": r.title,
                    "registration_number": r.registration_number, "office": r.office,
                    "country_name": country_name(r.country, lang), "owner": r.owner}
                   for r in case.rights],
        "key_dates": [{"label": label, "date": d} for label, d in key_dates if d],
        "panel": case.procedure_key == "expedited",
        "decision": {"kind_label": str(_l("Decision of the panel"))
                     if case.procedure_key == "expedited" and decision.kind == "award"
                     else str(DECISION_LABELS[decision.kind]),
                     "verification_code": decision.verification_code,
                     "verify_url": external_url("decisions.verify",
                                                code=decision.verification_code),
                     "issued_on": utcnow().date()},
        "award": {"findings": draft.findings if draft else "",
                  "reasoning": draft.reasoning if draft else "",
                  "costs": draft.costs if draft else "", "orders": orders,
                  "consent": consent},
        "arbitrator": tribunal[0] if tribunal else first("arbitrator"),
        "tribunal": tribunal,
        "mediator": first("mediator"),
        "settlement": {"terms": offer.terms if offer else "", "acceptances": acceptances},
    }
