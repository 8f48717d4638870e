"""``crm tui`` (also ``crm`` alone on a terminal) and ``crm serve``: the full-screen app, in a terminal or a
browser. Textual is imported only inside these commands."""

from __future__ import annotations

import sys

import typer

from tinycrm.cli import render, state

AREAS = ("contacts", "companies", "pipeline", "agenda", "dashboard")
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


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
        "127.0.0.1", "--host", help="Address to listen on (default: this machine only)."
    ),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    public_url: str = typer.Option(
        None, "--public-url", metavar="URL", help="The URL browsers use, when behind a proxy."
    ),
) -> None:
    """Serve the full-screen app to a web browser (through textual-serve)."""
    import shlex

    from textual_serve.server import Server

    # each browser session runs its own app process on the same database
    command = [sys.executable, "-m", "tinycrm"]
    if state.url():
        command += ["--db", state.url()]
    command.append("tui")
    if host not in LOOPBACK:
        render.note(
            f"warning: listening on {host}: anyone who can reach port {port} can read and change "
            "this database; there is no login"
        )
    server = Server(
        " ".join(shlex.quote(c) for c in command),
        host=host,
        port=port,
        title="tinycrm",
        public_url=public_url,
    )
    server.serve()


def register(app: typer.Typer) -> None:
    app.command("tui")(tui_cmd)
    app.command("serve")(serve_cmd)
