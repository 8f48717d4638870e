"""``crm sync vdir`` killed with SIGKILL at seeded random moments: run again, it reaches exactly the state an
uninterrupted run reaches (the same contacts, the same cards, none twice) and a further run has nothing to do."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tinycrm.domain.people import ContactInput, Labeled
from tinycrm.services.people import contacts
from tinycrm.services.sync.vdir import sync_vdir
from tinycrm.store.database import open_db

pytestmark = pytest.mark.slow

SEED = 20261205
TRIALS = 5
PEOPLE = 300


def _card(uid: str, name: str, email: str) -> bytes:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}", f"EMAIL:{email}", "END:VCARD", ""]
    return "\r\n".join(lines).encode()


def _prepare(base: Path) -> tuple[Path, Path]:
    """A database of PEOPLE contacts synced to a folder, then changes waiting on both sides."""
    url = f"sqlite:///{base / 'crm.sqlite3'}"
    folder = base / "cards"
    db = open_db(url)
    with db.write() as tx:
        for n in range(PEOPLE):
            contacts.insert(
                tx, ContactInput(display_name=f"Person {n:03}", emails=[Labeled(f"p{n}@example.com")])
            )
    sync_vdir(db, folder)
    rnd = random.Random(SEED)
    cards = sorted(folder.glob("*.vcf"))
    for path in rnd.sample(cards, 40):  # edited on a phone
        data = path.read_bytes().replace(b"FN:Person", b"FN:Phone Person")
        path.write_bytes(data)
        os.utime(path, ns=(0, path.stat().st_mtime_ns + 10**9))
    for path in rnd.sample([c for c in cards if b"Phone Person" not in c.read_bytes()], 15):
        path.unlink()  # deleted on the phone
    for n in range(25):  # added on the phone
        (folder / f"new-{n}.vcf").write_bytes(_card(f"new-{n}", f"New {n}", f"new{n}@example.com"))
    ids = [c.id for c in contacts.list_contacts(db, limit=PEOPLE).items]
    for cid in rnd.sample(ids, 40):  # edited in tinycrm
        contacts.update(db, cid, {"job_title": "Edited"})
    for cid in rnd.sample(ids, 10):
        try:
            contacts.delete(db, cid)
        except Exception:  # noqa: BLE001 - deleted twice by the sample: fine
            pass
    db.close()
    return base / "crm.sqlite3", folder


def _outcome(db_file: Path, folder: Path) -> tuple[list, dict[str, bytes]]:
    db = open_db(f"sqlite:///{db_file}", migrate=False)
    try:
        people = contacts.list_contacts(db, limit=10_000, archived=None).items
        seen = sorted((c.display_name, c.archived) for c in people)
    finally:
        db.close()
    return seen, {p.name: p.read_bytes() for p in sorted(folder.glob("*.vcf"))}


def _sync(db_file: Path, folder: Path) -> subprocess.Popen:
    env = {**os.environ, "TINYCRM_DB": f"sqlite:///{db_file}", "TINYCRM_HOME": str(db_file.parent / "home")}
    return subprocess.Popen(
        [sys.executable, "-m", "tinycrm", "sync", "vdir", str(folder), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_killed_sync_is_finished_by_the_next_run(tmp_path):
    work, template = tmp_path / "work", tmp_path / "template"
    work.mkdir()
    db_file, folder = _prepare(work)  # prepared where every trial runs: the state names the folder's path
    shutil.copytree(work, template, symlinks=True)

    def fresh() -> tuple[Path, Path]:
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(template, work, symlinks=True)
        return work / db_file.name, work / folder.name

    # the state an uninterrupted run reaches (the folder is synced at the same path every time)
    clean_db, clean_folder = fresh()
    started = time.monotonic()
    proc = _sync(clean_db, clean_folder)
    out, err = proc.communicate(timeout=300)
    took = time.monotonic() - started
    assert proc.returncode in (0, 1), err  # 1: a card edited on the phone whose contact was deleted here
    assert json.loads(out)["counts"]
    expected = _outcome(clean_db, clean_folder)
    rerun = _sync(clean_db, clean_folder)
    settled = sorted(a["file"] for a in json.loads(rerun.communicate(timeout=300)[0])["actions"])

    expected_code = proc.returncode

    def proc_code(_: Path) -> int:
        return expected_code

    rnd = random.Random(SEED)
    for trial in range(TRIALS):
        db_now, folder_now = fresh()
        proc = _sync(db_now, folder_now)
        time.sleep(rnd.uniform(0.3, 1.0) * took)
        proc.kill()
        proc.communicate()
        finish = _sync(db_now, folder_now)
        out, err = finish.communicate(timeout=300)
        assert finish.returncode == proc_code(clean_db), (trial, err)
        assert _outcome(db_now, folder_now) == expected, f"trial {trial} differs"
        again = _sync(db_now, folder_now)
        out, err = again.communicate(timeout=300)
        left = json.loads(out)["actions"]  # only the conflicts, kept until settled, never anything done twice
        assert sorted(a["file"] for a in left) == settled, (trial, out)
        assert {a["action"] for a in left} <= {"conflict"}
