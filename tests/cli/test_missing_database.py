"""Only a command that adds something may create the database. A read on a database that does not exist says so
in one line (exit 2) and leaves nothing behind: ``crm --db sqlite:////typo/x.sqlite3 search ada`` once made the
folders and an empty database and exited 0."""

import os
import stat
from pathlib import Path

import pytest

from crm_testkit import Cli
from tinycrm.domain.errors import NoDatabase
from tinycrm.store.database import Database, open_db

READS = [
    ("search", "ada"),
    ("contact", "list"),
    ("contact", "show", "1"),
    ("contact", "list", "--json"),
    ("timeline", "1"),
    ("tags",),
    ("company", "list"),
    ("agenda",),
    ("stale",),
    ("remind",),
    ("deal", "list"),
    ("pipeline",),
    ("report", "forecast"),
    ("history", "contact", "1"),
    ("audit",),
    ("duplicates",),
    ("export", "vcard", "-"),
    ("export", "json", "-"),
    ("backup",),
    ("db", "reindex"),
    # changes to what would have to exist already: nothing to change in a database that is not there
    ("contact", "edit", "1", "--email", "a@example.com"),
    ("contact", "delete", "1", "--yes"),
    ("log", "ada", "-s", "call"),
]


def _typo(tmp_path: Path) -> Path:
    return tmp_path / "typo" / "deeper" / "x.sqlite3"


@pytest.mark.parametrize("args", READS, ids=lambda a: " ".join(a))
def test_a_read_on_a_missing_database_creates_nothing(tmp_path, args):
    path = _typo(tmp_path)
    r = Cli(f"sqlite:///{path}")(*args)
    assert r.exit_code == 2, r.stderr
    assert r.stdout == "" and r.stderr.count("\n") == 1 and r.stderr.startswith("crm: error: no database at ")
    assert str(path) in r.stderr and "crm add-contact" in r.stderr and "crm demo" in r.stderr
    assert not (tmp_path / "typo").exists(), "no folder, no file"


def test_the_default_database_is_not_created_by_a_read(_isolated_home):
    r = Cli("")("search", "ada")  # no --db: the default file in TINYCRM_HOME
    assert r.exit_code == 2 and str(_isolated_home / "tinycrm.sqlite3") in r.stderr
    assert list(_isolated_home.iterdir()) == []


def test_a_write_creates_a_private_database(tmp_path):
    path = _typo(tmp_path)
    old = os.umask(0)  # the mode must not depend on the user's umask
    try:
        r = Cli(f"sqlite:///{path}")("add-contact", "Ada")
    finally:
        os.umask(old)
    assert r.exit_code == 0, r.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    found = Cli(f"sqlite:///{path}")("search", "ada", "--json")
    assert found.exit_code == 0 and [c["display_name"] for c in found.json] == ["Ada"]


def _vcard(tmp_path: Path) -> str:
    card = tmp_path / "one.vcf"
    card.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nEND:VCARD\r\n")
    return str(card)


def _dump(tmp_path: Path) -> str:
    source = Cli(f"sqlite:///{tmp_path / 'source.sqlite3'}")
    assert source("add-contact", "Ada").exit_code == 0
    dump = tmp_path / "dump.json"
    assert source("export", "json", str(dump)).exit_code == 0
    return str(dump)


CREATING = [
    ("add-contact", "Ada"),
    ("contact", "add", "Ada"),
    ("company", "add", "Acme"),
    ("deal", "add", "Website", "-c", "EUR"),
    ("task", "add", "Call Ada"),
    ("pipeline", "add", "Hiring"),
    ("pipeline", "stages", "add", "Signed", "-w", "90"),
    ("user", "add", "ada"),
    ("import", "vcard", "{vcard}"),
    ("import", "json", "{dump}"),
    ("restore", "{dump}"),
]


@pytest.mark.parametrize("args", CREATING, ids=lambda a: " ".join(a[:3]))
def test_commands_that_add_create_the_database(tmp_path, args):
    files = {"{vcard}": _vcard, "{dump}": _dump}
    args = tuple(files[a](tmp_path) if a in files else a for a in args)
    path = _typo(tmp_path)
    r = Cli(f"sqlite:///{path}")(*args)
    assert r.exit_code == 0, (args, r.stderr)
    assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("kind", ["vcard", "csv"])
def test_a_dry_run_import_creates_nothing(tmp_path, kind):
    """A --dry-run changes nothing, not even by starting an empty database it had nothing to compare with."""
    if kind == "vcard":
        source = _vcard(tmp_path)
    else:
        (tmp_path / "people.csv").write_text("Name,E-mail\nAda Lovelace,ada@example.com\n")
        source = str(tmp_path / "people.csv")
    path = _typo(tmp_path)
    r = Cli(f"sqlite:///{path}")("import", kind, source, "--dry-run")
    assert r.exit_code == 2 and r.stdout == "" and r.stderr.count("\n") == 1, r.stderr
    assert "nothing to compare with" in r.stderr and "without --dry-run" in r.stderr
    assert not (tmp_path / "typo").exists(), "no folder, no file"
    assert Cli(f"sqlite:///{path}")("import", kind, source).exit_code == 0  # the import itself starts one
    assert path.is_file()


def test_every_creating_command_is_a_command():
    """state.CREATES names real commands (a renamed command would silently stop creating the database)."""
    from tinycrm.cli import state
    from tinycrm.cli.app import COMMANDS, load_command

    def leaves(command, path):
        subs = getattr(command, "commands", None)
        if not subs:
            yield " ".join(path)
            return
        for name, sub in subs.items():
            yield from leaves(sub, [*path, name])

    every = {p for name in COMMANDS for p in leaves(load_command(name), [name])}
    assert "contact add" in every and "search" in every
    assert state.CREATES <= every, state.CREATES - every


def test_crm_alone_on_a_fresh_install_is_a_friendly_status(_isolated_home):
    r = Cli("")()
    assert r.exit_code == 0 and r.stderr == ""
    assert r.stdout.startswith(f"tinycrm  no database yet at {_isolated_home / 'tinycrm.sqlite3'}")
    assert "crm add-contact NAME" in r.stdout and "crm demo" in r.stdout
    assert list(_isolated_home.iterdir()) == [], "crm alone creates nothing"
    status = Cli("")("db", "status", "--json")
    assert status.exit_code == 0 and status.json["current"] is None and not status.json["up_to_date"]
    assert list(_isolated_home.iterdir()) == [], "db status creates nothing"

    assert Cli("")("add-contact", "Ada").exit_code == 0
    assert "1 contacts" in Cli("")().stdout


def test_opening_without_create(tmp_path):
    path = tmp_path / "nested" / "crm.sqlite3"
    with pytest.raises(NoDatabase) as info:
        open_db(f"sqlite:///{path}", create=False)
    assert info.value.path == str(path) and info.value.exit_code == 2
    with pytest.raises(NoDatabase):
        Database(f"sqlite:///{path}", create=False).connection()
    assert not path.parent.exists()

    open_db(f"sqlite:///{path}").close()  # created
    db = open_db(f"sqlite:///{path}", create=False)  # and now opens as usual, for reads and writes
    with db.write() as tx:
        tx.execute("INSERT INTO tags (name, name_key) VALUES ('x', 'x')")
    with db.read() as tx:
        assert tx.scalar("SELECT count(*) FROM tags") == 1
        assert tx.scalar("PRAGMA foreign_keys") == 1
    db.close()


def test_a_missing_postgresql_database_is_one_clear_line(pg_url):
    """PostgreSQL databases are made on the server (createdb), never by tinycrm, whatever the command."""
    missing = pg_url.rsplit("/", 1)[0] + "/tinycrm_no_such_database"
    for args in (("search", "ada"), ("add-contact", "Ada")):
        r = Cli(missing)(*args)
        assert r.exit_code != 0 and r.stdout == "" and r.stderr.count("\n") == 1, r.stderr
        assert 'database "tinycrm_no_such_database" does not exist' in r.stderr and "createdb" in r.stderr
