"""The web server of ``crm serve``: one aiohttp application.

:func:`make_app` builds it (the tests use it too); :func:`serve` runs it until interrupted. The order of the
checks, for every request: the Host and Origin checks (:mod:`tinycrm.web.guard`), then sign-in
(:mod:`tinycrm.web.auth`), then the route. Routes today:

    /healthz        "ok", for a proxy or a supervisor (no sign-in)
    /signin         the sign-in page (no sign-in, of course)
    TUI_PATH        the full-screen app (:mod:`tinycrm.web.tui`): its page, ws, static/ and assets/
"""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from tinycrm.domain.errors import Refused
from tinycrm.web import auth, guard
from tinycrm.web.auth import new_token, read_token_file
from tinycrm.web.settings import ServeOptions

__all__ = ["ServeOptions", "Started", "make_app", "new_token", "read_token_file", "serve"]

log = logging.getLogger("tinycrm.web")


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


def make_app(options: ServeOptions) -> web.Application:
    from tinycrm.web.tui import TUI_PATH, TuiMount

    app = web.Application(middlewares=[guard.check_host_and_origin, auth.require_sign_in])
    app[guard.OPTIONS] = options
    secure = options.public is not None and options.public.scheme == "https"
    app[auth.GATE] = auth.Gate(options.token, secure=secure)
    app[auth.HOME] = TUI_PATH
    app.on_response_prepare.append(guard.secure_headers)
    app.router.add_get(auth.HEALTH_PATH, healthz, name="healthz")
    auth.add_routes(app)
    environment = {"TINYCRM_DB": options.db_url} if options.db_url else {}
    TuiMount(environment=environment, max_sessions=options.max_sessions).add_to(app)
    return app


@dataclass(frozen=True)
class Started:
    """What a person needs to know once the server listens."""

    url: str  # where to open it (with the token when the person has no other way to know it)
    listening: str  # the bound address and port


def serve(options: ServeOptions, *, show_token: bool, on_start: Callable[[Started], None]) -> None:
    """Run the server until SIGINT or SIGTERM. ``on_start`` is called once it listens; the address it is
    given carries the token only when ``show_token`` (a token of this run, which nobody could know
    otherwise)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    # textual-serve's own logger says what went wrong in an app process; its access lines are ours
    logging.getLogger("aiohttp.access").setLevel(logging.INFO)
    asyncio.run(_run(options, show_token=show_token, on_start=on_start))


async def _run(options: ServeOptions, *, show_token: bool, on_start: Callable[[Started], None]) -> None:
    from tinycrm.web.tui import TUI_PATH

    runner = web.AppRunner(make_app(options), access_log_class=guard.AccessLogger, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, options.host, options.port, shutdown_timeout=10)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        why = "the port is in use" if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc)
        raise Refused(
            f"cannot listen on {options.host} port {options.port}: {why}; choose another --port or --host"
        ) from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    url = options.shown_url() + TUI_PATH
    if show_token:
        url += f"?token={options.token}"
    on_start(Started(url=url, listening=f"{options.host} port {options.port}"))
    try:
        await stop.wait()
    finally:
        log.info("stopping: closing the app sessions")
        await runner.cleanup()
