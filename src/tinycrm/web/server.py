"""The web server of ``crm serve``: one aiohttp application.

:func:`make_app` builds it (the tests use it too); :func:`serve` runs it until interrupted. Every request passes,
in order: the trusted-proxy headers (:mod:`tinycrm.web.proxy`), the Host and Origin checks
(:mod:`tinycrm.web.guard`), the session, CSRF token and sign-in (:mod:`tinycrm.web.auth`), then the route:

    /               the web app (:mod:`tinycrm.web.pages`, :mod:`tinycrm.web.pages_sales`), phones first
    /signin         sign in (no session needed); /signout
    /static/        the app's CSS, script and icons; /manifest.webmanifest
    /healthz        "ok", for a proxy or a supervisor (no sign-in)
    /tui            the full-screen app (:mod:`tinycrm.web.tui`), signed-in users only
    /api/v1/        the JSON API: ``tinycrm.web.api.setup(app, context)`` when that module exists
    /f/             web forms: ``tinycrm.web.forms.setup(app, context)`` when it exists
    /portal/        the customer portal: ``tinycrm.web.portal.setup(app, context)`` when it exists

The ``context`` handed to those ``setup`` functions is a :class:`tinycrm.web.context.Context`: ``await
context.call(fn, *args, as_user=name)`` runs a service in the server's thread pool. Their paths skip the
browser sign-in and CSRF checks (they check tokens, keys or signed links of their own); Host checks and
security headers still apply.
"""

from __future__ import annotations

import asyncio
import errno
import importlib
import importlib.util
import logging
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from tinycrm.domain.errors import Refused
from tinycrm.web import auth, generation, guard, pages, proxy
from tinycrm.web.auth import new_token, read_token_file
from tinycrm.web.context import CONTEXT, Context, open_web_db
from tinycrm.web.settings import ServeOptions

__all__ = ["ServeOptions", "Started", "make_app", "new_token", "read_token_file", "serve"]

log = logging.getLogger("tinycrm.web")

#: the parts of the server other modules add, when they are there: module -> the path it serves
MOUNTS = {
    "tinycrm.web.api": "/api/v1/",
    "tinycrm.web.forms": "/f/",
    "tinycrm.web.portal": "/portal/",
    "tinycrm.web.unsubscribe": "/unsubscribe/",
}


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


def make_app(options: ServeOptions, context: Context | None = None) -> web.Application:
    from tinycrm import config
    from tinycrm.config.web import Web, networks
    from tinycrm.paths import data_dir
    from tinycrm.web.tui import TUI_PATH, TuiMount

    settings = config.get(Web)
    if context is None:
        context = Context(open_web_db(options.db_url), workers=settings.workers)
    app = web.Application(
        middlewares=[proxy.forwarded, guard.check_host_and_origin, auth.sessions, pages.errors],
        client_max_size=1024**2,
    )
    app[guard.OPTIONS] = options
    app[CONTEXT] = context
    app[proxy.TRUSTED] = networks(settings.trusted_proxies)
    secure = options.exposed or (options.public is not None and options.public.scheme == "https")
    app[auth.GATE] = auth.Gate(
        auth.secret_key(data_dir()), options.token, secure=secure, max_age_days=settings.session_days
    )
    app[auth.HOME] = "/"
    app[auth.RECENT] = {}
    app[generation.WATCH] = generation.Watch(app[auth.RECENT])
    app.on_response_prepare.append(guard.secure_headers)
    app.on_cleanup.append(context.close)
    app.router.add_get(auth.HEALTH_PATH, healthz, name="healthz")
    pages.add_routes(app)
    environment = {"TINYCRM_DB": options.db_url} if options.db_url else {}
    TuiMount(environment=environment, max_sessions=options.max_sessions).add_to(app)
    assert TUI_PATH == "/tui"
    for module_name, path in MOUNTS.items():
        if importlib.util.find_spec(module_name) is not None:
            importlib.import_module(module_name).setup(app, context)
            log.debug("mounted %s at %s", module_name, path)
    return app


def check_can_start(options: ServeOptions, context: Context) -> None:
    """A server reachable from other machines needs a way in other than the token: a user with a password."""
    from tinycrm.services.team import accounts
    from tinycrm.store import pool

    if options.exposed and not pool.call(context.db, accounts.has_password):
        raise Refused(
            "--public: no user has a password yet, so nobody could sign in; "
            "set one first: crm user password NAME"
        )


@dataclass(frozen=True)
class Started:
    """What a person needs to know once the server listens."""

    url: str  # where to open it (with the token when the person has no other way to know it)
    listening: str  # the bound address and port


def serve(
    options: ServeOptions, *, show_token: bool, on_start: Callable[[Started], None], processes: int = 1
) -> None:
    """Run the server until SIGINT or SIGTERM. ``on_start`` is called once it listens; the address it is
    given carries the token only when ``show_token`` (a token of this run, which nobody could know
    otherwise). ``processes`` above 1: that many server processes share the port (:mod:`tinycrm.web.processes`)."""
    from tinycrm import config
    from tinycrm.config.web import Web

    context = Context(open_web_db(options.db_url), workers=config.get(Web).workers)
    try:
        check_can_start(options, context)
    except BaseException:
        asyncio.run(context.close())
        raise
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    # textual-serve's own logger says what went wrong in an app process; its access lines are ours
    logging.getLogger("aiohttp.access").setLevel(logging.INFO)
    if processes == 1:
        asyncio.run(_run(options, context, show_token=show_token, on_start=on_start))
        return
    from tinycrm.paths import data_dir
    from tinycrm.web import processes as several

    auth.secret_key(data_dir())  # made once here, before the server processes read it
    # each server process opens its own connections: none may be shared across the fork
    context.executor.shutdown(wait=True)
    context.db.close()
    several.serve(options, processes, lambda: on_start(_started(options, show_token)))


def _started(options: ServeOptions, show_token: bool) -> Started:
    url = options.shown_url() + "/"
    if show_token:
        url += f"?token={options.token}"
    return Started(url=url, listening=f"{options.host} port {options.port}")


async def serve_sockets(options: ServeOptions, socks: list[socket.socket]) -> None:
    """One of several server processes: serve on the sockets the parent bound until SIGINT or SIGTERM."""
    from tinycrm import config
    from tinycrm.config.web import Web
    from tinycrm.web.processes import shared_site

    context = Context(open_web_db(options.db_url), workers=config.get(Web).workers)
    runner = web.AppRunner(
        make_app(options, context),
        access_log_class=guard.AccessLogger,
        handle_signals=False,
        shutdown_timeout=10,
    )
    await runner.setup()
    for sock in socks:
        await shared_site(runner, sock).start()
    await _until_signal(runner)


async def _run(
    options: ServeOptions, context: Context, *, show_token: bool, on_start: Callable[[Started], None]
) -> None:
    runner = web.AppRunner(
        make_app(options, context), access_log_class=guard.AccessLogger, handle_signals=False
    )
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
    await _until_signal(runner, lambda: on_start(_started(options, show_token)))


async def _until_signal(runner: web.AppRunner, started: Callable[[], None] | None = None) -> None:
    """Serve until SIGINT or SIGTERM (``started`` called once the handlers are in place), then clean up."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if started is not None:
        started()
    try:
        await stop.wait()
    finally:
        log.info("stopping: closing the app sessions")
        await runner.cleanup()
