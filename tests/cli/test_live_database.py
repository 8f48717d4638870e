"""No backup, restore, export or copy replaces the live database, whatever the spelling of its name: a ``..``
path, a symbolic link to its folder or a hard link (compared by device and inode, never by text)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crm_testkit import Cli


@pytest.fixture
def live(tmp_path: Path) -> tuple[Cli, Path]:
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "crm.sqlite3"
    cli = Cli(f"sqlite:///{path}")
    assert cli("add-contact", "Live Person").exit_code == 0
    return cli, path


def spellings(path: Path) -> dict[str, Path]:
    """Other names of the database file: through '..', through a symbolic link to its folder, a hard link."""
    base = path.parent.parent
    (base / "elsewhere").mkdir()
    (base / "link").symlink_to(path.parent, target_is_directory=True)
    os.link(path, base / "hard.sqlite3")
    return {
        "dotdot": base / "elsewhere" / ".." / path.parent.name / path.name,
        "symlinked folder": base / "link" / path.name,
        "hard link": base / "hard.sqlite3",
    }


def fingerprint(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_ino, st.st_size


@pytest.mark.parametrize("how", ["dotdot", "symlinked folder", "hard link"])
def test_backup_never_replaces_the_live_database(live, how):
    cli, path = live
    other = spellings(path)[how]
    before = fingerprint(path)
    r = cli("backup", str(other), "--force")
    assert r.exit_code == 2 and "is the database itself" in r.stderr, r.stderr
    assert fingerprint(path) == before
    # the database goes on working, writes and all
    assert cli("add-contact", "After").exit_code == 0
    assert len(cli("contact", "list", "--json").json) == 2


@pytest.mark.parametrize("how", ["dotdot", "symlinked folder", "hard link"])
@pytest.mark.parametrize(
    "command",
    [
        ("export", "json"),
        ("export", "csv"),
        ("export", "vcard"),
        ("export", "ical"),
    ],
    ids=lambda c: " ".join(c),
)
def test_exports_never_replace_the_live_database(live, how, command):
    cli, path = live
    other = spellings(path)[how]
    before = fingerprint(path)
    r = cli(*command, str(other), "--force")
    assert r.exit_code == 2 and "is the database itself" in r.stderr, r.stderr
    assert fingerprint(path) == before
    assert len(cli("contact", "list", "--json").json) == 1


def test_nor_its_write_ahead_log(live):
    import sqlite3

    cli, path = live
    reader = sqlite3.connect(path)  # another process has it open: the write-ahead log stays
    try:
        reader.execute("SELECT count(*) FROM contacts").fetchone()
        assert cli("add-contact", "Second").exit_code == 0
        wal = Path(f"{path}-wal")
        before = fingerprint(wal)
        r = cli("backup", str(path.parent / ".." / path.parent.name / wal.name), "--force")
        assert r.exit_code == 2 and "is the database itself" in r.stderr
        assert fingerprint(wal) == before
        assert reader.execute("SELECT count(*) FROM contacts").fetchone() == (2,)
    finally:
        reader.close()


@pytest.mark.parametrize("how", ["dotdot", "symlinked folder", "hard link"])
def test_restore_of_the_live_database_onto_itself_is_refused(live, how):
    cli, path = live
    other = spellings(path)[how]
    r = cli("restore", str(other), "--yes")
    assert r.exit_code == 2 and "is the database itself" in r.stderr, r.stderr
    assert [c["display_name"] for c in cli("contact", "list", "--json").json] == ["Live Person"]


@pytest.mark.parametrize("how", ["dotdot", "symlinked folder", "hard link"])
def test_db_copy_onto_itself_is_refused(live, how):
    cli, path = live
    other = spellings(path)[how]
    r = cli("db", "copy", "--to", f"sqlite:///{other}")
    assert r.exit_code == 2 and "the database being copied" in r.stderr, r.stderr
    assert [c["display_name"] for c in cli("contact", "list", "--json").json] == ["Live Person"]
