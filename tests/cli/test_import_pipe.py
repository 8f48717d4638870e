"""Imports from a real pipe (`cat FILE | crm import ... -`): standard input that cannot seek is read whole."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CARDS = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:piped-1\r\nFN:Piped Person\r\nEMAIL:piped@example.com\r\nEND:VCARD\r\n"
)
CSV = "Name,E-mail\r\nPiped Person,piped@example.com\r\n"


def crm(url: str, *args: str, data: bytes) -> subprocess.CompletedProcess:
    """`crm` in a process of its own, its standard input a pipe (not a file it could seek in)."""
    env = {**os.environ, "TINYCRM_USER": "tester"}
    return subprocess.run(
        [sys.executable, "-m", "tinycrm", "--db", url, *args],
        input=data,
        capture_output=True,
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize(("kind", "data"), [("vcard", CARDS), ("csv", CSV)], ids=["vcard", "csv"])
def test_import_from_a_pipe(tmp_path: Path, kind: str, data: str):
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    r = crm(url, "import", kind, "-", "--json", data=data.encode("utf-8"))
    assert r.returncode == 0, r.stderr.decode()
    r = crm(url, "search", "piped", "--json", data=b"")
    assert b"Piped Person" in r.stdout, r.stderr.decode()
