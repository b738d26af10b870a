"""The complaint as a user types it, step by step, through the HTTP routes."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

CLAIMANT = {"capacity": "claimant", "name": "Nile Textiles S.A.E.", "country": "EG",
            "address": "12 Corniche el Nil, Cairo", "email": "claimant@example.test",
            "counsel_name": "", "counsel_firm": "", "counsel_email": ""}
RESPONDENT = {"name": "Gulf Fashion Trading LLC", "country": "AE",
              "address": "Business Bay, Dubai", "email": "respondent@example.test"}
RIGHT = {"kind": "trademark", "title": "NILE COTTON", "registration_number": "EG-118204",
         "office": "Egyptian Trademark Office", "country": "EG", "owner": "Nile Textiles S.A.E."}
INFRINGEMENT = {"description": "Counterfeit bed linen sold under the NILE COTTON mark.",
                "locations": "https://market.example/item/1\nUnited Arab Emirates",
                "since": "2026-01-15"}
REMEDIES = {"cease_use": "y", "cease_use_details": "Stop selling the goods.",
            "damages": "y", "damages_amount": "25000", "damages_currency": "USD"}
PROCEEDINGS = {"language": "en", "mediation_days": "60"}


def start_draft(client: FlaskClient, procedure: str | None = None) -> int:
    response = client.post("/file/new", data={"procedure": procedure} if procedure else {})
    assert response.status_code == 302
    return int(re.search(r"/file/(\d+)/claimant", response.location).group(1))


def fill_complaint(client: FlaskClient, draft_id: int, **overrides) -> None:
    steps = [("claimant", CLAIMANT), ("respondent", RESPONDENT), ("rights", RIGHT),
             ("infringement", INFRINGEMENT), ("remedies", REMEDIES),
             ("proceedings", PROCEEDINGS)]
    for step, data in steps:
        payload = {**data, **overrides.get(step, {})}
        response = client.post(f"/file/{draft_id}/{step}", data=payload)
        assert response.status_code == 302, (step, response.get_data(as_text=True)[:2000])


def file_complaint(client: FlaskClient, procedure: str | None = None, **overrides) -> str:
    """File a complete complaint under `procedure` (default: med-arb); returns the number."""
    draft_id = start_draft(client, procedure)
    fill_complaint(client, draft_id, **overrides)
    response = client.post(f"/file/{draft_id}/submit")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.search(r"/cases/(SULH-\d{4}-\d{6})/receipt", response.location)
    assert match, response.location
    return match.group(1)
