"""The ``crm import ...`` and ``crm export ...`` groups. Each format's module adds its commands to them."""

from __future__ import annotations

import typer

import_app = typer.Typer(help="Bring contacts in: vCard, CSV, JSON.", no_args_is_help=True)
export_app = typer.Typer(help="Take data out: vCard, CSV, JSON, iCalendar.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")
