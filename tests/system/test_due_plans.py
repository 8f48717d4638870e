"""Each due-item query reads its index, on both stores: an index that stops being used (a query spelled
differently from its expression, a dropped partial-index condition) fails here, not in a user's morning.

SQLite: EXPLAIN QUERY PLAN names the index and never a plain SCAN of contacts, deals or tasks. PostgreSQL: the
plan, with sequential scans discouraged (the test tables are tiny, where a scan is cheapest), names the index
and no Seq Scan of them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tinycrm.domain.people import ContactInput
from tinycrm.domain.sales import DealInput
from tinycrm.domain.tasks import TaskInput
from tinycrm.services.people import contacts
from tinycrm.services.sales import deals
from tinycrm.services.work import due, tasks
from tinycrm.services.work.due import Window

BIG_TABLES = ("contacts", "deals", "tasks")


@pytest.fixture
def filled(db, clock):
    clock("2026-03-27T08:00:00+01:00")
    with db.write() as tx:
        tx.execute("UPDATE stages SET idle_days = 10")
    for i in range(30):
        contacts.create(
            db, ContactInput(f"Person {i}", cadence_days=[7, 30, None][i % 3], birthday="--03-28")
        )
        tasks.create(db, TaskInput(f"Task {i}", due=f"2026-03-{i % 28 + 1:02d}"))
    for i in range(10):
        deals.create(
            db,
            DealInput(f"Deal {i}", value="10", currency="EUR", next_step="Call", next_step_due="2026-03-01"),
        )
    if db.is_sqlite:
        db.connection().execute("ANALYZE")
    return db


def plan(db, sql: str, params: dict) -> str:
    """The plan of ``sql`` as one text."""
    with db.read() as tx:
        if db.is_sqlite:
            return "\n".join(r[3] for r in tx.all(f"EXPLAIN QUERY PLAN {sql}", params))
        tx.execute("SET LOCAL enable_seqscan = off")
        return "\n".join(r[0] for r in tx.all(f"EXPLAIN {sql}", params))


def uses(text: str, index: str, db) -> None:  # noqa: ANN001
    assert index in text, text
    for table in BIG_TABLES:
        if db.is_sqlite:
            assert f"SCAN {table} " not in f"{text} " and f"SCAN {table[0]}\n" not in f"{text}\n", text
            assert not any(
                line.strip() in (f"SCAN {table[0]}", f"SCAN {table}") for line in text.splitlines()
            )
        else:
            assert f"Seq Scan on {table}" not in text, text


def _window():
    from tinycrm.services.common import now

    return Window.of(now(), 7)


@pytest.mark.parametrize("section", ["overdue", "today", "upcoming"])
@pytest.mark.parametrize("snoozed", [True, False])
def test_tasks_due_read_the_open_task_index(filled, section, snoozed):
    w = _window()
    where = due._task_where(section, owner_id=None, include_snoozed=snoozed)
    params = due._window_params(w, None)
    uses(plan(filled, f"SELECT count(*) FROM tasks t WHERE {where}", params), "ix_tasks_open_due", filled)
    rows = f"{tasks.select_sql()} WHERE {where} ORDER BY {due.DUE_AGAIN}, t.priority DESC, t.id LIMIT 20"
    uses(plan(filled, rows, params), "ix_tasks_open_due", filled)


def test_stay_in_touch_reads_one_range_per_cadence(filled):
    w = _window()
    with filled.read() as tx:
        assert due.cadences(tx) == [7, 30]
        arms = due._stale_arms(tx, None, w.tomorrow_start, None)
    assert len(arms) == 2, "a range for each cadence"
    for cond, params in arms:
        uses(
            plan(filled, f"SELECT count(*) FROM contacts c WHERE {cond}", params), "ix_contacts_touch", filled
        )
        # the bound of a page: the n-th contact of the cadence, in the index's own order (no sort)
        nth = f"SELECT {due.TOUCHED_AT} FROM contacts c WHERE {cond} ORDER BY {due.TOUCHED_AT} LIMIT 1 OFFSET 19"
        text = plan(filled, nth, params)
        uses(text, "ix_contacts_touch", filled)
        assert "TEMP B-TREE" not in text and "Sort" not in text, text
    skip = (
        "WITH RECURSIVE k(days) AS (SELECT min(cadence_days) FROM contacts WHERE cadence_days > 0 AND NOT archived "
        "UNION ALL SELECT (SELECT min(c.cadence_days) FROM contacts c WHERE c.cadence_days > k.days AND NOT "
        "c.archived) FROM k WHERE k.days IS NOT NULL) SELECT days FROM k WHERE days IS NOT NULL"
    )
    uses(plan(filled, skip, {}), "ix_contacts_touch", filled)


@pytest.mark.parametrize("days", [1, 10, 300])
def test_birthdays_read_the_month_day_index(filled, days):
    w = _window()
    for span in due._spans([w.today + timedelta(days=i) for i in range(days)]):
        cond, params = due._birthday_where(span, None)
        uses(
            plan(filled, f"SELECT count(*) FROM contacts c WHERE {cond}", params),
            "ix_contacts_birthday",
            filled,
        )


def test_idle_deals_read_the_stage_and_next_step_indexes(filled):
    w = _window()
    with filled.read() as tx:
        union, params = due._idle_union(tx, w.now, w.today, "", {})
    text = plan(filled, f"SELECT count(*) FROM ({union}) i", params)
    uses(text, "ix_deals_next_step", filled)
    uses(text, "ix_deals_idle", filled)


def test_the_due_indexes_exist_on_both_stores(db):
    """The schema comparison cannot see expression indexes on SQLite: name them here."""
    wanted = {
        "ix_contacts_touch",
        "ix_contacts_birthday",
        "ix_deals_idle",
        "ix_deals_next_step",
        "ix_tasks_open_due",
    }
    with db.read() as tx:
        if db.is_sqlite:
            names = set(tx.column("SELECT name FROM sqlite_master WHERE type = 'index'"))
        else:
            names = set(tx.column("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"))
    assert wanted <= names


def test_the_activity_report_counts_inside_the_interaction_time_index(filled):
    from tinycrm.services.sales import reports

    params = {"s": "2026-03-02 00:00:00", "e": "2026-03-09 00:00:00"}
    text = plan(filled, reports.ACTIVITY_SQL.format(cond=""), params)
    uses(text, "ix_interactions_time_kind", filled)
    if filled.is_sqlite:
        assert "COVERING INDEX ix_interactions_time_kind" in text, text
    else:
        assert "Seq Scan on interactions" not in text, text
