"""The full-screen app in a browser, on textual-serve's machinery.

textual-serve's :class:`~textual_serve.app_service.AppService` runs one app process per browser session and
relays its terminal over a websocket; its ``textual.js`` draws it (xterm.js). This module mounts that at
:data:`TUI_PATH` of the server with what a server reachable by others needs: a cap on the sessions running at
once, terminal sizes kept within bounds, the database URL handed to each app process through its environment
(never its command line, which every local user can read with ``ps``), and a page that loads nothing from
another site and runs no inline script. Files an app hands to the browser are served by
:mod:`tinycrm.web.tui_downloads`, to the browser session whose app made them only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import textual_serve
from aiohttp import WSCloseCode, WSMsgType, web
from textual_serve.app_service import AppService

from tinycrm.web.guard import request_origin
from tinycrm.web.settings import HEIGHT_RANGE, WIDTH_RANGE, clamp
from tinycrm.web.tui_downloads import Deliveries, session_owner

#: where the app is served; every other path of the mount hangs below it (``ws``, ``static/``, ``assets/``)
TUI_PATH = "/tui"
#: the largest message a browser may send on the websocket (typed or pasted text, a resize)
MAX_MESSAGE = 1024 * 1024
#: how long a closing app may take to quit before it is killed
STOP_TIMEOUT = 5.0

HERE = Path(__file__).parent
TEXTUAL_STATIC = Path(textual_serve.__file__).parent / "static"

log = logging.getLogger("tinycrm.web")


def under(path: str) -> str:
    """``path`` below the mount point: ``under("ws")`` is ``/ws`` at ``/``, ``/tui/ws`` at ``/tui``."""
    return TUI_PATH.rstrip("/") + "/" + path


def app_command() -> list[str]:
    """The app process each session runs: this Python, tinycrm's full-screen app."""
    return [sys.executable, "-m", "tinycrm", "tui"]


class TuiAppService(AppService):
    """One app process: textual-serve's, with the terminal size bounded and the environment we give it."""

    def __init__(
        self, command: str, *, environment: Mapping[str, str], owner: str = "", **kwargs: Any
    ) -> None:
        super().__init__(command, **kwargs)
        self.extra_environment = dict(environment)
        #: the browser session this app runs for (``session_owner``): only it may fetch the app's downloads
        self.owner = owner

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        env = super()._build_environment(width=width, height=height)
        env.update(self.extra_environment)
        return env

    async def start(self, width: int, height: int) -> None:
        await super().start(clamp(width, WIDTH_RANGE, 80), clamp(height, HEIGHT_RANGE, 24))

    async def set_terminal_size(self, width: Any, height: Any) -> None:
        await super().set_terminal_size(clamp(width, WIDTH_RANGE, 80), clamp(height, HEIGHT_RANGE, 24))

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def close(self) -> None:
        """Ask the app to quit; kill it if it has not within :data:`STOP_TIMEOUT` seconds."""
        try:
            await asyncio.wait_for(self.stop(), STOP_TIMEOUT)
        except (TimeoutError, ConnectionError):
            pass
        process = self._process
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()


class TuiMount:
    """The routes of the full-screen app, and the sessions running."""

    def __init__(self, *, environment: Mapping[str, str], max_sessions: int, title: str = "tinycrm") -> None:
        self.command = shlex.join(app_command())
        self.environment = dict(environment)
        self.max_sessions = max_sessions
        self.title = title
        self.sessions: dict[web.WebSocketResponse, TuiAppService | None] = {}
        self.deliveries = Deliveries(self.sessions, under)
        self.downloads = self.deliveries.manager
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True
        )

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(TUI_PATH, self.page, name="tui")
        app.router.add_get(under("ws"), self.websocket, name="tui-websocket")
        app.router.add_static(under("static"), TEXTUAL_STATIC, name="tui-static")
        app.router.add_static(under("assets"), HERE / "static", name="tui-assets")
        self.deliveries.add_to(app)
        app.on_shutdown.append(self.close_all)
        app[TUI_MOUNT] = self

    def full(self) -> bool:
        return len(self.sessions) >= self.max_sessions

    def too_many(self) -> web.Response:
        return web.Response(
            status=503,
            text=f"{len(self.sessions)} sessions are open, the most this server runs at once: close one "
            "(or start crm serve with a larger --max-sessions) and try again\n",
            headers={"Retry-After": "30"},
        )

    async def page(self, request: web.Request) -> web.StreamResponse:
        if self.full():
            return self.too_many()
        origin = request_origin(request)
        assert origin is not None  # the Host was checked before any handler runs
        websocket = ("wss" if origin.scheme == "https" else "ws") + origin.url[len(origin.scheme) :]
        body = self.templates.get_template("tui.html").render(
            title=self.title,
            websocket_url=websocket + under("ws"),
            textual_static=under("static/"),
            assets=under("assets/"),
            font_size=clamp(request.query.get("fontsize", "16"), (6, 64), 16),
        )
        response = web.Response(text=body, content_type="text/html")
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self'; "
            f"img-src 'self' data:; connect-src 'self' {websocket}; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'self'"
        )
        return response

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        if self.full():
            return self.too_many()
        ws = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE)
        self.sessions[ws] = (
            None  # counted before the first await: the cap holds for requests arriving together
        )
        service: TuiAppService | None = None
        try:
            await ws.prepare(request)
            await ws.send_json(["instance_id", self.deliveries.instance])  # textual.js names us in downloads
            service = TuiAppService(
                self.command,
                environment=self.environment,
                write_bytes=ws.send_bytes,
                write_str=ws.send_str,
                close=ws.close,
                download_manager=self.downloads,
                owner=session_owner(request),
            )
            self.sessions[ws] = service
            await service.start(
                clamp(request.query.get("width"), WIDTH_RANGE, 80),
                clamp(request.query.get("height"), HEIGHT_RANGE, 24),
            )
            log.info("app session started (process %s; %d open)", service.pid, len(self.sessions))
            await relay(ws, service)
        except Exception:  # a broken session must not take the server with it
            log.exception("app session failed")
        finally:
            if service is not None:
                await service.close()
                self.deliveries.ended(service)
            self.sessions.pop(ws, None)
            log.info("app session ended (%d open)", len(self.sessions))
        return ws

    async def close_all(self, app: web.Application) -> None:
        for ws in list(self.sessions):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")


#: the mount in its application (the tests run other apps under it)
TUI_MOUNT = web.AppKey("tui_mount", TuiMount)


async def relay(ws: web.WebSocketResponse, service: TuiAppService) -> None:
    """Pass what the browser sends to the app: keystrokes, size changes, focus; answer pings. Anything else
    (not JSON, an unknown kind, a wrong shape) is ignored."""
    async for message in ws:
        if message.type != WSMsgType.TEXT:
            continue
        try:
            envelope = json.loads(message.data)
        except ValueError:
            continue
        if not isinstance(envelope, list) or not envelope:
            continue
        kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
        if kind == "stdin" and isinstance(data, str):
            await service.send_bytes(data.encode("utf-8"))
        elif kind == "resize" and isinstance(data, dict):
            await service.set_terminal_size(data.get("width"), data.get("height"))
        elif kind == "ping":
            await ws.send_json(["pong", data])
        elif kind == "blur":
            await service.blur()
        elif kind == "focus":
            await service.focus()
