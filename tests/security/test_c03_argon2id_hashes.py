"""C3 (ASVS 11.4.2): passwords are stored as argon2id hashes with documented parameters
(config.py, README "Passwords": 19 MiB, 2 passes, 1 lane — OWASP's first configuration). No
plaintext, and no fast hash of a password, is in any table or log after registering, signing
in, changing and resetting. Hashes of before (werkzeug's scrypt) still sign in and are
replaced by argon2id then; so are argon2id hashes made with other parameters."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from sqlalchemy import select
from werkzeug.security import generate_password_hash

import config
from app.extensions import db
from app.models import User
from tests.conftest import login
from tests.helpers import new_password_link, production_password_hashing

DOCUMENTED = "$argon2id$v=19$m=19456,t=2,p=1$"
README = Path(__file__).resolve().parents[2] / "README.md"


def stored_hash(email: str) -> str:
    db.session.expire_all()
    return db.session.scalar(select(User.password_hash).where(User.email == email))


def every_stored_value() -> str:
    """Every value of every table, as text."""
    db.session.expire_all()
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            parts += [str(value) for value in row]
    return "\n".join(parts)


def test_the_documented_parameters_are_the_configured_ones():
    assert (config.Config.PASSWORD_ARGON2_MEMORY_KIB, config.Config.PASSWORD_ARGON2_TIME_COST,
            config.Config.PASSWORD_ARGON2_PARALLELISM) == (19456, 2, 1)
    readme = README.read_text()
    assert "argon2id" in readme and "19 MiB" in readme and "m=19456,t=2,p=1" in readme


def test_a_new_account_is_stored_as_argon2id_with_the_documented_parameters(app, client):
    production_password_hashing(app)
    password = "a very private passphrase 7"
    client.post("/register", data={"name": "Layla", "email": "layla@example.test",
                                   "password": password, "confirm": password, "locale": "en"})
    stored = stored_hash("layla@example.test")
    assert stored.startswith(DOCUMENTED), stored


def test_no_password_in_any_table_or_log_after_every_way_of_choosing_one(app, client, caplog):
    """Canaries typed at registration, sign-in, change (also a wrong current one) and reset:
    neither they nor their SHA-256 appear in any table (the form's submission fingerprint
    included) or in the log (the outbox's printed messages included)."""
    caplog.set_level(logging.DEBUG)
    canaries = ["canary-first-Ωmega-0001", "canary-wrong-Ωmega-0002", "canary-second-Ωmega-0003",
                "canary-third-Ωmega-0004"]
    first, wrong, second, third = canaries
    client.post("/register", data={"name": "Layla", "email": "layla@example.test",
                                   "password": first, "confirm": first, "locale": "en"})
    login(client, "layla@example.test", first)
    client.post("/account/password", data={"_submission": "k1", "current_password": wrong,
                                           "password": second, "confirm": second})
    client.post("/account/password", data={"_submission": "k2", "current_password": first,
                                           "password": second, "confirm": second})
    link = new_password_link(app.test_client(), "layla@example.test")
    app.test_client().post(link, data={"password": third, "confirm": third})
    login(app.test_client(), "layla@example.test", third)
    assert stored_hash("layla@example.test").startswith("$argon2id$")

    stored, logged = every_stored_value(), caplog.text
    assert "k2" in stored  # the submission keys were written, with their fingerprints
    for canary in canaries:
        for form in (canary, hashlib.sha256(canary.encode()).hexdigest()):
            assert form not in stored, canary
            assert form not in logged, canary


def test_two_submissions_differing_only_in_passwords_share_a_fingerprint(app, people):
    """The fingerprint of a form (app/idempotency.py) covers password fields by name only:
    a SHA-256 over a password would be a fast hash of it in the database."""
    from app.models import SubmissionKey

    user = people.make("claimant")
    client = app.test_client()
    login(client, user.email)
    for key, wrong in (("one", "not my password one"), ("two", "not my password two")):
        client.post("/account/password", data={"_submission": key, "current_password": wrong,
                                               "password": f"new {wrong}!",
                                               "confirm": f"new {wrong}!"})
    fingerprints = db.session.scalars(select(SubmissionKey.fingerprint)).all()
    assert len(fingerprints) == 2 and len(set(fingerprints)) == 1


def test_a_scrypt_hash_of_before_signs_in_and_is_replaced_by_argon2id(app, people):
    production_password_hashing(app)
    user = people.make("claimant")
    user.password_hash = generate_password_hash("an older password 1", method="scrypt")
    db.session.commit()
    assert app.test_client().post("/login", data={
        "email": user.email, "password": "wrong password here"}).status_code == 422
    assert stored_hash(user.email).startswith("scrypt:")  # a failure changes nothing
    login(app.test_client(), user.email, "an older password 1")
    assert stored_hash(user.email).startswith(DOCUMENTED)
    login(app.test_client(), user.email, "an older password 1")  # and still signs in


def test_an_argon2id_hash_with_other_parameters_is_replaced_at_sign_in(app, people):
    from argon2 import PasswordHasher

    production_password_hashing(app)
    user = people.make("claimant")
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(
        "an older password 2")
    db.session.commit()
    login(app.test_client(), user.email, "an older password 2")
    assert stored_hash(user.email).startswith(DOCUMENTED)


def test_a_hash_that_cannot_be_read_is_no_match_and_no_error(app, people):
    user = people.make("claimant")
    for unreadable in ("$argon2id$garbage", "not-a-hash", "scrypt:nonsense"):
        user.password_hash = unreadable
        db.session.commit()
        response = app.test_client().post("/login", data={"email": user.email,
                                                          "password": "whatever it is"})
        assert response.status_code == 422, unreadable
