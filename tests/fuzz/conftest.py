"""One app seeded with the demo data (`app.demo.seed`: five roles, cases at every stage) for the
whole fuzz package, a fresh signed-in client per request, and the Hypothesis settings.

Seeding takes seconds, so it happens once and the fuzzing runs against what it made (and what the
fuzzing itself changes: an action that happens to be valid is taken — that is how the suite gets
past validation into the services). PDF rendering is replaced by a stub (a render costs seconds;
tests/test_pdf_render.py covers it); the demo accounts' hashes are TestConfig's cheap ones.
The database is the one the other tests use (SQLite in memory, or TEST_DATABASE_URL): it is
emptied afterwards.

Deterministic by default (a fixed seed per target, no example database). To search longer and
with fresh inputs, locally:
`SULH_FUZZ_EXAMPLES=200 SULH_FUZZ_RANDOM=1 .venv/bin/python -m pytest tests/fuzz`.
"""

from __future__ import annotations

import contextvars
import os
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, seed, settings
from sqlalchemy import select, text

import config
from app import create_app
from app.extensions import db
from tests import conftest as root
from tests.helpers import new_sign_in, use_sign_in

#: Examples per route and method, per form, per API action (Hypothesis' max_examples).
EXAMPLES = int(os.environ.get("SULH_FUZZ_EXAMPLES", "0") or 0)
RANDOM = os.environ.get("SULH_FUZZ_RANDOM", "") not in ("", "0")
ROLES = ("claimant", "respondent", "manager", "mediator", "arbitrator")
ANONYMOUS = "anonymous"
STUB_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def fuzz(target: object, default_examples: int) -> Callable[[Callable], Callable]:
    """Hypothesis settings for one fuzz target (a route, a form, an API action): a fixed seed of
    its own — the same inputs on every run, different inputs for different targets — unless
    SULH_FUZZ_RANDOM asks for fresh ones."""
    configured = settings(
        max_examples=EXAMPLES or default_examples,
        derandomize=not RANDOM,
        database=None,
        deadline=None,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )

    def decorate(test: Callable) -> Callable:
        test = configured(test)
        return test if RANDOM else seed(zlib.crc32(repr(target).encode()))(test)

    return decorate


@dataclass
class Seeded:
    """The seeded app and what the strategies draw real values from."""

    app: Flask
    user_ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    numbers: list[str] = field(default_factory=list)
    procedure_of: dict[str, str] = field(default_factory=dict)
    cases_of: dict[str, list[str]] = field(default_factory=dict)  # the cases each role sees
    ids: list[int] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    requests: int = 0

    def client(self, role: str) -> FlaskClient:
        """A new client signed in as `role` with a session of its own: nothing one request
        does to its session — signing out, ending the role's other sessions, signing in as a
        new account — leaks into the next."""
        client = _CountingClient(self, self.app, self.app.response_class, use_cookies=True)
        if role in self.user_ids:
            use_sign_in(client, new_sign_in(self.app, self.user_ids[role]))
        return client


class _CountingClient(root.IsolatedClient):
    def __init__(self, seeded: Seeded, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seeded = seeded

    def open(self, *args: Any, **kwargs: Any):
        self._seeded.requests += 1
        return super().open(*args, **kwargs)


def _fresh_schema() -> None:
    """As tests/conftest.py's `app` fixture does it, which empties the tables again after us."""
    if root.ON_POSTGRES:
        if not root._schema_ready:
            db.drop_all()
            db.create_all()
            root._schema_ready = True
        else:
            _truncate()
    else:
        db.create_all()


def _truncate() -> None:
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(text("SET LOCAL session_replication_role = replica"))  # audit triggers
    db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture(scope="package")
def seeded(tmp_path_factory) -> Iterator[Seeded]:
    from app import demo
    from app.feeds import service as feeds
    from app.models import (
        ApiToken,
        Case,
        Decision,
        Document,
        IPRight,
        OutboxEmail,
        Participant,
        Remedy,
        User,
    )
    from app.services import pdf

    settings_ = config.TestConfig()
    settings_.STORAGE_URL = f"file://{tmp_path_factory.mktemp('fuzz-storage')}"
    app = create_app(settings_)
    app.test_client_class = root.IsolatedClient
    with pytest.MonkeyPatch.context() as patch, app.app_context():
        patch.setattr(pdf, "render_pdf", lambda html, **kwargs: STUB_PDF)
        _fresh_schema()
        demo.seed()
        contextvars.Context().run(root.run_jobs, app)  # the emails and decisions it asked for
        found = Seeded(app=app)
        for case in db.session.scalars(select(Case)):
            if case.number:
                found.numbers.append(case.number)
                found.procedure_of[case.number] = case.procedure_key
        for model in (Case, Document, Decision, IPRight, Remedy, User):
            found.ids += db.session.scalars(select(model.id)).all()
        found.codes = list(db.session.scalars(select(Decision.verification_code)))
        for body in db.session.scalars(select(OutboxEmail.body)):
            found.secrets += re.findall(r"/join/([A-Za-z0-9_-]+)", body)
        for role in ROLES:
            email = demo.ACCOUNTS[role][0]
            user = db.session.scalar(select(User).where(User.email == email))
            _row, found.tokens[role] = ApiToken.issue(user, "fuzz")
            found.cases_of[role] = found.numbers if user.is_case_manager else sorted(
                n for n in db.session.scalars(select(Case.number).join(Participant).where(
                    Participant.user_id == user.id)) if n)
            if role == "claimant":
                found.secrets.append(feeds.rotate_token(user))
        db.session.commit()
        for role in ROLES:
            client = app.test_client()
            root.login(client, demo.ACCOUNTS[role][0], demo.PASSWORD)  # the password works
            found.user_ids[role] = db.session.scalar(select(User.id).where(
                User.email == demo.ACCOUNTS[role][0]))
        try:
            yield found
        finally:
            print(f"\nfuzz: {found.requests} requests")
            db.session.remove()
            if root.ON_POSTGRES:
                _truncate()
            else:
                db.drop_all()
            db.engine.dispose()
