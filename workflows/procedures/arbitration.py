"""Arbitration before a three-member tribunal (WIPO Arbitration Rules pattern).

Each side nominates one arbitrator; the two nominate the presiding arbitrator; failing a
nomination in time, the Centre appoints. An arbitrator may be challenged within 15 days of
learning the grounds. See shared/PROCEDURES.md §2.2 for the periods.
"""

from workflows.engine import N_, SYSTEM, Action, DeadlineRule, Procedure, Stage, register
from workflows.procedures import common, guards
from workflows.procedures.roles import (
    ARBITRATOR,
    CASE_MANAGER,
    PARTIES,
    RESPONDENT,
    RESPONDENT_SIDE,
)

MANAGER = frozenset({CASE_MANAGER})
TRIBUNAL = frozenset({ARBITRATOR})
CONSTITUTED = ("proceedings", "deliberation")
BEFORE_AWARD = ("answer", "nominations", "presiding", *CONSTITUTED)

STAGES = (
    *common.review_stages(N_("WIPO Arbitration Rules: deficiencies cured within 5 days")),
    Stage("answer", N_("Answer to the request"),
          N_("The respondent has been served and answers the request for arbitration."),
          who=N_("Respondent"),
          deadline=DeadlineRule(
              "answer", N_("File the answer"), 30, RESPONDENT, on_expiry="proceed_in_default",
              trigger=N_("service of the request"),
              source=N_("WIPO Arbitration Rules art. 11: answer within 30 days"))),
    Stage("nominations", N_("Nomination of the co-arbitrators"),
          N_("Each side nominates one arbitrator; the Centre appoints for a side that does not."),
          who=N_("Parties, then the Centre"),
          deadline=DeadlineRule(
              "nominations", N_("Nominate your arbitrator"), 15, "institution",
              on_expiry="flag_overdue", trigger=N_("the answer or the default"),
              source=N_("WIPO Arbitration Rules art. 17: nominations, else appointment by "
                        "the Centre"))),
    Stage("presiding", N_("Nomination of the presiding arbitrator"),
          N_("The two co-arbitrators nominate the presiding arbitrator; failing that, the "
             "Centre appoints."),
          who=N_("Co-arbitrators, then the Centre"),
          deadline=DeadlineRule(
              "presiding", N_("Nominate the presiding arbitrator"), 20, "tribunal",
              on_expiry="flag_overdue", trigger=N_("the appointment of the co-arbitrators"),
              source=N_("WIPO Arbitration Rules art. 17(b): 20 days, else the Centre "
                        "appoints"))),
    Stage("proceedings", N_("Written proceedings"),
          N_("Statements of claim and defence, procedural orders and any hearing; the tribunal "
             "then closes the proceedings."),
          who=N_("Tribunal and parties"),
          deadline=DeadlineRule(
              "closure", N_("Closure of the proceedings"), 270, "tribunal",
              on_expiry="flag_overdue", trigger=N_("the constitution of the tribunal"),
              source=N_("WIPO Arbitration Rules art. 58: closure within 9 months"))),
    Stage("deliberation", N_("Deliberation"),
          N_("The proceedings are closed; the tribunal drafts and issues the award."),
          who=N_("Tribunal"),
          deadline=DeadlineRule(
              "award", N_("Issue the award"), 90, "tribunal", on_expiry="flag_overdue",
              trigger=N_("the closure of the proceedings"),
              source=N_("WIPO Arbitration Rules art. 58: award within 3 months of closure"))),
    common.suspension_stage(),
    *common.post_award_stages(),
    *common.closing_stages(),
)

ACTIONS = (
    *common.filing_actions(after_service="answer"),
    common.deem_withdrawn({"deficient"}),
    Action("respond", N_("File the answer"), RESPONDENT_SIDE, frozenset({"answer"}),
           target="nominations", primary=True, done=N_("Answer filed")),
    Action("proceed_in_default", N_("Proceed in default of an answer"),
           frozenset({SYSTEM, CASE_MANAGER}), frozenset({"answer"}), target="nominations",
           guard=guards.period_over("answer"),
           done=N_("Respondent in default; the case proceeds")),
    *common.extension_actions({"deficient", "answer"}),
    # Constitution of the tribunal
    Action("nominate_arbitrator", N_("Nominate your side's arbitrator"), PARTIES,
           frozenset({"nominations"}), guard=guards.side_has_not_nominated, primary=True,
           done=N_("Arbitrator nominated")),
    Action("appoint_arbitrator", N_("Appoint an arbitrator for a side"), MANAGER,
           frozenset({"nominations"}), guard=guards.period_over("nominations"),
           done=N_("Arbitrator appointed by the Centre")),
    Action("complete_nominations", N_("Co-arbitrators appointed"), frozenset({SYSTEM}),
           frozenset({"nominations"}), target="presiding",
           guard=guards.co_arbitrators_complete, done=N_("Both co-arbitrators appointed")),
    Action("nominate_presiding", N_("Nominate the presiding arbitrator"), TRIBUNAL,
           frozenset({"presiding"}), target="proceedings", primary=True,
           done=N_("Presiding arbitrator nominated; tribunal constituted")),
    Action("appoint_presiding", N_("Appoint the presiding arbitrator"), MANAGER,
           frozenset({"presiding"}), target="proceedings", guard=guards.period_over("presiding"),
           done=N_("Presiding arbitrator appointed by the Centre; tribunal constituted")),
    Action("challenge_arbitrator", N_("Challenge an arbitrator"), PARTIES,
           frozenset({"presiding", *CONSTITUTED}), guard=guards.challenge_in_time,
           done=N_("Arbitrator challenged")),
    Action("decide_challenge", N_("Decide the challenge"), MANAGER,
           frozenset({"presiding", *CONSTITUTED}), guard=guards.challenge_pending,
           done=N_("Challenge decided")),
    Action("replace_arbitrator", N_("Appoint a substitute arbitrator"), MANAGER,
           frozenset({"presiding", *CONSTITUTED}), guard=guards.seat_vacant,
           done=N_("Substitute arbitrator appointed")),
    # Proceedings
    Action("file_submission", N_("File a statement or submission"), PARTIES,
           frozenset({"proceedings"}), done=N_("Submission filed")),
    Action("issue_procedural_order", N_("Issue a procedural order"), TRIBUNAL,
           frozenset({"proceedings"}), done=N_("Procedural order issued")),
    Action("close_proceedings", N_("Close the proceedings"), TRIBUNAL,
           frozenset({"proceedings"}), target="deliberation", guard=guards.tribunal_complete,
           confirm=N_("The parties can file nothing more once the proceedings are closed."),
           done=N_("Proceedings closed")),
    Action("draft_award", N_("Draft the award"), TRIBUNAL, frozenset({"deliberation"}),
           visibility="tribunal", primary=True, done=N_("Award draft saved")),
    Action("issue_award", N_("Issue the award"), TRIBUNAL, frozenset({"deliberation"}),
           target="awarded", guard=guards.award_ready,
           confirm=N_("The award is final: it will be issued as a sealed PDF and sent to the "
                      "parties."),
           done=N_("Award issued")),
    common.overdue({"nominations", "presiding", *CONSTITUTED, "correction"}),
    *common.correction_actions(),
    *common.settlement_actions(BEFORE_AWARD, suspend_from=BEFORE_AWARD),
    common.withdraw({"review", "deficient", *BEFORE_AWARD, "suspended"}),
)

ARBITRATION = register(
    Procedure(
        key="arbitration",
        version="2026.1",
        title=N_("Arbitration before a three-member tribunal"),
        summary=N_("Each side nominates an arbitrator and the two nominate the presiding "
                   "arbitrator; the tribunal hears statements of claim and defence, issues "
                   "procedural orders and renders a reasoned award."),
        initial="draft",
        stages=STAGES,
        actions=ACTIONS,
    )
)
