"""``crm sync vdir|conflicts|resolve``: contacts both ways with a folder of vCards (docs/sync.md)."""

from __future__ import annotations

import typer

from tinycrm.cli import render, state
from tinycrm.cli.common import contact_id
from tinycrm.cli.options import JSON

sync_app = typer.Typer(help="Two-way sync with a vdir (a folder of .vcf files): phones, vdirsyncer, khard.")


@sync_app.command("vdir")
def vdir(
    folder: str = typer.Argument(..., metavar="DIR", help="The folder (created on the first run)."),
    tag: str | None = typer.Option(
        None, "--tag", "-t", help="Only contacts with this tag (new cards get it)."
    ),
    prefer: str | None = typer.Option(
        None,
        "--prefer",
        metavar="crm|file",
        help="Settle conflicts: keep tinycrm's contact or the folder's card.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would change; change nothing."),
    calendar: bool = typer.Option(
        False, "--calendar", help="Tasks instead of contacts: one .ics (VTODO) per task, both ways."
    ),
    as_json: bool = JSON,
) -> None:
    """Sync contacts with DIR both ways: edits on either side are carried over, conflicts are kept."""
    if calendar:
        return _tasks(folder, dry_run, tag, prefer, as_json)
    from tinycrm import config
    from tinycrm.config.sync import Sync
    from tinycrm.services.sync.vdir import sync_vdir

    on_delete = config.get(Sync).on_file_deleted
    report = sync_vdir(state.db(), folder, tag=tag, prefer=prefer, on_delete=on_delete, dry_run=dry_run)
    if as_json:
        render.print_json(report.as_json())
    else:
        for a in report.actions:
            if dry_run or a.action == "conflict":
                who = f"contact {a.contact_id}" if a.contact_id else "new contact"
                render.out(f"{a.action}\t{a.file}\t{who}")
        render.note(report.summary())
        if report.conflicts and not dry_run:
            render.note("conflicts: both sides changed; crm sync resolve CONTACT --use crm|file settles each")
    for p in report.problems:
        render.note(f"{p.file}: {p.message}")
    if report.problems:
        raise typer.Exit(1)


def _tasks(folder: str, dry_run: bool, tag: str | None, prefer: str | None, as_json: bool) -> None:
    from tinycrm.services.sync.calendar import sync_tasks

    if dry_run or tag or prefer:
        raise typer.BadParameter("--dry-run, --tag and --prefer are for contacts, not with --calendar")
    report = sync_tasks(state.db(), folder)
    if as_json:
        render.print_json(report.as_json())
    else:
        render.note(report.summary())
    for p in report.problems:
        render.note(f"{p.file}: {p.message}")
    if report.problems:
        raise typer.Exit(1)


@sync_app.command("conflicts")
def conflicts(as_json: bool = JSON) -> None:
    """Contacts whose card changed in a synced folder while they changed in tinycrm."""
    from tinycrm.services.sync.conflicts import list_conflicts

    found = list_conflicts(state.db())
    if as_json:
        render.print_json([c.as_json() for c in found])
        return
    render.table(
        [[c.contact_id, c.display_name, c.folder, c.file_name, c.found_at] for c in found],
        ["contact", "name", "folder", "file", "found"],
    )


@sync_app.command("resolve")
def resolve(
    contact: str = typer.Argument(..., help="The contact (id, email or name)."),
    use: str = typer.Option(
        ..., "--use", metavar="crm|file", help="Keep tinycrm's contact or the folder's card."
    ),
) -> None:
    """Settle a contact's sync conflict by keeping one side; the next sync carries it to the other."""
    from tinycrm.services.sync.conflicts import resolve as settle

    n = settle(state.db(), contact_id(contact), use)
    render.note(f"settled {n} conflict{'s' if n != 1 else ''}; run crm sync vdir to carry it over")


def register(app: typer.Typer) -> None:
    app.add_typer(sync_app, name="sync")
