"""``crm demo``: try tinycrm on a demo database, never on your own."""

from __future__ import annotations

import typer

from tinycrm.cli import render, state


def demo_cmd(
    fresh: bool = typer.Option(False, "--fresh", help="Build the demo database again from scratch."),
    size: int = typer.Option(300, "--contacts", min=1, max=100_000, help="How many demo contacts."),
) -> None:
    """Build a demo database (a few hundred contacts, companies, interactions) and show it."""
    from tinycrm import paths
    from tinycrm.services import demo
    from tinycrm.store.database import open_db

    path = paths.demo_db_path()
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            p = path.with_name(path.name + suffix)
            if p.exists():
                p.unlink()
    url = paths.sqlite_url(path)
    db = open_db(url)
    from tinycrm.services.status import status

    if status(db).contacts == 0:
        counts = demo.populate(db, contacts_n=size)
        counts.update(demo.populate_desk(db))
        built = status(db)  # the tickets and leads add interactions of their own: count what is there
        render.note(
            f"built the demo database {path}: {built.contacts} contacts, {built.interactions} interactions, "
            f"{counts.get('deals', 0)} deals, {counts.get('tasks', 0)} tasks, {counts.get('tickets', 0)} "
            f"tickets, {counts.get('leads', 0)} leads"
        )
    state.set_url(url)
    state._db = db  # noqa: SLF001 - reuse the open database
    from tinycrm.cli.tui import on_terminal

    if on_terminal():
        from tinycrm.cli.tui import open_app

        raise typer.Exit(open_app(url))
    show_demo()


def show_demo() -> None:
    from tinycrm import paths
    from tinycrm.cli.contacts import summary_table
    from tinycrm.cli.status import show_status
    from tinycrm.services.people import companies, contacts

    db = state.db()
    show_status()
    render.out("\nContacts (first 10):")
    summary_table(contacts.list_contacts(db, limit=10).items)
    render.out("\nSearch 'tag:vip' (first 5):")
    summary_table(contacts.search(db, "tag:vip", limit=5).items)
    render.out("\nCompanies (first 5):")
    page = companies.list_companies(db, limit=5)
    render.table(
        ((c.id, c.name, c.domain or "", c.contacts) for c in page.items), ["id", "name", "domain", "people"]
    )
    from tinycrm.cli.pipelines import show_board
    from tinycrm.services.sales import pipelines

    render.out("\nPipeline (stage, open deals, currency, total, weighted):")
    show_board(pipelines.board(db), 3)
    import shlex

    render.out(f"\nThe demo database: {db.path}")
    render.out(f"Try: crm --db {shlex.quote(paths.sqlite_url(db.path))} search ada")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)
