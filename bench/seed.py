"""Bulk-create N realistic cases for benchmarks, and print the rate.

    python bench/seed.py --database-url postgresql://postgres@127.0.0.1:5432/sulh_bench \
        --cases 1000000 --reset
    python bench/seed.py --database-url sqlite:///instance/bench.db --cases 20000 --reset

Each case gets its two parties, one or two rights and remedies, participants (the claimant's
user, the respondent's once served, the neutrals once appointed), one deadline (open where its
stage has one), messages, document rows (`--docs-per-case`, 10 by default: 10,000,000 at a
million cases, filed with the complaint) and, for closed cases, an issued decision. Rows are
streamed with COPY on PostgreSQL (psycopg's `cursor.copy`) and with `executemany` on SQLite.
The schema comes from the migrations (`flask db upgrade`).

The audit trail is what the app would have written: the events of the case's path to its stage
and one `upload_document` event per document, hash-chained with the app's own `event_hash`,
the chain's head and length on the case row, so `flask audit verify` passes on a seeded
database. Document rows point at no bytes (storage keys are fictitious): `flask storage check`
reports them missing.

Fixed accounts for the load test (password `bench-password`):
  manager@bench.sulh.example   case manager
  claimant@bench.sulh.example  a party in every 500th case (2,000 cases at a million)
  party@bench.sulh.example     a party in 12 cases
Decision verification codes are the case id on 12 digits, e.g. 0000-0000-0042.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password"  # noqa: S105  (bench accounts in a bench database)
# Every bench account's authenticator key: bench/load.py passes the second step with it.
TOTP_SECRET = "BENCHBENCHBENCHBENCHBENCHBENCH22"  # noqa: S105
MANAGER, CLAIMANT, PARTY, FIRST_NEUTRAL = 1, 2, 3, 4
NEUTRALS = 200
BIG_PARTY_EVERY = 500
EPOCH = datetime(2022, 1, 3, 8, 0)  # naive UTC, as stored
SPAN_SECONDS = 4 * 365 * 86400
COUNTRIES = ("EG", "AE", "SA", "JO", "MA", "TN", "PK", "IN", "OM", "QA", "KW", "BH", "LB", "IR")
RIGHT_KINDS = ("trademark", "copyright", "patent", "design", "gi", "domain")
REMEDY_KINDS = ("cease_use", "takedown", "domain_transfer", "damages", "licence", "coexistence")
DOC_KINDS = ("exhibit", "exhibit", "exhibit", "submission", "correspondence", "procedural")
MEDIA = (("application/pdf", "pdf"), ("image/png", "png"), ("image/jpeg", "jpg"))

# Stage mix per 100 cases: most of a registry's cases are closed.
STAGE_MIX = (("draft", 1), ("review", 3), ("deficient", 1), ("response", 5),
             ("mediator_appointment", 2), ("mediation", 8), ("arbitrator_appointment", 2),
             ("arbitration", 8), ("deliberation", 2), ("withdrawn", 15), ("settled", 25),
             ("awarded", 28))
STAGES = [stage for stage, share in STAGE_MIX for _ in range(share)]
MAIN_PATH = [("submit", "draft", "review"), ("accept_filing", "review", "response"),
             ("respond", "response", "mediator_appointment"),
             ("appoint_mediator", "mediator_appointment", "mediation"),
             ("end_mediation", "mediation", "arbitrator_appointment"),
             ("appoint_arbitrator", "arbitrator_appointment", "arbitration"),
             ("close_proceedings", "arbitration", "deliberation"),
             ("issue_award", "deliberation", "awarded")]
ORDER = ["draft", "review", "response", "mediator_appointment", "mediation",
         "arbitrator_appointment", "arbitration", "deliberation", "awarded"]
# stage -> (deadline key, label, addressee, on_expiry, days)
DEADLINES = {
    "deficient": ("cure", "Cure the deficiencies", "claimant", "deem_withdrawn", 5),
    "response": ("response", "File the response", "respondent", "proceed_in_default", 20),
    "mediation": ("mediation", "End of the mediation period", "institution", "end_mediation",
                  60),
    "arbitration": ("closure", "Closure of the proceedings", "tribunal", "flag_overdue", 90),
    "deliberation": ("award", "Issue the award", "tribunal", "flag_overdue", 30),
}
WORDS = ("genuine", "counterfeit", "textile", "pharmaceutical", "brand", "online", "market",
         "distributor", "licence", "registered", "goods", "packaging", "similar", "confusing",
         "domain", "website", "catalogue", "import", "shipment", "customs")


def path_to(stage: str) -> list[tuple[str, str, str]]:
    if stage == "deficient":
        return [MAIN_PATH[0], ("issue_deficiency", "review", "deficient")]
    if stage == "withdrawn":
        return [MAIN_PATH[0], ("issue_deficiency", "review", "deficient"),
                ("deem_withdrawn", "deficient", "withdrawn")]
    if stage == "settled":
        return [*MAIN_PATH[:4], ("accept_settlement", "mediation", "mediation"),
                ("conclude_settlement", "mediation", "settled")]
    return MAIN_PATH[: ORDER.index(stage)]


PATHS = {stage: path_to(stage) for stage, _ in STAGE_MIX}


def text(i: int, words: int) -> str:
    return " ".join(WORDS[(i * 7 + k * 13) % len(WORDS)] for k in range(words))


def fake_hash(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=32).hexdigest()


class Writer:
    """Rows for one table at a time, to COPY (PostgreSQL) or executemany (SQLite)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = url.startswith("postgresql")
        self.rows = 0
        if self.postgres:
            import psycopg

            self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
            with self.conn.cursor() as cur:
                cur.execute("SET synchronous_commit = off")
                # The seeded rows are consistent by construction: skip the per-row foreign
                # key triggers while loading (bulk-load practice; needs a superuser).
                cur.execute("SET session_replication_role = replica")
        else:
            import sqlite3

            self.conn = sqlite3.connect(url.removeprefix("sqlite:///"))
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = OFF")

    def write(self, table: str, columns: tuple[str, ...], rows: Iterator[tuple]) -> None:
        names = ", ".join(columns)
        if self.postgres:
            with self.conn.cursor() as cur, cur.copy(
                    f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    self.rows += 1
        else:
            marks = ", ".join("?" for _ in columns)
            batch: list[tuple] = []
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
            for row in rows:
                # SQLAlchemy's SQLite format (always with microseconds), so stored values
                # compare correctly with the ones the app binds, e.g. in keyset cursors.
                batch.append(tuple(v.strftime("%Y-%m-%d %H:%M:%S.%f")
                                   if isinstance(v, datetime) else v for v in row))
                if len(batch) >= 5000:
                    self.conn.executemany(sql, batch)
                    self.rows += len(batch)
                    batch.clear()
            self.conn.executemany(sql, batch)
            self.rows += len(batch)

    def commit(self) -> None:
        self.conn.commit()


def moment(seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


class Seeder:
    def __init__(self, writer: Writer, cases: int, docs_per_case: int, first: int,
                 due_deadlines: int, password_hash: str) -> None:
        self.w = writer
        self.n = cases
        self.docs = docs_per_case
        self.first = first  # first case id
        self.due = due_deadlines
        self.password_hash = password_hash
        self.claimant_users = max(20, cases // 50)
        self.respondent_users = max(20, cases // 4)
        self.now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        # Each case's chain head (32 bytes per case), computed while the events are written,
        # which is why they are written before the cases (foreign keys are not checked while
        # loading: see Writer).
        self.heads = bytearray(32 * cases)

    # user ids: fixed accounts, neutrals, then claimants, then respondents
    def claimant_user(self, i: int) -> int:
        if i % BIG_PARTY_EVERY == 0:
            return CLAIMANT
        if i % (self.n // 12 or 1) == 1 and i < self.n:
            return PARTY
        return FIRST_NEUTRAL + NEUTRALS + i % self.claimant_users

    def respondent_user(self, i: int) -> int:
        return FIRST_NEUTRAL + NEUTRALS + self.claimant_users + (i * 7919) % self.respondent_users

    def stage(self, i: int) -> str:
        if i - self.first < self.due:
            return ("response", "deficient", "mediation")[i % 3]
        return STAGES[((i * 2654435761) >> 7) % 100]  # well mixed: every 500th case too

    def activity(self, i: int) -> int:
        """Seconds after EPOCH of the case's last activity (spread over four years)."""
        return (i * 104729) % SPAN_SECONDS

    def users(self) -> Iterator[tuple]:
        created = moment(0)
        h = self.password_hash
        yield (MANAGER, "manager@bench.sulh.example", "Bench Manager", h, "en", "EG", True, False,
               True, created, TOTP_SECRET, created)
        yield (CLAIMANT, "claimant@bench.sulh.example", "Bench Claimant", h, "en", "AE", False,
               False, True, created, TOTP_SECRET, created)
        yield (PARTY, "party@bench.sulh.example", "Bench Party", h, "en", "JO", False, False, True,
               created, TOTP_SECRET, created)
        for k in range(NEUTRALS):
            yield (FIRST_NEUTRAL + k, f"neutral{k}@bench.sulh.example", f"Neutral {k}", h, "en",
                   COUNTRIES[k % len(COUNTRIES)], False, True, True, created, TOTP_SECRET,
                   created)
        base = FIRST_NEUTRAL + NEUTRALS
        for k in range(self.claimant_users + self.respondent_users):
            yield (base + k, f"user{k}@bench.sulh.example", f"User {k}", h,
                   ("en", "ar", "fr")[k % 3], COUNTRIES[k % len(COUNTRIES)], False, False, True,
                   created, TOTP_SECRET, created)

    def last_activity_at(self, i: int) -> datetime:
        if i - self.first < self.due:
            return self.now - timedelta(days=40)
        return moment(self.activity(i))

    def event_count(self, i: int) -> int:
        return len(PATHS[self.stage(i)]) + 1 + self.docs

    def cases(self) -> Iterator[tuple]:
        for i in range(self.first, self.first + self.n):
            stage = self.stage(i)
            last = self.activity(i)
            events = len(PATHS[stage]) + 1
            created = moment(max(0, last - 86400 * (events * 9)))
            submitted = None if stage == "draft" else created + timedelta(hours=2)
            year = 2022 + (i // 200_000)
            number = None if stage == "draft" else f"SULH-{year}-{i % 200_000 + 1:06d}"
            closed = moment(last) if stage in ("withdrawn", "settled", "awarded") else None
            last_at = self.last_activity_at(i)
            count = self.event_count(i)
            head = self.heads[32 * (i - self.first):32 * (i - self.first + 1)].hex()
            yield (i, number, "med-arb", "med-arb/2026.1", stage, count + 1,
                   ("en", "ar", "fr")[i % 3], 60 if i % 4 else 90, self.claimant_user(i),
                   text(i, 60), "Online marketplaces; retail shops in Dubai and Cairo",
                   date(2021, 1 + i % 12, 1 + i % 28), None, created, submitted,
                   submitted, closed, last_at, count, head)

    def parties(self) -> Iterator[tuple]:
        for i in range(self.first, self.first + self.n):
            c1, c2 = COUNTRIES[i % len(COUNTRIES)], COUNTRIES[(i * 3 + 1) % len(COUNTRIES)]
            yield (2 * i, i, "claimant", f"Claimant {i} Holdings", c1,
                   f"{i} Corniche Street, {c1}", f"legal{i}@claimant.example",
                   f"Counsel {i % 997}", f"Firm {i % 211}", f"counsel{i % 997}@firm.example")
            yield (2 * i + 1, i, "respondent", f"Respondent {i} Trading", c2,
                   f"{i} Market Road, {c2}", f"info{i}@respondent.example", None, None, None)

    def rights(self) -> Iterator[tuple]:
        for i in range(self.first, self.first + self.n):
            for k in range(1 + i % 2):
                yield (2 * i + k, i, k, RIGHT_KINDS[(i + k) % 6], f"Mark {i}-{k}",
                       f"REG-{i:07d}-{k}", "National IP Office", COUNTRIES[i % 14],
                       f"Claimant {i} Holdings")

    def remedies(self) -> Iterator[tuple]:
        for i in range(self.first, self.first + self.n):
            for k in range(1 + i % 2):
                kind = REMEDY_KINDS[(i + 3 * k) % 6]
                amount = f"{(i % 90 + 10) * 1000}.00" if kind == "damages" else None
                yield (2 * i + k, i, kind, text(i + k, 20), amount,
                       "USD" if amount else None)

    def participants(self) -> Iterator[tuple]:
        for i in range(self.first, self.first + self.n):
            stage = self.stage(i)
            created = moment(self.activity(i))
            listed = self.last_activity_at(i)  # participants.case_activity_at
            step = ORDER.index(stage) if stage in ORDER else (
                4 if stage == "settled" else 1)
            yield (4 * i, i, self.claimant_user(i), "claimant", created, listed)
            if step >= 2:
                yield (4 * i + 1, i, self.respondent_user(i), "respondent", created, listed)
            if step >= 4:
                yield (4 * i + 2, i, FIRST_NEUTRAL + i % (NEUTRALS // 2), "mediator", created,
                       listed)
            if step >= 6:
                yield (4 * i + 3, i, FIRST_NEUTRAL + NEUTRALS // 2 + i % (NEUTRALS // 2),
                       "arbitrator", created, listed)

    def deadlines(self) -> Iterator[tuple]:
        for i in range(self.first, self.first + self.n):
            stage = self.stage(i)
            rule = DEADLINES.get(stage) or DEADLINES["response"]
            key, label, addressee, on_expiry, days = rule
            created = moment(self.activity(i))
            due_at = created + timedelta(days=days)
            if i - self.first < self.due:  # passed a little while ago
                due_at = self.now - timedelta(hours=1, minutes=i % 1000)
                created = due_at - timedelta(days=days)
            status = "open" if stage in DEADLINES else ("met" if i % 5 else "expired")
            if status == "open" and i - self.first >= self.due:
                due_at = max(due_at, self.now + timedelta(days=1 + i % 30))
            country = COUNTRIES[i % 14]
            basis = json.dumps({
                "trigger": created.date().isoformat(), "days": days, "business": False,
                "country": country, "nominal_end": due_at.date().isoformat(),
                "due_date": due_at.date().isoformat(), "trigger_label": "service"})
            closed = None if status == "open" else due_at
            outcome = None if status == "open" else on_expiry
            yield (i, i, key, label, addressee, on_expiry, "UDRP Rules", due_at.date(), due_at,
                   basis, status, outcome, created, closed)

    def events(self) -> Iterator[tuple]:
        """Each case's trail, chained as Case.record_event chains it: the draft, its
        documents (filed with the complaint), then the path to the case's stage."""
        from app.models.audit import event_hash

        eid = 0
        for i in range(self.first, self.first + self.n):
            last = self.activity(i)
            path = PATHS[self.stage(i)]
            drafted = moment(max(0, last - 86400 * 9 * len(path)))
            trail = [("create_draft", "draft", "draft", {}, "{}", drafted)]
            for k in range(self.docs):
                detail = self.upload_detail(i, k)
                trail.append(("upload_document", "draft", "draft", detail, json.dumps(detail),
                              drafted))
            trail += [(action, s_from, s_to, {}, "{}",
                       moment(max(0, last - 86400 * 9 * (len(path) - step))))
                      for step, (action, s_from, s_to) in enumerate(path, start=1)]
            prev = ""
            for seq, (action, s_from, s_to, detail, as_json, at) in enumerate(trail, start=1):
                eid += 1
                system = action in ("deem_withdrawn", "conclude_settlement")
                actor_id = None if system else self.claimant_user(i)
                name, roles = ("Sulh", "") if system else (f"User {i}", "claimant")
                h = event_hash({"case_id": i, "seq": seq, "prev_hash": prev, "at": at,
                                "actor_id": actor_id, "actor_name": name, "actor_roles": roles,
                                "action": action, "stage_from": s_from, "stage_to": s_to,
                                "detail": detail, "visibility": "participants"})
                yield (self.first * 12 + eid, i, seq, at, actor_id, name, roles, action, s_from,
                       s_to, as_json, "participants", prev, h)
                prev = h
            self.heads[32 * (i - self.first):32 * (i - self.first + 1)] = bytes.fromhex(prev)

    def messages(self) -> Iterator[tuple]:
        for i in range(self.first, self.first + self.n):
            if self.stage(i) in ("draft", "review", "deficient", "withdrawn", "response"):
                continue
            at = moment(self.activity(i))
            yield (2 * i, i, self.claimant_user(i), "claimant", "joint", text(i, 40), at)
            yield (2 * i + 1, i, FIRST_NEUTRAL + i % (NEUTRALS // 2), "mediator",
                   "caucus:claimant", text(i + 1, 30), at)

    def document(self, i: int, k: int) -> tuple:
        """Document k of case i, uploaded by the claimant with the complaint."""
        doc_id, size, sha256 = self.document_facts(i, k)
        media, ext = MEDIA[(i + k) % 3]
        kind = DOC_KINDS[(i + k) % 6]
        return (doc_id, i, self.claimant_user(i), "claimant", f"Exhibit C-{k + 1}", kind,
                f"exhibit-{k + 1}.{ext}", media, size, sha256, f"seed/{i}/{doc_id}.{ext}",
                "participants", self.drafted(i), None, 1, "C", k + 1)

    def document_facts(self, i: int, k: int) -> tuple[int, int, str]:
        doc_id = i * self.docs + k
        return doc_id, 20_000 + (doc_id * 7919) % 5_000_000, fake_hash("doc", doc_id)

    def drafted(self, i: int) -> datetime:
        """When case i's draft was started (its first event)."""
        return moment(max(0, self.activity(i) - 86400 * 9 * len(PATHS[self.stage(i)])))

    def upload_detail(self, i: int, k: int) -> dict:
        """The detail of document k's upload event, as app/documents/service.py records it."""
        doc_id, size, sha256 = self.document_facts(i, k)
        return {"document": doc_id, "title": f"Exhibit C-{k + 1}", "version": 1,
                "exhibit": f"C-{k + 1}", "sha256": sha256, "size": size}

    def documents(self) -> Iterator[tuple]:
        for i in range(self.first, self.first + self.n):
            for k in range(self.docs):
                yield self.document(i, k)

    def decisions(self) -> Iterator[tuple]:
        for i in range(self.first, self.first + self.n):
            stage = self.stage(i)
            if stage not in ("awarded", "settled"):
                continue
            at = moment(self.activity(i))
            code = f"{i:012d}"
            yield (i, i, "award" if stage == "awarded" else "settlement",
                   f"{code[:4]}-{code[4:8]}-{code[8:]}", ("en", "ar", "fr")[i % 3], "issued",
                   f"seed/{i}/decision.pdf", fake_hash("decision", i), 180_000, None,
                   FIRST_NEUTRAL + NEUTRALS // 2 + i % (NEUTRALS // 2), at, at)


# The events come first: each case row carries its chain's head (Seeder.heads).
TABLES: tuple[tuple[str, tuple[str, ...], Callable[[Seeder], Iterator[tuple]]], ...] = (
    ("audit_events", ("id", "case_id", "seq", "at", "actor_id", "actor_name", "actor_roles",
                      "action", "stage_from", "stage_to", "detail", "visibility", "prev_hash",
                      "hash"), Seeder.events),
    ("cases", ("id", "number", "procedure_key", "rules_version", "stage", "version", "language",
               "mediation_days", "filer_id", "infringement_description",
               "infringement_locations", "infringement_since", "deficiency_notice",
               "created_at", "submitted_at", "commenced_at", "closed_at", "last_activity_at",
               "event_count", "chain_head"), Seeder.cases),
    ("parties", ("id", "case_id", "side", "name", "country", "address", "email", "counsel_name",
                 "counsel_firm", "counsel_email"), Seeder.parties),
    ("ip_rights", ("id", "case_id", "position", "kind", "title", "registration_number",
                   "office", "country", "owner"), Seeder.rights),
    ("remedies", ("id", "case_id", "kind", "details", "amount", "currency"), Seeder.remedies),
    ("participants", ("id", "case_id", "user_id", "role", "created_at", "case_activity_at"),
     Seeder.participants),
    ("deadlines", ("id", "case_id", "key", "label", "addressee", "on_expiry", "source",
                   "due_date", "due_at", "basis", "status", "outcome", "created_at",
                   "closed_at"), Seeder.deadlines),
    ("messages", ("id", "case_id", "sender_id", "sender_role", "channel", "body",
                  "created_at"), Seeder.messages),
    ("documents", ("id", "case_id", "uploader_id", "uploader_role", "title", "kind",
                   "original_name", "media_type", "size", "sha256", "storage_key", "scope",
                   "created_at", "family_id", "version_no", "exhibit_side", "exhibit_seq"),
     Seeder.documents),
    ("decisions", ("id", "case_id", "kind", "verification_code", "language", "status",
                   "storage_key", "sha256", "size", "error", "issued_by_id", "created_at",
                   "issued_at"), Seeder.decisions),
)
USER_COLUMNS = ("id", "email", "name", "password_hash", "locale", "country", "is_case_manager",
                "is_neutral", "active", "created_at", "totp_secret", "totp_enrolled_at")


def prepare_schema(url: str, reset: bool) -> None:
    """Build the schema from the migrations, as production does."""
    os.environ.setdefault("SULH_ENV", "embedded")
    from flask_migrate import upgrade
    from sqlalchemy import text as sql

    import config
    from app import create_app
    from app.extensions import db

    settings = config.EmbeddedConfig()
    settings.SQLALCHEMY_DATABASE_URI = config.normalise_database_url(url)
    app = create_app(settings)
    with app.app_context():
        if reset:
            if url.startswith("postgresql"):
                db.session.execute(sql("DROP SCHEMA public CASCADE"))
                db.session.execute(sql("CREATE SCHEMA public"))
                db.session.commit()
            else:
                db.engine.dispose()
                Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        upgrade()
        db.engine.dispose()


def finish(writer: Writer) -> None:
    """Move the id sequences past the seeded rows and refresh the planner's statistics."""
    if writer.postgres:
        with writer.conn.cursor() as cur:
            for table, _, _ in (("users", (), None), *TABLES):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                            f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")
        writer.commit()
        writer.conn.autocommit = True
        writer.conn.execute("VACUUM ANALYZE")
    else:
        writer.conn.execute("ANALYZE")
        writer.commit()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'bench.db'}"))
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--docs-per-case", type=int, default=10)
    parser.add_argument("--due-deadlines", type=int, default=0,
                        help="make the first K cases' deadlines due (for the sweep benchmark)")
    parser.add_argument("--reset", action="store_true", help="drop everything first")
    args = parser.parse_args(argv)
    url = args.database_url.replace("postgres://", "postgresql://")

    started = time.perf_counter()
    prepare_schema(url, args.reset)
    from werkzeug.security import generate_password_hash

    writer = Writer(url)
    seeder = Seeder(writer, args.cases, args.docs_per_case, first=1,
                    due_deadlines=args.due_deadlines,
                    password_hash=generate_password_hash(PASSWORD, method="scrypt"))
    load_started = time.perf_counter()
    writer.write("users", USER_COLUMNS, seeder.users())
    for table, columns, rows in TABLES:
        t0, before = time.perf_counter(), writer.rows
        writer.write(table, columns, rows(seeder))
        writer.commit()
        took = time.perf_counter() - t0
        print(f"  {table:<13} {writer.rows - before:>11,} rows {took:8.1f} s "
              f"({(writer.rows - before) / max(took, 1e-9):>10,.0f} rows/s)", flush=True)
    loaded = time.perf_counter() - load_started
    finish(writer)
    total = time.perf_counter() - started
    print(f"seeded {args.cases:,} cases, {writer.rows:,} rows in {total:.1f} s "
          f"(load {loaded:.1f} s, {args.cases / loaded:,.0f} cases/s, "
          f"{writer.rows / loaded:,.0f} rows/s; analyze {total - loaded:.1f} s) into "
          f"{'PostgreSQL' if writer.postgres else 'SQLite'}")


if __name__ == "__main__":
    main()
