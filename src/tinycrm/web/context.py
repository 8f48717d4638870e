"""What every handler of the web server shares: the database, the threads that call services, the settings.

Services block (sqlite3, psycopg), so a handler never calls one on the event loop: :meth:`Context.call` runs it
in a bounded thread pool (``[web] workers`` threads), on a :class:`WebDatabase` whose connections come from the
storage layer's pool (:mod:`tinycrm.store.pool`): at most one connection per worker thread, handed back after
every call. The call acts as the signed-in user: the audit log names them.

Other parts of the server (the API at ``/api/v1/``, forms at ``/f/``, the portal at ``/portal/``) get the
same context through ``setup(app, context)``; ``request.app[CONTEXT]`` finds it in a handler.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from aiohttp import web

from tinycrm.store import pool
from tinycrm.store.pool import PooledDatabase

T = TypeVar("T")


class WebDatabase(PooledDatabase):
    """A pooled database whose acting user is the one the current thread works for (see :meth:`Context.call`);
    outside a request, the configured user, as for any command."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._who = threading.local()
        self._default_actor: str | None = None

    @property
    def actor(self) -> str | None:  # read by tinycrm.services.common.actor
        return getattr(self._who, "name", None) or self._default_actor

    @actor.setter
    def actor(self, name: str | None) -> None:
        self._default_actor = name

    def acting_as(self, name: str | None) -> None:
        self._who.name = name

    def _connect(self) -> Any:
        conn = super()._connect()
        if self.is_sqlite:
            # a server's few pooled connections live long and read all over a large file: a bigger page cache
            # each, and the file mapped into memory (shared by them all, no copy per read)
            conn.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            conn.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
        return conn


#: per pooled SQLite connection: page cache (KiB) and memory-mapped bytes of the file
SQLITE_CACHE_KIB = 32 * 1024
SQLITE_MMAP_BYTES = 1024**3


def open_web_db(url: str | None) -> WebDatabase:
    from tinycrm.store import migrate
    from tinycrm.store.database import resolve_url

    db = WebDatabase(resolve_url(url))
    migrate.ensure_current(db)
    db.release()
    return db


@dataclass
class Context:
    """The database and the worker threads of one server."""

    db: WebDatabase
    workers: int = 3
    executor: ThreadPoolExecutor = field(init=False)

    def __post_init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="tinycrm-web")

    def _run(self, who: str | None, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        self.db.acting_as(who)
        try:
            return pool.call(self.db, fn, *args, **kwargs)
        finally:
            self.db.acting_as(None)

    async def call(self, fn: Callable[..., T], *args: Any, as_user: str | None = None, **kwargs: Any) -> T:
        """``fn(db, *args, **kwargs)`` in a worker thread, acting as ``as_user`` (None: the configured user)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, partial(self._run, as_user, fn, args, kwargs))

    async def close(self, _app: web.Application | None = None) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.db.close()


CONTEXT: web.AppKey[Context] = web.AppKey("tinycrm.web.context", Context)


async def call(request: web.Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(db, ...)`` for ``request``, acting as its signed-in user."""
    from tinycrm.web.auth import USER

    user = request.get(USER)
    return await request.app[CONTEXT].call(fn, *args, as_user=user.name if user else None, **kwargs)
