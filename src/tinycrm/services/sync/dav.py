"""``crm dav serve``: a CardDAV/CalDAV server for phones, made of Radicale and two-way vdir sync.

tinycrm does not speak WebDAV itself. Radicale (an optional extra, GPL-3.0, always run as its own process and
never imported) serves a storage folder where each user has an address book and a task list. Both are synced
folders (:mod:`tinycrm.services.sync.vdir`, :mod:`tinycrm.services.sync.calendar`): tinycrm syncs them before
serving, after every change a phone makes (Radicale's storage hook runs ``crm dav sync USER`` while it still
holds its storage lock), and on a timer for changes made in tinycrm (taking Radicale's lock, so the two never
write at once).

Who may sign in: every active tinycrm user with a password (``crm user password``, the same as for the web
app), and the users of ``crm dav passwd`` (an htpasswd file of argon2 hashes, for a phone-only account); a name
in both signs in with its ``crm dav passwd`` password. Radicale reads the two together from a file tinycrm writes
before serving and at every timer sync, so a new or changed password reaches the phone within ``--interval``.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinycrm.domain.errors import InvalidInput, NotFound, Refused
from tinycrm.store.database import Database

USER_NAME = re.compile(r"[a-z][a-z0-9._-]{0,63}")
ADDRESS_BOOK, TASKS = "contacts", "tasks"
LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class DavPaths:
    root: Path  # Radicale's storage folder (its lock file is here)
    users_file: Path  # htpasswd of crm dav passwd
    config_file: Path  # the Radicale config written for each start

    @property
    def served_users(self) -> Path:
        """The htpasswd Radicale reads: tinycrm's users with a password and those of ``users_file``."""
        return self.root / ".users"

    def address_book(self, user: str) -> Path:
        return self.root / "collection-root" / user / ADDRESS_BOOK

    def tasks(self, user: str) -> Path:
        return self.root / "collection-root" / user / TASKS


def dav_paths() -> DavPaths:
    from tinycrm import paths

    return DavPaths(paths.data_dir() / "dav", paths.config_dir() / "dav-users", paths.data_dir() / "dav.conf")


# --- users ------------------------------------------------------------------------------------------------


def check_user(name: str) -> str:
    if not USER_NAME.fullmatch(name or ""):
        raise InvalidInput(
            f"a DAV user name is lower-case letters, digits and . _ - (at most 64), starting with a letter "
            f"(got {name!r})"
        )
    return name


def set_password(user: str, password: str, p: DavPaths | None = None) -> None:
    """Add the user or change their password (an argon2 hash; the file is 0600, rewritten atomically)."""
    from argon2 import PasswordHasher

    from tinycrm import paths

    p = p or dav_paths()
    check_user(user)
    if len(password) < 8:
        raise InvalidInput("a password has at least 8 characters")
    if "\n" in password or "\r" in password:
        raise InvalidInput("a password is one line")
    line = f"{user}:{PasswordHasher().hash(password)}"
    kept = [x for x in _lines(p) if x.split(":", 1)[0] != user]
    paths.private_dir(p.users_file.parent, tighten=False)
    _write_private(p.users_file, "\n".join([*kept, line]) + "\n")


def remove_user(user: str, p: DavPaths | None = None) -> None:
    p = p or dav_paths()
    lines = _lines(p)
    kept = [x for x in lines if x.split(":", 1)[0] != user]
    if len(kept) == len(lines):
        raise NotFound(f"no DAV user {user!r}", hint="crm dav users lists them")
    _write_private(p.users_file, "".join(x + "\n" for x in kept))


def _lines(p: DavPaths) -> list[str]:
    try:
        return [x for x in p.users_file.read_text(encoding="utf-8").splitlines() if x.strip()]
    except FileNotFoundError:
        return []


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def served_users(db: Database, p: DavPaths | None = None, *, write: bool = True) -> list[str]:
    """Write the htpasswd Radicale reads (tinycrm's users with a password, then ``crm dav passwd``'s, which win
    for a name in both); give the names. Names that cannot be a collection's folder are left out."""
    from tinycrm import paths
    from tinycrm.services.team import accounts

    p = p or dav_paths()
    entries = {name: digest for name, digest in accounts.password_hashes(db) if USER_NAME.fullmatch(name)}
    for line in _lines(p):
        name, _, digest = line.partition(":")
        entries[name] = digest
    if not write:
        return sorted(entries)
    paths.private_dir(p.root, tighten=False)
    text = "".join(f"{name}:{digest}\n" for name, digest in sorted(entries.items()))
    try:
        unchanged = p.served_users.read_text(encoding="utf-8") == text
    except FileNotFoundError:
        unchanged = False
    if not unchanged:
        _write_private(p.served_users, text)
    return sorted(entries)


# --- storage and sync ----------------------------------------------------------------------------------------


def prepare(user: str, p: DavPaths | None = None) -> None:
    """The user's address book and task list, as Radicale expects them (a folder and its properties)."""
    from tinycrm import paths

    p = p or dav_paths()
    props = {
        ADDRESS_BOOK: {
            "tag": "VADDRESSBOOK",
            "D:displayname": "tinycrm",
            "CR:addressbook-description": "tinycrm",
        },
        TASKS: {
            "tag": "VCALENDAR",
            "D:displayname": "tinycrm",
            "C:supported-calendar-component-set": "VTODO",
        },
    }
    for name, meta in props.items():
        folder = p.root / "collection-root" / user / name
        paths.private_dir(folder, tighten=False)
        file = folder / ".Radicale.props"
        if not file.exists():
            _write_private(file, json.dumps(meta))


@contextmanager
def storage_lock(p: DavPaths) -> Iterator[None]:
    """Radicale's own storage lock, held while tinycrm writes into its folders."""
    from tinycrm import paths

    paths.private_dir(p.root, tighten=False)
    with open(p.root / ".Radicale.lock", "w+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def sync_user(db: Database, user: str, p: DavPaths | None = None) -> list[str]:
    """Sync one user's address book and task list both ways; gives the problems, one line each."""
    from tinycrm.services.sync.calendar import sync_tasks
    from tinycrm.services.sync.vdir import sync_vdir

    p = p or dav_paths()
    check_user(user)
    prepare(user, p)
    report = sync_vdir(db, p.address_book(user))
    problems = [f"{user}/{ADDRESS_BOOK}/{x.file}: {x.message}" for x in report.problems]
    tasks = sync_tasks(db, p.tasks(user))
    problems += [f"{user}/{TASKS}/{x.file}: {x.message}" for x in tasks.problems]
    return problems


def sync_all(db: Database, p: DavPaths | None = None, *, lock: bool = True) -> list[str]:
    p = p or dav_paths()
    problems: list[str] = []
    for user in served_users(db, p):
        if lock:
            with storage_lock(p):
                problems += sync_user(db, user, p)
        else:
            problems += sync_user(db, user, p)
    return problems


# --- the server ----------------------------------------------------------------------------------------------


def radicale_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("radicale") is not None


def check_can_serve(db: Database, host: str, public: bool, p: DavPaths | None = None) -> list[str]:
    """Refuse what would be unsafe or cannot work, before anything starts; gives the users."""
    p = p or dav_paths()
    if not radicale_available():
        raise Refused("crm dav serve needs Radicale: pip install 'tinycrm[dav]'")
    if host not in LOOPBACK and not public:
        raise InvalidInput(
            f"--host {host} answers other machines; add --public to mean it (and put TLS in front: docs/sync.md)"
        )
    found = served_users(db, p)
    if not found:
        raise Refused(
            "nobody could sign in: give a user a password (crm user password NAME, or crm dav passwd NAME)"
        )
    return found


def radicale_config(host: str, port: int, python: str, p: DavPaths | None = None) -> str:
    """The config Radicale runs with: our storage, our users, each sees only their own collections, and the
    hook that syncs a user's folders after each change a client makes."""
    p = p or dav_paths()
    hook = f"{python} -m tinycrm dav sync %(user)s --locked"
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return "\n".join(
        [
            "[server]",
            f"hosts = {listen}",
            "[auth]",
            "type = htpasswd",
            f"htpasswd_filename = {p.served_users}",
            "htpasswd_encryption = autodetect",
            "delay = 1",
            "[rights]",
            "type = owner_only",
            "[storage]",
            f"filesystem_folder = {p.root}",
            f"hook = {hook}",
            "[web]",
            "type = none",
            "[logging]",
            "level = warning",
            "mask_passwords = True",
            "",
        ]
    )


def write_config(host: str, port: int, python: str, p: DavPaths | None = None) -> Path:
    from tinycrm import paths

    p = p or dav_paths()
    paths.private_dir(p.config_file.parent, tighten=False)
    _write_private(p.config_file, radicale_config(host, port, python, p))
    return p.config_file


def serve(
    db: Database,
    host: str,
    port: int,
    *,
    public: bool = False,
    interval: float = 60.0,
    on_ready: Any = None,
    on_problem: Any = None,
) -> int:
    """Sync every user's folders, start Radicale on ``host:port``, then sync on a timer until Radicale stops
    or this process is told to (SIGINT, SIGTERM). Gives Radicale's exit status."""
    import signal
    import socket
    import subprocess
    import sys
    import time

    p = dav_paths()
    found = check_can_serve(db, host, public, p)
    for user in found:
        prepare(user, p)
    for problem in sync_all(db, p):
        if on_problem:
            on_problem(problem)
    config_file = write_config(host, port, sys.executable, p)
    proc = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(config_file)])
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                socket.create_connection((host, port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        if proc.poll() is not None:
            raise Refused(f"Radicale did not start on {host}:{port} (is the port taken?)")
        if on_ready:
            on_ready(f"http://{host}:{port}/", found)
        next_sync = time.monotonic() + interval
        while not stopping and proc.poll() is None:
            time.sleep(0.2)
            if time.monotonic() >= next_sync:
                for problem in sync_all(db, p):
                    if on_problem:
                        on_problem(problem)
                next_sync = time.monotonic() + interval
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return proc.returncode or 0
