"""Drafting a complaint: verbs that change a draft (or a complaint being cured)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from app.extensions import db
from app.models import Case, IPRight, Participant, Party, Remedy, User
from app.models.types import utcnow
from app.services.access import actor_for
from workflows.engine import Procedure, current, procedures
from workflows.procedures.roles import CLAIMANT, CLAIMANT_COUNSEL

DEFAULT_PROCEDURE = "med-arb"
REMEDY_KINDS = ("cease_use", "takedown", "domain_transfer", "domain_cancellation", "damages",
                "licence", "coexistence", "other")


PROCEDURE_ORDER = ("med-arb", "expedited", "arbitration")


def procedure_choices() -> list[Procedure]:
    """The procedures open to new filings, each in its newest rules version."""
    keys = {p.key for p in procedures()}
    ordered = [k for k in PROCEDURE_ORDER if k in keys] + sorted(keys - set(PROCEDURE_ORDER))
    return [current(key) for key in ordered]


def start_draft(user: User, procedure_key: str = DEFAULT_PROCEDURE) -> Case:
    """A new draft under the newest rules version of the procedure the claimant chose."""
    procedure = current(procedure_key)
    case = Case(procedure_key=procedure.key, rules_version=procedure.rules_version,
                stage=procedure.initial, filer_id=user.id, language=user.locale or "en",
                mediation_days=60)
    case.parties = [Party(side="claimant"), Party(side="respondent")]
    case.participants = [Participant(user_id=user.id, role=CLAIMANT, user=user)]
    db.session.add(case)
    db.session.flush()
    _record(case, user, "create_draft", {})
    return case


def save_claimant(case: Case, data: Mapping[str, Any], user: User) -> None:
    _fill_party(case.party("claimant"), data)
    party = case.party("claimant")
    assert party is not None
    party.counsel_name = data.get("counsel_name") or None
    party.counsel_firm = data.get("counsel_firm") or None
    party.counsel_email = data.get("counsel_email") or None
    capacity = CLAIMANT_COUNSEL if data.get("capacity") == CLAIMANT_COUNSEL else CLAIMANT
    for participant in case.participants:
        if participant.user_id == user.id and participant.role in (CLAIMANT, CLAIMANT_COUNSEL):
            participant.role = capacity
    _record(case, user, "update_filing", {"step": "claimant"})


def save_respondent(case: Case, data: Mapping[str, Any], user: User) -> None:
    _fill_party(case.party("respondent"), data)
    _record(case, user, "update_filing", {"step": "respondent"})


def _fill_party(party: Party | None, data: Mapping[str, Any]) -> None:
    assert party is not None
    party.name = data["name"].strip()
    party.country = data["country"]
    party.address = data["address"].strip()
    party.email = User.normalise_email(data["email"])
    party.subdivision = (data.get("subdivision") or "").strip().upper() or None


def add_right(case: Case, data: Mapping[str, Any], user: User) -> IPRight:
    right = IPRight(kind=data["kind"], title=data["title"].strip(),
                    registration_number=(data.get("registration_number") or "").strip(),
                    office=(data.get("office") or "").strip(), country=data["country"],
                    owner=data["owner"].strip(),
                    position=max((r.position for r in case.rights), default=0) + 1)
    case.rights.append(right)
    _record(case, user, "update_filing", {"step": "rights", "added": right.title})
    return right


def remove_right(case: Case, right_id: int, user: User) -> bool:
    right = next((r for r in case.rights if r.id == right_id), None)
    if right is None:
        return False
    case.rights.remove(right)
    _record(case, user, "update_filing", {"step": "rights", "removed": right.title})
    return True


def save_infringement(case: Case, data: Mapping[str, Any], user: User) -> None:
    case.infringement_description = data["description"].strip()
    case.infringement_locations = data["locations"].strip()
    case.infringement_since = data.get("since")
    _record(case, user, "update_filing", {"step": "infringement"})


def remedies_as_form_data(case: Case) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for remedy in case.remedies:
        data[remedy.kind] = True
        if remedy.kind == "damages":
            data["damages_amount"] = remedy.amount
            data["damages_currency"] = remedy.currency
        else:
            data[f"{remedy.kind}_details"] = remedy.details
    return data


def save_remedies(case: Case, data: Mapping[str, Any], user: User) -> None:
    chosen = {kind for kind in REMEDY_KINDS if data.get(kind)}
    existing = {r.kind: r for r in case.remedies}
    for kind, remedy in existing.items():
        if kind not in chosen:
            case.remedies.remove(remedy)
    for kind in REMEDY_KINDS:
        if kind not in chosen:
            continue
        remedy = existing.get(kind) or Remedy(kind=kind)
        if kind == "damages":
            remedy.amount = Decimal(data["damages_amount"])
            remedy.currency = data.get("damages_currency") or "USD"
            remedy.details = ""
        else:
            remedy.details = (data.get(f"{kind}_details") or "").strip()
        if kind not in existing:
            case.remedies.append(remedy)
    _record(case, user, "update_filing", {"step": "remedies", "remedies": sorted(chosen)})


def save_proceedings(case: Case, data: Mapping[str, Any], user: User) -> None:
    case.language = data["language"]
    if data.get("mediation_days"):
        case.mediation_days = int(data["mediation_days"])
    _record(case, user, "update_filing", {"step": "proceedings"})


def _record(case: Case, user: User, action: str, detail: Mapping[str, Any]) -> None:
    """Filing edits are recorded too; they bump the case version like any change."""
    if case.id is None:
        db.session.flush()
    case.record_event(action=action, actor=actor_for(case, user), stage_from=case.stage,
                      stage_to=case.stage, detail=detail, visibility="participants",
                      at=utcnow())
