"""``crm db upgrade|status``."""

from __future__ import annotations

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON

db_app = typer.Typer(help="The database: schema status and upgrades.", no_args_is_help=True)


@db_app.command("status")
def status_cmd(as_json: bool = JSON) -> None:
    """Show the database URL and whether its schema is current."""
    from tinycrm import migrate
    from tinycrm.db import Database, redact, resolve_url

    db = Database(resolve_url(state.url()))
    info = {"url": redact(db.url), **migrate.status(db)}
    render.emit(
        info,
        as_json,
        lambda: render.record([("database", info["url"]), ("schema", info["current"] or "(empty)"),
                               ("newest", info["head"]), ("up to date", "yes" if info["up_to_date"] else "no")]),
    )  # fmt: skip


@db_app.command("upgrade")
def upgrade_cmd() -> None:
    """Create or upgrade the schema (opening the database does this too)."""
    from tinycrm import migrate
    from tinycrm.db import Database, resolve_url

    db = Database(resolve_url(state.url()))
    before = migrate.current_revision(db)
    migrate.ensure_current(db)
    after = migrate.current_revision(db)
    render.note(f"schema {before or '(empty)'} -> {after}" if before != after else f"schema {after} is current")


@db_app.command("reindex")
def reindex_cmd() -> None:
    """Rebuild the search index from the data."""
    from tinycrm.services import maintenance

    n = maintenance.reindex(state.db())
    render.note(f"indexed {n} contacts")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
