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


#: how long a write waits for SQLite's write lock at a time before :func:`call_waiting` reports the wait
WAIT_STEP_S = 0.25


def call_waiting(
    db: Database,
    fn: Callable[..., T],
    *args: Any,
    on_wait: Callable[[float], bool],
    **kwargs: Any,
) -> T:
    """Like :func:`call`, for a write a person waits for. On SQLite, while another process holds the write lock,
    the call waits :data:`WAIT_STEP_S` at a time and tells ``on_wait(seconds waited so far)``; when that returns
    False (the person cancelled), or after the usual busy timeout, the call gives up with the store's
    :class:`~tinycrm.domain.errors.StoreUnavailable`. Nothing is written then: a write waits at its start
    (``BEGIN IMMEDIATE``), and a call that had stored anything before it was kept waiting is not tried again."""
    if not getattr(db, "is_sqlite", False):
        return call(db, fn, *args, **kwargs)
    import sqlite3
    import time

    from tinycrm.domain.errors import StoreUnavailable
    from tinycrm.store.database import BUSY_TIMEOUT_S

    conn = db.connection()
    began = time.monotonic()
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(WAIT_STEP_S * 1000)}")
        while True:
            changes = conn.total_changes
            try:
                return fn(db, *args, **kwargs)
            except StoreUnavailable as exc:
                locked = isinstance(exc.__cause__, sqlite3.OperationalError) and (
                    "locked" in str(exc.__cause__) or "busy" in str(exc.__cause__)
                )
                waited = time.monotonic() - began
                if not locked or conn.total_changes != changes or waited >= BUSY_TIMEOUT_S:
                    raise
                if not on_wait(waited):
                    raise StoreUnavailable(
                        "the database stayed locked by another process: nothing was changed"
                    ) from None
    finally:
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        finally:
            release = getattr(db, "release", None)
            if release is not None:
                release()
