"""Fixtures of the app's tests: a fixed data set (``tui_support.py``) on SQLite, copied for each test, a fixed
clock and time zone, and the app built by the same factory as ``crm tui`` with blinking and animations off."""

from __future__ import annotations

import asyncio
import inspect
import os
import shutil
from pathlib import Path

import pytest
import tui_support as sample


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests (Pilot) in a fresh event loop; no asyncio plugin needed."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(pyfuncitem.obj(**args))
        return True
    return None


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The sample database, built once per test process."""
    from tinycrm import config
    from tinycrm.store.database import open_db

    base = tmp_path_factory.mktemp("tui-sample")
    saved = {k: os.environ.get(k) for k in ("TINYCRM_HOME", "TINYCRM_USER", "TZ", "TINYCRM_DB")}
    os.environ.update({"TINYCRM_HOME": str(base / "home"), "TINYCRM_USER": "tester", "TZ": "UTC"})
    os.environ.pop("TINYCRM_DB", None)
    config.reset()
    try:
        path = base / "sample.sqlite3"
        db = open_db(f"sqlite:///{path}")
        ids = sample.build(db)
        db.close()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        config.reset()
    return path, ids


@pytest.fixture
def ids(sample_template: tuple[Path, dict[str, int]]) -> dict[str, int]:
    return sample_template[1]


@pytest.fixture
def sample_url(
    sample_template: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A copy of the sample database, with the clock at ``sample.APP_NOW`` in UTC."""
    path = tmp_path / "crm.sqlite3"
    shutil.copyfile(sample_template[0], path)
    monkeypatch.setenv("TINYCRM_NOW", sample.APP_NOW)
    monkeypatch.setenv("TZ", "UTC")
    return f"sqlite:///{path}"


@pytest.fixture
def make(sample_url: str):
    """``make(**options)``: the app on the sample database, as the tests drive it."""
    from tinycrm.tui.app import make_app

    def build(url: str | None = None, **options):
        return make_app(url or sample_url, testing=True, **options)

    return build


@pytest.fixture
def db(sample_url: str):
    """The sample database, to check through the services what the app did."""
    from tinycrm.store.database import open_db

    database = open_db(sample_url)
    yield database
    database.close()
