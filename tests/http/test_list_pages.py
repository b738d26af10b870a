"""List pages sized for a million cases: keyset pages, and a number of SQL statements that does
not grow with the rows shown (no N+1 queries)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

import config
from app import create_app
from app.extensions import db
from app.models import Case, Deadline, Decision, Participant, Party, StageTotal
from app.services import stage_totals
from tests.conftest import ON_POSTGRES
from workflows.engine import Actor, current

STAGES = ("review", "response", "mediation", "arbitration", "closed_award")
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def add_cases(user, count: int, *, first: int = 0) -> None:
    """`count` filed cases of `user` (as claimant), with parties, an expired deadline and a
    decision that failed to render — one of everything a list page shows. Every third case
    shares its predecessor's last activity, so the pages must break ties by id."""
    procedure = current("med-arb")
    for i in range(first, first + count):
        at = START + timedelta(hours=i - i % 3)
        case = Case(number=f"SULH-2026-{i + 1:06d}", procedure_key=procedure.key,
                    rules_version=procedure.rules_version, stage=STAGES[i % len(STAGES)],
                    filer_id=user.id, language="en", mediation_days=60, created_at=at,
                    submitted_at=at, last_activity_at=at)
        case.parties = [Party(side="claimant", name=f"Claimant {i} Ltd", country="EG"),
                        Party(side="respondent", name=f"Respondent {i} LLC", country="AE")]
        case.participants = [Participant(user_id=user.id, role="claimant")]
        db.session.add(case)
        db.session.flush()
        db.session.add(Deadline(case_id=case.id, key="response", label="File the response",
                                addressee="respondent", on_expiry="proceed_in_default",
                                due_date=at.date(), due_at=at, status="expired",
                                outcome="proceed_in_default", created_at=at))
        db.session.add(Decision(case_id=case.id, kind="award", verification_code=f"T-{i}",
                                language="en", status="failed", error="boom"))
    db.session.commit()


@contextmanager
def counting_statements():
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def statements_for(app, client, url: str) -> tuple[int, str]:
    db.session.execute(db.delete(StageTotal))
    db.session.commit()
    with counting_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements), response.get_data(as_text=True)


@pytest.mark.parametrize("who, url", [("manager", "/manage/"), ("claimant", "/dashboard"),
                                      ("manager", "/manage/?stage=mediation")])
def test_list_page_statements_do_not_grow_with_rows(app, people, who, url):
    app.config["PAGE_SIZE"] = 100
    client = people.client(who)
    claimant = people.user("claimant")
    add_cases(claimant, 10)
    few, page = statements_for(app, client, url)
    shown = 2 if "stage=" in url else 10
    assert len(re.findall(r"Claimant \d+ Ltd v\. Respondent \d+ LLC", page)) >= shown
    add_cases(claimant, 90, first=10)
    many, page = statements_for(app, client, url)
    rows = len(set(re.findall(r"Claimant (\d+) Ltd v\. Respondent \d+ LLC", page)))
    assert rows >= (20 if "stage=" in url else 100)
    assert few == many, f"{few} statements for 10 cases, {many} for 100"


def walk_pages(client, url: str) -> list[str]:
    numbers: list[str] = []
    seen_urls = 0
    while url:
        seen_urls += 1
        assert seen_urls < 50
        page = client.get(url).get_data(as_text=True)
        table = page.split('id="all-h"', 1)[-1].split("</table>", 1)[0] if "/manage/" in url \
            else page
        numbers += re.findall(r'href="/cases/(SULH-2026-\d+)"', table)
        match = re.search(r'<a href="([^"]+)" rel="next">', page)
        url = match.group(1).replace("&amp;", "&") if match else ""
    return numbers


def expected_order(cases) -> list[str]:
    return [c.number for c in sorted(cases, key=lambda c: (c.last_activity_at, c.id),
                                     reverse=True)]


def test_party_pages_through_all_their_cases_newest_first(app, people):
    app.config["PAGE_SIZE"] = 7
    client = people.client("claimant")
    add_cases(people.user("claimant"), 40)
    other = people.user("respondent")
    add_cases(other, 5, first=40)  # somebody else's cases: never listed
    numbers = walk_pages(client, "/dashboard")
    mine = db.session.scalars(db.select(Case).where(Case.filer_id == people.user("claimant").id))
    assert numbers == expected_order(mine)
    assert len(numbers) == 40 and len(set(numbers)) == 40


def test_activity_on_a_case_moves_it_to_the_top_of_every_participants_list(app, people):
    claimant, counsel = people.user("claimant"), people.make("counsel")
    add_cases(claimant, 12)
    oldest = db.session.scalar(db.select(Case).where(Case.number == "SULH-2026-000001"))
    client = people.client("claimant")
    assert walk_pages(client, "/dashboard")[0] == "SULH-2026-000012"
    # The claimant's counsel joins the case (a change like any other: an audit event).
    oldest.participants.append(Participant(user_id=counsel.id, role="claimant_counsel"))
    oldest.record_event(action="join", actor=Actor(claimant.id, claimant.name,
                                                   frozenset({"claimant"})),
                        stage_from=oldest.stage, stage_to=oldest.stage, detail={},
                        visibility="participants", at=datetime.now(UTC))
    db.session.commit()
    for who in ("claimant", "counsel"):
        assert walk_pages(people.client(who), "/dashboard")[0] == "SULH-2026-000001", who
    assert len(walk_pages(people.client("counsel"), "/dashboard")) == 1


def test_a_user_with_two_roles_in_a_case_sees_it_once(app, people):
    app.config["PAGE_SIZE"] = 3
    claimant = people.user("claimant")
    add_cases(claimant, 7)
    for case in db.session.scalars(db.select(Case)):
        case.participants.append(Participant(user_id=claimant.id, role="claimant_counsel"))
    db.session.commit()
    numbers = walk_pages(people.client("claimant"), "/dashboard")
    assert sorted(numbers) == [f"SULH-2026-{i:06d}" for i in range(1, 8)]


def test_manager_pages_through_one_stage_keeping_the_filter(app, people):
    app.config["PAGE_SIZE"] = 4
    client = people.client("manager")
    add_cases(people.user("claimant"), 50)
    numbers = walk_pages(client, "/manage/?stage=mediation")
    in_mediation = db.session.scalars(db.select(Case).where(Case.stage == "mediation"))
    assert numbers == expected_order(in_mediation)
    assert len(numbers) == 10


def test_stage_totals_are_read_from_the_shared_table_and_recounted_after_a_minute(app, people):
    manager = people.client("manager")
    add_cases(people.user("claimant"), 5)  # one case in each of five stages
    assert "Administrative review (1)" in manager.get("/manage/").get_data(as_text=True)
    add_cases(people.user("claimant"), 5, first=5)
    # Within a minute of the count, every page reads the stored totals: no recount.
    with counting_statements() as statements:
        assert "Administrative review (1)" in manager.get("/manage/").get_data(as_text=True)
    assert not [s for s in statements if "GROUP BY cases.stage" in s]
    # A minute later, the first page to look counts again, for every worker.
    counted_at = stage_totals.stored()[1]
    db.session.execute(db.update(StageTotal).values(counted_at=counted_at - timedelta(minutes=2)))
    db.session.commit()
    assert "Administrative review (2)" in manager.get("/manage/").get_data(as_text=True)


@pytest.mark.skipif(not ON_POSTGRES, reason="two apps on one database (SQLite here is in memory)")
def test_workers_share_one_count_of_the_stages(app, people, tmp_path):
    """A second worker (another app on the same database) reads the stored totals instead of
    counting a million cases itself."""
    add_cases(people.user("claimant"), 5)
    assert "Administrative review (1)" in people.client("manager").get("/manage/").get_data(
        as_text=True)
    settings = config.TestConfig()
    settings.STORAGE_URL = f"file://{tmp_path / 'other'}"
    other = create_app(settings)
    from tests.conftest import IsolatedClient, People

    other.test_client_class = IsolatedClient
    second = People(other).client("manager")
    with counting_statements() as statements:
        page = second.get("/manage/").get_data(as_text=True)
    assert "Administrative review (1)" in page
    assert not [s for s in statements if "GROUP BY cases.stage" in s]


def test_no_case_yet_is_counted_once_too(app, people):
    page = people.client("manager").get("/manage/")
    assert page.status_code == 200
    counts, counted_at = stage_totals.stored()
    assert counts == {} and counted_at is not None


def test_a_forged_cursor_shows_the_first_page(app, people):
    client = people.client("claimant")
    add_cases(people.user("claimant"), 3)
    for cursor in ("nonsense", "20260101T000000.000000_x", "' OR 1=1 --"):
        response = client.get("/dashboard", query_string={"after": cursor})
        assert response.status_code == 200
        assert "SULH-2026-000003" in response.get_data(as_text=True)


def test_stranger_pages_show_no_cases(app, people):
    add_cases(people.user("claimant"), 5)
    page = people.client("stranger").get("/dashboard").get_data(as_text=True)
    assert "SULH-2026-" not in page
    assert people.client("stranger").get("/manage/").status_code == 404


def test_bench_route_exists_only_when_enabled(app, client):
    assert client.get("/bench/hello").status_code == 404
    settings = config.TestConfig()
    settings.BENCH_ROUTES = True
    bench_app = create_app(settings)
    assert bench_app.test_client().get("/bench/hello").get_data(as_text=True) == "hello"
    # the signed-in twin asks a visitor to sign in, like every page that is not public
    response = bench_app.test_client().get("/bench/signed-in")
    assert response.status_code == 302 and "/login" in response.location


def test_console_side_panels_in_one_statement(app, people):
    """The expired time limits (newest first, ten), the decisions that failed to render (newest
    first, ten) and the number of failing jobs come from one statement."""
    from app.models import Job

    manager = people.client("manager")
    add_cases(people.user("claimant"), 12)
    first = db.session.scalar(db.select(Case).order_by(Case.id))
    for k in range(1, 12):
        at = datetime(2026, 4, k, 12, tzinfo=UTC)
        db.session.add(Deadline(case_id=first.id, key="response", label=f"Limit {k}",
                                addressee="respondent", on_expiry="proceed_in_default",
                                due_date=at.date(), due_at=at, status="expired",
                                outcome="proceed_in_default", created_at=at))
    db.session.add_all([Job(name="send", last_error="SMTP down", status="failed"),
                        Job(name="send", last_error="SMTP down", status="failed"),
                        Job(name="send", status="done")])
    db.session.commit()
    with counting_statements() as statements:
        page = manager.get("/manage/").get_data(as_text=True)
    panels = [s for s in statements if "UNION ALL" in s]
    assert len(panels) == 1 and "deadlines" in panels[0] and "decisions" in panels[0]
    jobs = page.split('id="jobs-h"', 1)[1].split("</h2>", 1)[0]
    assert '<span class="badge">2</span>' in jobs
    failed = page.split('id="failed-h"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r">(SULH-2026-\d+)</a>", failed) == [
        f"SULH-2026-{i:06d}" for i in range(12, 2, -1)]
    expired = page.split('id="overdue-h"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r"</a>: Limit (\d+) — ", expired) == [str(k) for k in range(11, 1, -1)]
    # each with its case, linked, and what the expiry did in words, not its key
    assert expired.count(f'<a href="/cases/{first.number}">{first.number}</a>') == 10
    assert "Respondent in default; the case proceeds." in expired
    assert "(proceed_in_default)" not in expired


@pytest.mark.skipif(not ON_POSTGRES, reason="advisory locks are PostgreSQL's")
def test_while_one_worker_counts_the_others_show_the_stored_totals(app, people):
    from sqlalchemy import create_engine, text

    add_cases(people.user("claimant"), 5)
    counts, counted_at = stage_totals.current()
    assert counts["review"] == 1
    add_cases(people.user("claimant"), 5, first=5)
    db.session.execute(db.update(StageTotal).values(counted_at=counted_at - timedelta(minutes=2)))
    db.session.commit()
    other = create_engine(db.engine.url)
    with other.begin() as counting:  # another worker, in the middle of its count
        counting.execute(text("SELECT pg_try_advisory_xact_lock(:key)"),
                         {"key": stage_totals._LOCK})
        assert stage_totals.current()[0]["review"] == 1  # the stored ones, no waiting
    other.dispose()
    assert stage_totals.current()[0]["review"] == 2  # the lock is free: counted again
