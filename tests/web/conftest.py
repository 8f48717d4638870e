"""Fixtures of the web face's tests: ``crm serve`` started for real (``web_support.Served``), talked to over HTTP
and websockets with aiohttp's client. ``async def`` tests run in a fresh event loop."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import pytest
from web_support import Served, seed


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests in a fresh event loop; no asyncio plugin needed."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(asyncio.wait_for(pyfuncitem.obj(**args), 120))
        return True
    return None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    """A server shared by the tests of a module, on a SQLite database with Ada Lovelace in it."""
    folder = tmp_path_factory.mktemp("served")
    url = f"sqlite:///{folder / 'crm.sqlite3'}"
    seed(url, folder)
    server = Served(folder, db_url=url)
    yield server
    server.stop()


@pytest.fixture
def serve(tmp_path: Path):
    """Start servers of one's own: ``serve(db_url=..., args=(...))``; stopped after the test."""
    started: list[Served] = []

    def start(**kwargs) -> Served:  # noqa: ANN003
        server = Served(tmp_path / f"server{len(started)}", **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
