"""Expedited procedure for clear-cut online infringements and domain names (UDRP-shaped).

Read top to bottom as a case manager would. Periods follow the UDRP Rules (2015) and Policy
¶4(k); see shared/PROCEDURES.md §2.1. A sole panelist decides on the papers; the only remedies
are transfer or cancellation of a domain name and takedown of infringing content.
"""

from workflows.engine import N_, SYSTEM, Action, DeadlineRule, Procedure, Stage, register
from workflows.procedures import common, guards
from workflows.procedures.roles import (
    ARBITRATOR,
    CASE_MANAGER,
    CLAIMANT,
    RESPONDENT,
    RESPONDENT_SIDE,
)

MANAGER = frozenset({CASE_MANAGER})
PANEL = frozenset({ARBITRATOR})  # the sole panelist holds the arbitrator's role in the case
BEFORE_DECISION = ("response", "panel_appointment", "decision")

_DRAFT, _REVIEW, _DEFICIENT = common.review_stages(
    N_("UDRP Rules ¶4(d): 5 days to cure, else deemed withdrawn"),
    review=DeadlineRule(
        "review", N_("Administrative compliance review"), 3, "institution",
        on_expiry="flag_overdue", trigger=N_("receipt of the fee"),
        source=N_("UDRP Rules ¶4(a): compliance review within 3 days of the fee")))

STAGES = (
    _DRAFT,
    Stage("fee", N_("Payment of the fee"),
          N_("The complaint is filed; the claimant must pay the filing fee."),
          who=N_("Claimant"),
          deadline=DeadlineRule(
              "fee", N_("Pay the filing fee"), 10, CLAIMANT, on_expiry="deem_withdrawn",
              trigger=N_("the filing of the complaint"),
              source=N_("UDRP Rules ¶19(a): fee within 10 days, else deemed withdrawn"))),
    _REVIEW,
    _DEFICIENT,
    Stage("response", N_("Response"),
          N_("The proceedings have commenced and the respondent has been served; the "
             "respondent may respond once, and may ask once for 4 more days."),
          who=N_("Respondent"),
          deadline=DeadlineRule(
              "response", N_("File the response"), 20, RESPONDENT,
              on_expiry="proceed_in_default", trigger=N_("commencement and service"),
              source=N_("UDRP Rules ¶5(a)-(b): 20 days, one automatic 4-day extension"))),
    Stage("panel_appointment", N_("Appointment of the panelist"),
          N_("The Centre appoints a sole panelist, who declares impartiality and "
             "independence."),
          who=N_("The Centre"),
          deadline=DeadlineRule(
              "panel_appointment", N_("Appoint the panelist"), 5, "institution",
              on_expiry="flag_overdue", trigger=N_("the response or the default"),
              source=N_("UDRP Rules ¶6(b): 5 days after the response or its lapse"))),
    Stage("decision", N_("Decision by the panel"),
          N_("The panelist decides on the complaint and the response, or on the complaint "
             "alone if the respondent defaulted."),
          who=N_("Panelist"),
          deadline=DeadlineRule(
              "decision", N_("Decide the complaint"), 14, "tribunal", on_expiry="flag_overdue",
              trigger=N_("the appointment of the panelist"),
              source=N_("UDRP Rules ¶15(b): decision within 14 days of appointment"))),
    Stage("notification", N_("Notification of the decision"),
          N_("The Centre communicates the decision to the parties and the registrar."),
          who=N_("The Centre"),
          deadline=DeadlineRule(
              "notification", N_("Notify the parties of the decision"), 3, "institution",
              on_expiry="notify_decision", business=True, trigger=N_("the decision"),
              source=N_("UDRP Rules ¶16(a): within 3 business days"))),
    Stage("implementation", N_("Waiting period before implementation"),
          N_("The decision is implemented after 10 business days unless the respondent shows "
             "that it has started court proceedings."),
          who=N_("Respondent"),
          deadline=DeadlineRule(
              "implementation", N_("Show that court proceedings were started"), 10,
              RESPONDENT, on_expiry="implement_decision", business=True,
              trigger=N_("notification of the decision"),
              source=N_("UDRP Policy ¶4(k): implementation after 10 business days"))),
    Stage("stayed", N_("Implementation stayed"),
          N_("The respondent started court proceedings; implementation waits for their "
             "outcome."), who=N_("The Centre")),
    common.suspension_stage(),
    Stage("implemented", N_("Decision implemented"),
          N_("The remedy ordered has been implemented; the case is closed."), terminal=True),
    Stage("closed", N_("Closed"), N_("The case is closed."), terminal=True),
    *common.closing_stages(),
)

ACTIONS = (
    *common.filing_actions(after_service="response", after_submit="fee"),
    Action("confirm_fee", N_("Confirm receipt of the fee"), MANAGER, frozenset({"fee"}),
           target="review", primary=True, done=N_("Filing fee received")),
    common.deem_withdrawn({"fee", "deficient"}),
    # Response
    Action("respond", N_("File the response"), RESPONDENT_SIDE, frozenset({"response"}),
           target="panel_appointment", primary=True, done=N_("Response filed")),
    Action("request_automatic_extension", N_("Take the automatic 4-day extension"),
           RESPONDENT_SIDE, frozenset({"response"}), extends="response", extend_days=4,
           guard=guards.automatic_extension_unused("response"),
           confirm=N_("The response period is extended once by 4 days; no reason is needed."),
           done=N_("Automatic 4-day extension taken")),
    Action("proceed_in_default", N_("Proceed in default of a response"),
           frozenset({SYSTEM, CASE_MANAGER}), frozenset({"response"}),
           target="panel_appointment", guard=guards.period_over("response"),
           done=N_("Respondent in default; the panel decides on the complaint alone")),
    *common.extension_actions({"deficient", "response"}),
    # Panel
    Action("appoint_arbitrator", N_("Appoint the sole panelist"), MANAGER,
           frozenset({"panel_appointment"}), target="decision", primary=True,
           done=N_("Sole panelist appointed")),
    Action("draft_award", N_("Draft the decision"), PANEL, frozenset({"decision"}),
           visibility="tribunal", primary=True, done=N_("Decision draft saved")),
    Action("issue_award", N_("Issue the decision"), PANEL, frozenset({"decision"}),
           target="notification", guard=guards.award_ready,
           confirm=N_("The decision is final: it will be issued as a sealed PDF."),
           done=N_("Decision issued")),
    common.overdue({"review", "panel_appointment", "decision"}),
    # After the decision
    Action("notify_decision", N_("Notify the parties and the registrar"),
           frozenset({SYSTEM, CASE_MANAGER}), frozenset({"notification"}),
           target="implementation", primary=True,
           done=N_("Decision notified; implementation period running")),
    Action("report_court_proceedings", N_("Show that court proceedings were started"),
           RESPONDENT_SIDE, frozenset({"implementation"}), target="stayed",
           confirm=N_("Attach the court's filing receipt as a document; implementation will "
                      "wait for the court."),
           done=N_("Court proceedings reported; implementation stayed")),
    Action("implement_decision", N_("Implement the decision"),
           frozenset({SYSTEM, CASE_MANAGER}), frozenset({"implementation", "stayed"}),
           target="implemented", guard=guards.period_over("implementation"),
           done=N_("Decision implemented")),
    Action("close_without_implementation", N_("Close without implementing"), MANAGER,
           frozenset({"stayed"}), target="closed",
           confirm=N_("Use this when the court's judgment replaces the decision."),
           done=N_("Case closed without implementation")),
    # At any time before the decision
    *common.settlement_actions(BEFORE_DECISION, suspend_from=BEFORE_DECISION,
                               consent_award="notification"),
    common.withdraw({"fee", "review", "deficient", *BEFORE_DECISION, "suspended"}),
)

EXPEDITED = register(
    Procedure(
        key="expedited",
        version="2026.1",
        title=N_("Expedited procedure for online infringements and domain names"),
        summary=N_("A sole panelist decides clear-cut online infringements and domain-name "
                   "disputes on the papers, within about two months; the remedies are "
                   "transfer or cancellation of a domain name and takedown."),
        initial="draft",
        stages=STAGES,
        actions=ACTIONS,
        remedies=frozenset({"domain_transfer", "domain_cancellation", "takedown"}),
    )
)
