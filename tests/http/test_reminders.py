"""Reminders: the addressee of a time limit hears about it once, a few days before it ends."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import Deadline
from tests.conftest import outbox_to
from tests.http.test_lifecycle import case, served_case


def sweep_at(runner, when) -> str:
    result = runner.invoke(args=["deadlines", "sweep", "--now", when.strftime("%Y-%m-%dT%H:%M")])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_respondent_is_reminded_once_before_the_response_is_due(app, people, runner):
    number, _respondent = served_case(app, people)
    deadline = db.session.scalar(db.select(Deadline).where(
        Deadline.case_id == case(number).id, Deadline.key == "response"))
    before = len(outbox_to("respondent@example.test"))

    assert "reminded 0" in sweep_at(runner, deadline.due_at - timedelta(days=10))
    assert "reminded 1" in sweep_at(runner, deadline.due_at - timedelta(days=2))
    assert "reminded 0" in sweep_at(runner, deadline.due_at - timedelta(days=1))  # only once

    reminders = outbox_to("respondent@example.test")[before:]
    assert len(reminders) == 1
    assert number in reminders[0].subject and "File the response" in reminders[0].subject
    assert "/cases/" + number in reminders[0].body
    # The claimant is not the addressee and hears nothing of it.
    assert not any("Reminder" in m.subject for m in outbox_to("claimant@example.test"))
    assert case(number).stage == "response"  # a reminder changes nothing in the case
