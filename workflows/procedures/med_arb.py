"""Mediation followed, failing settlement, by expedited arbitration (WIPO med-arb pattern).

Read top to bottom as a case manager would: each stage, who may act there, where it leads and
how long it may take. Periods follow the WIPO Mediation and Expedited Arbitration Rules and the
UDRP Rules where noted (see shared/PROCEDURES.md).
"""

from workflows.engine import N_, SYSTEM, Action, DeadlineRule, Procedure, Stage, register
from workflows.procedures import guards
from workflows.procedures.roles import (
    ARBITRATOR,
    CASE_MANAGER,
    CLAIMANT,
    CLAIMANT_SIDE,
    MEDIATOR,
    PARTIES,
    RESPONDENT,
    RESPONDENT_SIDE,
)

BEFORE_AWARD = frozenset(
    {"review", "deficient", "response", "mediator_appointment", "mediation",
     "arbitrator_appointment", "arbitration", "deliberation"}
)
SETTLEMENT_STAGES = frozenset(
    {"mediator_appointment", "mediation", "arbitrator_appointment", "arbitration", "deliberation"}
)

STAGES = (
    Stage("draft", N_("Draft"), N_("The complaint is being prepared and has not been filed.")),
    Stage("review", N_("Administrative review"),
          N_("The Centre checks that the complaint is complete before serving it.")),
    Stage("deficient", N_("Deficiency to cure"),
          N_("The Centre found the complaint incomplete; the claimant must cure it."),
          deadline=DeadlineRule(
              "cure", N_("Cure the deficiencies"), 5, CLAIMANT, on_expiry="deem_withdrawn",
              trigger=N_("the deficiency notice"),
              source=N_("UDRP Rules ¶4(d): 5 days to cure, else deemed withdrawn"))),
    Stage("response", N_("Response"),
          N_("The respondent has been served and may consent, contest or propose a settlement."),
          deadline=DeadlineRule(
              "response", N_("File the response"), 20, RESPONDENT, on_expiry="proceed_in_default",
              trigger=N_("service of the complaint"),
              source=N_("UDRP Rules ¶5(a): 20 days from commencement"))),
    Stage("mediator_appointment", N_("Appointment of the mediator"),
          N_("The Centre appoints a mediator.")),
    Stage("mediation", N_("Mediation"),
          N_("The mediator helps the parties reach a settlement, in joint and private sessions."),
          deadline=DeadlineRule(
              "mediation", N_("End of the mediation period"), 60, "institution",
              on_expiry="end_mediation", days_from="mediation_days",
              trigger=N_("the appointment of the mediator"),
              source=N_("WIPO recommended med-arb clause: arbitration if no settlement "
                        "within 60 or 90 days"))),
    Stage("arbitrator_appointment", N_("Appointment of the arbitrator"),
          N_("No settlement was reached; the Centre appoints a sole arbitrator.")),
    Stage("arbitration", N_("Expedited arbitration"),
          N_("The parties file their submissions; the arbitrator then closes the proceedings."),
          deadline=DeadlineRule(
              "closure", N_("Closure of the proceedings"), 90, "tribunal",
              on_expiry="flag_overdue", trigger=N_("the appointment of the arbitrator"),
              source=N_("WIPO Expedited Arbitration Rules: closure within 3 months"))),
    Stage("deliberation", N_("Deliberation"),
          N_("The proceedings are closed; the arbitrator drafts and issues the award."),
          deadline=DeadlineRule(
              "award", N_("Issue the award"), 30, "tribunal", on_expiry="flag_overdue",
              trigger=N_("the closure of the proceedings"),
              source=N_("WIPO Expedited Arbitration Rules: award within 1 month of closure"))),
    Stage("settled", N_("Settled"), N_("The parties settled; the case is closed."),
          terminal=True),
    Stage("awarded", N_("Award issued"), N_("The arbitrator issued the final award."),
          terminal=True),
    Stage("withdrawn", N_("Withdrawn"), N_("The complaint was withdrawn or deemed withdrawn."),
          terminal=True),
)

ACTIONS = (
    # Filing
    Action("submit", N_("Submit the complaint"), CLAIMANT_SIDE, frozenset({"draft"}),
           target="review", guard=guards.filing_complete, primary=True,
           confirm=N_("Once submitted, the complaint goes to the Centre for review."),
           done=N_("Complaint submitted")),
    # Administrative review
    Action("accept_filing", N_("Accept and serve the respondent"), frozenset({CASE_MANAGER}),
           frozenset({"review"}), target="response", primary=True,
           confirm=N_("The respondent will be served by email and the response period starts."),
           done=N_("Complaint accepted; respondent served")),
    Action("issue_deficiency", N_("Issue a deficiency notice"), frozenset({CASE_MANAGER}),
           frozenset({"review"}), target="deficient",
           done=N_("Deficiency notice issued")),
    Action("resubmit", N_("Resubmit the cured complaint"), CLAIMANT_SIDE,
           frozenset({"deficient"}), target="review", guard=guards.filing_complete,
           primary=True,
           done=N_("Cured complaint resubmitted")),
    Action("deem_withdrawn", N_("Deem the complaint withdrawn"), frozenset({SYSTEM}),
           frozenset({"deficient"}), target="withdrawn",
           done=N_("Complaint deemed withdrawn")),
    # Response
    Action("respond", N_("File the response"), RESPONDENT_SIDE, frozenset({"response"}),
           target="mediator_appointment", primary=True,
           done=N_("Response filed")),
    Action("proceed_in_default", N_("Proceed in default of a response"),
           frozenset({SYSTEM, CASE_MANAGER}), frozenset({"response"}),
           target="arbitrator_appointment", guard=guards.response_period_over,
           done=N_("Respondent in default; the case proceeds")),
    # Mediation
    Action("appoint_mediator", N_("Appoint the mediator"), frozenset({CASE_MANAGER}),
           frozenset({"mediator_appointment"}), target="mediation", primary=True,
           done=N_("Mediator appointed")),
    Action("send_message", N_("Send a message"), PARTIES | {MEDIATOR},
           frozenset({"mediation"}), guard=guards.can_use_channel, visibility="mediation",
           done=N_("Message sent")),
    Action("propose_settlement", N_("Propose settlement terms"), PARTIES | {MEDIATOR},
           SETTLEMENT_STAGES, visibility="mediation",
           done=N_("Settlement terms proposed")),
    Action("accept_settlement", N_("Accept the settlement terms"), PARTIES, SETTLEMENT_STAGES,
           guard=guards.offer_awaits_side, primary=True, visibility="mediation",
           confirm=N_("Accepting binds your side to these terms once the other side accepts."),
           done=N_("Settlement terms accepted")),
    Action("conclude_settlement", N_("Conclude the settlement"), frozenset({SYSTEM}),
           SETTLEMENT_STAGES, target="settled", guard=guards.settlement_agreed,
           done=N_("Settlement concluded")),
    Action("end_mediation", N_("End the mediation"), PARTIES | {MEDIATOR, SYSTEM},
           frozenset({"mediation"}), target="arbitrator_appointment",
           confirm=N_("The case will go to expedited arbitration."),
           done=N_("Mediation ended")),
    # Arbitration
    Action("appoint_arbitrator", N_("Appoint the sole arbitrator"), frozenset({CASE_MANAGER}),
           frozenset({"arbitrator_appointment"}), target="arbitration", primary=True,
           done=N_("Sole arbitrator appointed")),
    Action("file_submission", N_("File a submission"), PARTIES, frozenset({"arbitration"}),
           done=N_("Submission filed")),
    Action("close_proceedings", N_("Close the proceedings"), frozenset({ARBITRATOR}),
           frozenset({"arbitration"}), target="deliberation",
           confirm=N_("The parties can file nothing more once the proceedings are closed."),
           done=N_("Proceedings closed")),
    Action("draft_award", N_("Draft the award"), frozenset({ARBITRATOR}),
           frozenset({"deliberation"}), visibility="tribunal", primary=True,
           done=N_("Award draft saved")),
    Action("issue_award", N_("Issue the award"), frozenset({ARBITRATOR}),
           frozenset({"deliberation"}), target="awarded", guard=guards.award_ready,
           confirm=N_("The award is final: it will be issued as a sealed PDF and sent to the "
                        "parties."),
           done=N_("Award issued")),
    Action("flag_overdue", N_("Flag an overdue time limit"), frozenset({SYSTEM}),
           frozenset({"arbitration", "deliberation"}), visibility="institution",
           done=N_("Time limit overdue")),
    # At any time before the award
    Action("withdraw", N_("Withdraw the complaint"), CLAIMANT_SIDE,
           BEFORE_AWARD, target="withdrawn",
           confirm=N_("Withdrawing ends the case. This cannot be undone."),
           done=N_("Complaint withdrawn")),
)

MED_ARB = register(
    Procedure(
        key="med-arb",
        version="2026.1",
        title=N_("Mediation followed by expedited arbitration"),
        summary=N_("Mediation for 60 or 90 days; if the parties do not settle, a sole arbitrator "
                   "decides in expedited arbitration."),
        initial="draft",
        stages=STAGES,
        actions=ACTIONS,
    )
)


# ------------------------------------------------------------------------------------------
# Rules version 2026.2: the expedited arbitration completed. After the mediation fails the
# respondent answers with its statement of defence within 20 days; the arbitrator may hold a
# hearing of at most 3 days; a party may ask for a correction or interpretation of the award
# within 30 days; and the parties may suspend the arbitration to settle and record their
# settlement as a consent award. Cases filed under 2026.1 keep the definition above.
# ------------------------------------------------------------------------------------------
from workflows.procedures import common  # noqa: E402  (the 2026.1 definition above predates it)

_ARB_STAGES = ("defence", "arbitrator_appointment", "arbitration", "deliberation")
_BEFORE_AWARD_2 = (
    "review", "deficient", "response", "mediator_appointment", "mediation", *_ARB_STAGES,
    "suspended",
)
_SETTLE_2 = ("mediator_appointment", "mediation", *_ARB_STAGES)

STAGES_2 = (
    *common.review_stages(N_("UDRP Rules ¶4(d): 5 days to cure, else deemed withdrawn")),
    Stage("response", N_("Response"),
          N_("The respondent has been served and may consent, contest or propose a settlement."),
          who=N_("Respondent"),
          deadline=DeadlineRule(
              "response", N_("File the response"), 20, RESPONDENT, on_expiry="proceed_in_default",
              trigger=N_("service of the complaint"),
              source=N_("UDRP Rules ¶5(a): 20 days from commencement"))),
    Stage("mediator_appointment", N_("Appointment of the mediator"),
          N_("The Centre appoints a mediator."), who=N_("The Centre")),
    Stage("mediation", N_("Mediation"),
          N_("The mediator helps the parties reach a settlement, in joint and private sessions."),
          who=N_("Parties and mediator"),
          deadline=DeadlineRule(
              "mediation", N_("End of the mediation period"), 60, "institution",
              on_expiry="end_mediation", days_from="mediation_days",
              trigger=N_("the appointment of the mediator"),
              source=N_("WIPO recommended med-arb clause: arbitration if no settlement "
                        "within 60 or 90 days"))),
    Stage("defence", N_("Answer and statement of defence"),
          N_("The mediation ended without settlement; the respondent answers the request for "
             "arbitration with its statement of defence."),
          who=N_("Respondent"),
          deadline=DeadlineRule(
              "defence", N_("File the answer with the statement of defence"), 20, RESPONDENT,
              on_expiry="proceed_in_default", trigger=N_("the end of the mediation"),
              source=N_("WIPO Expedited Arbitration Rules: answer with the statement of "
                        "defence within 20 days"))),
    Stage("arbitrator_appointment", N_("Appointment of the arbitrator"),
          N_("The Centre appoints a sole arbitrator."), who=N_("The Centre")),
    Stage("arbitration", N_("Expedited arbitration"),
          N_("The parties file their submissions; the arbitrator may hold a hearing of at most "
             "3 days, then closes the proceedings."),
          who=N_("Arbitrator and parties"),
          deadline=DeadlineRule(
              "closure", N_("Closure of the proceedings"), 90, "tribunal",
              on_expiry="flag_overdue", trigger=N_("the appointment of the arbitrator"),
              source=N_("WIPO Expedited Arbitration Rules: closure within 3 months"))),
    Stage("deliberation", N_("Deliberation"),
          N_("The proceedings are closed; the arbitrator drafts and issues the award."),
          who=N_("Arbitrator"),
          deadline=DeadlineRule(
              "award", N_("Issue the award"), 30, "tribunal", on_expiry="flag_overdue",
              trigger=N_("the closure of the proceedings"),
              source=N_("WIPO Expedited Arbitration Rules: award within 1 month of closure"))),
    common.suspension_stage(),
    *common.post_award_stages(),
    *common.closing_stages(),
)

ACTIONS_2 = (
    *common.filing_actions(after_service="response"),
    common.deem_withdrawn({"deficient"}),
    Action("respond", N_("File the response"), RESPONDENT_SIDE, frozenset({"response"}),
           target="mediator_appointment", primary=True, done=N_("Response filed")),
    Action("proceed_in_default", N_("Proceed in default of a response"),
           frozenset({SYSTEM, CASE_MANAGER}), frozenset({"response", "defence"}),
           target="arbitrator_appointment", guard=guards.period_over("response", "defence"),
           done=N_("Respondent in default; the case proceeds")),
    *common.extension_actions({"deficient", "response", "defence"}),
    # Mediation
    Action("appoint_mediator", N_("Appoint the mediator"), frozenset({CASE_MANAGER}),
           frozenset({"mediator_appointment"}), target="mediation", primary=True,
           done=N_("Mediator appointed")),
    Action("send_message", N_("Send a message"), PARTIES | {MEDIATOR},
           frozenset({"mediation"}), guard=guards.can_use_channel, visibility="mediation",
           done=N_("Message sent")),
    Action("end_mediation", N_("End the mediation"), PARTIES | {MEDIATOR, SYSTEM},
           frozenset({"mediation"}), target="defence",
           confirm=N_("The case will go to expedited arbitration."),
           done=N_("Mediation ended")),
    # Expedited arbitration
    Action("file_defence", N_("File the answer and statement of defence"), RESPONDENT_SIDE,
           frozenset({"defence"}), target="arbitrator_appointment", primary=True,
           done=N_("Answer and statement of defence filed")),
    Action("appoint_arbitrator", N_("Appoint the sole arbitrator"), frozenset({CASE_MANAGER}),
           frozenset({"arbitrator_appointment"}), target="arbitration", primary=True,
           done=N_("Sole arbitrator appointed")),
    Action("file_submission", N_("File a submission"), PARTIES, frozenset({"arbitration"}),
           done=N_("Submission filed")),
    Action("schedule_hearing", N_("Schedule a hearing"), frozenset({ARBITRATOR}),
           frozenset({"arbitration"}), guard=guards.hearing_short,
           done=N_("Hearing scheduled")),
    Action("close_proceedings", N_("Close the proceedings"), frozenset({ARBITRATOR}),
           frozenset({"arbitration"}), target="deliberation",
           confirm=N_("The parties can file nothing more once the proceedings are closed."),
           done=N_("Proceedings closed")),
    Action("draft_award", N_("Draft the award"), frozenset({ARBITRATOR}),
           frozenset({"deliberation"}), visibility="tribunal", primary=True,
           done=N_("Award draft saved")),
    Action("issue_award", N_("Issue the award"), frozenset({ARBITRATOR}),
           frozenset({"deliberation"}), target="awarded", guard=guards.award_ready,
           confirm=N_("The award is final: it will be issued as a sealed PDF and sent to the "
                        "parties."),
           done=N_("Award issued")),
    common.overdue({"arbitration", "deliberation", "correction"}),
    *common.correction_actions(),
    *common.settlement_actions(_SETTLE_2, proposers=PARTIES | {MEDIATOR},
                               suspend_from=_ARB_STAGES),
    common.withdraw(_BEFORE_AWARD_2),
)

MED_ARB_2 = register(
    Procedure(
        key="med-arb",
        version="2026.2",
        title=N_("Mediation followed by expedited arbitration"),
        summary=N_("Mediation for 60 or 90 days; if the parties do not settle, a sole arbitrator "
                   "decides in expedited arbitration: answer and defence within 20 days, a "
                   "hearing of at most 3 days, closure within 3 months and the award within "
                   "1 month of closure."),
        initial="draft",
        stages=STAGES_2,
        actions=ACTIONS_2,
    )
)
