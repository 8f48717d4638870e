"""The database as the app uses it: a small pool of connections shared by the thread workers.

Textual starts a new thread for every thread worker; :class:`tinycrm.store.database.Database` keeps one connection per
thread, which would open (and keep) a connection per worker. ``PooledDatabase`` lends a thread an idle
connection instead, and :func:`call` gives it back when the service call is over. Services see an ordinary
``Database``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from tinycrm.store.database import Database, resolve_url

T = TypeVar("T")


class PooledDatabase(Database):
    """A :class:`Database` whose per-thread connections come from, and go back to, a pool."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._idle: list[Any] = []

    def connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                conn = self._connect()
                with self._lock:
                    self._all.append(conn)
            self._local.conn = conn
        return conn

    def release(self) -> None:
        """Give this thread's connection back to the pool (the thread is about to end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.conn = None
            with self._lock:
                self._idle.append(conn)

    def close(self) -> None:
        with self._lock:
            self._idle.clear()
        super().close()


def open_pooled(url: str | None = None) -> PooledDatabase:
    """Open the database for the app (creating or upgrading its schema when needed), like ``open_db``."""
    db = PooledDatabase(resolve_url(url))
    from tinycrm.store import migrate

    migrate.ensure_current(db)
    db.release()
    return db


def call(db: Database, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a service function ``fn(db, *args, **kwargs)`` from a worker thread, then return its connection."""
    try:
        return fn(db, *args, **kwargs)
    finally:
        release = getattr(db, "release", None)
        if release is not None:
            release()
