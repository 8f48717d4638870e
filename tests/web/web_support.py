"""Helpers of the web face's tests: ``crm serve`` started for real on a free loopback port (its output kept in
files), the processes under it (from /proc), a database with a contact in it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """One ``crm serve`` process. ``url`` is its address, ``token`` the access token (from ``--token-file``
    unless ``random_token``), ``output()`` everything it printed (stdout and stderr)."""

    def __init__(
        self,
        folder: Path,
        *,
        db_url: str | None,
        args: tuple[str, ...] = (),
        random_token: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.db_url = folder, db_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token_file = folder / "token"
        self.stdout_path, self.stderr_path = folder / "serve.out", folder / "serve.err"
        command = [sys.executable, "-m", "tinycrm"]
        if db_url:
            command += ["--db", db_url]
        command += ["serve", "--port", str(self.port), *args]
        if not random_token:
            command += ["--token-file", str(self.token_file)]
        environment = {**os.environ, "TINYCRM_HOME": str(folder / "home"), **(env or {})}
        environment.pop("TINYCRM_DB", None)
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(command, env=environment, stdout=out, stderr=err)
        self._wait_until_up()
        if random_token:
            line = next(ln for ln in self.stdout().splitlines() if "?token=" in ln)
            self.token = line.split("?token=", 1)[1].strip()
        else:
            self.token = self.token_file.read_text().strip()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"crm serve exited {self.proc.returncode}: {self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as resp:
                    if resp.status == 200 and "open " in self.stdout():
                        return
            except OSError:
                pass
            time.sleep(0.1)
        pytest.fail(f"crm serve did not answer within 60 s: {self.output()}")

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def output(self) -> str:
        return self.stdout() + self.stderr_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def descendants(pid: int) -> list[int]:
    """The processes started by ``pid`` and by them, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        children = [p for p, pp in parents.items() if pp == parent]
        found += children
        todo += children
    return found


def seed(db_url: str, folder: Path) -> None:
    """A contact in the database at ``db_url``, added with the command line (the URL in the environment)."""
    env = {**os.environ, "TINYCRM_HOME": str(folder / "home"), "TINYCRM_DB": db_url}
    subprocess.run(
        [sys.executable, "-m", "tinycrm", "add-contact", "Ada Lovelace", "--email", "ada@example.com"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


PASSWORD = "correct horse battery"
VIEWER_PASSWORD = "viewer horse battery"


def crm(db_url: str, folder: Path, *args: str, input: str | None = None) -> str:
    """Run ``crm`` as the user ada against ``db_url``; its standard output."""
    env = {**os.environ, "TINYCRM_HOME": str(folder / "home"), "TINYCRM_DB": db_url, "TINYCRM_USER": "ada"}
    done = subprocess.run(
        [sys.executable, "-m", "tinycrm", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        input=input,
        timeout=120,
    )
    return done.stdout


def seed_team(db_url: str, folder: Path) -> dict[str, int]:
    """A database for the web app: ada (admin, a password), vic (a viewer, a password), a contact Ada Lovelace
    with a phone and a follow-up task, a contact whose name holds a script tag, and a deal in the first stage."""
    # (ada acts first, so she is registered as the admin)
    crm(db_url, folder, "user", "add", "vic", "--role", "viewer")
    crm(db_url, folder, "user", "password", "ada", input=PASSWORD + "\n")
    crm(db_url, folder, "user", "password", "vic", input=VIEWER_PASSWORD + "\n")
    ada = int(
        crm(
            db_url,
            folder,
            "add-contact",
            "Ada Lovelace",
            "--email",
            "ada@example.com",
            "--phone",
            "+44 20 7946 0000",
        )
    )
    evil = int(crm(db_url, folder, "add-contact", "<script>alert(1)</script> Mallory"))
    deal = int(
        crm(
            db_url,
            folder,
            "deal",
            "add",
            "Analytical Engine",
            "--value",
            "5000",
            "--currency",
            "EUR",
            "--contact",
            str(ada),
        )
    )
    task = int(crm(db_url, folder, "follow-up", str(ada), "today 9am", "Call Ada back"))
    return {"ada": ada, "evil": evil, "deal": deal, "task": task}


def module_store(kind: str, folder: Path):  # noqa: ANN201 - an iterator of one URL
    """The database of a module's server on ``kind`` ("sqlite" or "postgresql"): ``next()`` gives its URL;
    finishing the iterator (``next(urls, None)``) drops a PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'crm.sqlite3'}"
    else:
        from crm_testkit import pg_database

        yield from pg_database()


def seed_admin(url: str) -> str:
    """ada, an admin with a password (:data:`PASSWORD`) and an API token; vic, a viewer. Gives ada's token."""
    from tinycrm.services.team import accounts, users
    from tinycrm.store.database import open_db

    db = open_db(url)
    try:
        db.actor = "ada"  # type: ignore[attr-defined]  (the first user to act is the admin)
        users.add(db, "vic", role="viewer")
        accounts.set_password(db, "ada", PASSWORD)
        return accounts.create_token(db, "ada", "tests", "write")[1]
    finally:
        db.close()
