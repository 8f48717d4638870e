"""Sign-ins that end promptly: the server remembers good sessions and API tokens for a while (so that a request
does not look them up every time), and forgets them all as soon as the accounts' generation changes.

The generation (:func:`tinycrm.services.team.accounts.generation`) changes with every new password, revoked or
new token, user switched off or given another role, by this server or by any command. It is read at most once
every :data:`EVERY` seconds, whatever the traffic: a revoked token or a changed password stops working within
that, in every browser and program already signed in.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

#: how often the generation is read (seconds)
EVERY = 1.0


class Watch:
    """The last generation seen, and the caches to empty when it changes."""

    def __init__(self, *caches: dict[Any, Any]) -> None:
        self.caches = list(caches)
        self.seen: int | None = None
        self.checked = float("-inf")
        self._lock = asyncio.Lock()

    async def check(self, context: Any) -> None:
        if time.monotonic() - self.checked < EVERY:
            return
        from tinycrm.services.team import accounts

        async with self._lock:
            if time.monotonic() - self.checked < EVERY:
                return
            value = await context.call(accounts.generation)
            self.checked = time.monotonic()
            if value != self.seen:
                for cache in self.caches:
                    cache.clear()
                self.seen = value


WATCH: web.AppKey[Watch] = web.AppKey("tinycrm.web.generation", Watch)


async def check(request: web.Request) -> None:
    """Empty the remembered sessions and tokens if the accounts changed since the last look."""
    from tinycrm.web.context import CONTEXT

    watch = request.app.get(WATCH)
    if watch is not None:
        await watch.check(request.app[CONTEXT])
