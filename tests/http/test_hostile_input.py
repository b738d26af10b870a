"""Hostile input is refused with a 4xx that says what is wrong — never a 500.

Each test reproduces a cause of the 500s a fuzzing run found (issue 10, point 4): control
characters in the path, query, form fields and JSON; ids beyond the 32-bit columns; JSON nested
thousands deep; dates no calendar can show; a non-numeric id in a form."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from app.extensions import db
from app.models import ApiToken, Case, SettlementOffer
from app.models.types import utcnow
from tests.helpers import (
    REMEDIES,
    act,
    case,
    fill_complaint,
    in_arbitration,
    into_mediation,
    served_case,
    start_draft,
)

HUGE = "99999999999999999999999"


def token_for(people, key: str) -> dict[str, str]:
    _row, token = ApiToken.issue(people.user(key), "test")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def text(response) -> str:
    return response.get_data(as_text=True).replace("&#34;", '"').replace("&#39;", "'")


# ------------------------------------------------------------------ control characters
@pytest.mark.parametrize("path", ["/cases/%00", "/cases/SULH%0A", "/verify/%00",
                                  "/verify/AB%7FCD", "/rules/med%C2%85arb"])
def test_a_control_character_in_the_path_is_a_bad_request(app, people, path):
    response = people.client("claimant").get(path)
    assert response.status_code == 400
    assert "control character" in text(response)
    anonymous = app.test_client().get(path)
    assert anonymous.status_code == 400


@pytest.mark.parametrize("query, name", [("stage=%00", "stage"), ("after=x%01y", "after"),
                                         ("stage=review%0D%0A", "stage"),
                                         ("stage=%09", "stage")])
def test_a_control_character_in_the_query_is_a_bad_request_naming_the_parameter(
        app, people, query, name):
    response = people.client("manager").get(f"/manage/?{query}")
    assert response.status_code == 400
    assert f"“{name}”" in text(response)


def test_a_control_character_in_a_query_parameter_name_is_refused(app):
    response = app.test_client().get("/verify?co%00de=ABC")
    assert response.status_code == 400


def test_settlement_terms_with_a_nul_are_refused_and_nothing_is_saved(app, people):
    number = into_mediation(app, people)
    response = act(people.client("mediator"), number, "propose_settlement",
                   {"terms": "1. The respondent stops.\x00 2. Nothing else."}, expect=400)
    assert "“terms”" in text(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(SettlementOffer)) == 0


@pytest.mark.parametrize("bad", ["\x7f", "\x85", "\x1b[31m", "\x0b", "\x0c"])
def test_del_c1_and_other_c0_characters_in_form_values_are_refused(app, people, bad):
    number = into_mediation(app, people)
    response = act(people.client("mediator"), number, "send_message",
                   {"channel": "joint", "body": f"Hello{bad}there"}, expect=400)
    assert "“body”" in text(response)


def test_tab_newline_and_carriage_return_are_ordinary_text_in_a_form(app, people):
    number = into_mediation(app, people)
    act(people.client("mediator"), number, "propose_settlement",
        {"terms": "1.\tThe respondent stops.\r\n2.\tThe claimant waives damages.\n"})
    offer = db.session.scalar(db.select(SettlementOffer))
    assert "\t" in offer.terms and "\n" in offer.terms


def test_a_control_character_in_a_form_field_name_is_refused(app, people):
    number = into_mediation(app, people)
    response = act(people.client("mediator"), number, "send_message",
                   {"channel": "joint", "body": "Hello", "x\x00y": "1"}, expect=400)
    assert "name contains a control character" in text(response)


def test_the_api_refuses_control_characters_in_json_as_json(app, people):
    number = into_mediation(app, people)
    headers = token_for(people, "mediator")
    for payload, where in [({"terms": "a\x00b"}, "terms"),
                           ({"terms": "fine", "extra": ["ok", {"deep": "bell\x07"}]},
                            "extra[1].deep"),
                           ({"te\x01rms": "key"}, None),
                           ({"terms": "lone \ud800 surrogate"}, "terms")]:
        response = app.test_client().post(f"/api/v1/cases/{number}/actions/propose_settlement",
                                          data=json.dumps(payload), headers=headers,
                                          content_type="application/json")
        assert response.status_code == 400, (payload, response.status_code)
        body = response.get_json()
        assert set(body) >= {"error", "message"} and body["error"] == "invalid_characters"
        if where:
            assert f"“{where}”" in body["message"], body
    assert db.session.scalar(db.select(db.func.count()).select_from(SettlementOffer)) == 0


def test_the_api_refuses_a_control_character_in_its_path_as_json(app, people):
    number = into_mediation(app, people)
    response = app.test_client().get(f"/api/v1/cases/{number}%00",
                                     headers=token_for(people, "claimant"))
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_characters"


# ------------------------------------------------------------------- ids beyond 32 bits
@pytest.mark.parametrize("draft", [HUGE, str(2**31), str(2**63), "0", "-1"])
def test_a_draft_id_beyond_the_column_is_simply_not_found(app, people, draft):
    client = people.client("claimant")
    assert client.get(f"/file/{draft}/claimant").status_code == 404
    assert client.post(f"/file/{draft}/submit").status_code == 404


def test_the_largest_32_bit_id_is_looked_up_and_not_found(app, people):
    assert people.client("claimant").get(f"/file/{2**31 - 1}/claimant").status_code == 404


def test_document_decision_and_job_ids_beyond_the_column_are_not_found(app, people):
    number, _respondent = served_case(app, people)
    claimant = people.client("claimant")
    for path in (f"/cases/{number}/documents/{HUGE}", f"/cases/{number}/documents/{HUGE}/download",
                 f"/cases/{number}/decisions/{HUGE}.pdf"):
        assert claimant.get(path).status_code == 404, path
    assert claimant.post(f"/cases/{number}/documents/{HUGE}/withdraw").status_code == 404
    manager = people.client("manager")
    assert manager.post(f"/manage/jobs/{HUGE}/retry").status_code == 404
    assert manager.post(f"/manage/calendar/{HUGE}/delete").status_code == 404


@pytest.mark.parametrize("value", ["abc", HUGE, "-3", ""])
def test_removing_a_right_by_a_bad_id_is_a_validation_error(app, people, value):
    client = people.client("claimant")
    draft = start_draft(client)
    fill_complaint(client, draft)
    response = client.post(f"/file/{draft}/rights", data={"remove": value})
    assert response.status_code == 422
    assert 'id="remove-error"' in text(response) and "Choose a right from the list." in text(
        response)
    assert "error-summary" not in text(response)  # the add-a-right form was not submitted
    assert len(db.session.get(Case, draft).rights) == 1


def test_removing_a_right_by_its_id_still_works(app, people):
    client = people.client("claimant")
    draft = start_draft(client)
    fill_complaint(client, draft)
    right_id = db.session.get(Case, draft).rights[0].id
    assert client.post(f"/file/{draft}/rights", data={"remove": str(right_id)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, draft).rights == []


def test_a_list_cursor_beyond_the_column_shows_the_first_page(app, people):
    response = people.client("manager").get(f"/manage/?after=20260101T000000.000000_{HUGE}")
    assert response.status_code == 200
    response = people.client("claimant").get(f"/dashboard?after=20260101T000000.000000_{HUGE}")
    assert response.status_code == 200


@pytest.mark.parametrize("value", [HUGE, "abc", "-1", str(2**31)])
def test_a_neutral_id_beyond_the_column_is_a_validation_error(app, people, value):
    number, _respondent = served_case(app, people)
    act(people.client("respondent"), number, "respond",
        {"position": "contest", "statement": "Genuine goods."})
    response = act(people.client("manager"), number, "appoint_mediator",
                   {"neutral_id": value}, expect=422)
    assert 'id="neutral_id-error"' in text(response)
    api = app.test_client().post(f"/api/v1/cases/{number}/actions/appoint_mediator",
                                 json={"neutral_id": value}, headers=token_for(people, "manager"))
    assert api.status_code == 422 and "neutral_id" in api.get_json()["fields"]
    assert case(number).stage == "mediator_appointment"


# --------------------------------------------------------------------- JSON depth and size
def test_json_nested_thousands_deep_is_a_bad_request_in_json(app, people):
    number = into_mediation(app, people)
    headers = token_for(people, "mediator")
    for depth in (5000, 33):
        body = '{"terms": ' + "[" * depth + "]" * depth + "}"
        response = app.test_client().post(
            f"/api/v1/cases/{number}/actions/propose_settlement", data=body, headers=headers,
            content_type="application/json")
        assert response.status_code == 400, depth
        assert response.get_json()["error"] == "json_too_deep"


def test_json_nested_within_the_limit_is_accepted(app, people):
    number = into_mediation(app, people)
    body = {"terms": "Fine terms.", "extra": json.loads("[" * 30 + "]" * 30)}
    response = app.test_client().post(f"/api/v1/cases/{number}/actions/propose_settlement",
                                      json=body, headers=token_for(people, "mediator"))
    assert response.status_code == 200, response.get_json()


def test_a_json_body_over_a_mebibyte_is_refused_in_json(app, people):
    number = into_mediation(app, people)
    body = json.dumps({"terms": "x" * (1024 * 1024)})
    response = app.test_client().post(f"/api/v1/cases/{number}/actions/propose_settlement",
                                      data=body, headers=token_for(people, "mediator"),
                                      content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"] == "json_too_large"


# ------------------------------------------------------------------------------- dates
def test_a_stored_date_no_calendar_can_show_does_not_break_the_review_page(app, people):
    client = people.client("claimant")
    draft = start_draft(client)
    fill_complaint(client, draft)
    stored = db.session.get(Case, draft)
    stored.infringement_since = date(9999, 12, 31)
    db.session.commit()
    review = client.get(f"/file/{draft}/review")
    assert review.status_code == 200
    assert "9999" in text(review)
    assert client.get(f"/file/{draft}/infringement").status_code == 200


def test_hijri_outside_the_supported_range_is_a_dash():
    from workflows import calendar

    assert calendar.format_hijri(date(9999, 12, 31)) == "—"
    assert calendar.format_hijri(date(1, 1, 1), "ar") == "—"
    assert calendar.format_hijri(date(2026, 3, 20)) != "—"


@pytest.mark.parametrize("since", ["9999-12-31", "1899-12-31", "2101-01-01", "0001-01-01"])
def test_a_date_outside_1900_2100_is_refused_next_to_the_field(app, people, since):
    client = people.client("claimant")
    draft = start_draft(client)
    response = client.post(f"/file/{draft}/infringement", data={
        "description": "Counterfeits.", "locations": "Online", "since": since})
    assert response.status_code == 422
    body = text(response)
    assert 'id="since-error"' in body and "between 1900 and 2100" in body
    assert db.session.get(Case, draft).infringement_since is None


def test_the_edges_of_the_date_range_are_accepted(app, people):
    client = people.client("claimant")
    draft = start_draft(client)
    for since in ("1900-01-01", "2100-12-31"):
        response = client.post(f"/file/{draft}/infringement", data={
            "description": "Counterfeits.", "locations": "Online", "since": since})
        assert response.status_code == 302, since


def test_case_and_console_dates_are_range_checked(app, people):

    number = in_arbitration(app, people)
    response = act(people.client("arbitrator"), number, "schedule_hearing",
                   {"start": "9999-12-31", "days": "3"}, expect=422)
    assert 'id="start-error"' in text(response)
    response = people.client("manager").post("/manage/calendar", data={
        "kind": "closure", "day": "9999-12-31", "name": ""})
    assert response.status_code == 422 and 'id="day-error"' in text(response)
    response = people.client("manager").post("/manage/calendar", data={
        "kind": "holiday", "country": "EG", "name": "Eid", "day": "2026-03-20",
        "moved_from": "1066-10-14"})
    assert response.status_code == 422 and 'id="moved_from-error"' in text(response)
    start = (utcnow().date() + timedelta(days=20)).isoformat()
    act(people.client("arbitrator"), number, "schedule_hearing", {"start": start, "days": "1"})


# ----------------------------------------------------------------------------- numbers
@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity", "-Infinity", "1e400",
                                    "1000000000000"])
def test_an_amount_that_is_not_a_sane_number_is_refused_next_to_the_field(app, people, amount):
    client = people.client("claimant")
    draft = start_draft(client)
    response = client.post(f"/file/{draft}/remedies",
                           data={**REMEDIES, "damages_amount": amount})
    assert response.status_code == 422
    assert 'id="damages_amount-error"' in text(response)
    assert db.session.get(Case, draft).remedies == []


def test_a_multipart_part_without_a_name_is_a_bad_request(app, people):
    body = (b'--x\r\nContent-Disposition: form-data; filename="a.txt"\r\n\r\nhello\r\n'
            b"--x\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--x--\r\n")
    response = people.client("claimant").post("/file/new", data=body,
                                              content_type="multipart/form-data; boundary=x")
    assert response.status_code == 400
    assert "no field name" in text(response)
