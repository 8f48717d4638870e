"""A CSV import killed with SIGKILL while it stores a file holding an oversized cell: the database stays sound,
holds whole batches only, and running the import again completes it with every row once."""

from __future__ import annotations

import csv
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crm_testkit import Cli

ROWS = 3000
BIG_ROW = 1501  # the row whose note is larger than Python's default csv field limit (128 KiB)
SEED = 2501


def _write_csv(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["Name", "E-mail Address", "Notes"])
        for i in range(ROWS):
            note = "n" * 200_000 if i == BIG_ROW else f"row {i}"
            out.writerow([f"Crash Csv {i:05d}", f"row{i}@example.org", note])


@pytest.mark.slow
def test_sigkill_during_a_csv_import_with_an_oversized_cell(tmp_path: Path):
    db_path = tmp_path / "crm.sqlite3"
    url = f"sqlite:///{db_path}"
    source = tmp_path / "people.csv"
    _write_csv(source)
    Cli(url)("add-contact", "Someone Else")  # the database exists before the import starts
    env = {**os.environ, "TINYCRM_DB": url}
    child = subprocess.Popen(
        [sys.executable, "-m", "tinycrm", "import", "csv", str(source)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait for the first committed batch, then kill at a seeded moment
        with sqlite3.connect(db_path) as conn:
            if conn.execute("SELECT count(*) FROM contacts").fetchone()[0] > 1:
                break
        time.sleep(0.02)
    time.sleep(random.Random(SEED).uniform(0.0, 0.3))
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)

    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        stored = conn.execute(
            "SELECT count(*) FROM contacts WHERE display_name LIKE 'Crash Csv %'"
        ).fetchone()[0]
        emails = conn.execute("SELECT count(*) FROM contact_emails WHERE value LIKE 'row%'").fetchone()[0]
    assert stored == emails, "every stored contact has its email: no half-written record"
    assert stored % 500 == 0, f"imports store whole batches of 500 rows, not {stored}"

    again = Cli(url)("import", "csv", str(source))
    assert again.exit_code == 0, again.stderr
    with sqlite3.connect(db_path) as conn:
        names = conn.execute(
            "SELECT display_name FROM contacts WHERE display_name LIKE 'Crash Csv %'"
        ).fetchall()
        big = conn.execute(
            "SELECT length(notes) FROM contacts WHERE display_name = :n", {"n": f"Crash Csv {BIG_ROW:05d}"}
        ).fetchone()
    assert len(names) == len(set(names)) == ROWS, "every row once, none twice"
    assert big == (200_000,), "the oversized cell is stored whole"
