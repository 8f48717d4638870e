"""The customer portal on the command line: ``crm portal link CONTACT`` and ``crm portal revoke CONTACT|--all``
(docs/web.md)."""

from __future__ import annotations

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON

portal_app = typer.Typer(
    help="The customer portal: a contact's signed link, and withdrawing links.", no_args_is_help=True
)


@portal_app.command("link")
def link_cmd(
    contact: str = typer.Argument(..., help="The customer (id, email or name)."),
    base_url: str = typer.Option(
        None, "--base-url", help="Where crm serve is reached; default: [web] base_url in the config."
    ),
    as_json: bool = JSON,
) -> None:
    """Print a portal link for a customer (their tickets, to read, answer or close), to send by hand."""
    from tinycrm import config
    from tinycrm.cli.common import contact_id
    from tinycrm.config.portal import Portal
    from tinycrm.config.web import web_url
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.support import portal

    base = None
    if base_url is not None:
        try:
            base = web_url(base_url)
        except ValueError as exc:
            raise InvalidInput(f"--base-url {exc}") from None
    cid = contact_id(contact)
    url = portal.link(state.db(), cid, base=base)
    days = config.get(Portal).link_days
    if as_json:
        render.print_json({"contact": cid, "url": url, "days": days})
        return
    render.out(url)
    render.note(f"works for {days} days ([portal] link_days); crm portal revoke {cid} withdraws it")


@portal_app.command("revoke")
def revoke_cmd(
    contact: str = typer.Argument(None, help="The customer (id, email or name)."),
    every: bool = typer.Option(False, "--all", help="Withdraw the links of every contact."),
    as_json: bool = JSON,
) -> None:
    """Withdraw a customer's portal links (every link made so far stops working; new mails bring new ones)."""
    from tinycrm.cli.common import contact_id
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.support import portal

    if every == (contact is not None):
        raise InvalidInput("give a CONTACT or --all (not both)")
    if every:
        count = portal.revoke_all(state.db())
        if as_json:
            render.print_json({"revoked": "all", "contacts": count})
        else:
            render.note(f"withdrew the portal links of every contact ({count})")
        return
    cid = contact_id(contact)
    generation = portal.revoke(state.db(), cid)
    if as_json:
        render.print_json({"revoked": cid, "generation": generation})
    else:
        render.note(f"withdrew the portal links of contact {cid}")


def register(app: typer.Typer) -> None:
    app.add_typer(portal_app, name="portal")
