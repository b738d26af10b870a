"""Guards: the facts about a case an action needs, beyond who and when.

Each returns None when the action may go ahead, or the sentence that tells the user why not.
They read only attributes the app's Case exposes (see app.models.case), never the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from workflows.engine import N_, SYSTEM, Actor
from workflows.procedures.roles import MEDIATOR, side_of


def filing_complete(case: Any, actor: Actor, data: Mapping[str, Any]) -> str | None:
    if case.filing_problems():
        return N_("The complaint is incomplete: complete every step before submitting.")
    return None


def response_period_over(case: Any, actor: Actor, data: Mapping[str, Any]) -> str | None:
    due = case.open_deadline_due("response")
    if SYSTEM in actor.roles or due is None or due <= data.get("now", datetime.now(UTC)):
        return None
    return N_("The response period has not ended yet.")


def can_use_channel(case: Any, actor: Actor, data: Mapping[str, Any]) -> str | None:
    """A caucus channel is one side's private room with the mediator; nobody else may post."""
    channel = data.get("channel", "joint")
    if channel == "joint":
        return None
    if channel in ("caucus:claimant", "caucus:respondent"):
        side = channel.split(":", 1)[1]
        if MEDIATOR in actor.roles or side_of(actor.roles) == side:
            return None
    return N_("You may not post in this channel.")


def offer_awaits_side(case: Any, actor: Actor, data: Mapping[str, Any]) -> str | None:
    side = side_of(actor.roles)
    if side is None or not case.offer_awaiting(side):
        return N_("There is no settlement proposal awaiting your acceptance.")
    return None


def settlement_agreed(case: Any, actor: Actor, data: Mapping[str, Any]) -> str | None:
    if not case.settlement_agreed():
        return N_("Both parties must accept the same terms.")
    return None


def award_ready(case: Any, actor: Actor, data: Mapping[str, Any]) -> str | None:
    if not case.award_draft_complete():
        return N_("Complete the award (findings, reasoning, an order on every remedy, costs) "
                  "before issuing it.")
    return None
