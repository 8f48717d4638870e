"""Fixtures shared by every test.

``store_url`` is parametrised over the two stores: a SQLite file in ``tmp_path``, and a fresh database on a real
PostgreSQL server (cloned from a migrated template, so each test starts clean). The server comes from
``TINYCRM_TEST_PG`` (``.ci/run`` sets it); without a reachable server the PostgreSQL cases are skipped with the
reason, never failed. Helpers tests import live in ``crm_testkit.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crm_testkit import Cli, drop_template, migrated_sqlite, pg_database


def pytest_sessionfinish(session, exitstatus):  # noqa: ANN001
    drop_template()


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
    yield from pg_database()


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database, for tests about PostgreSQL itself (skipped without a server)."""
    yield from pg_database()


@pytest.fixture
def other_url(store_url: str, tmp_path: Path):
    """A second empty database on the same store as ``store_url``, for round trips."""
    if store_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'other.sqlite3'}"
        return
    yield from pg_database()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):
    """``clock("2026-03-27T08:00:00+01:00", tz="Europe/Berlin")`` fixes the time (and the local zone)."""

    def set_clock(when: str, tz: str = "Europe/Berlin") -> None:
        monkeypatch.setenv("TZ", tz)
        monkeypatch.setenv("TINYCRM_NOW", when)

    return set_clock


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crm.sqlite3'}"


@pytest.fixture
def db(store_url: str):
    """An opened, migrated database on each store."""
    from tinycrm.store.database import open_db

    database = open_db(migrated_sqlite(store_url) if store_url.startswith("sqlite") else store_url)
    yield database
    database.close()


def _created(url: str) -> str:
    """The URL of a database that exists, with the current schema (a PostgreSQL one already does)."""
    from tinycrm.store.database import open_db

    if url.startswith("sqlite"):
        return migrated_sqlite(url)
    open_db(url).close()
    return url


@pytest.fixture
def cli(store_url: str) -> Cli:
    """``crm`` against a fresh, empty database on each store."""
    return Cli(_created(store_url))


@pytest.fixture
def sqlite_cli(sqlite_url: str) -> Cli:
    """``crm`` against a fresh, empty SQLite file only (for tests about SQLite itself)."""
    return Cli(_created(sqlite_url))


#: skip reasons that mean "a server or tool this machine lacks": locally a skip, in CI (CI=true) a failure,
#: since .ci/run installs and starts every one of them
MISSING = ("no PostgreSQL server", "is not installed", "cannot create roles", "is not reachable")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # noqa: ANN001
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if any(marker in reason for marker in MISSING):
            report.outcome = "failed"
            report.longrepr = f"CI must run this test, but it was skipped: {reason}"
