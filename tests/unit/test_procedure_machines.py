"""Every procedure, driven by random actions of random roles (hypothesis state machines).

Invariants, checked after every step: a terminal stage offers no action; any other stage has a
way forward or a running deadline; a role the definition does not name never succeeds; each
successful action appends exactly one audit event. The engine runs against a fake case (no
database), so each machine runs in well under a second per example.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import workflows.procedures  # noqa: F401  (registers the procedures)
from workflows import calendar
from workflows.engine import (
    RESUME,
    SYSTEM,
    ActionRefused,
    Actor,
    Procedure,
    available_actions,
    perform,
    procedures,
)
from workflows.procedures.roles import CASE_MANAGER, CASE_ROLES

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
ROLES = sorted(CASE_ROLES | {CASE_MANAGER, SYSTEM, "stranger"})


@dataclass
class FakeCase:
    """A case with every fact the guards read, each settable by the machine."""

    procedure_key: str
    rules_version: str
    stage: str
    mediation_days: int = 60
    suspended_from: str | None = None
    suspended_remaining: int | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, bool] = field(default_factory=dict)
    nominees: set[str] = field(default_factory=set)

    def record_event(self, **event: Any) -> None:
        self.events.append(event)

    def open_deadline(self, rule, due, *, at) -> None:
        self.deadlines.append({"key": rule.key, "addressee": rule.addressee, "due": due,
                               "status": "open", "extended": 0})

    def close_deadlines(self, *, outcome, at) -> None:
        for d in self.deadlines:
            if d["status"] == "open":
                d["status"] = outcome

    def addressee_calendar(self, addressee: str):
        if addressee.startswith("respondent"):
            return calendar.Addressee("MY", "Asia/Kuala_Lumpur", subdiv="03")
        return ("EG", "Africa/Cairo")

    def _open(self, key: str):
        return next((d for d in self.deadlines if d["key"] == key and d["status"] == "open"),
                    None)

    def open_deadline_due(self, key: str):
        d = self._open(key)
        return d["due"].due_at if d else None

    def extend_deadline(self, key, days, *, at, reason):
        d = self._open(key)
        old = d["due"]
        d["due"] = calendar.compute_due(old.trigger, old.days + days, country=old.country,
                                        business=old.business, tz=old.tz)
        d["extended"] += days
        self.facts["extension_pending"] = False
        return d["due"]

    # facts
    def filing_problems(self):
        return [] if self.facts.get("complete", True) else ["rights"]

    def offer_awaiting(self, side):
        return self.facts.get("offer", False) and not self.facts.get(f"accepted_{side}", False)

    def settlement_agreed(self):
        return self.facts.get("offer", False) and all(
            self.facts.get(f"accepted_{s}", False) for s in ("claimant", "respondent"))

    def award_draft_complete(self):
        return self.facts.get("draft_ready", False)

    def extension_pending(self):
        return self.facts.get("extension_pending", False)

    def deadline_addressed_to(self, side):
        return any(d["status"] == "open" and d["addressee"].startswith(side)
                   for d in self.deadlines)

    def deadline_extended(self, key):
        d = self._open(key)
        return bool(d and d["extended"])

    def nominated(self, side):
        return side in self.nominees

    def co_arbitrators_complete(self):
        return self.nominees >= {"claimant", "respondent"}

    def tribunal_vacancies(self):
        return ["presiding"] if self.facts.get("vacancy", False) else []

    def challenge_pending(self):
        return self.facts.get("challenge", False)


STAGES_SEEN: dict[str, set[str]] = {}
FACTS = ["complete", "offer", "accepted_claimant", "accepted_respondent", "draft_ready",
         "extension_pending", "vacancy", "challenge"]


def machine_for(procedure: Procedure):
    names = sorted(a.name for a in procedure.actions)

    class ProcedureMachine(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.case = FakeCase(procedure.key, procedure.rules_version, procedure.initial)
            self.clock = T0
            STAGES_SEEN.setdefault(procedure.rules_version, set()).add(procedure.initial)

        @rule(name=st.sampled_from(names), role=st.sampled_from(ROLES),
              days_later=st.integers(0, 120), extra=st.integers(1, 10),
              learned_ago=st.integers(0, 30))
        def act(self, name, role, days_later, extra, learned_ago):
            self.clock += timedelta(days=days_later)
            action = procedure.action(name)
            case = self.case
            before, stage = len(case.events), case.stage
            data = {"days": extra, "reason": "needed",
                    "learned_on": self.clock.date() - timedelta(days=learned_ago)}
            actor = Actor.of(1, role, {role})
            try:
                transition = perform(case, name, actor, data, now=self.clock)
            except ActionRefused:
                assert len(case.events) == before and case.stage == stage
                return
            # It succeeded: the definition names this role and this stage.
            assert role in action.roles, (name, role)
            assert stage in action.stages, (name, stage)
            assert len(case.events) == before + 1
            event = case.events[-1]
            assert event["action"] == name and event["stage_from"] == stage
            if action.target not in (None, RESUME):
                assert case.stage == action.target
            assert transition.stage_to == case.stage
            if name == "nominate_arbitrator":
                case.nominees.add("claimant" if role.startswith("claimant") else "respondent")

        @rule(draw=st.data(), days_later=st.integers(0, 60))
        def act_as_named(self, draw, days_later):
            """Mostly actions the stage offers, by a role the action names, so that the
            machine walks deep into the procedure instead of collecting refusals."""
            offered = procedure.actions_in(self.case.stage)
            if not offered:
                return
            if draw.draw(st.integers(0, 9)):  # nine times in ten, avoid ending the case
                onward = [a for a in offered if not (
                    a.target not in (None, RESUME) and procedure.stage(a.target).terminal)]
                offered = onward or offered
            action = draw.draw(st.sampled_from(offered))
            role = draw.draw(st.sampled_from(sorted(action.roles)))
            self.act(action.name, role, days_later, 3, 2)
            STAGES_SEEN.setdefault(procedure.rules_version, set()).add(self.case.stage)

        @rule(fact=st.sampled_from(FACTS), value=st.booleans())
        def set_fact(self, fact, value):
            self.case.facts[fact] = value

        @rule(side=st.sampled_from(["claimant", "respondent"]))
        def nominate(self, side):
            self.case.nominees.add(side)

        @invariant()
        def terminal_stages_offer_nothing(self):
            stage = procedure.stage(self.case.stage)
            if stage.terminal:
                assert procedure.actions_in(stage.key) == []
                for role in ROLES:
                    assert available_actions(self.case, Actor.of(1, role, {role}),
                                             now=self.clock) == []

        @invariant()
        def other_stages_have_a_way_forward_or_a_running_deadline(self):
            stage = procedure.stage(self.case.stage)
            if stage.terminal:
                return
            moves = [a for a in procedure.actions_in(stage.key)
                     if a.target and a.target != stage.key]
            running = stage.deadline is not None and any(
                d["status"] == "open" and d["key"] == stage.deadline.key
                for d in self.case.deadlines)
            assert moves or running
            if stage.deadline is not None and self.case.events:
                assert running, f"{stage.key}: its time limit is not running"

        @invariant()
        def at_most_one_deadline_runs(self):
            assert sum(d["status"] == "open" for d in self.case.deadlines) <= 1

        @invariant()
        def suspension_remembers_where_to_resume(self):
            if self.case.stage == "suspended":
                assert self.case.suspended_from not in (None, "suspended")

    ProcedureMachine.__name__ = f"Machine_{procedure.key}_{procedure.version}"
    return ProcedureMachine


@pytest.mark.parametrize("procedure", procedures(), ids=lambda p: p.rules_version)
def test_random_actions_by_random_roles_keep_the_invariants(procedure):
    machine = machine_for(procedure)
    machine.TestCase.settings = settings(
        max_examples=30, stateful_step_count=50, deadline=None, database=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow])
    machine.TestCase().runTest()
    # The walk reached most of the procedure (a few stages need a lucky sequence of facts).
    seen = STAGES_SEEN.get(procedure.rules_version, set())
    assert len(seen) >= len(procedure.stages) // 2, sorted(seen)


def test_definitions_check_resumes_and_extensions():
    from workflows.engine import Action, DefinitionError, Stage

    stages = (Stage("start", "Start"), Stage("done", "Done", terminal=True))
    go = Action("go", "Go", frozenset({"claimant"}), frozenset({"start"}), target="done")
    with pytest.raises(DefinitionError, match="resumes from no suspension stage"):
        Procedure(key="bad", version="1", title="", summary="", initial="start", stages=stages,
                  actions=(go, Action("back", "Back", frozenset({"claimant"}),
                                      frozenset({"start"}), target=RESUME)))
    with pytest.raises(DefinitionError, match="extends unknown deadline"):
        Procedure(key="bad", version="1", title="", summary="", initial="start", stages=stages,
                  actions=(go, Action("more", "More", frozenset({"claimant"}),
                                      frozenset({"start"}), extends="response")))


def test_a_suspension_keeps_the_days_left_of_the_interrupted_period():
    procedure = next(p for p in procedures() if p.rules_version == "arbitration/2026.1")
    case = FakeCase(procedure.key, procedure.rules_version, "review")
    manager = Actor.of(1, "m", {CASE_MANAGER})
    perform(case, "accept_filing", manager, now=T0)
    answer_due = case.open_deadline_due("answer")
    perform(case, "suspend_proceedings", manager, now=T0 + timedelta(days=10))
    assert case.suspended_from == "answer" and 19 <= case.suspended_remaining <= 21
    resumed = perform(case, "resume_proceedings", manager, now=T0 + timedelta(days=40))
    assert case.stage == "answer" and case.suspended_from is None
    assert resumed.deadline.due_at >= answer_due + timedelta(days=29)
