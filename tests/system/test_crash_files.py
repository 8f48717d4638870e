"""Exports and backups killed with SIGKILL: the files already in place stay whole, the next run converges, and
what the killed run left is removed once it is old enough and no run holds it, never while a run does."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crm_testkit import Cli, kill, wait_for

SEED = 4242
COLLIDING = ["a/b", "a_b", "a b", "a;b", "a:b", "A_B"]

CHILD = r"""
import sys, time
from tinycrm.store.database import open_db
from tinycrm.services.interchange import backup, exporting, files

url, what, target, pause_at = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
db = open_db(url)
real = files.atomic_path
count = 0


def slow_atomic_path(path, **kw):
    # the real writer; at the pause_at-th file, stop with the temporary file written and locked
    global count
    cm = real(path, **kw)
    tmp = cm.__enter__()
    count += 1

    class Wrap:
        def __enter__(self):
            return tmp

        def __exit__(self, *exc):
            if count == pause_at:
                print("inside", flush=True)
                time.sleep(60)
            return cm.__exit__(*exc)

    return Wrap()


files.atomic_path = backup.atomic_path = slow_atomic_path
print("ready", flush=True)
if what == "vdir":
    exporting.export_vcards(db, target, vdir=True, force=True)
else:
    backup.backup(db, target, force=True)
print("done", flush=True)
"""


def start(url: str, what: str, target: Path, pause_at: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, url, what, str(target), str(pause_at)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def leftovers(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if re.fullmatch(r"\..+\.[a-z0-9_]{8}\.tmp(-journal)?", p.name))


def age(paths: list[Path], seconds: float = 3600) -> None:
    then = time.time() - seconds
    for p in paths:
        os.utime(p, (then, then))


def owners(folder: Path) -> dict[str, str]:
    out = {}
    for path in folder.glob("*.vcf"):
        m = re.search(r"^FN:(.*?)\r?$", path.read_text(encoding="utf-8"), re.MULTILINE)
        out[path.name] = m.group(1)
    return out


def cards(uids: list[str], note: str = "") -> str:
    extra = f"NOTE:{note}\r\n" if note else ""
    return "".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{u.replace(';', chr(92) + ';')}\r\nFN:Person {k}\r\n{extra}END:VCARD\r\n"
        for k, u in enumerate(uids)
    )


def fill(cli: Cli, n: int) -> list[str]:
    uids = [f"{u}{i}" for i in range(n) for u in COLLIDING]
    r = cli("import", "vcard", "-", input=cards(uids))
    assert r.exit_code == 0, r.stderr
    return uids


@pytest.mark.slow
def test_a_vdir_export_of_colliding_uids_killed_then_run_again(sqlite_cli, tmp_path):
    uids = fill(sqlite_cli, 20)
    folder = tmp_path / "book"
    assert sqlite_cli("export", "vcard", str(folder), "--vdir").exit_code == 0
    before = owners(folder)
    assert len(before) == len(uids)
    # every contact changes, and a new look-alike arrives; the export is killed part way
    r = sqlite_cli("import", "vcard", "-", "--replace", input=cards(uids, note="changed"))
    assert r.exit_code == 0 and sqlite_cli("search", "changed", "--all", "--json").json, r.stderr
    new = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a_b\r\nFN:Newcomer\r\nEND:VCARD\r\n"
    assert sqlite_cli("import", "vcard", "-", input=new).exit_code == 0
    pause_at = random.Random(SEED).randint(5, len(uids) - 5)
    child = start(sqlite_cli.url, "vdir", folder, pause_at)
    wait_for(child, "inside")
    # a run in progress: its temporary file is old but locked, so another run leaves it alone
    (held,) = leftovers(folder)
    age([held])
    r = sqlite_cli("export", "vcard", str(folder), "--vdir", "--force")
    assert r.exit_code == 0 and held.exists()
    kill(child)
    # every file is whole and still holds the same person
    after_kill = owners(folder)
    assert {k: after_kill[k] for k in before} == before
    # the next run removes the leftover (old, no longer held) and converges
    age(leftovers(folder))
    r = sqlite_cli("export", "vcard", str(folder), "--vdir", "--force", "--json")
    assert r.exit_code == 0, r.stderr
    assert leftovers(folder) == []
    final = owners(folder)
    assert {k: final[k] for k in before} == before and len(final) == len(uids) + 1
    assert all("changed" in (folder / name).read_text() for name in before)


@pytest.mark.slow
def test_a_backup_killed_then_run_again(sqlite_cli, tmp_path):
    fill(sqlite_cli, 50)
    target = tmp_path / "b.sqlite3"
    child = start(sqlite_cli.url, "backup", target, 1)
    wait_for(child, "inside")
    (held,) = leftovers(tmp_path)
    assert held.stat().st_size > 100_000  # a whole copy of the database, not yet in place
    age([held])
    other = tmp_path / "other.sqlite3"
    assert sqlite_cli("backup", str(other)).exit_code == 0 and held.exists()  # in progress: kept
    kill(child)
    assert not target.exists()
    # a young leftover is kept (it could be a run that just started and holds no lock, on a file system
    # without locks)
    os.utime(held)
    assert sqlite_cli("backup", str(target)).exit_code == 0
    assert leftovers(tmp_path) == [held]
    age([held])
    assert sqlite_cli("backup", str(target), "--force").exit_code == 0
    assert leftovers(tmp_path) == []
    r = Cli(f"sqlite:///{target}")("contact", "list", "--all", "--json")
    assert r.exit_code == 0 and len(r.json) == 50 * len(COLLIDING)
