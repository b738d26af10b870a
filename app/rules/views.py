"""The public rules pages: each procedure as a plain-language summary of its stages, who acts
in each, and the time limits that run, generated from the definition the engine enforces."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request

from app import labels
from app.web import public
from workflows.engine import SYSTEM, DefinitionError, Procedure, current, procedures

bp = Blueprint("rules", __name__, url_prefix="/rules")


@bp.get("/")
@public
def index():
    from app.filing.service import procedure_choices

    return render_template("rules/index.html", procedures=procedure_choices())


@bp.get("/<key>")
@public
def show(key: str):
    """The newest rules version, or `?version=2026.1` for the rules an older case follows."""
    version = request.args.get("version")
    try:
        procedure = current(key)
    except DefinitionError:
        abort(404)
    if version:
        procedure = next((p for p in procedures() if p.key == key and p.version == version),
                         None) or abort(404)
    versions = sorted(p.version for p in procedures() if p.key == key)
    return render_template("rules/show.html", procedure=procedure, stages=summary(procedure),
                           versions=versions)


def summary(procedure: Procedure) -> list[dict[str, Any]]:
    """Plain data per stage: what happens, who may do what, the time limit and its effect."""
    rows = []
    for stage in procedure.stages:
        actions = []
        for action in procedure.actions_in(stage.key):
            roles = sorted(action.roles - {SYSTEM})
            if not roles:
                continue  # automatic steps are described by the time limit that triggers them
            actions.append({"label": action.label,
                            "roles": [str(labels.ROLE_LABELS.get(r, r)) for r in roles]})
        rule = stage.deadline
        deadline = None
        if rule is not None:
            expiry = procedure.action(rule.on_expiry)
            deadline = {"label": rule.label, "days": rule.days, "business": rule.business,
                        "days_from": rule.days_from, "trigger": rule.trigger,
                        "addressee": str(labels.ROLE_LABELS.get(rule.addressee, rule.addressee)),
                        "source": rule.source,
                        "expiry": (expiry.done or expiry.label) if expiry else ""}
        rows.append({"key": stage.key, "label": stage.label, "description": stage.description,
                     "who": stage.who, "terminal": stage.terminal, "actions": actions,
                     "deadline": deadline})
    return rows
