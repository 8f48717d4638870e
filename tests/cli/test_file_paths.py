"""File names with URL characters (``# ? % ;``, spaces, ``%41``) and non-ASCII letters, in every path option and
in TINYCRM_HOME: each names exactly that file, never a shorter one."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from crm_testkit import Cli, Result

#: one folder or file name holding every character that means something in a URL, and letters beyond ASCII
ODD = "x#1?2%41;3 %zz é€"
ODD_NAMES = ["a#b", "a?b", "a%41b", "a%2541", "a%b", "a;b", "a b", "Łódź-東京", "?#%", "%3F", "a#b?c=d"]


def crm(*args: str) -> Result:
    """``crm`` run like a shell runs it, without --db: the database is the one TINYCRM_HOME says."""
    from tinycrm import config
    from tinycrm.cli import run, state
    from tinycrm.cli.app import build

    out, err = io.StringIO(), io.StringIO()
    config.reset()
    old_stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8")
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = run(build(), list(args))
    finally:
        sys.stdin = old_stdin
        if state._db is not None:  # noqa: SLF001
            state._db.close()  # noqa: SLF001
        state.set_url(None)
    return Result(code, out.getvalue(), err.getvalue())


def contact_names(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT display_name FROM contacts ORDER BY id")]
    finally:
        conn.close()


# --- the SQLite URL -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ODD_NAMES)
def test_a_sqlite_url_gives_its_path_back_exactly(name, tmp_path):
    from tinycrm.paths import sqlite_url
    from tinycrm.store.database import Database, sqlite_path

    for path in (tmp_path / name / "crm.sqlite3", tmp_path / f"{name}.sqlite3", Path(name)):
        url = sqlite_url(path)
        assert url.startswith("sqlite:///") and "?" not in url and "#" not in url
        assert sqlite_path(url) == path
        assert Database(url).path == path


def test_a_sqlite_url_of_a_name_that_is_not_utf8(tmp_path):
    from tinycrm.paths import sqlite_url
    from tinycrm.store.database import sqlite_path

    path = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9%#?.sqlite3"))
    assert os.fsencode(sqlite_path(sqlite_url(path))) == os.fsencode(path)


def test_a_typed_url_reads_as_a_person_means_it(tmp_path):
    """Spaces, ';', '#' and letters are part of the name as typed; %XX is an escape; a bare '?' is refused
    rather than silently cutting the name."""
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.store.database import sqlite_path

    assert sqlite_path(f"sqlite:///{tmp_path}/my crm;#1 é.db") == tmp_path / "my crm;#1 é.db"
    assert sqlite_path(f"sqlite:///{tmp_path}/a%3Fb%2541.db") == tmp_path / "a?b%41.db"
    with pytest.raises(InvalidInput, match="%3F"):
        sqlite_path(f"sqlite:///{tmp_path}/e?mpty/crm.db")
    r = Cli(f"sqlite:///{tmp_path}/e?mpty/crm.db")("search", "x")
    assert r.exit_code == 2 and "%3F" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "e").exists()


def test_db_option_with_odd_characters(tmp_path):
    from tinycrm.paths import sqlite_url

    folder = tmp_path / ODD
    folder.mkdir()
    path = folder / "crm #1.sqlite3"
    cli = Cli(sqlite_url(path))
    assert cli("add-contact", "Odd Place").exit_code == 0
    assert contact_names(path) == ["Odd Place"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", ODD]  # nothing beside it
    status = cli("db", "status", "--json").json
    assert status["url"] == sqlite_url(path)


# --- TINYCRM_HOME ---------------------------------------------------------------------------------------


def test_tinycrm_home_with_a_question_mark_never_opens_another_database(tmp_path, monkeypatch):
    """TINYCRM_HOME=/tmp/e?mpty once made the database /tmp/e: `crm demo` then filled a real database."""
    real = tmp_path / "e"
    assert Cli(f"sqlite:///{real}")("add-contact", "Real Person").exit_code == 0
    home = tmp_path / "e?mpty"
    monkeypatch.setenv("TINYCRM_HOME", str(home))
    r = crm("add-contact", "Home Person")
    assert r.exit_code == 0, r.stderr
    assert contact_names(home / "tinycrm.sqlite3") == ["Home Person"]
    r = crm("demo", "--contacts", "3")
    assert r.exit_code == 0, r.stderr
    assert len(contact_names(home / "demo.sqlite3")) == 3
    assert contact_names(real) == ["Real Person"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e", "e?mpty", "home"]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_tinycrm_home_with_odd_characters(name, tmp_path, monkeypatch):
    home = tmp_path / name
    monkeypatch.setenv("TINYCRM_HOME", str(home))
    r = crm("add-contact", "Ada Lovelace")
    assert r.exit_code == 0, r.stderr
    assert contact_names(home / "tinycrm.sqlite3") == ["Ada Lovelace"]
    r = crm("backup", "--json")  # into TINYCRM_HOME/backups
    assert r.exit_code == 0, r.stderr
    backup = Path(r.json["path"])
    assert backup.parent == home / "backups" and contact_names(backup) == ["Ada Lovelace"]


# --- backup, restore, exports and imports ---------------------------------------------------------------


def test_backup_and_restore_with_odd_names(tmp_path):
    """A backup of a database in an odd folder is whole (it was once an empty file, exit 0), and a restore
    reads the file named (it once read /tmp/bk for /tmp/bk#1.sqlite3)."""
    from tinycrm.paths import sqlite_url

    folder = tmp_path / ODD
    folder.mkdir()
    cli = Cli(sqlite_url(folder / "live #1?.sqlite3"))
    cli("add-contact", "In The Backup")
    names = ("bk#1.sqlite3", "bk?x=1.sqlite3", "bk%41 é.sqlite3", "bk%2541.sqlite3")
    for name in names:
        target = tmp_path / name
        r = cli("backup", str(target))
        assert r.exit_code == 0, r.stderr
        assert contact_names(target) == ["In The Backup"], name
    # what an unquoted URI of bk#1.sqlite3 or bk?x=1.sqlite3 opened, and what bk%41 stood for
    for decoy in ("bk", "bkA é.sqlite3", "bk%41.sqlite3"):
        assert Cli(sqlite_url(tmp_path / decoy))("add-contact", "Decoy").exit_code == 0
    other = Cli(sqlite_url(tmp_path / "other ?#.sqlite3"))
    for name in names:
        r = other("restore", str(tmp_path / name), "--yes")
        assert r.exit_code == 0, r.stderr
        assert [c["display_name"] for c in other("contact", "list", "--json").json] == ["In The Backup"]


def test_restore_a_sqlite_backup_with_an_odd_name_into_either_store(cli, tmp_path):
    from tinycrm.paths import sqlite_url

    source = Cli(sqlite_url(tmp_path / "src #?.sqlite3"))
    source("add-contact", "Either Store")
    backup = tmp_path / ODD
    assert source("backup", str(backup)).exit_code == 0
    r = cli("restore", str(backup))
    assert r.exit_code == 0, r.stderr
    assert [c["display_name"] for c in cli("contact", "list", "--json").json] == ["Either Store"]


def test_exports_and_imports_with_odd_names(cli, other_url, tmp_path):
    folder = tmp_path / ODD
    folder.mkdir()
    cli("add-contact", "Grace Hopper", "--email", "grace@example.com", "--birthday", "1906-12-09")
    cli("task", "add", "Call Grace", "--due", "2030-01-01", "--contact", "Grace Hopper")
    paths = {kind: folder / f"out {kind} #?%41é.{kind}" for kind in ("json", "csv", "vcf", "ics")}
    assert cli("export", "json", str(paths["json"])).exit_code == 0
    assert cli("export", "csv", str(paths["csv"])).exit_code == 0
    assert cli("export", "vcard", str(paths["vcf"])).exit_code == 0
    assert cli("export", "vcard", str(folder / "vdir #?"), "--vdir").exit_code == 0
    r = cli("export", "ical", str(paths["ics"]))
    assert r.exit_code == 0, r.stderr
    assert "BIRTHDAY" in paths["ics"].read_text().upper() or "BDAY" in paths["ics"].read_text().upper()
    assert json.loads(paths["json"].read_text())["tables"]["contacts"][0]["display_name"] == "Grace Hopper"
    assert "Grace Hopper" in paths["csv"].read_text(encoding="utf-8-sig")
    assert [p.suffix for p in (folder / "vdir #?").iterdir()] == [".vcf"]
    for args in (
        ("import", "json", str(paths["json"])),
        ("import", "csv", str(paths["csv"]), "--replace"),
        ("import", "vcard", str(paths["vcf"]), "--replace"),
        ("import", "vcard", str(folder / "vdir #?"), "--replace"),
    ):
        r = Cli(other_url)(*args)
        assert r.exit_code == 0, (args, r.stderr)
    assert [c["display_name"] for c in Cli(other_url)("contact", "list", "--json").json] == ["Grace Hopper"]
