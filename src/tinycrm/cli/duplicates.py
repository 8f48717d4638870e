"""``crm duplicates`` (with ``dismiss`` and ``undismiss``) and ``crm merge`` (with ``undo`` and ``--list``)."""

from __future__ import annotations

from typing import Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import ALL, JSON, OFFSET, limit_of

duplicates_app = typer.Typer(invoke_without_command=True, no_args_is_help=False)

LIMIT_PAIRS = typer.Option(None, "--limit", "-n", min=1, help="Show at most this many pairs.")
LIMIT_MERGES = typer.Option(20, "--limit", "-n", min=1, help="With --list: show at most this many merges.")


@duplicates_app.callback()
def duplicates_cmd(
    ctx: typer.Context,
    limit: int = LIMIT_PAIRS,
    offset: int = OFFSET,
    show_all: bool = ALL,
    leads: bool = typer.Option(
        False, "--leads", help="Open leads whose address a contact or another lead has."
    ),
    dismissed: bool = typer.Option(
        False, "--dismissed", help="The pairs dismissed as two people (crm duplicates dismiss), newest first."
    ),
    as_json: bool = JSON,
) -> None:
    """Contacts that look like the same person (same email, same phone, same or very similar name at the
    same company), most certain first; combine a pair with: crm merge KEEP OTHER; say two are different
    people with: crm duplicates dismiss A B. --leads: leads instead."""
    if ctx.invoked_subcommand is not None:
        return
    if leads and dismissed:
        from tinycrm.domain.errors import InvalidInput

        raise InvalidInput("give --leads or --dismissed, not both (leads cannot be dismissed)")
    if leads:
        from tinycrm.cli.leads import show_lead_duplicates

        show_lead_duplicates(limit_of(limit, show_all), offset, as_json)
        return
    if dismissed:
        _show_dismissed(limit_of(limit, show_all), offset, as_json)
        return
    from tinycrm.services.people import duplicates

    wanted = limit_of(limit, show_all)
    if wanted is None:
        page: Any = duplicates.stream(state.db(), offset=offset)
    else:
        page = duplicates.page(state.db(), limit=wanted, offset=offset)

    def human() -> None:
        render.table(
            ((p.a.id, p.a.display_name, p.b.id, p.b.display_name, "; ".join(p.reasons)) for p in page.items),
            ["id", "contact", "id", "duplicate?", "why"],
            styles=["dim", "bold", "dim", "bold", None],
        )

    render.emit_page(page, "possible duplicates", as_json, human)


def _show_dismissed(limit: int | None, offset: int, as_json: bool) -> None:
    from tinycrm.domain.dates import show
    from tinycrm.services.people import dismissals

    page = dismissals.dismissed(state.db(), limit=limit, offset=offset)

    def human() -> None:
        render.table(
            ((p.a.id, p.a.name, p.b.id, p.b.name, p.user_name, show(p.created_at)) for p in page.items),
            ["id", "contact", "id", "not the same as", "by", "when"],
            styles=["dim", "bold", "dim", "bold", None, "dim"],
        )

    render.emit_page(page, "dismissed pairs", as_json, human)


@duplicates_app.command("dismiss")
def dismiss_cmd(
    a: str = typer.Argument(..., help="One contact (id, email or name)."),
    b: str = typer.Argument(..., help="The other contact."),
    as_json: bool = JSON,
) -> None:
    """Say A and B are two people: crm duplicates no longer lists the pair (undismiss lists it again)."""
    from tinycrm.cli.common import contact_id
    from tinycrm.services.people import dismissals

    pair = dismissals.dismiss(state.db(), contact_id(a), contact_id(b))
    render.emit(
        pair,
        as_json,
        lambda: render.note(
            f"dismissed: {pair.a.name} ({pair.a.id}) and {pair.b.name} ({pair.b.id}) are two people"
        ),
    )


@duplicates_app.command("undismiss")
def undismiss_cmd(
    a: str = typer.Argument(..., help="One contact (id, email or name)."),
    b: str = typer.Argument(..., help="The other contact."),
    as_json: bool = JSON,
) -> None:
    """List a dismissed pair as possible duplicates again."""
    from tinycrm.cli.common import contact_id
    from tinycrm.services.people import dismissals

    pair = dismissals.undismiss(state.db(), contact_id(a), contact_id(b))
    render.emit(
        pair,
        as_json,
        lambda: render.note(f"listed again: {pair.a.name} ({pair.a.id}) and {pair.b.name} ({pair.b.id})"),
    )


def merge_cmd(
    keep: str = typer.Argument(
        None, metavar="KEEP", help="The contact that stays (id, email or name); or 'undo' (see below)."
    ),
    other: str = typer.Argument(
        None, metavar="OTHER", help="The contact merged into it, then deleted; after 'undo': a merge id."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Merge without asking."),
    list_merges: bool = typer.Option(False, "--list", help="List the merges, newest first."),
    limit: int = LIMIT_MERGES,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """Merge OTHER into KEEP: emails, phones, addresses, tags, fields, interactions, deals and tasks all move
    to KEEP; KEEP's values win, OTHER's differing ones are written into KEEP's notes.

    crm merge undo [MERGE_ID] undoes a merge (the newest one by default): OTHER comes back with its id and
    everything that moved; refused when something the merge touched has changed since. crm merge --list
    lists the merges."""
    from tinycrm.domain.errors import InvalidInput

    if list_merges:
        if keep is not None:
            raise InvalidInput("--list takes no contacts: crm merge --list")
        _show_merges(limit_of(limit, show_all), offset, as_json)
        return
    if keep == "undo":
        _undo(other, as_json)
        return
    if keep is None or other is None:
        raise InvalidInput("give two contacts: crm merge KEEP OTHER (or crm merge undo, crm merge --list)")
    _merge(keep, other, yes, as_json)


def _merge(keep: str, other: str, yes: bool, as_json: bool) -> None:
    from tinycrm.cli.common import confirm, contact_id
    from tinycrm.cli.contacts import show_contact
    from tinycrm.services.people import duplicates

    keep_id, other_id = contact_id(keep), contact_id(other)
    plan = duplicates.plan_merge(state.db(), keep_id, other_id)
    if not as_json:
        _show_plan(plan)
    confirm(
        f"Merge {plan.other.display_name} (id {other_id}) into {plan.keep.display_name} (id {keep_id})?", yes
    )
    merged, merge_id = duplicates.merge_recorded(state.db(), keep_id, other_id)
    if not as_json:
        render.note(
            f"merged {other_id} into {keep_id} (merge {merge_id}; crm merge undo {merge_id} undoes it)"
        )
    show_contact(merged, as_json)


def _undo(merge_ref: str | None, as_json: bool) -> None:
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.people import merge_undo

    merge_id = None
    if merge_ref is not None:
        if not merge_ref.isdigit():
            raise InvalidInput(f"{merge_ref!r} is not a merge id; crm merge --list shows them")
        merge_id = int(merge_ref)
    done = merge_undo.undo(state.db(), merge_id)
    render.emit(
        done,
        as_json,
        lambda: render.note(
            f"undid merge {done.id}: {done.other_name} (id {done.other_id}) is back, "
            f"apart from {done.keep_name} (id {done.keep_id})"
        ),
    )


def _show_merges(limit: int | None, offset: int, as_json: bool) -> None:
    from tinycrm.domain.dates import show
    from tinycrm.services.people import merge_undo

    page = merge_undo.recent(state.db(), limit=limit, offset=offset)

    def human() -> None:
        render.table(
            (
                (
                    m.id,
                    show(m.merged_at),
                    m.keep_id,
                    m.keep_name,
                    m.other_id,
                    m.other_name,
                    m.user_name,
                    f"undone {show(m.undone_at)}" if m.undone_at else "",
                )
                for m in page.items
            ),
            ["merge", "when", "id", "kept", "id", "merged in", "by", ""],
            styles=["dim", "dim", "dim", "bold", "dim", "bold", None, "yellow"],
        )

    render.emit_page(page, "merges", as_json, human)


def _show_plan(plan: Any) -> None:
    from tinycrm.services.people.duplicates import SCALAR_LABELS

    pairs: list[tuple[str, Any]] = [
        ("keep", f"{plan.keep.display_name} (id {plan.keep.id})"),
        ("merge in", f"{plan.other.display_name} (id {plan.other.id})"),
    ]
    pairs += [(f"+ {SCALAR_LABELS[k]}", v) for k, v in plan.fill.items()]
    pairs += [(f"+ email ({e.label})" if e.label else "+ email", e.value) for e in plan.emails]
    pairs += [(f"+ phone ({p.label})" if p.label else "+ phone", p.value) for p in plan.phones]
    pairs += [(f"+ address ({a.label})" if a.label else "+ address", a.one_line()) for a in plan.addresses]
    pairs += [("+ tags", ", ".join(plan.tags))] if plan.tags else []
    pairs += [(f"+ field {k}", v) for k, v in plan.fields.items()]
    pairs += [
        (f"kept: {SCALAR_LABELS[k]}", f"{mine} (theirs, {theirs}, goes into the notes)")
        for k, (mine, theirs) in plan.conflicts.items()
    ]
    pairs += [
        (f"kept: field {k}", f"{mine} (theirs, {theirs}, goes into the notes)")
        for k, (mine, theirs) in plan.field_conflicts.items()
    ]
    moves = {"interactions": plan.interactions, "deals": plan.deals, "tasks": plan.tasks}
    pairs += [(f"+ {k}", str(n)) for k, n in moves.items() if n]
    pairs += [("+ photo", "yes")] if plan.photo else []
    pairs += [("+ notes", "appended")] if plan.notes else []
    render.record(pairs, title="merge")


def register(app: typer.Typer) -> None:
    app.add_typer(duplicates_app, name="duplicates")
    app.command("merge")(merge_cmd)
