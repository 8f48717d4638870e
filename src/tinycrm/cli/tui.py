"""``crm tui`` (also ``crm`` alone on a terminal) and ``crm serve``: the full-screen app, in a terminal or a
browser. Textual is imported only inside these commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from tinycrm.cli import render, state

AREAS = ("contacts", "companies", "pipeline", "agenda", "dashboard")


def on_terminal() -> bool:
    """A person is at a terminal: standard input and output are both TTYs."""
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def open_app(url: str | None, *, start: str | None = None) -> int:
    """Run the app on the database at ``url`` (``None``: the user's) until it quits."""
    from tinycrm.tui.app import make_app

    app = make_app(url, start=start)
    app.run()
    return app.return_code or 0


def tui_cmd(
    start: str = typer.Option(
        None,
        "--start",
        metavar="AREA",
        help="The area to open: contacts, companies, pipeline, agenda or dashboard.",
    ),
) -> None:
    """Open the full-screen app (also what 'crm' alone does on a terminal)."""
    if start is not None and start not in AREAS:
        from tinycrm.domain.errors import InvalidInput

        raise InvalidInput(f"--start {start!r} is not one of: {', '.join(AREAS)}")
    code = open_app(state.url(), start=start)
    if code:
        raise typer.Exit(code)


def serve_cmd(
    host: str = typer.Option(
        "127.0.0.1",
        "--host",
        help="Address to listen on (default: this machine only; another one needs --public).",
    ),
    port: int = typer.Option(8484, "--port", min=1, max=65535, help="Port to listen on."),
    public: bool = typer.Option(
        False, "--public", help="Allow --host beyond this machine (needs a user with a password)."
    ),
    public_url: str = typer.Option(
        None,
        "--base-url",
        "--public-url",
        metavar="URL",
        help="The address browsers use (https://crm.example.com behind a TLS proxy).",
    ),
    token_file: Path = typer.Option(
        None,
        "--token-file",
        metavar="PATH",
        help="Read the access token from this file (mode 0600; made with a new token if missing) "
        "instead of a new one each start.",
    ),
    max_sessions: int = typer.Option(
        4, "--max-sessions", min=1, max=100, help="How many app sessions may run at once (per process)."
    ),
    processes: int = typer.Option(
        None,
        "--processes",
        metavar="N",
        help="Server processes sharing the port, to use several cores (Linux; default: [web] processes, 1).",
    ),
) -> None:
    """Run the web server: the web app, the full-screen app at /tui, and the API (sign-in required)."""
    from tinycrm.store.database import redact, resolve_url
    from tinycrm.web.server import ServeOptions, Started, new_token, read_token_file, serve

    count = _processes(processes)
    url = state.url()
    shown = redact(resolve_url(url))  # a URL no app could open is refused now, not in every browser tab
    if token_file is not None:
        token, made = read_token_file(token_file.expanduser())
    else:
        token, made = new_token(), False
    options = ServeOptions.make(
        host=host,
        port=port,
        token=token,
        public_url=public_url,
        max_sessions=max_sessions,
        db_url=url,
        exposed=public,
    )

    def started(info: Started) -> None:
        several = f" with {count} server processes" if count > 1 else ""
        render.note(f"serving {shown}, listening on {info.listening}{several}")
        each = " per process" if count > 1 else ""
        render.note(
            "sign in with a user's password (crm user password NAME) or the token below; "
            f"up to {options.max_sessions} full-screen app sessions at once{each}; ctrl+c stops"
        )
        if not options.loopback:
            render.note(
                f"warning: listening on {host}, reachable from other machines: the traffic is not encrypted; "
                "put a TLS reverse proxy in front and give --public-url (docs/web.md)"
            )
        if token_file is None:
            render.out(f"open {info.url}")
        else:
            render.out(f"open {info.url} and sign in with the token in {token_file}")
            if made:
                render.note(f"made a new token in {token_file} (mode 0600)")
        sys.stdout.flush()

    serve(options, show_token=token_file is None, on_start=started, processes=count)


def _processes(asked: int | None) -> int:
    """How many server processes: ``--processes``, else ``[web] processes``; 1 to 64."""
    from tinycrm import config
    from tinycrm.config.web import MAX_PROCESSES, Web
    from tinycrm.domain.errors import InvalidInput

    if asked is None:
        return int(config.get(Web).processes)
    if not 1 <= asked <= MAX_PROCESSES:
        raise InvalidInput(
            f"--processes {asked}: give a number from 1 to {MAX_PROCESSES} (one per core is plenty)"
        )
    if asked > 1 and not hasattr(os, "fork"):
        raise InvalidInput("--processes above 1 needs Linux (or another system with fork); leave it out here")
    return asked


def register(app: typer.Typer) -> None:
    app.command("tui")(tui_cmd)
    app.command("serve")(serve_cmd)
