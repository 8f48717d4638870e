"""Migration 0017: ``deal_value_history`` is filled from the audit log, which has recorded every change of a
deal's value, currency and forecast category as [old, new]: the rows the upgrade writes are those the deal
service writes with each change."""

from datetime import UTC, datetime

import test_migrations as base

from tinycrm.domain import clock
from tinycrm.domain.sales import DealInput
from tinycrm.store import migrate
from tinycrm.store.database import open_db
from tinycrm.store.migrations import HEAD

empty_urls = base.empty_urls  # the fixture: new, empty databases on each store


def _at(day: str):
    return clock.frozen(datetime.fromisoformat(day + "T10:00:00").replace(tzinfo=UTC))


def _history(db) -> list[tuple]:
    with db.read() as tx:
        return [
            (r["deal_id"], int(r["value_e4"]), r["currency"], r["category"], str(r["changed_at"]))
            for r in tx.all(
                "SELECT deal_id, value_e4, currency, category, changed_at FROM deal_value_history ORDER BY id"
            )
        ]


def test_the_upgrade_rebuilds_the_value_history_from_the_audit_log(empty_urls):
    from alembic import command

    from tinycrm.services.sales import deals, pipelines

    db = open_db(empty_urls())
    pipelines.create(db, "P", [("A", 50, None)])
    with _at("2026-01-05"):
        a = deals.create(db, DealInput(title="a", value="10.5", currency="EUR", pipeline="P")).id
        b = deals.create(db, DealInput(title="b", value="7", currency="USD", pipeline="P")).id
        gone = deals.create(db, DealInput(title="gone", value="1", currency="EUR", pipeline="P")).id
    with _at("2026-01-10"):
        deals.update(db, a, {"value": "12.25", "title": "a2"})
        deals.update(db, b, {"category": "commit"})
        deals.update(db, gone, {"value": "2"})
        deals.update(db, a, {"title": "a3", "expected_close": "2026-03-01"})  # neither value nor category
    with _at("2026-02-01"):
        deals.update(db, a, {"currency": "GBP", "category": "best-case"})
        deals.update(db, b, {"value": "9.0001"})
        deals.delete(db, gone)
    written = _history(db)
    assert [(d, v, c, k) for d, v, c, k, _ in written] == [
        (a, 105000, "EUR", "pipeline"),  # before 12.25
        (b, 70000, "USD", "pipeline"),  # before commit
        (a, 122500, "EUR", "pipeline"),  # before GBP and best-case
        (b, 70000, "USD", "commit"),  # before 9.0001
    ]
    db.close()

    engine = migrate.sa_engine(db, foreign_keys=False)
    try:
        with engine.begin() as conn:
            command.downgrade(migrate._config(conn), "0015")
    finally:
        engine.dispose()
    again = open_db(db.url)  # upgrades to the head
    assert migrate.current_revision(again) == HEAD
    assert _history(again) == written
    again.close()
