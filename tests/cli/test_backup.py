"""`crm backup` and `crm restore`: consistent copies while others write, and restores into either store."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crm_testkit import Cli

WRITER = r"""
import os, sys
from tinycrm.store.database import open_db
from tinycrm.domain.people import ContactInput, Labeled
from tinycrm.services.people import contacts

db = open_db(sys.argv[1])
stop = sys.argv[2]
n = 0
while not os.path.exists(stop):
    with db.write() as tx:  # 20 contacts and their 20 emails per transaction
        for _ in range(20):
            n += 1
            person = ContactInput(display_name=f"Writer {n}", emails=[Labeled(f"w{n}@example.com")])
            contacts.insert(tx, person)
    print(n, flush=True)
"""


def counts(path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return (
            conn.execute("SELECT count(*) FROM contacts").fetchone()[0],
            conn.execute("SELECT count(*) FROM contact_emails").fetchone()[0],
        )
    finally:
        conn.close()


@pytest.mark.slow
def test_backup_while_another_process_writes(sqlite_cli, tmp_path):
    assert sqlite_cli("add-contact", "First Person").exit_code == 0  # the database exists
    db_path = sqlite_cli.url.removeprefix("sqlite:///")
    stop = tmp_path / "stop"
    env = {**os.environ, "TINYCRM_USER": "writer"}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, sqlite_cli.url, str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert writer.stdout.readline().strip()  # it is writing
        seen = []
        for i in range(4):
            target = tmp_path / f"backup-{i}.sqlite3"
            r = sqlite_cli("backup", str(target))
            assert r.exit_code == 0, r.stderr
            assert r.stdout.strip() == str(target)
            people, emails = counts(target)
            # a consistent copy: whole transactions only (1 + 20 per transaction), every contact with its
            # email
            assert (people - 1) % 20 == 0 and emails == people - 1, (people, emails)
            seen.append(people)
            time.sleep(0.2)
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert seen == sorted(seen) and seen[-1] > seen[0]  # the writer went on meanwhile
    # a backup is a tinycrm database of its own, with no write-ahead log beside it
    backup = tmp_path / "backup-3.sqlite3"
    assert not Path(f"{backup}-wal").exists()
    r = Cli(f"sqlite:///{backup}")("search", "writer", "--all", "--json")
    assert len(r.json) == seen[-1] - 1
    assert os.stat(backup).st_mode & 0o077 == 0  # private, like the database
    assert Path(db_path).exists()


def test_backup_default_path_and_no_overwrite(sqlite_cli, tmp_path):
    sqlite_cli("add-contact", "Somebody")
    r = sqlite_cli("backup", "--json")
    assert r.exit_code == 0, r.stderr
    path = Path(r.json["path"])
    assert path.parent == Path(os.environ["TINYCRM_HOME"]) / "backups" and path.name.startswith("tinycrm-")
    assert r.json["kind"] == "sqlite" and counts(path) == (1, 0)
    target = tmp_path / "b.sqlite3"
    target.write_text("old")
    assert sqlite_cli("backup", str(target)).exit_code == 1 and target.read_text() == "old"
    assert sqlite_cli("backup", str(target), "--force").exit_code == 0 and counts(target) == (1, 0)


def test_restore_needs_yes_over_data(sqlite_cli, tmp_path):
    sqlite_cli("add-contact", "Before Backup")
    backup = tmp_path / "b.sqlite3"
    assert sqlite_cli("backup", str(backup)).exit_code == 0
    sqlite_cli("add-contact", "After Backup")
    r = sqlite_cli("restore", str(backup))
    assert r.exit_code == 2 and "--yes" in r.stderr, "needs --yes: bad usage, as everywhere"
    assert len(sqlite_cli("contact", "list", "--json").json) == 2
    r = sqlite_cli("restore", str(backup), "--yes")
    assert r.exit_code == 0, r.stderr
    assert [c["display_name"] for c in sqlite_cli("contact", "list", "--json").json] == ["Before Backup"]
    assert [c["display_name"] for c in sqlite_cli("search", "backup", "--json").json] == ["Before Backup"]


def test_restore_refuses_what_is_not_a_backup(sqlite_cli, tmp_path):
    junk = tmp_path / "junk.sqlite3"
    conn = sqlite3.connect(junk)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    r = sqlite_cli("restore", str(junk))
    assert r.exit_code == 2 and "not a tinycrm database" in r.stderr
    r = sqlite_cli("restore", str(tmp_path / "missing"))
    assert r.exit_code == 2


def test_restore_a_sqlite_backup_or_a_json_export_into_either_store(cli, tmp_path):
    source = Cli(f"sqlite:///{tmp_path / 'source.sqlite3'}")
    source("add-contact", "Ada Lovelace", "--email", "ada@example.com", "--tag", "math")
    source("log", "Ada Lovelace", "--kind", "note", "--summary", "Met")
    backup = tmp_path / "b.sqlite3"
    assert source("backup", str(backup)).exit_code == 0
    r = cli("restore", str(backup), "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["rows"]["contacts"] == 1 and r.json["kind"] == "sqlite"
    c = cli("contact", "show", "ada@example.com", "--json").json
    assert c["tags"] == ["math"] and c["last_interaction_at"]
    assert [c["display_name"] for c in cli("search", "ada", "--json").json] == ["Ada Lovelace"]
    # a JSON export restores too (over data: --yes)
    export = tmp_path / "e.json"
    source("add-contact", "Grace Hopper")
    assert source("export", "json", str(export)).exit_code == 0
    assert cli("restore", str(export)).exit_code == 2
    r = cli("restore", str(export), "--yes")
    assert r.exit_code == 0, r.stderr
    assert sorted(c["display_name"] for c in cli("contact", "list", "--json").json) == [
        "Ada Lovelace",
        "Grace Hopper",
    ]


def test_backup_on_postgresql_is_a_json_export(cli, tmp_path):
    if cli.url.startswith("sqlite"):
        pytest.skip("about PostgreSQL")
    cli("add-contact", "Pg Person")
    target = tmp_path / "pg.json"
    r = cli("backup", str(target))
    assert r.exit_code == 0, r.stderr
    assert "JSON export" in r.stderr and "pg_dump" in r.stderr
    assert target.read_text(encoding="utf-8").lstrip().startswith("{")
