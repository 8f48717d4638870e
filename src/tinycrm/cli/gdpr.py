"""``crm contact export-personal`` and ``crm contact erase``: a person's rights over their data (added to the
``contact`` group)."""

from __future__ import annotations

import typer

from tinycrm.cli import render, state
from tinycrm.cli.common import confirm, contact_id
from tinycrm.cli.contacts import contact_app


@contact_app.command("export-personal")
def export_personal_cmd(contact: str = typer.Argument(..., help="Id, email or name.")) -> None:
    """Everything held about a person, as JSON (a subject access request)."""
    from tinycrm.services.marketing import gdpr

    render.print_json(gdpr.export_personal(state.db(), contact_id(contact)))


@contact_app.command("erase")
def erase_cmd(
    contact: str = typer.Argument(..., help="Id, email or name."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Erase a person and their personal data for good; their addresses stay suppressed (never mailed)."""
    from tinycrm.services.marketing import gdpr

    cid = contact_id(contact)
    confirm(f"Erase contact {cid} and everything about them, for good?", yes)
    done = gdpr.erase(state.db(), cid)
    render.emit(
        done,
        as_json,
        lambda: render.note(
            f"erased contact {cid}: {done['interactions_removed']} interactions removed, "
            f"{done['addresses_suppressed']} addresses kept on the suppression list"
        ),
    )
