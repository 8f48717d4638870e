"""Logged interactions on the command line: interaction show, edit, delete (``crm log`` adds them and
``crm timeline`` lists a contact's; both live with the contacts)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.common import contact_id, delete_confirmed, edit_record
from tinycrm.cli.options import JSON, read_text_arg

interaction_app = typer.Typer(help="Show, change or delete a logged interaction.", no_args_is_help=True)

ID = typer.Argument(..., metavar="ID", help="The interaction's id (crm timeline CONTACT lists them).")


def interaction_id(ref: str) -> int:
    """The id an argument gives (``12`` or ``#12``)."""
    from tinycrm.domain.errors import InvalidInput

    text = ref.strip().removeprefix("#")
    if not text.isascii() or not text.isdigit():
        raise InvalidInput(
            f"{ref!r} is not an interaction id; crm timeline CONTACT lists them with their ids"
        )
    return int(text)


@contextmanager
def follow_up_hint(contact: str = "CONTACT", when: str | None = None) -> Iterator[None]:
    """When a time in the future is refused, say which command adds the follow-up instead."""
    import shlex

    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.people.interactions import FUTURE_HINT

    try:
        yield
    except InvalidInput as exc:
        if FUTURE_HINT in exc.message:
            how = f"crm follow-up {shlex.quote(contact)} {shlex.quote(when) if when else 'WHEN'}"
            exc.message = exc.message.replace(FUTURE_HINT, f"{FUTURE_HINT}: {how}", 1)
            exc.args = (exc.message,)
        raise


def show_interaction(i: Any, as_json: bool) -> None:
    from tinycrm.domain.dates import show

    def human() -> None:
        render.record(
            [
                ("id", str(i.id)),
                ("when", show(i.happened_at)),
                ("kind", i.kind),
                ("summary", i.summary),
                ("with", ", ".join(f"{p.name} ({p.id})" for p in i.contacts)),
                ("company", f"{i.company.name} ({i.company.id})" if i.company else None),
                ("deal", f"{i.deal.name} ({i.deal.id})" if i.deal else None),
                ("owner", i.owner),
                ("body", i.body),
                ("uid", i.uid),
                ("updated", f"{show(i.updated_at)} (version {i.version})"),
            ]
        )

    render.emit(i, as_json, human)


@interaction_app.command("show")
def show_cmd(interaction: str = ID, as_json: bool = JSON) -> None:
    """Show an interaction with its whole text."""
    from tinycrm.services.people import interactions

    show_interaction(interactions.get(state.db(), interaction_id(interaction)), as_json)


@interaction_app.command("edit")
def edit_cmd(
    interaction: str = ID,
    summary: str = typer.Option(None, "--summary", "-s", help="One line: what happened."),
    kind: str = typer.Option(None, "--kind", "-k", help="call, email, meeting, message, note or other."),
    when: str = typer.Option(None, "--when", "-w", help="When it happened ('yesterday 15:00', ISO...)."),
    body: str = typer.Option(None, "--body", "-b", help="Details; '' clears them, '-' reads standard input."),
    contact: list[str] = typer.Option([], "--contact", "-c", help="Replace the people (repeatable)."),
    company: str = typer.Option(None, "--company", help="Company (id, domain or name); '' for none."),
    deal: str = typer.Option(None, "--deal", help="Link a deal (id or part of the title); '' to unlink."),
    expect_version: int = typer.Option(None, "--expect-version", help="Fail if it changed since."),
    as_json: bool = JSON,
) -> None:
    """Change an interaction. With no field options, open $EDITOR on a readable form."""
    from tinycrm.cli.common import company_id, deal_id
    from tinycrm.services.people import interactions

    iid = interaction_id(interaction)
    changes: dict[str, Any] = {
        key: value
        for key, value in (("summary", summary), ("kind", kind), ("when", when))
        if value is not None
    }
    if body is not None:
        changes["body"] = read_text_arg(body, "--body") or None
    if contact:
        changes["contact_ids"] = [contact_id(c) for c in contact]
    if company is not None:
        changes["company_id"] = company_id(company) if company.strip() else None
    if deal is not None:
        changes["deal_id"] = deal_id(deal) if deal.strip() else None
    i: Any
    if changes:
        with follow_up_hint(when=when):
            i = interactions.update(state.db(), iid, changes, expected_version=expect_version)
    else:
        with follow_up_hint():
            i = edit_record(
                "interaction",
                iid,
                interactions.get,
                interactions.update,
                expect_version,
                nothing_given="nothing to change: give options such as --summary, --when or --kind",
                refs=("contacts", "company", "deal"),
            )
        if i is None:
            render.note("no changes")
            return
    show_interaction(i, as_json)


@interaction_app.command("delete")
def delete_cmd(
    interaction: str = ID,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
    as_json: bool = JSON,
) -> None:
    """Delete an interaction for good."""
    from tinycrm.domain.dates import show
    from tinycrm.services.people import interactions

    iid = interaction_id(interaction)
    i = interactions.get(state.db(), iid)
    delete_confirmed(
        f"Delete the {i.kind} '{i.summary}' of {show(i.happened_at)} (id {i.id})?",
        yes,
        lambda: interactions.delete(state.db(), iid),
        as_json,
        lambda gone: f"deleted {gone.kind} '{gone.summary}' (id {gone.id})",
    )


def register(app: typer.Typer) -> None:
    app.add_typer(interaction_app, name="interaction")
