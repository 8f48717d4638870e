"""A restore tells webhooks, as every other import does: one ``import.completed`` (``"as": "database"``) written
in the restore's transaction after the restored rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from crm_testkit import Cli, _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from tinycrm.domain.people import ContactInput
from tinycrm.services.interchange import backup
from tinycrm.services.interchange.files import Source
from tinycrm.services.people import contacts
from tinycrm.store.database import open_db


def events(db) -> list[tuple[str, dict]]:  # noqa: ANN001
    with db.read() as tx:
        rows = tx.all("SELECT type, payload, routed FROM events ORDER BY id")
    return [(r["type"], json.loads(r["payload"])) for r in rows]


def test_a_json_restore_writes_one_import_completed_after_the_restored_events(db, tmp_path):
    ada = contacts.create(db, ContactInput(display_name="Ada Lovelace"))
    dump = tmp_path / "crm.json"
    backup.export_json(db, dump)
    contacts.create(db, ContactInput(display_name="Grace Hopper"))  # gone again with the restore

    report = backup.import_json(db, Source(str(dump), path=dump), replace=True)

    got = events(db)
    assert [t for t, _ in got] == ["contact.created", "import.completed"]  # the export's event, then ours
    assert got[0][1]["id"] == ada.id
    assert got[1][1] == {
        "as": "database",
        "source": "json",
        "created": sum(report.rows.values()),
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
        "duplicates": 0,
        "replaced": True,
        "contacts": 1,
    }
    with db.read() as tx:  # not yet routed: the next delivery round sends it to the restored hooks
        assert tx.scalar("SELECT count(*) FROM events WHERE type = 'import.completed' AND NOT routed") == 1


def test_crm_import_json_into_an_empty_database_tells_once(cli, db, tmp_path):
    contacts.create(db, ContactInput(display_name="Ada Lovelace"))
    dump = tmp_path / "crm.json"
    assert cli("export", "json", str(dump)).exit_code == 0
    target = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    result = Cli(target)("import", "json", str(dump), "--json")
    assert result.exit_code == 0, result.stderr
    restored = open_db(target)
    try:
        got = events(restored)
    finally:
        restored.close()
    assert [t for t, _ in got] == ["contact.created", "import.completed"]
    assert (got[-1][1]["replaced"], got[-1][1]["contacts"]) == (False, 1)


def test_a_sqlite_backup_restore_tells_too(sqlite_cli, tmp_path):
    cli = sqlite_cli
    assert cli("add-contact", "Ada Lovelace").exit_code == 0
    saved = tmp_path / "saved.sqlite3"
    assert cli("backup", str(saved)).exit_code == 0
    assert cli("add-contact", "Grace Hopper").exit_code == 0
    result = cli("restore", str(saved), "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    db = open_db(cli.url)
    try:
        got = events(db)
    finally:
        db.close()
    assert [t for t, _ in got] == ["contact.created", "import.completed"]
    assert got[-1][1]["source"] == "sqlite backup" and got[-1][1]["replaced"] is True
    assert got[-1][1]["contacts"] == 1
