"""A real HTTP receiver of webhooks for the tests: an aiohttp server on a free loopback port, in a thread of
its own, that answers 500 to its first ``fail_first`` requests (then 204), verifies each signature and keeps
what it got."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tinycrm.services.hooks import signing


@dataclass
class Received:
    msg_id: str
    timestamp: str
    signature: str
    body: bytes
    accepted: bool

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str = ""
    fail_first: int = 0
    got: list[Received] = field(default_factory=list)
    bad_signatures: int = 0
    url: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._started.wait(30), "the receiver did not start"

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hook"
        self._started.set()
        self._loop.run_forever()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        h = request.headers
        with self._lock:
            if self.secret and not signing.verify(
                self.secret, h["webhook-id"], h["webhook-timestamp"], body, h["webhook-signature"]
            ):
                self.bad_signatures += 1
            accepted = len(self.got) >= self.fail_first
            self.got.append(
                Received(h["webhook-id"], h["webhook-timestamp"], h["webhook-signature"], body, accepted)
            )
        return web.Response(status=204 if accepted else 500)

    def accepted(self) -> list[Received]:
        """What was accepted, once per ``webhook-id`` (as a receiver de-duplicates), in arrival order."""
        seen: set[str] = set()
        out = []
        with self._lock:
            for r in self.got:
                if r.accepted and r.msg_id not in seen:
                    seen.add(r.msg_id)
                    out.append(r)
        return out

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
