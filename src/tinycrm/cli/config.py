"""``crm config show|check|path``: the effective settings and where each came from, a check of the config
file, and where the file is."""

from __future__ import annotations

import os
from typing import Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON

config_app = typer.Typer(
    help="The settings: the config file, TINYCRM_* variables, defaults.", no_args_is_help=True
)


def _rows() -> list[dict[str, Any]]:
    from tinycrm import config
    from tinycrm.store.database import redact

    settings = config.load()
    rows = []
    for s in settings.sources:
        row = {
            "section": s.section,
            "key": s.key,
            "value": s.value,
            "source": s.origin,
            "line": settings.line(s),
            "variable": s.variable,
        }
        if (s.section, s.key) == ("", "db"):
            option = state.url()
            if option and option != os.environ.get("TINYCRM_DB"):
                row.update(value=option, source="option", line=None, variable=None)
            if not row["value"]:
                from tinycrm import paths

                row["value"] = paths.sqlite_url(paths.default_db_path())
            row["value"] = redact(row["value"])  # a password in a URL is never shown
        rows.append(row)
    return rows


def _source(row: dict[str, Any]) -> str:
    if row["source"] == "file":
        return f"file:{row['line']}" if row["line"] else "file"
    if row["source"] == "environment":
        return f"env {row['variable']}"
    if row["source"] == "option":
        return "option --db"
    return "default"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


@config_app.command("show")
def show_cmd(as_json: bool = JSON) -> None:
    """Every setting in effect, and where it came from: default, file (with the line), environment.
    Passwords are never settings: [smtp] password_env shows the name of the variable only."""
    from tinycrm import config

    rows = _rows()
    if as_json:
        render.print_json(rows)
        return
    settings = config.load()
    if render.is_tty():
        where = "" if settings.exists else " (no such file: the defaults apply)"
        render.note(f"config file: {settings.path}{where}")
    table: list[tuple[str, ...]] = [
        (f"{r['section']}.{r['key']}" if r["section"] else r["key"], _value(r["value"]), _source(r))
        for r in rows
    ]
    if render.is_tty():
        from rich.markup import escape

        table = [tuple(escape(cell) for cell in row) for row in table]
    render.table(table, ["setting", "value", "source"])


@config_app.command("check")
def check_cmd() -> None:
    """Check the config file and the TINYCRM_* variables: exit 0 when every setting is good, else 2 with
    the file, the line and what is allowed."""
    from tinycrm import config

    settings = config.load()
    if settings.exists:
        render.out(f"{settings.path}: ok")
    else:
        render.out(f"{settings.path}: no such file; the defaults apply")


@config_app.command("path")
def path_cmd(as_json: bool = JSON) -> None:
    """Where the config file is (or would be): config.toml in the config directory, or in TINYCRM_HOME."""
    from tinycrm import paths

    path = paths.config_file()
    if as_json:
        render.print_json({"path": str(path), "exists": path.is_file()})
        return
    render.out(str(path))
    if render.is_tty() and not path.exists():
        render.note("(no file there yet: the defaults apply)")


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
