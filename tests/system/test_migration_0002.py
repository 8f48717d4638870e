"""Migration 0002: ids are never reused. On SQLite it rebuilds every table with an integer id as AUTOINCREMENT;
each row, index, reference, search hit and planner statistic must survive, in one transaction that a crash
undoes; on PostgreSQL it changes nothing."""

import sqlite3

import test_migrations as base

from crm_testkit import Cli, searchable
from tinycrm.store import migrate
from tinycrm.store.database import Database, open_db
from tinycrm.store.migrations import HEAD

empty_urls = base.empty_urls  # the fixture: new, empty databases on each store


def test_every_table_with_an_id_never_reuses_it():
    """A new table with an integer id gets AUTOINCREMENT on SQLite too (schema.IDS_NEVER_REUSED)."""
    from tinycrm.store import tables
    from tinycrm.store.schema import metadata

    with_id = tables.id_tables()
    assert "contacts" in with_id and "audit_log" in with_id and "contact_tags" not in with_id
    for name in with_id:
        assert metadata.tables[name].kwargs.get("sqlite_autoincrement") is True, name


def _filled_at_0001(url: str) -> tuple[Database, dict]:
    """A database stopped at revision 0001 with data in every kind of table; the contact and the deal with the
    largest ids deleted, as people do, so that only the audit log remembers those ids."""
    from tinycrm.services import demo
    from tinycrm.services.people import contacts
    from tinycrm.services.sales import deals

    db = Database(url)
    migrate.upgrade(db, "0001")
    assert migrate.current_revision(db) == "0001"
    # today's services keep contacts.last_interaction_at (revision 0003): the column is there while they fill
    # the tables of 0001, then taken away
    # (and the tables of leads and close-date history and a deal's forecast category, revision 0008, that they
    # read and write beside, and the outbox of revision 0010 they write events to)
    key = "INTEGER PRIMARY KEY" if db.is_sqlite else "SERIAL PRIMARY KEY"
    with db.write() as tx:
        tx.execute("ALTER TABLE contacts ADD COLUMN last_interaction_at TIMESTAMP")
        tx.execute("ALTER TABLE deals ADD COLUMN forecast_category VARCHAR(20) NOT NULL DEFAULT 'pipeline'")
        tx.execute("CREATE TABLE lead_tags (lead_id INTEGER, tag_id INTEGER)")
        tx.execute(
            "CREATE TABLE deal_close_history (id INTEGER, deal_id INTEGER, old_close DATE, new_close DATE, "
            "changed_at TIMESTAMP)"
        )
        tx.execute(
            f"CREATE TABLE events (id {key}, type VARCHAR(40), record_kind VARCHAR(30), record_id INTEGER, "
            "payload TEXT, created_at TIMESTAMP, routed BOOLEAN)"
        )
    demo.populate(db, contacts_n=40, interactions_per_contact=1.5, seed=11)
    with db.write() as tx:
        tx.execute("ALTER TABLE contacts DROP COLUMN last_interaction_at")
    with db.write() as tx:
        cid = tx.scalar("SELECT min(id) FROM contacts")
        tx.execute(
            "INSERT INTO contact_photos (contact_id, media_type, data) VALUES (:c, 'image/png', :d)",
            {"c": cid, "d": b"\x89PNG\r\n\x1a\n\x00\xff"},
        )
        tx.execute(
            "INSERT INTO contact_extras (contact_id, position, name, params, value) "
            "VALUES (:c, 0, 'X-MASTODON', 'TYPE=work', '@ada@example.social')",
            {"c": cid},
        )
    with db.read() as tx:
        last_contact = tx.scalar("SELECT max(id) FROM contacts")
        last_deal = tx.scalar("SELECT max(id) FROM deals")
    contacts.delete(db, last_contact)
    deals.delete(db, last_deal)
    with db.write() as tx:
        tx.execute("DROP TABLE lead_tags")
        tx.execute("DROP TABLE deal_close_history")
        tx.execute("DROP TABLE events")
        tx.execute("ALTER TABLE deals DROP COLUMN forecast_category")
    if db.is_sqlite:
        db.connection().execute("ANALYZE")  # the planner's statistics, which a rebuild must keep
    return db, {"contacts": last_contact, "deals": last_deal}


def _content(db: Database) -> dict:
    """Every row of every table (the search index too), every index, and what searches find."""
    from tinycrm.services.people import contacts
    from tinycrm.store import tables

    out: dict = {}
    with db.read() as tx:
        if db.is_sqlite:
            existing = set(tx.column("SELECT name FROM sqlite_master WHERE type = 'table'"))
        else:
            existing = set(tx.column("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
        for table in tables.table_order():
            if table not in existing:  # added by a later revision
                continue
            # the columns this revision has (later ones add some), as the store gives them
            present = [d[0] for d in tx._run(f"SELECT * FROM {table} WHERE 1 = 0", None).description]
            cols = [c for c in tables.columns(table) if c in present]
            order = ", ".join(tables.primary_key(table))
            rows = [
                dict(zip(cols, r, strict=True))
                for r in tx.all(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {order}")
            ]
            if rows:  # an empty table and one a later revision added (empty) compare the same
                out[table] = rows
        if db.is_sqlite:
            out["contact_search"] = [
                tuple(r) for r in tx.all("SELECT rowid, * FROM contact_search ORDER BY rowid")
            ]
            out["indexes"] = sorted(
                tuple(r) for r in tx.all("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index'")
            )
            out["statistics"] = sorted(tuple(r) for r in tx.all("SELECT * FROM sqlite_stat1"))
            assert any(r[0] == "contacts" for r in out["statistics"])
        else:
            out["contact_search"] = [
                tuple(str(v) for v in r) for r in tx.all("SELECT * FROM contact_search ORDER BY contact_id")
            ]
            out["indexes"] = sorted(
                tuple(r)
                for r in tx.all(
                    "SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'"
                )
            )
    assert len(out["contacts"]) >= 30 and out["contact_tags"] and out["contact_search"] and out["deals"]
    queries = ["ada", "tag:vip", "email:example", "company:a", "grace hopper", "phone:5"]
    with searchable(db):
        out["search"] = {q: [c.id for c in contacts.search(db, q, limit=None).items] for q in queries}
    assert sum(map(len, out["search"].values())) > 0
    return out


def _as_before(after: dict, before: dict, key: str) -> list:
    """``after[key]`` without what later revisions added (columns, indexes), to compare with ``before[key]``."""
    if key == "indexes":
        names = {i[0] for i in before[key]}
        return [i for i in after[key] if i[0] in names]
    if isinstance(before[key], list) and before[key] and isinstance(before[key][0], dict):
        cols = list(before[key][0])
        return [{c: row[c] for c in cols} for row in after[key]]
    return after[key]


def _checks_out(db: Database) -> None:
    if not db.is_sqlite:
        return
    conn = db.connection()
    assert [tuple(r) for r in conn.execute("PRAGMA integrity_check")] == [("ok",)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1, (
        "foreign keys are on again after the upgrade"
    )


def test_0002_keeps_every_row_and_gives_new_ids(empty_urls):
    from tinycrm.domain.people import ContactInput
    from tinycrm.services.people import contacts

    db, deleted = _filled_at_0001(empty_urls())
    before = _content(db)
    db.close()

    db = open_db(db.url)  # opening upgrades
    assert migrate.current_revision(db) == HEAD
    _checks_out(db)
    after = _content(db)
    for key in before:
        assert _as_before(after, before, key) == before[key], key
    assert base.schema_diffs(db) == []

    new = contacts.create(db, ContactInput("Someone New"))
    assert new.id > deleted["contacts"], "the id of a deleted contact is never given again"
    r = Cli(db.url)("history", "contact", str(new.id), "--json")
    assert [e["action"] for e in r.json] == ["create"] and "Someone New" in r.stdout
    db.close()


_KILL_AT_DROP = """
import os, signal, sys
from sqlalchemy.engine import Connection

plain = Connection.exec_driver_sql

def exec_driver_sql(self, statement, *args, **kwargs):
    if statement.startswith('DROP TABLE "contacts"'):
        os.kill(os.getpid(), signal.SIGKILL)  # a crash in the middle of the upgrade
    return plain(self, statement, *args, **kwargs)

Connection.exec_driver_sql = exec_driver_sql
from tinycrm.store.database import open_db
open_db(sys.argv[1])
"""


def test_0002_stopped_halfway_leaves_the_database_as_it_was(tmp_path):
    import subprocess
    import sys

    db, _ = _filled_at_0001(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    before = _content(db)
    db.close()

    killed = subprocess.run([sys.executable, "-c", _KILL_AT_DROP, db.url], capture_output=True, timeout=120)
    assert killed.returncode == -9, killed.stderr

    raw = sqlite3.connect(db.path)
    try:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        schema = " ".join(r[0] for r in raw.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"))
        assert "AUTOINCREMENT" not in schema and "__0002" not in schema, "the tables rebuilt before are back"
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        raw.close()
    db = Database(db.url)
    assert _content(db) == before
    migrate.ensure_current(db)  # and the next open upgrades
    assert migrate.current_revision(db) == HEAD
    _checks_out(db)
    after = _content(db)
    assert {key: _as_before(after, before, key) for key in before} == before
    db.close()


def test_0002_changes_nothing_on_postgresql(pg_url):
    """PostgreSQL ids come from sequences, which never go back: 0002 leaves the schema as it was."""
    db = Database(pg_url)
    migrate.upgrade(db, "0001")
    before = base.schema_snapshot(db)
    migrate.upgrade(db)
    assert migrate.current_revision(db) == HEAD
    assert base.schema_snapshot(db) == before
    with db.read() as tx:
        from tinycrm.store import tables

        for table in tables.id_tables():
            seq = tx.scalar("SELECT pg_get_serial_sequence(:t, 'id')", {"t": table})
            assert seq is not None, f"{table}.id comes from a sequence"
    db.close()


def test_exports_of_revisions_with_the_same_data_still_import(tmp_path):
    """0002 changed no table or column: a JSON export made at 0001 (a PostgreSQL backup, say) restores."""
    import json

    from tinycrm.store.migrations import DERIVED_COLUMNS, SAME_DATA_AS_HEAD

    assert HEAD in SAME_DATA_AS_HEAD
    seen = {}
    for rev in sorted(SAME_DATA_AS_HEAD):
        at = Database(f"sqlite:///{tmp_path / f'at-{rev}.sqlite3'}")
        migrate.upgrade(at, rev)
        snapshot = base.schema_snapshot(at)
        seen[rev] = {
            t: [c for c in snapshot[t]["columns"] if c[0] not in DERIVED_COLUMNS.get(t, ())] for t in snapshot
        }
        at.close()
    # HEAD may add tables, and columns that have a default; every column an older export holds is still there
    for rev, columns in seen.items():
        for table, cols in columns.items():
            assert set(cols) <= set(seen[HEAD][table]), f"{rev} has other columns in {table} than HEAD"

    source = Cli(f"sqlite:///{tmp_path / 'source.sqlite3'}")
    assert source("add-contact", "Ada", "--tag", "vip").exit_code == 0
    dump = tmp_path / "old.json"
    assert source("export", "json", str(dump)).exit_code == 0
    doc = json.loads(dump.read_text())
    doc["schema_revision"] = "0001"
    dump.write_text(json.dumps(doc))
    target = Cli(f"sqlite:///{tmp_path / 'target.sqlite3'}")
    r = target("import", "json", str(dump))
    assert r.exit_code == 0, r.stderr
    assert [c["display_name"] for c in target("search", "tag:vip", "--json").json] == ["Ada"]
