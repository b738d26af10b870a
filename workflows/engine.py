"""The procedure engine: the only way a case changes stage.

A procedure is declarative data (stages, actions, deadlines). `perform()` checks that the actor
holds a role the action names, that the case is in a stage the action names and that the guard
passes; it then moves the case, closes and opens deadlines and appends exactly one audit event, all
on the case object the caller passes, inside the caller's transaction. The engine knows no procedure
by name and nothing about the database: the app's `Case` satisfies `CaseRecord`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from workflows import calendar


def N_(text: str) -> str:
    """Marks a string for translation without translating it: the app translates at display
    time in the reader's language, so the definitions stay free of Flask-Babel."""
    return text


SYSTEM = "system"  # the role of the deadline sweep and of automatic follow-on actions
INSTITUTION = "institution"  # addressee of deadlines the Centre itself must meet
RESUME = "@resume"  # an action target: back to the stage a suspension interrupted
RUNNING = "*"  # Action.extends: whatever deadline the current stage runs


class CaseRecord(Protocol):
    """What the engine needs from a case."""

    procedure_key: str
    rules_version: str
    stage: str
    # While suspended (for settlement): the stage to resume and the days its period had left.
    suspended_from: str | None
    suspended_remaining: int | None
    # When the case reached a terminal stage (the engine sets it: the moment acted for).
    closed_at: datetime | None

    def record_event(
        self,
        *,
        action: str,
        actor: Actor,
        stage_from: str,
        stage_to: str,
        detail: Mapping[str, Any],
        visibility: str,
        at: datetime,
    ) -> None: ...

    def open_deadline(self, rule: DeadlineRule, due: calendar.DueDate, *, at: datetime) -> None: ...

    def close_deadlines(self, *, outcome: str, at: datetime) -> None: ...

    def addressee_calendar(self, addressee: str) -> tuple[str, str] | calendar.Addressee:
        """Whose calendar governs a deadline: (country code, IANA time zone), or an
        Addressee with the state, closure days and confirmed holiday dates as well."""
        ...

    def open_deadline_due(self, key: str) -> datetime | None: ...

    def extend_deadline(
        self, key: str, days: int, *, at: datetime, reason: str
    ) -> calendar.DueDate: ...


@dataclass(frozen=True)
class Actor:
    """Who acts, with the roles they hold *in this case* (claimant, mediator, case_manager...)."""

    user_id: int | None
    name: str
    roles: frozenset[str]

    @classmethod
    def of(cls, user_id: int | None, name: str, roles: Iterable[str]) -> Actor:
        return cls(user_id=user_id, name=name, roles=frozenset(roles))

    @classmethod
    def system(cls) -> Actor:
        return cls(user_id=None, name="Sulh", roles=frozenset({SYSTEM}))


@dataclass(frozen=True)
class DeadlineRule:
    """A time limit a stage starts: N days after the day the case enters the stage."""

    key: str
    label: str
    days: int
    addressee: str  # a role (claimant, respondent, ...) or INSTITUTION / tribunal
    on_expiry: str  # the action the sweep performs as SYSTEM when it passes
    business: bool = False
    source: str = ""  # the rule that sets it, shown to users
    days_from: str | None = None  # case attribute overriding `days` (a period chosen at filing)
    trigger: str = N_("the start of this stage")  # the event the period runs from


# A guard reads the case, the actor, the submitted data and the moment the engine acts for
# (never the clock itself: a drill sweeps "as of" another day, a page is rendered for now).
Guard = Callable[[Any, "Actor", Mapping[str, Any], datetime], str | None]

# The guards that read nothing of a case but its deadlines. An action applied when a deadline
# expires has one of them or none (`Procedure.check`), so the sweep can decide it on the
# deadlines it loads in bulk, without the whole case.
_DEADLINE_GUARDS: set[Guard] = set()


def deadline_guard(guard: Guard) -> Guard:
    """Declare that `guard` reads only the case's deadlines."""
    _DEADLINE_GUARDS.add(guard)
    return guard


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    roles: frozenset[str]
    stages: frozenset[str]
    target: str | None = None  # None: the case stays where it is
    guard: Guard | None = None  # returns a reason the action is refused, or None
    visibility: str = "participants"  # who may read the audit event (see app.models.audit)
    confirm: str = ""  # a sentence shown before the user commits to the action
    primary: bool = False  # shown as the main call to action on the case page
    done: str = ""  # how the timeline reports it ("Complaint submitted"); defaults to label
    extends: str | None = None  # key of the running deadline this action lengthens
    extend_days: int = 0  # by this many days (0: as many as data["days"] says)


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    description: str = ""
    deadline: DeadlineRule | None = None
    terminal: bool = False
    suspends: bool = False  # entering it pauses the stage left (resumed by a RESUME action)
    who: str = ""  # who acts in this stage, in plain words, for the rules page


@dataclass(frozen=True)
class Procedure:
    key: str
    version: str
    title: str
    summary: str
    initial: str
    stages: tuple[Stage, ...]
    actions: tuple[Action, ...]
    remedies: frozenset[str] | None = None  # the only remedies it may grant (None: any)
    _stage_index: dict[str, Stage] = field(init=False, repr=False, compare=False)
    _action_index: dict[str, Action] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_stage_index", {s.key: s for s in self.stages})
        object.__setattr__(self, "_action_index", {a.name: a for a in self.actions})
        problems = self.check()
        if problems:
            raise DefinitionError(f"{self.key}/{self.version}: " + "; ".join(problems))

    @property
    def rules_version(self) -> str:
        return f"{self.key}/{self.version}"

    def stage(self, key: str) -> Stage:
        try:
            return self._stage_index[key]
        except KeyError:
            raise DefinitionError(f"{self.rules_version} has no stage {key!r}") from None

    def action(self, name: str) -> Action | None:
        return self._action_index.get(name)

    def actions_in(self, stage: str) -> list[Action]:
        return [a for a in self.actions if stage in a.stages]

    def check(self) -> list[str]:
        """A definition checks itself when it is built, so a broken procedure never loads:
        unknown stages, terminal stages with actions, deadlines without an expiry action (or
        with one that needs more than the deadlines to decide), stages nothing leads to."""
        problems: list[str] = []
        keys = {s.key for s in self.stages}
        if len(keys) != len(self.stages):
            problems.append("duplicate stage keys")
        if len({a.name for a in self.actions}) != len(self.actions):
            problems.append("duplicate action names")
        if self.initial not in keys:
            problems.append(f"initial stage {self.initial!r} is not defined")
        deadline_keys = {s.deadline.key for s in self.stages if s.deadline}
        for action in self.actions:
            target = action.target if action.target != RESUME else None
            unknown = (action.stages | {target or next(iter(action.stages), "")}) - keys
            if action.target == RESUME and not any(s.suspends for s in self.stages
                                                   if s.key in action.stages):
                problems.append(f"action {action.name} resumes from no suspension stage")
            if action.extends == RUNNING:
                bare = sorted(k for k in action.stages
                              if k in self._stage_index and not self._stage_index[k].deadline)
                if bare:
                    problems.append(f"action {action.name} extends nothing in {bare}")
            elif action.extends and action.extends not in deadline_keys:
                problems.append(f"action {action.name} extends unknown deadline "
                                f"{action.extends!r}")
            if unknown:
                problems.append(f"action {action.name} names unknown stages {sorted(unknown)}")
            if not action.roles:
                problems.append(f"action {action.name} names no role")
        for stage in self.stages:
            acts = [a for a in self.actions if stage.key in a.stages]
            if stage.terminal and acts:
                problems.append(f"terminal stage {stage.key} offers actions")
            if not stage.terminal and not acts:
                problems.append(f"stage {stage.key} has no way forward")
            if stage.deadline:
                expiry = self._action_index.get(stage.deadline.on_expiry)
                if expiry is None or stage.key not in expiry.stages or SYSTEM not in expiry.roles:
                    problems.append(
                        f"deadline {stage.deadline.key} needs a system action "
                        f"{stage.deadline.on_expiry!r} in stage {stage.key}"
                    )
                elif expiry.extends or (expiry.guard is not None
                                        and expiry.guard not in _DEADLINE_GUARDS):
                    problems.append(f"expiry action {expiry.name} reads more than the "
                                    "case's deadlines")
        reachable = {self.initial}
        frontier = [self.initial]
        while frontier:
            here = frontier.pop()
            for action in self.actions:
                if (here in action.stages and action.target and action.target != RESUME
                        and action.target not in reachable):
                    reachable.add(action.target)
                    frontier.append(action.target)
        unreachable = keys - reachable
        if unreachable:
            problems.append(f"unreachable stages {sorted(unreachable)}")
        return problems


class DefinitionError(Exception):
    """A procedure definition contradicts itself."""


class ActionRefused(Exception):
    """The action may not be taken now; `reason` is a plain-language sentence for the user."""

    def __init__(self, reason: str, *, code: str = "refused") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class Transition:
    action: Action
    stage_from: str
    stage_to: str
    deadline: calendar.DueDate | None


_REGISTRY: dict[str, Procedure] = {}


def register(procedure: Procedure) -> Procedure:
    _REGISTRY[procedure.rules_version] = procedure
    return procedure


def procedure_for(case: Any) -> Procedure:
    """The procedure a case was filed under: the rules in force at filing govern it for life."""
    try:
        return _REGISTRY[case.rules_version]
    except KeyError:
        raise DefinitionError(f"no procedure registered for {case.rules_version!r}") from None


def procedures() -> list[Procedure]:
    return list(_REGISTRY.values())


def current(key: str) -> Procedure:
    """The newest registered version of a procedure, for new filings."""
    candidates = [p for p in _REGISTRY.values() if p.key == key]
    if not candidates:
        raise DefinitionError(f"no procedure {key!r}")
    return max(candidates, key=lambda p: p.version)


def refusal(
    case: CaseRecord, action_name: str, actor: Actor, data: Mapping[str, Any], *,
    now: datetime,
) -> str | None:
    """Why `actor` may not take `action_name` at `now`, or None when they may."""
    procedure = procedure_for(case)
    action = procedure.action(action_name)
    if action is None:
        return N_("This action does not exist in this procedure.")
    if case.stage not in action.stages:
        return N_("This action is not available at the current stage of the case.")
    if not (actor.roles & action.roles):
        return N_("Your role in this case does not allow this action.")
    if action.target == RESUME and not getattr(case, "suspended_from", None):
        return N_("The proceedings are not suspended.")
    if action.extends and case.open_deadline_due(_extended_key(procedure, action, case)) is None:
        return N_("This time limit is not running.")
    if action.guard is not None:
        return action.guard(case, actor, data, now)
    return None


def available_actions(case: CaseRecord, actor: Actor, *, now: datetime) -> list[Action]:
    """The actions `actor` may take at `now`, in definition order (system-only actions
    excluded)."""
    procedure = procedure_for(case)
    return [
        a
        for a in procedure.actions_in(case.stage)
        if a.roles & actor.roles - {SYSTEM} and refusal(case, a.name, actor, {}, now=now) is None
    ]


def perform(
    case: CaseRecord,
    action_name: str,
    actor: Actor,
    data: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
    detail: Mapping[str, Any] | None = None,
    visibility: str | None = None,
) -> Transition:
    """Take one action at `now`: check, move, set deadlines, record. Raises ActionRefused.

    `now` is the moment the action is taken for — the sweep passes the moment it acts for, so
    that what follows an expiry is timed from it, also when a drill sweeps as if it were
    another day. Without it the engine reads the clock once, here, for every rule it applies."""
    data = data or {}
    now = now or datetime.now(UTC)
    reason = refusal(case, action_name, actor, data, now=now)
    if reason is not None:
        raise ActionRefused(reason)
    procedure = procedure_for(case)
    action = procedure.action(action_name)
    assert action is not None  # refusal() checked it
    stage_from = case.stage
    resuming = action.target == RESUME
    if resuming:
        assert case.suspended_from is not None  # refusal() checked it
        stage_to = case.suspended_from
    else:
        stage_to = action.target or stage_from
    due = None
    event_detail = dict(detail or {})
    if stage_to != stage_from:
        days = None
        if resuming:
            days = case.suspended_remaining
            case.suspended_from, case.suspended_remaining = None, None
        elif procedure.stage(stage_to).suspends:
            case.suspended_from = stage_from
            case.suspended_remaining = _days_left(case, procedure.stage(stage_from), now)
        case.close_deadlines(outcome=action.name, at=now)
        case.stage = stage_to
        if procedure.stage(stage_to).terminal:
            case.closed_at = now
        rule = procedure.stage(stage_to).deadline
        if rule is not None:
            due = compute_deadline(case, rule, now, days=days)
            case.open_deadline(rule, due, at=now)
            event_detail["deadline"] = {"key": rule.key, "due_date": due.due_date.isoformat()}
    if action.extends:
        days = action.extend_days or int(data.get("days") or 0)
        if days <= 0:
            raise ActionRefused(N_("Say by how many days the time limit is extended."))
        reason = str(data.get("reason") or action.done or action.label)
        key = _extended_key(procedure, action, case)
        due = case.extend_deadline(key, days, at=now, reason=reason)
        event_detail["extension"] = {"key": key, "days": days, "reason": reason,
                                     "due_date": due.due_date.isoformat()}
    case.record_event(
        action=action.name,
        actor=actor,
        stage_from=stage_from,
        stage_to=stage_to,
        detail=event_detail,
        visibility=visibility or action.visibility,
        at=now,
    )
    return Transition(action=action, stage_from=stage_from, stage_to=stage_to, deadline=due)


def _extended_key(procedure: Procedure, action: Action, case: CaseRecord) -> str:
    if action.extends != RUNNING:
        return action.extends or ""
    rule = procedure.stage(case.stage).deadline
    return rule.key if rule else ""


def addressee_of(case: CaseRecord, addressee: str) -> calendar.Addressee:
    found = case.addressee_calendar(addressee)
    if isinstance(found, calendar.Addressee):
        return found
    country, tz = found
    return calendar.Addressee(country=country, tz=tz)


def compute_deadline(
    case: CaseRecord, rule: DeadlineRule, now: datetime, *, days: int | None = None
) -> calendar.DueDate:
    """The due date in the addressee's calendar: the period starts the day after `now` in
    the addressee's time zone (WIPO Arbitration Rules art. 4). `days` overrides the rule's
    period (what was left of it when the proceedings were suspended)."""
    who = addressee_of(case, rule.addressee)
    if days is None:
        days = int(getattr(case, rule.days_from)) if rule.days_from else rule.days
    return who.due(_local_date(now, who.tz), days, business=rule.business,
                   trigger_label=rule.trigger)


def _days_left(case: CaseRecord, stage: Stage, now: datetime) -> int | None:
    """Whole days left of the stage's running period, counted in the addressee's zone."""
    if stage.deadline is None:
        return None
    due_at = case.open_deadline_due(stage.deadline.key)
    if due_at is None:
        return None
    tz = addressee_of(case, stage.deadline.addressee).tz
    return max(0, (_local_date(due_at, tz) - _local_date(now, tz)).days)


def _local_date(moment: datetime, tz: str) -> date:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(tz)).date()


def describe(procedure: Procedure) -> Iterable[tuple[str, str, str, str]]:
    """The definition as rows (stage, action, roles, leads to) for the rules page and docs."""
    for stage in procedure.stages:
        for action in procedure.actions_in(stage.key):
            roles = ", ".join(sorted(action.roles))
            yield stage.key, action.name, roles, action.target or stage.key


def table(procedure: Procedure) -> str:
    """The definition printed as a plain-text table (docs, `flask procedures show`)."""
    rows: list[tuple[str, str, str, str]] = [("stage", "action", "roles", "leads to")]
    rows += list(describe(procedure))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)
