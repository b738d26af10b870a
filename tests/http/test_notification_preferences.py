"""The account page's choice of emails is honoured wherever those emails are written — by an
action (case updates, messages) and by the deadline sweep (its case updates and reminders) —
while the notices the rules require (the filing receipt, service, a deficiency, an
appointment, a decision) and the account's own security messages are always sent."""

from __future__ import annotations

import re
from datetime import timedelta

from app.extensions import db
from app.models import User
from tests.conftest import outbox_to
from tests.helpers import act, case, file_complaint, into_mediation, served_case

NEWS = "There is news in case"


def choose(client, **on: bool):
    """Save the notification form with these boxes ticked (unticked boxes send nothing)."""
    data = {name: "y" for name, wanted in on.items() if wanted}
    response = client.post("/account/notifications", data=data)
    assert response.status_code == 302
    return response


def checkbox(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert match, name
    return match.group(0)


def bodies(email: str) -> list[str]:
    return [m.subject + "\n" + m.body for m in outbox_to(email)]


def test_the_account_page_shows_and_saves_the_choice(app, people):
    claimant = people.client("claimant")
    page = claimant.get("/account").get_data(as_text=True)
    for name in ("case_updates", "messages", "deadline_reminders"):
        assert "checked" in checkbox(page, name)  # on, until switched off
        assert f'<label for="{name}">' in page
    choose(claimant, messages=True)
    db.session.expire_all()
    user = people.user("claimant")
    assert (user.notify_case_updates, user.notify_messages,
            user.notify_deadline_reminders) == (False, True, False)
    page = claimant.get("/account").get_data(as_text=True)
    assert "Your choice of emails was saved." in page
    assert "checked" in checkbox(page, "messages")
    assert "checked" not in checkbox(page, "case_updates")
    assert "Always sent, whatever you choose here" in page


def test_switched_off_case_updates_and_messages_are_not_sent_required_notices_are(app, people):
    choose(people.client("claimant"))  # everything optional off
    number = into_mediation(app, people)
    mine = bodies("claimant@example.test")
    assert any("received" in b.lower() or number in b for b in mine)  # the filing receipt
    assert not any(NEWS in b for b in mine)
    assert not any(b.startswith("New message in case") for b in mine)
    # the respondent kept the defaults: the same events reached it
    theirs = bodies("respondent@example.test")
    assert any(NEWS in b for b in theirs)
    assert any(b.startswith("New message in case") for b in theirs)


def test_a_required_notice_is_sent_whatever_the_choice(app, people):
    claimant = people.client("claimant")
    choose(claimant)
    number = file_complaint(claimant)
    act(people.client("manager"), number, "issue_deficiency", {"notice": "Add the licence."})
    assert any("Add the licence." in b for b in bodies("claimant@example.test"))


def test_the_sweep_honours_the_choice_for_reminders_and_its_case_updates(app, people, runner):
    number, respondent = served_case(app, people)
    choose(respondent)  # the respondent wants neither reminders nor case updates
    deadline = case(number).open_deadlines()[0]
    near = (deadline.due_at - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    runner.invoke(args=["deadlines", "sweep", "--now", near])
    assert not any(b.startswith("Reminder") for b in bodies("respondent@example.test"))
    # nor is it reminded at the address it was served at, since it has an account
    db.session.expire_all()
    assert db.session.scalar(db.select(User.notify_deadline_reminders).where(
        User.email == "respondent@example.test")) is False

    before = len([b for b in bodies("claimant@example.test") if NEWS in b])
    due = (deadline.due_at + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    result = runner.invoke(args=["deadlines", "sweep", "--now", due])
    assert "applied 1" in result.output
    assert not any(NEWS in b for b in bodies("respondent@example.test"))
    assert len([b for b in bodies("claimant@example.test") if NEWS in b]) == before + 1


def test_reminders_are_sent_by_default(app, people, runner):
    number, _respondent = served_case(app, people)
    deadline = case(number).open_deadlines()[0]
    near = (deadline.due_at - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    runner.invoke(args=["deadlines", "sweep", "--now", near])
    assert any(b.startswith("Reminder") for b in bodies("respondent@example.test"))


def test_a_tampered_notification_form_changes_nothing_it_should_not(app, people):
    claimant = people.client("claimant")
    response = claimant.post("/account/notifications", data={
        "case_updates": "y", "messages": "y", "deadline_reminders": "y",
        "is_case_manager": "y", "email_verified_at": "", "email": "evil@example.test"})
    assert response.status_code == 302
    db.session.expire_all()
    user = people.user("claimant")
    assert not user.is_case_manager and user.email == "claimant@example.test"
