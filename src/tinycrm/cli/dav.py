"""``crm dav serve|passwd|users|sync``: a CardDAV/CalDAV server for phones (Radicale over synced folders)."""

from __future__ import annotations

import sys

import typer

from tinycrm.cli import render, state

dav_app = typer.Typer(
    help="A CardDAV/CalDAV server for your phone: contacts and tasks, both ways (docs/sync.md)."
)


@dav_app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="The address to listen on (loopback by default)."),
    port: int = typer.Option(5232, "--port", min=1, max=65535),
    public: bool = typer.Option(
        False, "--public", help="Allow an address other machines reach (use TLS in front)."
    ),
    interval: float = typer.Option(
        60.0, "--interval", min=1.0, help="Seconds between syncs of tinycrm's changes."
    ),
) -> None:
    """Serve every DAV user's address book and task list until stopped (Ctrl-C)."""
    from tinycrm.services.sync import dav

    def ready(url: str, users: list[str]) -> None:
        render.note(f"CardDAV/CalDAV at {url} for {', '.join(users)}; Ctrl-C stops")
        render.note(f"address book: {url}USER/contacts/  tasks: {url}USER/tasks/")

    code = dav.serve(
        state.db(), host, port, public=public, interval=interval, on_ready=ready, on_problem=render.note
    )
    raise typer.Exit(code)


def _read_password() -> str:
    import getpass

    if sys.stdin.isatty():
        first = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != first:
            raise typer.BadParameter("the two passwords differ; nothing was changed")
        return first
    return sys.stdin.readline().rstrip("\r\n")


@dav_app.command("passwd")
def passwd(
    user: str = typer.Argument(..., help="The user name a phone signs in with."),
    delete: bool = typer.Option(False, "--delete", help="Remove the user."),
) -> None:
    """Add a DAV user or change their password (asked twice on a terminal, else one line on stdin)."""
    from tinycrm.services.sync import dav

    if delete:
        dav.remove_user(user)
        render.note(f"removed {user}")
        return
    dav.set_password(user, _read_password())
    render.note(f"password set for {user}")


@dav_app.command("users")
def users(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Who may sign in: tinycrm's users with a password, and those of crm dav passwd."""
    from tinycrm.services.sync import dav

    names = dav.served_users(state.db(), write=False)
    if as_json:
        render.print_json(names)
    else:
        for name in names:
            render.out(name)


@dav_app.command("sync")
def sync(
    user: str = typer.Argument(..., help="Whose address book and task list."),
    locked: bool = typer.Option(False, "--locked", hidden=True, help="The server holds its storage lock."),
) -> None:
    """Sync one user's address book and task list now (the server does this after each change)."""
    from tinycrm.services.sync import dav

    p = dav.dav_paths()
    if locked:
        problems = dav.sync_user(state.db(), user, p)
    else:
        with dav.storage_lock(p):
            problems = dav.sync_user(state.db(), user, p)
    for problem in problems:
        render.note(problem)
    if problems:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(dav_app, name="dav")
