"""Steps every procedure shares: filing and review, settlement and suspension, withdrawal,
extensions of time, and correction or interpretation of the award.

Each builder takes the stages it applies to, so a procedure still reads as one table of what
happens where; see expedited.py, med_arb.py and arbitration.py.
"""

from __future__ import annotations

from collections.abc import Iterable

from workflows.engine import N_, RESUME, RUNNING, SYSTEM, Action, DeadlineRule, Stage
from workflows.procedures import guards
from workflows.procedures.roles import (
    ARBITRATOR,
    CASE_MANAGER,
    CLAIMANT,
    CLAIMANT_SIDE,
    MEDIATOR,
    PARTIES,
)

MANAGER = frozenset({CASE_MANAGER})


def _set(stages: Iterable[str]) -> frozenset[str]:
    return frozenset(stages)


# ------------------------------------------------------------------------------ stages
def review_stages(cure_source: str, review: DeadlineRule | None = None) -> tuple[Stage, ...]:
    return (
        Stage("draft", N_("Draft"), N_("The complaint is being prepared and has not been filed."),
              who=N_("Claimant")),
        Stage("review", N_("Administrative review"),
              N_("The Centre checks that the complaint is complete before serving it."),
              who=N_("The Centre"), deadline=review),
        Stage("deficient", N_("Deficiency to cure"),
              N_("The Centre found the complaint incomplete; the claimant must cure it."),
              who=N_("Claimant"),
              deadline=DeadlineRule(
                  "cure", N_("Cure the deficiencies"), 5, CLAIMANT, on_expiry="deem_withdrawn",
                  trigger=N_("the deficiency notice"), source=cure_source)),
    )


def suspension_stage() -> Stage:
    return Stage(
        "suspended", N_("Suspended for settlement"),
        N_("At the parties' request the proceedings are paused while they settle; the time "
           "left of the interrupted period runs again when they resume."),
        who=N_("Parties"), suspends=True,
        deadline=DeadlineRule(
            "suspension", N_("End of the suspension"), 30, "institution",
            on_expiry="resume_proceedings", trigger=N_("the suspension"),
            source=N_("UDRP Rules ¶17; WIPO Arbitration Rules: suspension on the parties' "
                      "request")))


def closing_stages() -> tuple[Stage, ...]:
    return (
        Stage("settled", N_("Settled"), N_("The parties settled; the case is closed."),
              terminal=True),
        Stage("withdrawn", N_("Withdrawn"), N_("The complaint was withdrawn or deemed withdrawn."),
              terminal=True),
    )


def post_award_stages() -> tuple[Stage, ...]:
    return (
        Stage("awarded", N_("Award issued"),
              N_("The award has been issued; a party may ask for a correction or an "
                 "interpretation within 30 days."),
              who=N_("Parties"),
              deadline=DeadlineRule(
                  "correction_window", N_("Requests for correction or interpretation"), 30,
                  "institution", on_expiry="close_case", trigger=N_("the award"),
                  source=N_("WIPO Arbitration Rules: correction or interpretation within 30 "
                            "days of the award"))),
        Stage("correction", N_("Correction or interpretation"),
              N_("The tribunal rules on a request to correct or interpret the award."),
              who=N_("Tribunal"),
              deadline=DeadlineRule(
                  "correction", N_("Rule on the request"), 30, "tribunal",
                  on_expiry="flag_overdue", trigger=N_("the request"),
                  source=N_("WIPO Arbitration Rules: the tribunal rules within 30 days"))),
        Stage("closed", N_("Closed"), N_("The award is final and the case is closed."),
              terminal=True),
    )


# ------------------------------------------------------------------------------ actions
def filing_actions(after_service: str, after_submit: str = "review") -> tuple[Action, ...]:
    return (
        Action("submit", N_("Submit the complaint"), CLAIMANT_SIDE, _set({"draft"}),
               target=after_submit, guard=guards.filing_complete, primary=True,
               confirm=N_("Once submitted, the complaint goes to the Centre for review."),
               done=N_("Complaint submitted")),
        Action("accept_filing", N_("Accept and serve the respondent"), MANAGER,
               _set({"review"}), target=after_service, primary=True,
               confirm=N_("The respondent will be served by email and the response period "
                          "starts."),
               done=N_("Complaint accepted; respondent served")),
        Action("issue_deficiency", N_("Issue a deficiency notice"), MANAGER,
               _set({"review"}), target="deficient", done=N_("Deficiency notice issued")),
        Action("resubmit", N_("Resubmit the cured complaint"), CLAIMANT_SIDE,
               _set({"deficient"}), target="review", guard=guards.filing_complete,
               primary=True, done=N_("Cured complaint resubmitted")),
    )


def deem_withdrawn(stages: Iterable[str]) -> Action:
    return Action("deem_withdrawn", N_("Deem the complaint withdrawn"), frozenset({SYSTEM}),
                  _set(stages), target="withdrawn", done=N_("Complaint deemed withdrawn"))


def withdraw(stages: Iterable[str]) -> Action:
    return Action("withdraw", N_("Withdraw the complaint"), CLAIMANT_SIDE, _set(stages),
                  target="withdrawn",
                  confirm=N_("Withdrawing ends the case. This cannot be undone."),
                  done=N_("Complaint withdrawn"))


def settlement_actions(stages: Iterable[str], *, proposers: frozenset[str] = PARTIES,
                       suspend_from: Iterable[str] = (),
                       consent_award: str | None = "awarded") -> tuple[Action, ...]:
    """Settlement at any time before the award: a suspension on request, terms both sides
    accept (a settlement agreement), or a consent award where a tribunal sits."""
    stages = _set(stages) | {"suspended"}
    actions = [
        Action("suspend_proceedings", N_("Suspend the proceedings for settlement"),
               MANAGER | {ARBITRATOR}, _set(suspend_from), target="suspended",
               confirm=N_("Suspend on the parties' request: time stops running until they "
                          "resume or the suspension ends."),
               done=N_("Proceedings suspended for settlement")),
        Action("resume_proceedings", N_("Resume the proceedings"),
               PARTIES | MANAGER | {SYSTEM}, _set({"suspended"}), target=RESUME,
               confirm=N_("The proceedings continue where they stopped, with the time that "
                          "was left."),
               done=N_("Proceedings resumed")),
        Action("propose_settlement", N_("Propose settlement terms"), proposers, stages,
               visibility="mediation", done=N_("Settlement terms proposed")),
        Action("accept_settlement", N_("Accept the settlement terms"), PARTIES, stages,
               guard=guards.offer_awaits_side, primary=True, visibility="mediation",
               confirm=N_("Accepting binds your side to these terms once the other side "
                          "accepts."),
               done=N_("Settlement terms accepted")),
        Action("conclude_settlement", N_("Conclude the settlement"), frozenset({SYSTEM}),
               stages, target="settled", guard=guards.settlement_agreed,
               done=N_("Settlement concluded")),
    ]
    if consent_award:
        actions.append(
            Action("issue_consent_award", N_("Record the settlement as a consent award"),
                   frozenset({ARBITRATOR}), _set({"suspended"}), target=consent_award,
                   guard=guards.consent_award_possible,
                   confirm=N_("The agreed terms become an award, issued as a sealed PDF."),
                   done=N_("Consent award issued")))
    return tuple(actions)


def extension_actions(stages: Iterable[str]) -> tuple[Action, ...]:
    """A party asks for more time; the case manager grants (with the days and a reason) or
    refuses. The grant is recorded on the deadline and in the timeline."""
    stages = _set(stages)
    return (
        Action("request_extension", N_("Ask for more time"), PARTIES, stages,
               guard=guards.may_ask_extension, done=N_("Extension of time requested")),
        Action("grant_extension", N_("Grant the extension"), MANAGER, stages,
               guard=guards.extension_pending, extends=RUNNING, done=N_("Extension granted")),
        Action("refuse_extension", N_("Refuse the extension"), MANAGER, stages,
               guard=guards.extension_pending, done=N_("Extension refused")),
    )


def correction_actions() -> tuple[Action, ...]:
    return (
        Action("request_correction", N_("Ask for a correction or interpretation"), PARTIES,
               _set({"awarded"}), target="correction",
               done=N_("Correction or interpretation requested")),
        Action("decide_correction", N_("Rule on the request"), frozenset({ARBITRATOR}),
               _set({"correction"}), target="closed", primary=True,
               done=N_("Request for correction or interpretation decided")),
        Action("close_case", N_("Close the case"), frozenset({SYSTEM, CASE_MANAGER}),
               _set({"awarded"}), target="closed", guard=guards.period_over("correction_window"),
               done=N_("Case closed")),
    )


def overdue(stages: Iterable[str]) -> Action:
    return Action("flag_overdue", N_("Flag an overdue time limit"), frozenset({SYSTEM}),
                  _set(stages), visibility="institution", done=N_("Time limit overdue"))


MEDIATION_ROLES = PARTIES | {MEDIATOR}
