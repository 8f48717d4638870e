"""Helpers for the tests: PostgreSQL test databases and an in-process `crm` runner.

``store`` is parametrised over the two stores: a SQLite file in ``tmp_path``, and a fresh database on a real
PostgreSQL server (cloned from a migrated template, so each test starts clean in milliseconds). The server
comes from ``TINYCRM_TEST_PG`` (``.ci/run`` sets it); without a reachable server the PostgreSQL cases are
skipped with the reason, never failed.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import re
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_ENV = "TINYCRM_TEST_PG"
_pg_state: dict = {}
_sqlite_state: dict[str, Path] = {}


def pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV)


def _pg_unavailable() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    if "reason" in _pg_state:
        return _pg_state["reason"]
    url = pg_admin_url()
    reason = None
    if not url:
        reason = f"no PostgreSQL server: set {PG_ENV}=postgresql+psycopg://USER:PASS@127.0.0.1:5432/postgres"
    else:
        try:
            import psycopg

            from tinycrm.store.database import pg_conninfo

            with psycopg.connect(pg_conninfo(url), connect_timeout=3, autocommit=True):
                pass
        except Exception as exc:  # noqa: BLE001
            reason = f"PostgreSQL at {PG_ENV} is not reachable: {str(exc).strip().splitlines()[0]}"
    _pg_state["reason"] = reason
    return reason


def _pg_url_for(dbname: str) -> str:
    base = pg_admin_url()
    assert base
    head, _, _ = base.rpartition("/")
    return f"{head}/{dbname}"


def _pg_admin_execute(sql: str) -> None:
    import psycopg

    from tinycrm.store.database import pg_conninfo

    with psycopg.connect(pg_conninfo(pg_admin_url()), autocommit=True) as conn:
        conn.execute(sql)


def _pg_template() -> str:
    """A migrated database that fresh test databases are cloned from (made once per run)."""
    if "template" not in _pg_state:
        name = f"tinycrm_tmpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        _pg_admin_execute(f'CREATE DATABASE "{name}"')
        from tinycrm.store.database import open_db

        db = open_db(_pg_url_for(name))
        db.close()
        _pg_state["template"] = name
    return _pg_state["template"]


def migrated_sqlite(url: str) -> str:
    """Give the SQLite file of URL, when it does not exist yet, the current schema: a copy of a file migrated
    once per test process, as PostgreSQL test databases are clones of a migrated template. Migrating a new file
    replays every migration (about half a second); a copy takes a millisecond. Returns URL."""
    path = Path(url.removeprefix("sqlite:///"))
    if path.exists():
        return url
    template = _sqlite_state.get("template")
    if template is None:
        from tinycrm.store.database import open_db

        folder = Path(tempfile.mkdtemp(prefix="tinycrm-template-"))
        atexit.register(shutil.rmtree, folder, True)
        template = folder / "template.sqlite3"
        open_db(f"sqlite:///{template}").close()
        _sqlite_state["template"] = template
    shutil.copy(template, path)
    return url


def new_pg_database() -> tuple[str, str]:
    name = f"tinycrm_t_{uuid.uuid4().hex[:12]}"
    _pg_admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_template()}"')
    return name, _pg_url_for(name)


def drop_pg_database(name: str) -> None:
    try:
        _pg_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception:  # noqa: BLE001 - cleanup is best effort
        pass


def drop_template() -> None:
    if _pg_state.get("template"):
        drop_pg_database(_pg_state["template"])


def pg_database(unavailable: Callable[[], str | None] = _pg_unavailable) -> Iterator[str]:
    """For a fixture to ``yield from``: the URL of a new PostgreSQL database, dropped after the test. The test
    is skipped when ``unavailable()`` gives a reason (default: there is no reachable server)."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    name, url = new_pg_database()
    yield url
    drop_pg_database(name)


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self):  # noqa: ANN201
        import json

        return json.loads(self.stdout)


class Cli:
    """Runs ``crm`` in this process (fast) against one database, like a shell would."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, *args: str, input: str | bytes | None = None, env: dict | None = None) -> Result:
        from tinycrm import config
        from tinycrm.cli import run, state
        from tinycrm.cli.app import build

        out, err = io.StringIO(), io.StringIO()
        old_stdin = sys.stdin
        old_env = {k: os.environ.get(k) for k in (env or {})}
        os.environ.update(env or {})
        config.reset()
        if input is not None:
            data = input.encode("utf-8") if isinstance(input, str) else input
            sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
        else:
            sys.stdin = io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8")
        try:
            with redirect_stdout(out), redirect_stderr(err):
                code = run(build(), ["--db", self.url, *args])
        finally:
            sys.stdin = old_stdin
            db = state._db  # noqa: SLF001
            if db is not None:
                db.close()
            state.set_url(None)
            for k, v in old_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        return Result(code, out.getvalue(), err.getvalue())


# --- a faster PostgreSQL database -----------------------------------------------------------------------
# conftest's store_url clones a database for every PostgreSQL test (about half a second on a busy machine).
# These modules share one migrated database per module instead, emptied before each test: every row of user
# data deleted and the id sequences restarted, so each test still starts from a new database's state. Test
# modules opt in with: from crm_testkit import _pg_for_module, store_url


@pytest.fixture(scope="module")
def _pg_for_module():
    reason = _pg_unavailable()
    if reason:
        yield None, reason
        return
    name, url = new_pg_database()
    yield url, None
    drop_pg_database(name)


def _empty_pg(url: str) -> None:
    import psycopg

    from tinycrm.store.database import pg_conninfo
    from tinycrm.store.schema import metadata

    keep = {"alembic_version", "pipelines", "stages"}  # the schema's version and its seed data
    with psycopg.connect(pg_conninfo(url), autocommit=True) as conn:
        conn.execute("SET lock_timeout = '20s'")
        present = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        ordered = [t.name for t in reversed(metadata.sorted_tables)]
        tables = sorted(present - set(ordered) - keep) + [
            t for t in ordered if t in present and t not in keep
        ]
        with conn.transaction():
            for table in tables:
                conn.execute(f'DELETE FROM "{table}"')
            with_id = {
                r[0]
                for r in conn.execute(
                    "SELECT table_name FROM information_schema.columns WHERE "
                    "table_schema = 'public' AND column_name = 'id'"
                )
            }
            for table in (t for t in tables if t in with_id):
                seq = conn.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,)).fetchone()
                if seq[0]:
                    conn.execute("SELECT setval(%s, 1, false)", (seq[0],))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path, _pg_for_module):
    """As conftest's store_url, with the PostgreSQL database of the module emptied instead of made anew."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crm.sqlite3'}"
        return
    url, reason = _pg_for_module
    if reason:
        pytest.skip(reason)
    _empty_pg(url)
    yield url


# --- team mode: logins and roles on the test server -------------------------------------------------

#: the password of the logins the team-mode tests create
PASSWORD = "Sekr1t pass:w@rd $1"  # spaces, ':' '@' '$': must survive as a password, never reach a message


def cannot_create_roles() -> str | None:
    """Why the test server's user cannot run these tests (it must create roles), or None."""
    reason = _pg_unavailable()
    if reason:
        return reason
    import psycopg

    from tinycrm.store.database import pg_conninfo

    with psycopg.connect(pg_conninfo(pg_admin_url()), autocommit=True) as conn:
        ok = conn.execute(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    return None if ok and ok[0] else "the PostgreSQL user of TINYCRM_TEST_PG may not create roles"


def url_as(url: str, user: str, password: str = PASSWORD) -> str:
    from urllib.parse import quote

    return re.sub(r"//[^@/]*@", f"//{user}:{quote(password, safe='')}@", url, count=1)


#: the fields of a contact that a vCard or a CSV row carries, compared by the round-trip tests
CARD_FIELDS = (
    "uid",
    "display_name",
    "given_name",
    "family_name",
    "job_title",
    "company",
    "company_role",
    "birthday",
    "notes",
    "cadence_days",
    "archived",
    "emails",
    "phones",
    "addresses",
    "tags",
    "fields",
)


# --- child processes the crash tests kill ----------------------------------------------------------------


def wait_for(proc, word: str, timeout: float = 60) -> None:  # noqa: ANN001 - a subprocess.Popen in text mode
    """Read the child's output until a line starts with ``word``; fail if it ends or takes too long."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"the child ended early: {proc.stderr.read()}")
        if line.startswith(word):
            return
    raise AssertionError(f"no {word!r} from the child in time")


def kill(proc) -> None:  # noqa: ANN001 - a subprocess.Popen
    """SIGKILL the child, as a power cut or the OOM killer would, and wait for it."""
    import os
    import signal

    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    proc.stdout.close()
    proc.stderr.close()


#: a second card for one person (Ada Lovelace): the other side of the merge tests
OTHER_CARD = """BEGIN:VCARD
VERSION:3.0
UID:other-uid-1
FN:A. Lovelace
N:Lovelace;A.;;Countess;
EMAIL;TYPE=HOME:ada@home.example
EMAIL;TYPE=WORK:ada@engines.example
TEL;TYPE=CELL:+44 20 7946 0001
TITLE:Mathematician
BDAY:1815-12-10
CATEGORIES:poetry,math
NOTE:Met at the salon.
PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAAD0lEQVQIHQEEAPv/AP///wX+Av4DfRnGAAAAAElFTkSuQmCC
X-TWITTER:@ada
X-TINYCRM-FIELD:source=salon
X-TINYCRM-FIELD:shoe=38
END:VCARD
"""


#: the indexes the search service names (``INDEXED BY``, SQLite) that a migration added
SEARCH_INDEXES = ("ix_contacts_names_by_id",)


def _index_ddl(name: str) -> str:
    """The CREATE INDEX of one of the schema's indexes, as the models declare it (SQLite)."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex

    from tinycrm.store.schema import metadata

    index = next(i for t in metadata.tables.values() for i in t.indexes if i.name == name)
    return str(CreateIndex(index).compile(dialect=sqlite.dialect()))


@contextlib.contextmanager
def searchable(db) -> Iterator[None]:  # noqa: ANN001 - a tinycrm Database
    """Search a SQLite database held at an older revision with today's search service: the indexes it names
    and the older schema lacks are made for the while and dropped after (the database is as it was)."""
    made = []
    if db.is_sqlite:
        with db.write() as tx:
            for name in SEARCH_INDEXES:
                if not tx.scalar(
                    "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = :n", {"n": name}
                ):
                    tx.execute(_index_ddl(name))
                    made.append(name)
    try:
        yield
    finally:
        if made:
            with db.write() as tx:
                for name in made:
                    tx.execute(f"DROP INDEX {name}")
