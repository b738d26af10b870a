"""Deadlines as users and operators meet them: the compute command, the sweep, reminders,
calendar corrections by case managers, the private calendar feed, and the public rules pages
and deadline explanations in English, Arabic and French."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from icalendar import Calendar

from app.extensions import db
from app.formatting import hijri
from app.models import AuditEvent, CalendarDay, Deadline
from tests.conftest import outbox_to
from tests.helpers import act, case, file_complaint, served_case, switch


# ---------------------------------------------------------------------------- the CLI
def compute(runner, *args: str) -> dict:
    result = runner.invoke(args=["deadlines", "compute", *args, "--json"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1  # exactly one JSON object
    return json.loads(lines[0])


def test_compute_prints_one_json_object(runner):
    # 20 days from Tue 10 Mar 2026 end on Mon 30 Mar 2026, a working day in Saudi Arabia.
    out = compute(runner, "--country", "SA", "--start", "2026-03-10", "--days", "20",
                  "--tz", "Asia/Riyadh")
    assert out["due_date"] == "2026-03-30"
    assert out["hijri"] == "1447-10-11"
    assert out["skipped"] == []
    assert "10 March 2026" in out["explanation"]


def test_compute_rolls_over_eid_and_reports_every_skipped_day(runner):
    # Fri 6 Mar + 14 = Fri 20 Mar, Eid al-Fitr; 20..24 Mar are not business days in SA.
    out = compute(runner, "--country", "sa", "--start", "2026-03-06", "--days", "14")
    assert out["due_date"] == "2026-03-25"
    assert [s["date"] for s in out["skipped"]] == [
        "2026-03-20", "2026-03-21", "2026-03-22", "2026-03-23", "2026-03-24"]
    assert out["skipped"][0]["reason"].startswith("public holiday: Eid al-Fitr")


def test_compute_business_days_and_a_malaysian_state(runner):
    # Kelantan (MY-03) rests on Friday and Saturday; federal Malaysia on Saturday and Sunday.
    # From Wed 7 Jan 2026, 2 business days: federal Thu 8, Fri 9; Kelantan Thu 8, Sun 11.
    federal = compute(runner, "--country", "MY", "--start", "2026-01-07", "--days", "2",
                      "--business")
    kelantan = compute(runner, "--country", "MY", "--start", "2026-01-07", "--days", "2",
                       "--business", "--subdiv", "03")
    assert federal["due_date"] == "2026-01-09"
    assert kelantan["due_date"] == "2026-01-11"
    assert [s["date"] for s in kelantan["skipped"]] == ["2026-01-09", "2026-01-10"]


def test_compute_refuses_an_unknown_time_zone(runner):
    result = runner.invoke(args=["deadlines", "compute", "--country", "SA", "--start",
                                 "2026-03-10", "--days", "3", "--tz", "Mars/Olympus"])
    assert result.exit_code != 0 and "time zone" in result.output


def test_compute_applies_the_centres_corrections(app, runner, people):
    # MA: Sun 17 May + 10 = Wed 27 May, the estimated Eid al-Adha -> Fri 29 May. The Centre
    # records that the Eid fell a day later: Wed 27 works, so the period ends that day.
    assert compute(runner, "--country", "MA", "--start", "2026-05-17",
                   "--days", "10")["due_date"] == "2026-05-29"
    db.session.add_all([CalendarDay(country="MA", day=date(2026, 5, 27), kind="removed"),
                        CalendarDay(country="MA", day=date(2026, 5, 28), kind="holiday",
                                    name="Eid al-Adha")])
    db.session.commit()
    assert compute(runner, "--country", "MA", "--start", "2026-05-17",
                   "--days", "10")["due_date"] == "2026-05-27"


# ---------------------------------------------------------------------------- the sweep
def test_sweep_is_idempotent_and_records_one_event(app, people, runner):
    number, _respondent = served_case(app, people)
    deadline = case(number).open_deadlines()[0]
    moment = (deadline.due_at + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    first = runner.invoke(args=["deadlines", "sweep", "--now", moment])
    second = runner.invoke(args=["deadlines", "sweep", "--now", moment])
    assert "applied 1" in first.output and "applied 0" in second.output
    assert case(number).stage == "arbitrator_appointment"
    events = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.case_id == case(number).id, AuditEvent.action == "proceed_in_default"))
    assert len(events.all()) == 1
    assert db.session.get(Deadline, deadline.id).status == "expired"


def test_reminders_go_out_once_before_the_deadline(app, people, runner):
    number, _respondent = served_case(app, people)
    deadline = case(number).open_deadlines()[0]
    early = deadline.due_at - timedelta(days=10)
    near = deadline.due_at - timedelta(days=2)
    before = len(outbox_to("respondent@example.test"))
    runner.invoke(args=["deadlines", "sweep", "--now", early.strftime("%Y-%m-%dT%H:%M")])
    assert len(outbox_to("respondent@example.test")) == before
    for _ in range(2):
        result = runner.invoke(args=["deadlines", "sweep", "--now",
                                     near.strftime("%Y-%m-%dT%H:%M")])
    reminders = [m for m in outbox_to("respondent@example.test")
                 if m.subject.startswith("Reminder")]
    assert len(reminders) == 1, result.output
    assert number in reminders[0].subject and "File the response" in reminders[0].body
    assert db.session.get(Deadline, deadline.id).reminder_sent_at is not None
    # only the addressee hears of it, and a reminder changes nothing in the case
    assert not any(m.subject.startswith("Reminder") for m in outbox_to("claimant@example.test"))
    assert case(number).stage == "response"


# ---------------------------------------------------------------------------- corrections
def test_a_moved_eid_recomputes_open_deadlines_and_is_audited(app, people):
    number, _respondent = served_case(app, people)  # the respondent is in the UAE
    deadline = case(number).open_deadlines()[0]
    due = deadline.due_date
    manager = people.client("manager")
    assert people.client("claimant").get("/manage/calendar").status_code == 404
    page = manager.get("/manage/calendar")
    assert page.status_code == 200
    response = manager.post("/manage/calendar", data={
        "kind": "holiday", "country": "AE", "day": due.isoformat(),
        "name": "Eid (moon sighted)"})
    assert response.status_code == 302
    moved = case(number).open_deadlines()[0]
    assert moved.due_date > due
    # the old due date is now skipped as the Eid (it may itself have been rolled to from a
    # weekend, which is then skipped first)
    assert [(s["date"], s["kind"], s["name"]) for s in moved.basis["skipped"]
            if s["date"] == due.isoformat()] == [(due.isoformat(), "holiday",
                                                  "Eid (moon sighted)")]
    events = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.case_id == case(number).id, AuditEvent.action == "recompute_deadline")).all()
    assert len(events) == 1 and events[0].detail["from"] == due.isoformat()
    timeline = people.client("claimant").get(f"/cases/{number}").get_data(as_text=True)
    assert "Time limit recomputed after a calendar correction" in timeline

    # Withdrawing the correction puts the deadline back, and says so again.
    row = db.session.scalar(db.select(CalendarDay))
    assert manager.post(f"/manage/calendar/{row.id}/delete").status_code == 302
    assert case(number).open_deadlines()[0].due_date == due


def test_a_closure_of_the_centre_moves_everyones_deadline(app, people):
    number, _respondent = served_case(app, people)
    due = case(number).open_deadlines()[0].due_date
    people.client("manager").post("/manage/calendar", data={
        "kind": "closure", "day": due.isoformat(), "name": "Server migration"})
    assert case(number).open_deadlines()[0].due_date > due


def test_the_correction_form_validates(people):
    manager = people.client("manager")
    response = manager.post("/manage/calendar", data={"kind": "holiday", "country": "AE",
                                                      "day": "2026-05-27", "name": ""})
    assert response.status_code == 422
    assert db.session.scalar(db.select(CalendarDay)) is None


# ---------------------------------------------------------------------------- iCalendar
def test_private_calendar_feed_lists_deadlines_and_can_be_revoked(app, people):
    number, respondent = served_case(app, people)
    page = respondent.post("/calendar/rotate").get_data(as_text=True)
    url = re.search(r"http://localhost(/calendar/feed/[^<\s]+\.ics)", page).group(1)
    anonymous = app.test_client()
    feed = anonymous.get(url)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    events = [c for c in Calendar.from_ical(feed.data).walk("VEVENT")]
    deadline = case(number).open_deadlines()[0]
    assert len(events) == 1
    assert number in str(events[0]["summary"])
    assert events[0].decoded("dtstart") == deadline.due_date
    # A stranger's feed does not show other people's cases.
    stranger = people.client("stranger")
    other = re.search(r"(/calendar/feed/[^<\s]+\.ics)",
                      stranger.post("/calendar/rotate").get_data(as_text=True)).group(1)
    assert Calendar.from_ical(anonymous.get(other).data).walk("VEVENT") == []
    # Rotating revokes the old address; revoking leaves none.
    respondent.post("/calendar/rotate")
    assert anonymous.get(url).status_code == 404
    respondent.post("/calendar/revoke")
    assert anonymous.get("/calendar/feed/not-a-token.ics").status_code == 404
    assert "no calendar address" in respondent.get("/calendar/").get_data(as_text=True)


# ---------------------------------------------------------------------------- languages
@pytest.mark.parametrize("key", ["expedited", "med-arb", "arbitration"])
@pytest.mark.parametrize("lang, direction", [("en", "ltr"), ("ar", "rtl"), ("fr", "ltr")])
def test_rules_pages_render_in_each_language(client, key, lang, direction):
    switch(client, lang)
    page = client.get(f"/rules/{key}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'<html lang="{lang}" dir="{direction}">' in body
    assert key in body and "rules-stage" in body


def test_rules_page_shows_stages_roles_and_time_limits(client):
    body = client.get("/rules/expedited").get_data(as_text=True)
    for text in ("Payment of the fee", "10 days", "Take the automatic 4-day extension",
                 "3 business days", "10 business days", "Transfer of the domain name",
                 "Cancellation of the domain name", "UDRP Rules ¶5(a)-(b)"):
        assert text in body, text
    assert "Damages" not in body
    older = client.get("/rules/med-arb?version=2026.1").get_data(as_text=True)
    assert "med-arb/2026.1" in older
    assert client.get("/rules/teleport").status_code == 404
    assert client.get("/rules/med-arb?version=1999.1").status_code == 404
    assert "/rules/arbitration" in client.get("/rules/").get_data(as_text=True)


@pytest.mark.parametrize("lang, direction", [("en", "ltr"), ("ar", "rtl"), ("fr", "ltr")])
def test_deadline_explanations_render_in_each_language(app, people, lang, direction):
    number, respondent = served_case(app, people)
    switch(respondent, lang, f"/cases/{number}")
    body = respondent.get(f"/cases/{number}").get_data(as_text=True)
    assert f'dir="{direction}"' in body
    deadline = case(number).open_deadlines()[0]
    # The due date in the reader's calendar language, and its Hijri date.
    with app.test_request_context(), force_locale(lang):
        assert hijri(deadline.due_date) in body
    if lang == "en":
        assert "Asia/Dubai" in body and "20 days counted from" in body



def test_a_party_in_a_state_with_its_own_weekend_gets_its_calendar(app, people):
    claimant = people.client("claimant")
    number = file_complaint(claimant, respondent={"country": "MY", "subdivision": "03"})
    act(people.client("manager"), number, "accept_filing")
    basis = case(number).open_deadlines()[0].basis
    assert (basis["country"], basis["subdiv"], basis["tz"]) == ("MY", "03", "Asia/Kuala_Lumpur")
    refused = claimant.post("/file/new")
    draft = refused.location.rsplit("/", 1)[0]
    bad = claimant.post(f"{draft}/respondent", data={
        "name": "X", "country": "EG", "address": "Cairo", "email": "x@example.test",
        "subdivision": "03"})
    assert bad.status_code == 422


def test_procedures_print_themselves(runner):
    result = runner.invoke(args=["procedures", "show", "expedited"])
    assert result.exit_code == 0
    assert "expedited/2026.1" in result.output
    assert "request_automatic_extension" in result.output and "med-arb" not in result.output


def test_moving_an_estimated_eid_by_a_day(app, people, runner):
    # MA: Eid al-Adha estimated Wed 27 + Thu 28 May 2026; sighted a day later (Thu 28 + Fri 29).
    manager = people.client("manager")
    response = manager.post("/manage/calendar", data={
        "kind": "holiday", "country": "MA", "day": "2026-05-29", "moved_from": "2026-05-27",
        "name": "Eid al-Adha (sighted)"})
    assert response.status_code == 302
    rows = {(r.day, r.kind) for r in db.session.scalars(db.select(CalendarDay))}
    assert rows == {(date(2026, 5, 29), "holiday"), (date(2026, 5, 27), "removed")}
    # Sun 17 May + 10 = Wed 27 May, now a working day.
    assert compute(runner, "--country", "MA", "--start", "2026-05-17",
                   "--days", "10")["due_date"] == "2026-05-27"
    refused = manager.post("/manage/calendar", data={
        "kind": "removed", "country": "MA", "day": "2026-05-30", "moved_from": "2026-05-28"})
    assert refused.status_code == 422
