"""``crm db upgrade|status``."""

from __future__ import annotations

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON

db_app = typer.Typer(help="The database: schema status and upgrades.", no_args_is_help=True)


@db_app.command("status")
def status_cmd(as_json: bool = JSON) -> None:
    """Show the database URL and whether its schema is current."""
    from tinycrm.store import migrate
    from tinycrm.store.database import Database, redact, resolve_url

    db = Database(resolve_url(state.url()), create=False)
    info = {"url": redact(db.url), **migrate.status(db)}
    render.emit(
        info,
        as_json,
        lambda: render.record(
            [
                ("database", info["url"]),
                ("schema", info["current"] or "(empty)"),
                ("newest", info["head"]),
                ("up to date", "yes" if info["up_to_date"] else "no"),
            ]
        ),
    )


@db_app.command("upgrade")
def upgrade_cmd() -> None:
    """Create or upgrade the schema (opening the database does this too)."""
    from tinycrm.store import migrate
    from tinycrm.store.database import Database, resolve_url

    db = Database(resolve_url(state.url()))
    before = migrate.current_revision(db)
    migrate.ensure_current(db)
    after = migrate.current_revision(db)
    render.note(
        f"schema {before or '(empty)'} -> {after}" if before != after else f"schema {after} is current"
    )


@db_app.command("reindex")
def reindex_cmd() -> None:
    """Rebuild the search index from the data."""
    from tinycrm.services import maintenance

    n = maintenance.reindex(state.db())
    render.note(f"indexed {n} contacts")


@db_app.command("copy")
def copy_cmd(
    to: str = typer.Option(
        ...,
        "--to",
        metavar="URL",
        help="An empty database: postgresql+psycopg://USER@HOST/DB or sqlite:///PATH.",
    ),
    as_json: bool = JSON,
) -> None:
    """Copy this whole database into an empty one (SQLite <-> PostgreSQL), verified table by table."""
    import sys

    from tinycrm.services.interchange import dbcopy
    from tinycrm.store.database import open_db

    source = state.db()
    target = open_db(to)
    talk = sys.stderr.isatty()
    try:
        report = dbcopy.copy(source, target, progress=lambda t, n: talk and render.note(f"  {t}: {n} rows"))
    finally:
        target.close()

    def human() -> None:
        render.table(
            ((t.table, t.rows, t.checksum[:16]) for t in report.tables if t.rows),
            ["table", "rows", "checksum"],
            styles=["bold", None, "dim"],
        )
        render.note(
            f"copied {report.rows} rows to {report.target} in {report.seconds:.1f} s; every table's "
            f"count and checksum match; search index rebuilt ({report.indexed} contacts)"
        )

    render.emit(report, as_json, human)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
