"""What tests share: steps that read like what users do — type a complaint step by step, file
it, serve it, bring it into mediation, act on it, upload documents — and the sample files they
upload, so that test modules never import one another."""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache

from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

import config
from app import create_app
from app.extensions import db
from app.models import Case, Document
from tests.conftest import ON_POSTGRES, PASSWORD, link_in, outbox_to

# ----------------------------------------------------------------------------- the complaint
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


# ------------------------------------------------------------------------------- documents
@cache
def pdf_bytes(pages: int = 1) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def built_pdf(catalog: str = "", objects: tuple[str, ...] = (), *,
              object_stream: bool = False) -> bytes:
    """A one-page PDF written by hand, so a test controls every byte: `catalog` is added to the
    catalog dictionary, `objects` become objects 4, 5, … (refer to them as `4 0 R`). With
    `object_stream`, the catalog and the objects are inside a Flate-compressed object stream
    with a cross-reference stream (PDF 1.5), where a byte scan of the file cannot see them."""
    import zlib

    bodies = [f"<< /Type /Catalog /Pages 2 0 R {catalog} >>",
              "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
              "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>", *objects]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    if not object_stream:
        offsets = []
        for number, body in enumerate(bodies, start=1):
            offsets.append(out.tell())
            out.write(f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1"))
        xref = out.tell()
        out.write(f"xref\n0 {len(bodies) + 1}\n0000000000 65535 f \n".encode())
        for offset in offsets:
            out.write(f"{offset:010d} 00000 n \n".encode())
        out.write(f"trailer\n<< /Size {len(bodies) + 1} /Root 1 0 R >>\n"
                  f"startxref\n{xref}\n%%EOF\n".encode())
        return out.getvalue()
    # objects 1..n inside object stream n+1; the cross-reference stream is object n+2
    count = len(bodies)
    header, data, at = [], b"", 0
    for number, body in enumerate(bodies, start=1):
        header.append(f"{number} {at}")
        encoded = body.encode("latin-1") + b"\n"
        data += encoded
        at += len(encoded)
    first = " ".join(header).encode() + b"\n"
    packed = zlib.compress(first + data)
    stream_at = out.tell()
    out.write(f"{count + 1} 0 obj\n<< /Type /ObjStm /N {count} /First {len(first)} "
              f"/Filter /FlateDecode /Length {len(packed)} >>\nstream\n".encode())
    out.write(packed + b"\nendstream\nendobj\n")
    xref_at = out.tell()
    rows = [bytes([0, 0, 0, 255])]  # object 0: free
    rows += [bytes([2]) + (count + 1).to_bytes(2, "big") + bytes([i]) for i in range(count)]
    rows += [bytes([1]) + stream_at.to_bytes(2, "big") + bytes([0]),
             bytes([1]) + xref_at.to_bytes(2, "big") + bytes([0])]
    table = b"".join(rows)
    out.write(f"{count + 2} 0 obj\n<< /Type /XRef /Size {count + 3} /W [1 2 1] /Root 1 0 R "
              f"/Length {len(table)} >>\nstream\n".encode())
    out.write(table + b"\nendstream\nendobj\n")
    out.write(f"startxref\n{xref_at}\n%%EOF\n".encode())
    return out.getvalue()


def _zip(names: dict[str, bytes], *, first: tuple[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        if first:
            archive.writestr(zipfile.ZipInfo(first[0]), first[1])  # stored, as ODF requires
        for name, data in names.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


SAMPLES: dict[str, bytes] = {
    "pdf": b"",  # filled lazily (pypdf)
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20,
    "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20,
    "docx": _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}),
    "xlsx": _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),
    "odt": _zip({"content.xml": b"<office:document-content/>"},
                first=("mimetype", b"application/vnd.oasis.opendocument.text")),
    "txt": "Witness statement — إفادة شاهد\n".encode(),
    "eml": b"From: agent@example.test\r\nTo: buyer@example.test\r\nSubject: Order\r\n\r\nHi\r\n",
    "mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 40,
}


def sample(ext: str) -> bytes:
    return pdf_bytes() if ext == "pdf" else SAMPLES[ext]


def upload(client, number: str, files: list[tuple[str, bytes]] | None = None, *,
           scope: str = "participants", kind: str = "exhibit", title: str = "Evidence",
           confirm: bool = True, extra: dict | None = None, expect: int | None = 302):
    files = files if files is not None else [("evidence.pdf", pdf_bytes())]
    data: dict = {"scope": scope}
    if confirm:
        data["confirm"] = "y"
    for i, (name, content) in enumerate(files):
        data[f"files-{i}-file"] = (io.BytesIO(content), name)
        data[f"files-{i}-title"] = title if len(files) == 1 else f"{title} {i + 1}"
        data[f"files-{i}-kind"] = kind
    data.update(extra or {})
    response = client.post(f"/cases/{number}/documents/upload", data=data,
                           content_type="multipart/form-data")
    if expect is not None:
        assert response.status_code == expect, response.get_data(as_text=True)[:3000]
    return response


def stored_files(app) -> list:
    """The document files in the test's file store."""
    from pathlib import Path

    root = Path(app.config["STORAGE_URL"].removeprefix("file://"))
    return [p for p in root.rglob("*") if p.is_file() and "cases" in p.parts]


def documents() -> list[Document]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Document).order_by(Document.id)))


# ------------------------------------------------------------------------------- the case
def act(client, number: str, action: str, data: dict | None = None, expect: int = 302):
    response = client.post(f"/cases/{number}/actions/{action}", data=data or {})
    assert response.status_code == expect, (action, response.status_code,
                                            response.get_data(as_text=True)[:3000])
    return response


def case(number: str) -> Case:
    db.session.expire_all()
    return db.session.scalar(db.select(Case).where(Case.number == number))


def served_case(app, people, **complaint) -> tuple[str, object]:
    """File, accept and serve a complaint (`complaint`: fields per step, as file_complaint);
    the respondent joins through the emailed link."""
    claimant = people.client("claimant")
    number = file_complaint(claimant, **complaint)
    assert case(number).stage == "review"
    receipt = claimant.get(f"/cases/{number}/receipt")
    assert number in receipt.get_data(as_text=True)

    manager = people.client("manager")
    assert number in manager.get("/manage/").get_data(as_text=True)
    act(manager, number, "accept_filing")
    assert case(number).stage == "response"
    assert [d.key for d in case(number).open_deadlines()] == ["response"]

    service_email = outbox_to("respondent@example.test")[-1]
    assert number in service_email.subject
    join_path = link_in(service_email.body, "/join/")
    respondent = app.test_client()
    page = respondent.get(join_path)
    assert page.status_code == 200
    joined = join_with_new_account(respondent, join_path, "Gulf Fashion Trading LLC")
    assert number in joined.location
    # The link works once.
    assert app.test_client().get(join_path).status_code == 404
    people.clients["respondent"] = respondent
    return number, respondent


def join_with_new_account(client: FlaskClient, join_path: str, name: str):
    """Make an account from a service link, as a respondent does: name and password, then
    the second step, where a party chooses codes by email (the link proved the mailbox).
    Returns the answer that leads to the case."""
    joined = client.post(join_path, data={"name": name, "password": PASSWORD,
                                          "confirm": PASSWORD})
    assert joined.status_code == 302 and joined.location == "/login/code", joined.location
    assert "codes by email" in client.get("/login/code").get_data(as_text=True)
    done = client.post("/login/code/continue")
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    return done


def into_mediation(app, people, **complaint) -> str:
    number, respondent = served_case(app, people, **complaint)
    act(respondent, number, "respond", {"position": "contest",
                                        "statement": "Our goods are genuine parallel imports."})
    assert case(number).stage == "mediator_appointment"
    mediator = people.user("mediator")
    act(people.client("manager"), number, "appoint_mediator", {"neutral_id": mediator.id})
    assert case(number).stage == "mediation"
    act(people.client("mediator"), number, "send_message",
        {"channel": "joint", "body": "Welcome to the joint session."})
    page = people.client("claimant").get(f"/cases/{number}").get_data(as_text=True)
    assert "Welcome to the joint session." in page
    return number


def in_arbitration(app, people) -> str:
    """A med-arb case past mediation: the defence filed, the arbitrator appointed."""
    number = into_mediation(app, people)
    act(people.client("claimant"), number, "end_mediation")
    act(people.client("respondent"), number, "file_defence", {"body": "Genuine goods."})
    act(people.client("manager"), number, "appoint_arbitrator",
        {"neutral_id": people.user("arbitrator").id})
    assert case(number).stage == "arbitration"
    return number


def due_moment(numbers: list[str]) -> datetime:
    """A minute after the last open time limit of these cases ends: when a sweep applies
    them all."""
    return max(d.due_at for n in numbers for d in case(n).open_deadlines()) + timedelta(minutes=1)


def switch(client, lang: str, next_path: str = "/"):
    """Choose the interface language, as the header's form does."""
    return client.post("/language", data={"lang": lang, "next": next_path})


# A complaint asking only for the transfer of a domain name (the expedited procedure's remedy).
DOMAIN_ONLY = {"cease_use": "", "damages": "", "domain_transfer": "y",
               "domain_transfer_details": "nile-cotton-outlet.example"}


# ------------------------------------------------------------------------------ passwords
def production_password_hashing(app) -> None:
    """Hash and check passwords with the production parameters (config.Config), not
    TestConfig's cheap ones: for the tests of the hashes and of what sign-in costs."""
    app.config.update({name: getattr(config.Config, name) for name in (
        "PASSWORD_ARGON2_MEMORY_KIB", "PASSWORD_ARGON2_TIME_COST",
        "PASSWORD_ARGON2_PARALLELISM")})


def median_gap(app, first: Callable[[], object], second: Callable[[], object],
               tries: int = 50) -> tuple[float, float]:
    """The median time of `first` and of `second` over `tries` alternate runs (seconds)."""
    import statistics
    import time

    timings: tuple[list[float], list[float]] = ([], [])
    for _ in range(tries):
        for found, run in zip(timings, (first, second), strict=True):
            started = time.perf_counter()
            run()
            found.append(time.perf_counter() - started)
    return statistics.median(timings[0]), statistics.median(timings[1])


def new_password_link(client: FlaskClient, email: str) -> str:
    """Ask for a password-reset link for `email`, as the "Forgot your password?" page does;
    the path of the link the message carries."""
    response = client.post("/password/forgot", data={"email": email})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return link_in(outbox_to(email)[-1].body, "/password/reset/")


def last_link(email: str, path_prefix: str) -> str:
    """The path of the link of this kind in the last message to `email` that has one (a
    sign-in code may have been emailed since)."""
    bodies = [m.body for m in outbox_to(email) if path_prefix in m.body]
    assert bodies, f"no message to {email} with a {path_prefix} link"
    return link_in(bodies[-1], path_prefix)


def field_error(page: str, field_id: str) -> str:
    """The error shown next to a field (the `field` macro's `<p class="error" id=…-error>`),
    or "" when there is none."""
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>', page,
                      re.S)
    return match.group(1).strip() if match else ""


# ---------------------------------------------------------------------- sessions and time
def sign_in_cookie(client: FlaskClient) -> str:
    """The server-side session's token this client carries (app/auth/sessions.py)."""
    cookie = client.get_cookie(client.application.config["SIGN_IN_COOKIE_NAME"])
    assert cookie is not None, "this client is not signed in"
    return cookie.value


def use_sign_in(client: FlaskClient, token: str) -> FlaskClient:
    """Make `client` send this session token, as a second tab or a copied cookie would."""
    client.set_cookie(client.application.config["SIGN_IN_COOKIE_NAME"], token,
                      domain="localhost")
    return client


def new_sign_in(app, user_id: int) -> str:
    """A new session for the user, as signing in makes one (without the form and the
    password hash): its token. Each client of the fuzz gets its own."""
    from app.auth import sessions
    from app.models import User

    with app.app_context():
        token, _record = sessions.create(db.session.get(User, user_id))
        db.session.commit()
    return token


def moment(text: str) -> datetime:
    """A UTC moment for the clock fixture: '2026-12-01 09:00'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# ------------------------------------------------------------------------------ migrations
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# A scratch database named after the test database, so parallel suites do not collide.
PG_SCRATCH = os.environ.get("TEST_DATABASE_URL", "").rsplit("/", 1)[-1] + "_migrations"


def scratch_url(tmp_path) -> str:
    if not ON_POSTGRES:
        return f"sqlite:///{tmp_path / 'migrated.db'}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_SCRATCH} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {PG_SCRATCH}"))
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_SCRATCH}"


def scratch_app(tmp_path):
    settings = config.TestConfig()
    settings.SQLALCHEMY_DATABASE_URI = scratch_url(tmp_path)
    settings.SQLALCHEMY_ENGINE_OPTIONS = {}
    return create_app(settings)


def old_event_hash(e) -> str:
    """The hash of revisions before 9c4e2a7b51d3, as app/models/audit.py computed it then
    (actor_roles left out) — written out here, not taken from the migration under test."""
    import hashlib
    import json

    payload = [e.prev_hash, e.case_id, e.seq, e.at.isoformat(), e.actor_id, e.actor_name,
               e.action, e.stage_from, e.stage_to, e.detail, e.visibility]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


# ---------------------------------------------------------------- walking the URL map
# A value for each route variable, so that every rule can be built into a URL. A route with a
# variable not named here fails the walks that use this (C14, C21, C22): add a sample.
ROUTE_SAMPLES = {"number": "SULH-2099-999999", "name": "send_message", "document_id": 1,
                 "decision_id": 1, "draft_id": 1, "step": "claimant", "token": "not-a-token",
                 "lang": "fr", "key": "med-arb", "code": "ABCD-EFGH-JKMN", "row_id": 1,
                 "job_id": 1, "filename": "css/sulh.css"}
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")


def route_requests(app, values: dict | None = None) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every rule of the URL map and every method it takes but
    HEAD and OPTIONS, built with `values` over ROUTE_SAMPLES."""
    samples = {**ROUTE_SAMPLES, **(values or {})}
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        missing = rule.arguments - set(samples)
        assert not missing, f"{rule.rule}: add a sample for {missing} to ROUTE_SAMPLES"
        url = adapter.build(rule.endpoint, {a: samples[a] for a in rule.arguments},
                            method=sorted(rule.methods - {"HEAD", "OPTIONS"})[0])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


def every_row(skip: tuple[str, ...] = (),
              ignore: dict[str, set[str]] | None = None) -> dict[str, list[str]]:
    """Every row of every table (but `skip`, and the columns `ignore` names per table), as
    text, in primary-key order: to compare a database before and after, or to search it for a
    canary."""
    db.session.expire_all()
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name in skip:
            continue
        left_out = (ignore or {}).get(table.name, set())
        columns = [c for c in table.columns if c.name not in left_out]
        query = db.select(*columns).order_by(*table.primary_key.columns)
        rows[table.name] = [repr(tuple(row)) for row in db.session.execute(query)]
    db.session.rollback()
    return rows


def production_app(test_app, monkeypatch, secret_key: str | None = None):
    """The app as production configures it (config.ProductionConfig: its SECRET_KEY check,
    cookies, HSTS, no DEBUG), on the test's database and store, jobs run by the test."""
    import secrets

    from tests.conftest import IsolatedClient

    monkeypatch.setenv("SECRET_KEY", secret_key or secrets.token_hex(32))
    monkeypatch.setenv("DATABASE_URL", test_app.config["SQLALCHEMY_DATABASE_URI"])
    settings = config.ProductionConfig()
    settings.SQLALCHEMY_DATABASE_URI = test_app.config["SQLALCHEMY_DATABASE_URI"]
    settings.SQLALCHEMY_ENGINE_OPTIONS = test_app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    settings.STORAGE_URL = test_app.config["STORAGE_URL"]
    settings.JOBS_MODE = "inprocess"
    settings.JOBS_BACKGROUND = False
    app = create_app(settings)
    app.test_client_class = IsolatedClient
    if not ON_POSTGRES:  # an in-memory database of its own
        with app.app_context():
            db.create_all()
    return app


def csrf_token_of(page: str) -> str:
    """The CSRF token of the first form on a page (for apps that check it)."""
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match, page[:2000]
    return match.group(1)
