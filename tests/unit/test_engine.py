"""The procedure engine alone, without Flask: roles, stages, guards, deadlines, audit."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import workflows.procedures  # noqa: F401  (registers the procedures)
from workflows import engine
from workflows.engine import (
    SYSTEM,
    Action,
    ActionRefused,
    Actor,
    DeadlineRule,
    DefinitionError,
    Procedure,
    Stage,
    available_actions,
    perform,
)
from workflows.procedures import guards
from workflows.procedures.med_arb import MED_ARB
from workflows.procedures.roles import CASE_ROLES

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@dataclass
class FakeCase:
    """The smallest object that satisfies the engine's CaseRecord protocol."""

    stage: str = "draft"
    procedure_key: str = "med-arb"
    rules_version: str = MED_ARB.rules_version
    mediation_days: int = 60
    events: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = True
    offer_sides: set[str] = field(default_factory=set)
    has_offer: bool = False
    draft_ready: bool = False

    def record_event(self, **event: Any) -> None:
        self.events.append(event)

    def open_deadline(self, rule, due, *, at) -> None:
        self.deadlines.append({"key": rule.key, "due": due, "status": "open"})

    def close_deadlines(self, *, outcome, at) -> None:
        for d in self.deadlines:
            if d["status"] == "open":
                d["status"] = outcome

    def addressee_calendar(self, addressee: str) -> tuple[str, str]:
        return {"respondent": ("SA", "Asia/Riyadh")}.get(addressee, ("EG", "Africa/Cairo"))

    # facts the guards read
    def filing_problems(self) -> list[str]:
        return [] if self.complete else ["rights"]

    def open_deadline_due(self, key: str):
        return next((d["due"].due_at for d in self.deadlines
                     if d["key"] == key and d["status"] == "open"), None)

    def offer_awaiting(self, side: str) -> bool:
        return self.has_offer and side not in self.offer_sides

    def settlement_agreed(self) -> bool:
        return self.has_offer and self.offer_sides >= {"claimant", "respondent"}

    def award_draft_complete(self) -> bool:
        return self.draft_ready


def who(*roles: str) -> Actor:
    return Actor(user_id=1, name="Someone", roles=frozenset(roles))


def test_submit_moves_draft_to_review_and_records_one_event():
    case = FakeCase()
    transition = perform(case, "submit", who("claimant"), now=NOW)
    assert (transition.stage_from, transition.stage_to) == ("draft", "review")
    assert case.stage == "review"
    assert len(case.events) == 1
    assert case.events[0]["action"] == "submit"


def test_incomplete_complaint_cannot_be_submitted():
    case = FakeCase(complete=False)
    with pytest.raises(ActionRefused, match="incomplete"):
        perform(case, "submit", who("claimant"), now=NOW)
    assert case.stage == "draft" and case.events == []


@pytest.mark.parametrize("action, stage", [(a.name, s) for a in MED_ARB.actions
                                          for s in sorted(a.stages)])
def test_every_action_refuses_every_role_it_does_not_name(action, stage):
    definition = MED_ARB.action(action)
    for role in sorted((CASE_ROLES | {"case_manager", SYSTEM}) - definition.roles):
        case = FakeCase(stage=stage)
        with pytest.raises(ActionRefused, match="role"):
            perform(case, action, who(role), now=NOW)
        assert case.stage == stage and case.events == []


@pytest.mark.parametrize("action", [a.name for a in MED_ARB.actions])
def test_every_action_is_refused_outside_its_stages(action):
    definition = MED_ARB.action(action)
    for stage in [s.key for s in MED_ARB.stages if s.key not in definition.stages]:
        case = FakeCase(stage=stage)
        with pytest.raises(ActionRefused, match="stage"):
            perform(case, action, who(*definition.roles), now=NOW)
        assert case.events == []


def test_unknown_action_is_refused():
    with pytest.raises(ActionRefused):
        perform(FakeCase(), "teleport", who("claimant"), now=NOW)


def test_accepting_the_filing_starts_the_response_deadline_in_the_respondents_calendar():
    case = FakeCase(stage="review")
    transition = perform(case, "accept_filing", who("case_manager"), now=NOW)
    assert case.stage == "response"
    due = transition.deadline
    # 20 days from 10 March 2026 end on 30 March 2026, a Monday and a working day in SA.
    assert due.country == "SA"
    assert due.due_date.isoformat() >= "2026-03-30"
    assert due.due_at.tzinfo is not None
    assert [d["key"] for d in case.deadlines] == ["response"]
    assert case.events[0]["detail"]["deadline"]["key"] == "response"


def test_leaving_a_stage_closes_its_deadline():
    case = FakeCase(stage="review")
    perform(case, "accept_filing", who("case_manager"), now=NOW)
    perform(case, "respond", who("respondent"), now=NOW)
    assert case.deadlines[0]["status"] == "respond"


def test_default_only_after_the_response_period_unless_the_system_applies_it():
    case = FakeCase(stage="review")
    perform(case, "accept_filing", who("case_manager"), now=NOW)
    with pytest.raises(ActionRefused, match="not ended"):
        perform(case, "proceed_in_default", who("case_manager"), now=NOW)
    perform(case, "proceed_in_default", Actor.system(), now=NOW)
    assert case.stage == "arbitrator_appointment"


def test_mediation_period_chosen_at_filing_governs_the_deadline():
    short, long_ = FakeCase(stage="mediator_appointment"), FakeCase(
        stage="mediator_appointment", mediation_days=90)
    d60 = perform(short, "appoint_mediator", who("case_manager"), now=NOW).deadline
    d90 = perform(long_, "appoint_mediator", who("case_manager"), now=NOW).deadline
    assert (d90.due_date - d60.due_date).days >= 28


def test_settlement_needs_an_offer_awaiting_the_side_and_both_acceptances():
    case = FakeCase(stage="mediation")
    with pytest.raises(ActionRefused):
        perform(case, "accept_settlement", who("claimant"), now=NOW)
    case.has_offer, case.offer_sides = True, {"respondent"}
    perform(case, "accept_settlement", who("claimant_counsel"), now=NOW)
    with pytest.raises(ActionRefused, match="Both parties"):
        perform(case, "conclude_settlement", Actor.system(), now=NOW)
    case.offer_sides.add("claimant")
    perform(case, "conclude_settlement", Actor.system(), now=NOW)
    assert case.stage == "settled"
    assert available_actions(case, who("claimant"), now=NOW) == []


def test_caucus_channel_is_closed_to_the_other_side():
    case = FakeCase(stage="mediation")
    with pytest.raises(ActionRefused, match="channel"):
        perform(case, "send_message", who("respondent"), {"channel": "caucus:claimant"},
                now=NOW)
    perform(case, "send_message", who("respondent"), {"channel": "caucus:respondent"}, now=NOW)
    perform(case, "send_message", who("mediator"), {"channel": "caucus:claimant"}, now=NOW)
    assert len(case.events) == 2


def test_award_cannot_be_issued_until_the_draft_is_complete():
    case = FakeCase(stage="deliberation")
    with pytest.raises(ActionRefused, match="award"):
        perform(case, "issue_award", who("arbitrator"), now=NOW)
    case.draft_ready = True
    perform(case, "issue_award", who("arbitrator"), now=NOW)
    assert case.stage == "awarded"


def test_available_actions_follow_role_and_stage():
    case = FakeCase(stage="review")
    assert {a.name for a in available_actions(case, who("case_manager"), now=NOW)} == {
        "accept_filing", "issue_deficiency"}
    assert {a.name for a in available_actions(case, who("claimant"), now=NOW)} == {"withdraw"}
    assert available_actions(case, who("respondent"), now=NOW) == []


def test_terminal_stages_offer_nothing():
    for stage in (s for s in MED_ARB.stages if s.terminal):
        assert MED_ARB.actions_in(stage.key) == []


def test_a_broken_definition_does_not_load():
    with pytest.raises(DefinitionError, match="terminal stage done offers actions"):
        Procedure(key="bad", version="1", title="", summary="", initial="start",
                  stages=(Stage("start", "Start"), Stage("done", "Done", terminal=True)),
                  actions=(Action("go", "Go", frozenset({"claimant"}), frozenset({"start"}),
                                  target="done"),
                           Action("again", "Again", frozenset({"claimant"}),
                                  frozenset({"done"}))))
    with pytest.raises(DefinitionError, match="needs a system action"):
        Procedure(key="bad", version="1", title="", summary="", initial="start",
                  stages=(Stage("start", "Start", deadline=DeadlineRule(
                      "d", "D", 5, "claimant", on_expiry="expire")),
                          Stage("done", "Done", terminal=True)),
                  actions=(Action("go", "Go", frozenset({"claimant"}), frozenset({"start"}),
                                  target="done"),))
    with pytest.raises(DefinitionError, match="unreachable"):
        Procedure(key="bad", version="1", title="", summary="", initial="start",
                  stages=(Stage("start", "Start"), Stage("island", "Island"),
                          Stage("done", "Done", terminal=True)),
                  actions=(Action("go", "Go", frozenset({"claimant"}), frozenset({"start"}),
                                  target="done"),
                           Action("swim", "Swim", frozenset({"claimant"}),
                                  frozenset({"island"}), target="done")))



def test_an_expiry_action_is_decided_on_the_deadlines_alone():
    """The sweep applies expiries on the deadlines it loads in bulk: a guard reading anything
    else (here, the award draft) makes the definition fail, a deadline guard does not."""
    def award_ready(case, actor, data, now):
        return None if case.award_draft_complete() else "not ready"

    def definition(guard):
        return Procedure(
            key="bad", version="1", title="", summary="", initial="start",
            stages=(Stage("start", "Start", deadline=DeadlineRule(
                "d", "D", 5, "claimant", on_expiry="expire")),
                    Stage("done", "Done", terminal=True)),
            actions=(Action("expire", "Expire", frozenset({SYSTEM}), frozenset({"start"}),
                            target="done", guard=guard),))

    with pytest.raises(DefinitionError, match="expiry action expire reads more than"):
        definition(award_ready)
    assert definition(guards.period_over("d")).action("expire") is not None


def test_every_stage_deadline_expires_into_a_system_action():
    for stage in MED_ARB.stages:
        if stage.deadline:
            expiry = MED_ARB.action(stage.deadline.on_expiry)
            assert SYSTEM in expiry.roles and stage.key in expiry.stages


def test_workflows_never_import_flask():
    code = ("import sys, workflows.engine, workflows.procedures, workflows.calendar;"
            "bad = [m for m in sys.modules if m == 'flask' or m.startswith(('flask.', 'app.'))"
            " or m == 'app'];"
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_engine_knows_no_procedure_by_name():
    source = Path(engine.__file__).read_text(encoding="utf-8")
    assert "med-arb" not in source and "med_arb" not in source
