"""Guards: the facts about a case an action needs, beyond who and when.

Each returns None when the action may go ahead, or the sentence that tells the user why not.
They read only attributes the app's Case exposes (see app.models.case), never the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from workflows.engine import N_, SYSTEM, Actor, Guard, deadline_guard
from workflows.procedures.roles import MEDIATOR, side_of

Data = Mapping[str, Any]  # what the user submitted with the action


def filing_complete(case: Any, actor: Actor, data: Data, now: datetime) -> str | None:
    if case.filing_problems():
        return N_("The complaint is incomplete: complete every step before submitting.")
    return None


@deadline_guard
def response_period_over(case: Any, actor: Actor, data: Data, now: datetime) -> str | None:
    due = case.open_deadline_due("response")
    if SYSTEM in actor.roles or due is None or due <= now:
        return None
    return N_("The response period has not ended yet.")


def can_use_channel(case: Any, actor: Actor, data: Data, now: datetime) -> str | None:
    """A caucus channel is one side's private room with the mediator; nobody else may post."""
    channel = data.get("channel", "joint")
    if channel == "joint":
        return None
    if channel in ("caucus:claimant", "caucus:respondent"):
        side = channel.split(":", 1)[1]
        if MEDIATOR in actor.roles or side_of(actor.roles) == side:
            return None
    return N_("You may not post in this channel.")


def offer_awaits_side(case: Any, actor: Actor, data: Data, now: datetime) -> str | None:
    side = side_of(actor.roles)
    if side is None or not case.offer_awaiting(side):
        return N_("There is no settlement proposal awaiting your acceptance.")
    return None


def settlement_agreed(case: Any, actor: Actor, data: Data, now: datetime) -> str | None:
    if not case.settlement_agreed():
        return N_("Both parties must accept the same terms.")
    return None


def award_ready(case: Any, actor: Actor, data: Data, now: datetime) -> str | None:
    if not case.award_draft_complete():
        return N_("Complete the award (findings, reasoning, an order on every remedy, costs) "
                  "before issuing it.")
    return None


def period_over(*keys: str) -> Guard:
    """The period of one of `keys` has ended (the system, applying the expiry, never waits)."""

    def guard(case: Any, actor: Actor, data: Data, now: datetime) -> str | None:
        if SYSTEM in actor.roles:
            return None
        for key in keys:
            due = case.open_deadline_due(key)
            if due is not None and due > now:
                return N_("The time limit for this step has not ended yet.")
        return None

    return deadline_guard(guard)


def may_ask_extension(case: Any, actor: Actor, data: Data, now: datetime) -> str | None:
    side = side_of(actor.roles)
    if side is None or not case.deadline_addressed_to(side):
        return N_("No time limit addressed to your side is running.")
    if case.extension_pending():
        return N_("A request for an extension is already waiting for the Centre.")
    return None


def extension_pending(case: Any, actor: Actor, data: Data, now: datetime) -> str | None:
    if not case.extension_pending():
        return N_("No request for an extension is waiting.")
    return None


def automatic_extension_unused(key: str) -> Guard:
    def guard(case: Any, actor: Actor, data: Data, now: datetime) -> str | None:
        if case.deadline_extended(key):
            return N_("The automatic extension has already been used.")
        return None

    return guard


def side_has_not_nominated(case: Any, actor: Actor, data: Data, now: datetime) -> str | None:
    side = side_of(actor.roles)
    if side is None or case.nominated(side):
        return N_("Your side has already nominated its arbitrator.")
    return None


def seat_vacant(case: Any, actor: Actor, data: Data, now: datetime) -> str | None:
    if not case.tribunal_vacancies():
        return N_("Every seat on the tribunal is filled.")
    return None


def co_arbitrators_complete(case: Any, actor: Actor, data: Data, now: datetime) -> str | None:
    if not case.co_arbitrators_complete():
        return N_("Both parties' arbitrators must be appointed first.")
    return None


def challenge_in_time(case: Any, actor: Actor, data: Data, now: datetime) -> str | None:
    """A challenge must be made within 15 days of learning its grounds."""
    learned = data.get("learned_on")
    if learned is None:
        return None  # the form asks for the date; the check runs when it is given
    today = now.date()
    if (today - learned).days > CHALLENGE_DAYS:
        return N_("A challenge must be made within 15 days of learning its grounds.")
    if learned > today:
        return N_("The date you learned of the grounds cannot be in the future.")
    return None


CHALLENGE_DAYS = 15


def challenge_pending(case: Any, actor: Actor, data: Data, now: datetime) -> str | None:
    if not case.challenge_pending():
        return N_("No challenge is waiting for a decision.")
    return None


def hearing_short(case: Any, actor: Actor, data: Data, now: datetime) -> str | None:
    days = data.get("days")
    if days is not None and not 1 <= int(days) <= MAX_HEARING_DAYS:
        return N_("A hearing in expedited arbitration lasts at most 3 days.")
    return None


MAX_HEARING_DAYS = 3


def consent_award_possible(case: Any, actor: Actor, data: Data, now: datetime) -> str | None:
    if not case.settlement_agreed():
        return N_("Both parties must accept the same terms.")
    return None


def tribunal_complete(case: Any, actor: Actor, data: Data, now: datetime) -> str | None:
    if case.tribunal_vacancies():
        return N_("A seat on the tribunal is vacant: a substitute must be appointed first.")
    return None
