"""`flask demo seed`: the accounts the README promises, and cases at every stage."""

from __future__ import annotations

import secrets

import pytest

import config
from app import create_app
from app.demo import ACCOUNTS, PASSWORD
from app.extensions import db
from app.models import Case, Decision, User
from tests.conftest import login


def test_demo_seed_creates_the_documented_accounts_and_cases(app, runner):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    emails = {u.email for u in db.session.scalars(db.select(User))}
    assert {email for email, *_ in ACCOUNTS.values()} <= emails
    stages = set(db.session.scalars(db.select(Case.stage)))
    assert {"draft", "review", "deficient", "response", "mediation", "arbitration",
            "deliberation", "awarded", "settled", "withdrawn"} <= stages
    claimant = db.session.scalar(db.select(User).where(User.email == "claimant@demo.sulh.test"))
    awarded = db.session.scalar(db.select(Case).where(Case.stage == "awarded"))
    assert awarded.filer_id == claimant.id
    award = db.session.scalar(db.select(Decision).where(Decision.case_id == awarded.id))
    assert award.status == "issued"
    # every demo account's address counts as confirmed: the demo claimant can file
    demo_users = db.session.scalars(db.select(User).where(User.email.like("%@demo.sulh.test")))
    assert all(u.email_verified for u in demo_users)
    # the demo claimant signs in with the README's password and downloads the award
    client = app.test_client()
    login(client, "claimant@demo.sulh.test", PASSWORD)
    assert client.get("/file/new").status_code == 200
    response = client.get(f"/cases/{awarded.number}/decisions/{award.id}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    # the case manager sees a job that gave up (a bounced notice), and retries it
    manager = app.test_client()
    login(manager, "manager@demo.sulh.test", PASSWORD)
    page = manager.get("/manage/jobs").get_data(as_text=True)
    assert "mailbox unavailable" in page and "/retry" in page
    from app.models import Job

    failed = db.session.scalar(db.select(Job).where(Job.status == "failed"))
    assert manager.post(f"/manage/jobs/{failed.id}/retry").status_code == 302
    db.session.expire_all()
    assert db.session.get(Job, failed.id).status == "done"  # no MAIL_SERVER here: logged
    # everything the demo did through the app is on an audit trail that verifies
    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0 and "audit trail intact" in verify.output, verify.output
    # seeding again with --if-empty changes nothing
    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert "not seeded" in again.output
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == len(emails)


def test_every_demo_account_has_the_readmes_authenticator_key(app, runner):
    """A person trying the demo adds the README's key to an authenticator app once, or asks
    `flask demo totp EMAIL` for the code of the moment; either signs in."""
    from pathlib import Path

    from app.demo import TOTP_SECRET

    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert TOTP_SECRET in readme and "flask demo totp" in readme
    for email, *_ in ACCOUNTS.values():
        user = db.session.scalar(db.select(User).where(User.email == email))
        assert user.totp_secret == TOTP_SECRET and user.has_totp, email
    client = app.test_client()
    password = client.post("/login", data={"email": "manager@demo.sulh.test",
                                           "password": PASSWORD})
    assert password.location == "/login/code"
    printed = runner.invoke(args=["demo", "totp", "Manager@demo.sulh.test"])
    assert printed.exit_code == 0, printed.output
    code = printed.stdout.strip()
    assert code.isdigit() and len(code) == 6
    assert client.post("/login/code", data={"code": code}).status_code == 302
    assert client.get("/manage/").status_code == 200
    # The code was used: the command now prints the next one, which is accepted too.
    again = runner.invoke(args=["demo", "totp", "manager@demo.sulh.test"])
    assert again.exit_code == 0 and again.stdout.strip() != code
    other = app.test_client()
    other.post("/login", data={"email": "manager@demo.sulh.test", "password": PASSWORD})
    assert other.post("/login/code", data={"code": again.stdout.strip()}).status_code == 302
    assert runner.invoke(args=["demo", "totp", "nobody@demo.sulh.test"]).exit_code != 0


def test_demo_codes_are_refused_outside_the_embedded_default(app, people, runner):
    people.make("manager", is_case_manager=True)
    app.config["ALLOW_DEMO_DATA"] = False
    result = runner.invoke(args=["demo", "totp", "manager@example.test"])
    assert result.exit_code != 0 and "embedded" in result.output


def test_demo_data_is_refused_outside_the_embedded_default(app, runner):
    app.config["ALLOW_DEMO_DATA"] = False
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "embedded" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_production_refuses_to_start_without_a_real_secret(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")
    monkeypatch.setenv("SECRET_KEY", "change-me")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)  # long, but one character repeated
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
    production = create_app("production")
    assert production.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert production.config["ALLOW_DEMO_DATA"] is False
    assert isinstance(config.load("test"), config.TestConfig)
