"""``crm segment ...`` and ``crm consent ...``."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from tinycrm.cli import render, state
from tinycrm.cli.common import confirm, contact_id
from tinycrm.cli.options import ALL, JSON, LIMIT, OFFSET, limit_of

segment_app = typer.Typer(help="Segments: saved queries over contacts.", no_args_is_help=True)


def _show_segment(s: Any, as_json: bool) -> None:
    render.emit(
        s,
        as_json,
        lambda: render.record(
            [("id", str(s.id)), ("name", s.name), ("query", s.query), ("members", str(s.members))]
        ),
    )


@segment_app.command("add")
def segment_add(
    name: str = typer.Argument(..., help="The segment's name."),
    query: str = typer.Option(
        ..., "--query", "-q", help="A search query: tag:customer -tag:former has:email ..."
    ),
    as_json: bool = JSON,
) -> None:
    """Save a query as a segment (see docs/marketing.md for the query language)."""
    from tinycrm.services.marketing import segments

    _show_segment(segments.add(state.db(), name, query), as_json)


@segment_app.command("list")
def segment_list(as_json: bool = JSON) -> None:
    """All segments with how many contacts each has now."""
    from tinycrm.services.marketing import segments

    items = segments.list_segments(state.db())
    render.emit(
        items,
        as_json,
        lambda: render.table(
            ((s.id, s.name, s.members, s.query) for s in items), ["id", "name", "members", "query"]
        ),
    )


@segment_app.command("show")
def segment_show(
    name: str = typer.Argument(..., help="The segment's name."),
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """A segment's query and a page of its members."""
    from tinycrm.cli.lookup import show_summaries
    from tinycrm.services.marketing import segments
    from tinycrm.services.people import contact_search

    s = segments.get(state.db(), name)
    page = contact_search.list_contacts(
        state.db(), query=s.query, limit=limit_of(limit, show_all), offset=offset
    )
    if as_json:
        render.print_json(
            {"id": s.id, "name": s.name, "query": s.query, "members": s.members, "page": page.items}
        )
        render.page_notice(page, "members", as_json=True)
        return
    render.note(f"segment {s.name}: {s.query} ({s.members} members)")
    show_summaries(page, False, "members")


@segment_app.command("edit")
def segment_edit(
    name: str = typer.Argument(..., help="The segment's name."),
    new_name: str = typer.Option(None, "--name", help="A new name."),
    query: str = typer.Option(None, "--query", "-q", help="A new query."),
    as_json: bool = JSON,
) -> None:
    """Rename a segment or change its query."""
    from tinycrm.services.marketing import segments

    _show_segment(segments.edit(state.db(), name, new_name=new_name, query=query), as_json)


@segment_app.command("delete")
def segment_delete(
    name: str = typer.Argument(..., help="The segment's name."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
    as_json: bool = JSON,
) -> None:
    """Delete a segment (its contacts stay)."""
    from tinycrm.services.marketing import segments

    s = segments.get(state.db(), name)
    confirm(f"Delete segment {s.name}?", yes)
    gone = segments.delete(state.db(), name)
    render.emit(gone, as_json, lambda: render.note(f"deleted segment {gone.name}"))


class _ConsentGroup(TyperGroup):
    """``crm consent CONTACT opt-in`` as well as ``crm consent log|show|suppress``: a first word that is not a
    command is the contact of ``set``."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["set", *args]
        return super().resolve_command(ctx, args)


consent_app = typer.Typer(
    help="Consent per address, its log, the suppression list.", cls=_ConsentGroup, no_args_is_help=True
)

ACTIONS = {"opt-in": "opted-in", "opt-out": "opted-out", "unknown": "unknown"}


def _consent_table(items: Any, as_json: bool) -> None:
    from tinycrm.domain.dates import show

    render.emit(
        items,
        as_json,
        lambda: render.table(
            (
                (
                    a.address,
                    a.status,
                    a.source or "",
                    show(a.changed_at) if a.changed_at else "",
                    "suppressed" if a.suppressed else "",
                )
                for a in items
            ),
            ["address", "consent", "source", "since", ""],
        ),
    )


@consent_app.command("set", hidden=True)
def consent_set(
    contact: str = typer.Argument(..., help="Id, email or name."),
    action: str = typer.Argument(..., help="opt-in, opt-out or unknown."),
    source: str = typer.Option(
        None, "--source", help="Where or how: 'web form', 'asked in person', 'reply'..."
    ),
    address: str = typer.Option(None, "--address", help="Only this address of the contact."),
    as_json: bool = JSON,
) -> None:
    """crm consent CONTACT opt-in|opt-out [--source TEXT]: record a person's choice for their addresses."""
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.marketing import consent

    if action not in ACTIONS:
        raise InvalidInput(f"{action!r}: write opt-in, opt-out or unknown after the contact")
    src = source if source is not None else ("manual" if action == "opt-out" else None)
    _consent_table(
        consent.set_for_contact(state.db(), contact_id(contact), ACTIONS[action], src, address), as_json
    )


@consent_app.command("show")
def consent_show(contact: str = typer.Argument(..., help="Id, email or name."), as_json: bool = JSON) -> None:
    """The consent of each address of a contact."""
    from tinycrm.services.marketing import consent

    _consent_table(consent.of_contact(state.db(), contact_id(contact)), as_json)


@consent_app.command("log")
def consent_log(
    contact: str = typer.Argument(None, help="Only this contact (id, email or name)."),
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """Every change of consent, newest first."""
    from tinycrm.domain.dates import show
    from tinycrm.services.marketing import consent

    cid = contact_id(contact) if contact is not None else None
    page = consent.log(state.db(), cid, limit=limit_of(limit, show_all), offset=offset)
    render.emit_page(
        page,
        "changes",
        as_json,
        lambda: render.table(
            ((show(e.at), e.address, e.status, e.source or "", e.user) for e in page.items),
            ["when", "address", "consent", "source", "by"],
        ),
    )


@consent_app.command("suppress")
def consent_suppress(
    address: str = typer.Argument(..., help="An e-mail address, a contact's or not."),
    reason: str = typer.Option(None, "--reason", help="Why (kept in the log)."),
    as_json: bool = JSON,
) -> None:
    """Never mail this address from a campaign."""
    from tinycrm.services.marketing import consent

    _consent_table([consent.suppress(state.db(), address, reason)], as_json)


# --- crm import vcard|csv --consent STATE --source TEXT ---------------------------------------------------

CONSENT = typer.Option(
    None,
    "--consent",
    metavar="STATE",
    help="Record this consent (opted-in, opted-out...) for the addresses of everyone imported whose consent "
    "is not known yet.",
)
SOURCE = typer.Option(None, "--source", metavar="TEXT", help="Where the consent comes from ('event 2026').")


def import_consent(state_: str | None, source: str | None) -> tuple[str | None, str | None]:
    """The checked ``--consent`` and ``--source`` of an import (the source defaults to "import")."""
    if state_ is None and source is None:
        return None, None
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.marketing import consent

    if state_ is None:
        raise InvalidInput("--source goes with --consent: give --consent opted-in (or another state)")
    return consent.status(state_), consent.source(source) or "import"


def register(app: typer.Typer) -> None:
    app.add_typer(segment_app, name="segment")
    app.add_typer(consent_app, name="consent")
