"""Every file and folder tinycrm writes personal data into is private to its owner, whatever the umask, and
what an interrupted export or backup left behind goes on the next run."""

from __future__ import annotations

import fcntl
import os
import stat
import time
from pathlib import Path

import pytest

from crm_testkit import Cli


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask 022", "umask 000"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def test_every_export_is_0600(sqlite_cli, tmp_path, umask):
    sqlite_cli("add-contact", "Ada Lovelace", "--birthday", "1815-12-10")
    sqlite_cli("task", "add", "Call Ada", "--due", "2030-01-01")
    for kind, name in (("ical", "cal.ics"), ("json", "all.json"), ("csv", "c.csv"), ("vcard", "c.vcf")):
        r = sqlite_cli("export", kind, str(tmp_path / name))
        assert r.exit_code == 0, r.stderr
        assert mode(tmp_path / name) == 0o600, kind
    # replacing a file another program made world-readable makes it private too
    (tmp_path / "cal.ics").chmod(0o644)
    assert sqlite_cli("export", "ical", str(tmp_path / "cal.ics"), "--force").exit_code == 0
    assert mode(tmp_path / "cal.ics") == 0o600


def test_a_vdir_folder_is_0700(sqlite_cli, tmp_path, umask):
    sqlite_cli("add-contact", "Ada Lovelace")
    folder = tmp_path / "new" / "book"
    r = sqlite_cli("export", "vcard", str(folder), "--vdir")
    assert r.exit_code == 0, r.stderr
    assert mode(folder) == 0o700 and mode(folder.parent) == 0o700
    assert {mode(p) for p in folder.iterdir()} == {0o600}


def test_an_existing_vdir_folder_keeps_its_mode(sqlite_cli, tmp_path):
    """A folder the user made is theirs (it may be shared with a sync tool on purpose): only what tinycrm
    creates is made private."""
    sqlite_cli("add-contact", "Ada Lovelace")
    folder = tmp_path / "book"
    folder.mkdir()
    folder.chmod(0o755)
    assert sqlite_cli("export", "vcard", str(folder), "--vdir").exit_code == 0
    assert mode(folder) == 0o755


def test_tinycrm_home_is_tightened_to_0700(tmp_path, monkeypatch, umask):
    from tinycrm import paths

    home = tmp_path / "crm-home"
    home.mkdir()
    home.chmod(0o755)
    monkeypatch.setenv("TINYCRM_HOME", str(home))
    assert paths.default_db_path() == home / "tinycrm.sqlite3"
    assert mode(home) == 0o700
    fresh = tmp_path / "a" / "b"  # a new one is made 0700, and its missing parents too
    monkeypatch.setenv("TINYCRM_HOME", str(fresh))
    paths.demo_db_path()
    assert mode(fresh) == 0o700 and mode(fresh.parent) == 0o700


def test_the_home_folder_itself_is_left_alone(tmp_path, monkeypatch):
    user_home = tmp_path / "user"
    user_home.mkdir()
    user_home.chmod(0o755)
    monkeypatch.setenv("HOME", str(user_home))
    monkeypatch.setenv("TINYCRM_HOME", str(user_home))
    from tinycrm import paths

    paths.default_db_path()
    assert mode(user_home) == 0o755


def test_the_backups_folder_is_0700(sqlite_cli, umask):
    sqlite_cli("add-contact", "Ada Lovelace")
    r = sqlite_cli("backup", "--json")
    assert r.exit_code == 0, r.stderr
    path = Path(r.json["path"])
    assert mode(path) == 0o600 and mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700


# --- what interrupted runs left -------------------------------------------------------------------------


def leftover(folder: Path, name: str, *, age: float = 3600, size: int = 10, code: str = "k3j9x_2a") -> Path:
    """A temporary file as an interrupted run leaves it (``.NAME.XXXXXXXX.tmp``), ``age`` seconds old."""
    path = folder / f".{name}.{code}.tmp"
    path.write_bytes(b"x" * size)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_an_export_removes_what_an_interrupted_one_left(sqlite_cli, tmp_path):
    sqlite_cli("add-contact", "Ada Lovelace")
    target = tmp_path / "all.json"
    stale = leftover(tmp_path, "all.json")
    second = leftover(tmp_path, "all.json", code="aaaaaaaa")
    young = leftover(tmp_path, "all.json", age=5, code="young___")  # may be a run in progress
    other = leftover(tmp_path, "other.json")  # another file's: not this run's business
    mine = tmp_path / ".all.json.notes.tmp"  # not a name tinycrm makes
    mine.write_text("keep")
    assert sqlite_cli("export", "json", str(target)).exit_code == 0
    assert not stale.exists() and not second.exists()
    assert young.exists() and other.exists() and mine.exists()


def test_a_leftover_held_by_a_running_export_stays(sqlite_cli, tmp_path):
    sqlite_cli("add-contact", "Ada Lovelace")
    held = leftover(tmp_path, "all.json")
    fd = os.open(held, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as the run writing it holds it
        assert sqlite_cli("export", "json", str(tmp_path / "all.json")).exit_code == 0
        assert held.exists()
    finally:
        os.close(fd)
    assert sqlite_cli("export", "json", str(tmp_path / "all.json"), "--force").exit_code == 0
    assert not held.exists()


def test_a_backup_removes_what_interrupted_backups_left(sqlite_cli):
    sqlite_cli("add-contact", "Ada Lovelace")
    folder = Path(os.environ["TINYCRM_HOME"]) / "backups"
    folder.mkdir(mode=0o700)
    big = leftover(folder, "tinycrm-20250101-120000.sqlite3", size=1 << 20)
    journal = big.with_name(big.name + "-journal")
    journal.write_bytes(b"j")
    os.utime(journal, (time.time() - 3600,) * 2)
    second = leftover(folder, "tinycrm-20250101-120000-2.json")
    assert sqlite_cli("backup").exit_code == 0
    assert not big.exists() and not journal.exists() and not second.exists()
    assert len([p for p in folder.iterdir() if p.name.startswith("tinycrm-")]) == 1
    # and a backup to a file of its own choosing cleans that file's leftovers
    target = Path(os.environ["TINYCRM_HOME"]) / "mine.sqlite3"
    stale = leftover(target.parent, target.name)
    assert sqlite_cli("backup", str(target)).exit_code == 0
    assert not stale.exists()


def test_a_vdir_export_removes_what_an_interrupted_one_left(sqlite_cli, tmp_path):
    sqlite_cli("add-contact", "Ada Lovelace")
    folder = tmp_path / "book"
    assert sqlite_cli("export", "vcard", str(folder), "--vdir").exit_code == 0
    stale = [leftover(folder, "gone-contact.vcf"), leftover(folder, "a_b~abcdefghij.vcf")]
    unrelated = leftover(folder, "notes.txt")
    assert sqlite_cli("export", "vcard", str(folder), "--vdir", "--force").exit_code == 0
    assert not any(p.exists() for p in stale) and unrelated.exists()


def test_nothing_is_left_after_a_run(sqlite_cli, tmp_path):
    sqlite_cli("add-contact", "Ada Lovelace")
    assert sqlite_cli("backup", str(tmp_path / "b.sqlite3")).exit_code == 0
    assert sqlite_cli("export", "ical", str(tmp_path / "c.ics")).exit_code == 0
    assert sqlite_cli("export", "vcard", str(tmp_path / "book"), "--vdir").exit_code == 0
    assert sorted(p.name for p in tmp_path.rglob("*") if p.name.startswith(".")) == []


def test_the_live_database_is_never_a_leftover(tmp_path):
    """Only names tinycrm's temporary files have are removed: a database beside an export stays."""
    cli = Cli(f"sqlite:///{tmp_path / '.all.json.abcdefgh.tmp'}")
    cli("add-contact", "Ada Lovelace")
    then = time.time() - 3600
    os.utime(tmp_path / ".all.json.abcdefgh.tmp", (then, then))
    r = cli("export", "json", str(tmp_path / "all.json"))
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / ".all.json.abcdefgh.tmp").exists()
