"""Fixtures shared by every test.

``store`` is parametrised over the two stores: a SQLite file in ``tmp_path``, and a fresh database on a real
PostgreSQL server (cloned from a migrated template, so each test starts clean in milliseconds). The server
comes from ``TINYCRM_TEST_PG`` (``.ci/run`` sets it); without a reachable server the PostgreSQL cases are
skipped with the reason, never failed.
"""

from __future__ import annotations

import io
import os
import sys
import uuid
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_ENV = "TINYCRM_TEST_PG"
_pg_state: dict = {}


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

            from tinycrm.db import pg_conninfo

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

    from tinycrm.db import pg_conninfo

    with psycopg.connect(pg_conninfo(pg_admin_url()), autocommit=True) as conn:
        conn.execute(sql)


def _pg_template() -> str:
    """A migrated database that fresh test databases are cloned from (made once per run)."""
    if "template" not in _pg_state:
        name = f"tinycrm_tmpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        _pg_admin_execute(f'CREATE DATABASE "{name}"')
        from tinycrm.db import open_db

        db = open_db(_pg_url_for(name))
        db.close()
        _pg_state["template"] = name
    return _pg_state["template"]


def new_pg_database() -> tuple[str, str]:
    name = f"tinycrm_t_{uuid.uuid4().hex[:12]}"
    _pg_admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_template()}"')
    return name, _pg_url_for(name)


def drop_pg_database(name: str) -> None:
    try:
        _pg_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception:  # noqa: BLE001 - cleanup is best effort
        pass


def pytest_sessionfinish(session, exitstatus):  # noqa: ANN001
    if _pg_state.get("template"):
        drop_pg_database(_pg_state["template"])


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own TINYCRM_HOME, no user config, a UTC clock unless it sets one, and no colour."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("TINYCRM_HOME", str(home))
    for var in ("TINYCRM_DB", "TINYCRM_USER", "TINYCRM_NOW", "EDITOR", "VISUAL", "TINYCRM_FORCE_TTY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TINYCRM_USER", "tester")
    from tinycrm import config

    config.reset()
    yield home
    config.reset()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL to an empty, not yet opened database on each store."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crm.sqlite3'}"
        return
    reason = _pg_unavailable()
    if reason:
        pytest.skip(reason)
    name, url = new_pg_database()
    yield url
    drop_pg_database(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crm.sqlite3'}"


@pytest.fixture
def db(store_url: str):
    """An opened, migrated database on each store."""
    from tinycrm.db import open_db

    database = open_db(store_url)
    yield database
    database.close()


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


@pytest.fixture
def cli(store_url: str) -> Cli:
    """``crm`` against a fresh database on each store."""
    return Cli(store_url)


@pytest.fixture
def sqlite_cli(sqlite_url: str) -> Cli:
    """``crm`` against a fresh SQLite file only (for tests about SQLite itself)."""
    return Cli(sqlite_url)
