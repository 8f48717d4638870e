"""Deals on the command line: ``crm deal add|list|show|timeline|edit|move|win|lose|reopen|delete|idle``.

Pipelines and the board are in :mod:`tinycrm.cli.pipelines`, reports in :mod:`tinycrm.cli.reports`.
"""

from __future__ import annotations

from typing import Any

import typer

from tinycrm.cli import common, render, state
from tinycrm.cli.common import contact_id, delete_confirmed, edit_record, option_changes, owner_of
from tinycrm.cli.options import ALL, DEAL_MINE, DEAL_OWNER, JSON, LIMIT, OFFSET, PIPELINE, limit_of, not_blank
from tinycrm.domain.currencies import shown

deal_app = typer.Typer(
    help="Deals: add, list, show, edit, move through stages, win, lose.", no_args_is_help=True
)


# --- shared ---------------------------------------------------------------------------------------------


def resolve(ref: str) -> int:
    from tinycrm.services.sales import deals

    return deals.resolve(state.db(), ref)


def amount(value: Any, code: str | None = None) -> str:
    """``5,000.00 EUR`` on a terminal, ``5000.00`` (no grouping) for scripts."""
    if value is None:
        return ""
    text = f"{value:,}" if render.is_tty() else str(value)
    return f"{text} {code}" if code and render.is_tty() else text


def show_deals(page: Any, as_json: bool, what: str = "deals", reason: bool = False) -> None:
    """A page of deals; ``reason``: with the column that says why each one is idle."""

    def human() -> None:
        render.table(
            _deal_rows(page.items, reason),
            [
                "id",
                "title",
                "stage",
                "value",
                "cur",
                "close",
                "company",
                "owner",
                "status",
                "why" if reason else "",
            ],
            styles=["dim", "bold", "magenta", None, "dim", "cyan", None, "dim", None, "red"],
        )

    render.emit_page(page, what, as_json, human)


def _deal_rows(items: Any, reason: bool) -> Any:
    """The table rows of deals, one at a time (a whole list is never held)."""
    tty = render.is_tty()
    for d in items:
        row = [
            d.id,
            d.title,
            d.stage,
            amount(d.value),
            d.currency,
            d.expected_close or "",
            d.company or "",
            d.owner or "",
            d.status,
        ]
        if reason:
            row.append(d.idle_reason or "")
        elif tty:
            row.append("idle" if d.idle else "")
        yield row


def show_deal(d: Any, entries: list | None, as_json: bool) -> None:
    from tinycrm.domain.dates import show

    if as_json:
        from tinycrm.domain.people import to_json

        doc = to_json(d)
        if entries is not None:
            doc["timeline"] = to_json(entries)
        render.print_json(doc)
        return
    status = d.status + (f" ({d.lost_reason})" if d.lost_reason else "")
    render.record(
        [
            ("id", str(d.id)),
            ("title", d.title),
            ("value", amount(d.value, d.currency) if render.is_tty() else f"{d.value} {d.currency}"),
            (
                "weighted",
                f"{shown(d.weighted, d.currency) if render.is_tty() else d.weighted} {d.currency} ({d.probability} %)",
            ),
            ("pipeline", d.pipeline),
            ("stage", d.stage),
            ("status", status),
            ("expected close", d.expected_close.isoformat() if d.expected_close else None),
            (
                "next step",
                (d.next_step or "") + (f" (due {d.next_step_due})" if d.next_step_due else "") or None,
            ),
            ("company", d.company),
            ("contacts", ", ".join(f"{c.name} ({c.id})" for c in d.contacts)),
            ("owner", d.owner),
            ("created", show(d.created_at)),
            (
                "in stage",
                f"{d.days_in_stage} days, since {show(d.stage_entered_at)}" if d.status == "open" else None,
            ),
            ("idle", d.idle_reason),
            ("closed", show(d.closed_at) if d.closed_at else None),
            ("updated", f"{show(d.updated_at)} (version {d.version})"),
        ]
    )
    if entries:
        if render.is_tty():
            render.out("")
        show_timeline(entries, False)


def show_timeline(entries: list, as_json: bool) -> None:
    render.emit(entries, as_json, lambda: timeline_table(entries))


def timeline_table(entries: list) -> None:
    from tinycrm.domain.dates import show

    render.table(
        ((show(e.at), e.kind, e.summary, e.user or "") for e in entries),
        ["when", "what", "", "by"],
        styles=["cyan", "magenta", None, "dim"],
    )


def contact_ids(refs: list[str]) -> list[int]:
    return [contact_id(r) for r in refs]


def company_id(ref: str | None) -> int | None:
    return common.company_id(ref) if ref else None


# --- crm deal ... ---------------------------------------------------------------------------------------


@deal_app.command("add")
def add_cmd(
    title: str = typer.Argument(..., help="What is being sold ('Website redesign')."),
    value: str = typer.Option(
        None, "--value", "-v", help="Exact amount, e.g. 5000 or 1234.50 (no float rounding)."
    ),
    currency: str = typer.Option(
        None,
        "--currency",
        "-c",
        help="ISO 4217 code (EUR, USD...). Default: [sales] currency in the config file.",
    ),
    contact: list[str] = typer.Option([], "--contact", help="A contact (id, email or name), repeatable."),
    company: str = typer.Option(
        None, "--company", help="The company (id, name or domain); default: the first contact's."
    ),
    stage: str = typer.Option(
        None, "--stage", "-s", help="Stage name or id (default: the pipeline's first)."
    ),
    close: str = typer.Option(None, "--close", help="Expected close date: 2026-05-31, 'end of month'... "),
    pipeline: str = PIPELINE,
    owner: str = typer.Option(None, "--owner", help="The user who owns it (default: you)."),
    next_step: str = typer.Option(None, "--next-step", help="The next thing to do."),
    next_step_due: str = typer.Option(None, "--next-step-due", help="When the next step is due."),
    as_json: bool = JSON,
) -> None:
    """Add a deal and print its id (with --json, the whole record)."""
    from tinycrm.domain.sales import DealInput
    from tinycrm.services.sales import deals

    data = DealInput(
        title=title,
        value=value,
        currency=currency,
        contact_ids=contact_ids(contact),
        company_id=company_id(company),
        pipeline=pipeline,
        stage=stage,
        expected_close=close,
        owner=owner,
        next_step=next_step,
        next_step_due=next_step_due,
    )
    d = deals.create(state.db(), data)
    render.emit(d, as_json, lambda: render.out(str(d.id)))


@deal_app.command("list")
def list_cmd(
    status: str = typer.Option("open", "--status", help="open, won, lost or all."),
    pipeline: str = PIPELINE,
    stage: str = typer.Option(None, "--stage", "-s", help="Only deals in this stage."),
    contact: str = typer.Option(None, "--contact", callback=not_blank, help="Only deals with this contact."),
    company: str = typer.Option(None, "--company", callback=not_blank, help="Only deals with this company."),
    owner: str = DEAL_OWNER,
    mine: bool = DEAL_MINE,
    sort: str = typer.Option("close", "--sort", help="close, created, updated, closed, value or title."),
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """List deals (open ones by default), soonest expected close first."""
    from tinycrm.services.sales import deals

    cid = contact_ids([contact])[0] if contact else None
    page = deals.list_deals(
        state.db(),
        status=status,
        pipeline=pipeline,
        stage=stage,
        owner=owner_of(owner, mine),
        contact_id=cid,
        company_id=company_id(company),
        limit=limit_of(limit, show_all),
        offset=offset,
        sort=sort,
        stream=show_all,
    )
    show_deals(page, as_json)


@deal_app.command("show")
def show_cmd(
    deal: str = typer.Argument(..., help="Id or (part of) the title."), as_json: bool = JSON
) -> None:
    """Show a deal and its timeline (stage changes and interactions)."""
    from tinycrm.services.sales import deals

    did = resolve(deal)
    show_deal(deals.get(state.db(), did), deals.timeline(state.db(), did), as_json)


@deal_app.command("timeline")
def timeline_cmd(
    deal: str = typer.Argument(..., help="Id or (part of) the title."),
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """What happened to a deal, newest first."""
    from tinycrm.services.sales import deals

    page = render.page_of(deals.timeline(state.db(), resolve(deal)), limit_of(limit, show_all), offset)
    render.emit_page(page, "events", as_json, lambda: timeline_table(page.items))


@deal_app.command("edit")
def edit_cmd(
    deal: str = typer.Argument(..., help="Id or (part of) the title."),
    title: str = typer.Option(None, "--title"),
    value: str = typer.Option(None, "--value", "-v", help="Exact amount."),
    currency: str = typer.Option(None, "--currency", "-c", help="ISO 4217 code."),
    close: str = typer.Option(None, "--close", help="Expected close date; '' for none."),
    company: str = typer.Option(None, "--company", help="Company (id, name or domain); '' for none."),
    contact: list[str] = typer.Option([], "--contact", help="Replace the contacts (repeatable)."),
    add_contact: list[str] = typer.Option([], "--add-contact", help="Add a contact."),
    remove_contact: list[str] = typer.Option([], "--remove-contact", help="Remove a contact."),
    owner: str = typer.Option(None, "--owner", help="Owner (a user name); '' for none."),
    next_step: str = typer.Option(None, "--next-step", help="The next step; '' for none."),
    next_step_due: str = typer.Option(None, "--next-step-due", help="When it is due; '' for no date."),
    pipeline: str = typer.Option(
        None, "--pipeline", "-p", help="Move to another pipeline (with --stage, or to its first stage)."
    ),
    stage: str = typer.Option(None, "--stage", "-s", help="Move to this stage."),
    lost_reason: str = typer.Option(None, "--lost-reason", help="Change the reason of a lost deal."),
    category: str = typer.Option(
        None, "--category", help="Forecast category: pipeline, best-case or commit."
    ),
    expect_version: int = typer.Option(None, "--expect-version", help="Fail if the deal changed since."),
    as_json: bool = JSON,
) -> None:
    """Change a deal."""
    from tinycrm.services.sales import deals

    did = resolve(deal)
    changes = option_changes(
        (
            ("title", title),
            ("value", value),
            ("currency", currency),
            ("expected_close", close),
            ("next_step", next_step),
            ("next_step_due", next_step_due),
            ("owner", owner),
            ("pipeline", pipeline),
            ("stage", stage),
            ("lost_reason", lost_reason),
            ("category", category),
        ),
        as_given=("title", "value", "currency", "pipeline", "stage", "category"),
    )
    if company is not None:
        changes["company_id"] = company_id(company)
    if contact:
        changes["contact_ids"] = contact_ids(contact)
    if add_contact:
        changes["add_contact_ids"] = contact_ids(add_contact)
    if remove_contact:
        changes["remove_contact_ids"] = contact_ids(remove_contact)
    if not changes:  # the form in $EDITOR
        d = edit_record(
            "deal",
            did,
            deals.get,
            deals.update,
            expect_version,
            nothing_given="nothing to change: give e.g. --value 6000, --close 2026-06-30 or --stage Proposal",
            refs=("company", "contacts"),
        )
        if d is None:
            render.note("no changes")
            return
    else:
        d = deals.update(state.db(), did, changes, expected_version=expect_version)
    show_deal(d, None, as_json)


def _show_state(d: Any, as_json: bool) -> None:
    """A deal after a move, win, loss or reopening: the record in JSON, else one line with its stage and
    status."""
    extra = f" ({d.lost_reason})" if d.status == "lost" and d.lost_reason else ""
    render.emit(d, as_json, lambda: render.out(f"{d.id}\t{d.title}\t{d.stage}\t{d.status}{extra}"))


@deal_app.command("move")
def move_cmd(
    deal: str = typer.Argument(..., help="Id or (part of) the title."),
    stage: str = typer.Argument(..., help="Stage of the deal's pipeline (name or id)."),
    as_json: bool = JSON,
) -> None:
    """Move a deal to another stage of its pipeline."""
    from tinycrm.services.sales import deals

    d = deals.move(state.db(), resolve(deal), stage)
    _show_state(d, as_json)


@deal_app.command("win")
def win_cmd(deal: str = typer.Argument(..., help="Id or (part of) the title."), as_json: bool = JSON) -> None:
    """Mark a deal won."""
    from tinycrm.services.sales import deals

    d = deals.win(state.db(), resolve(deal))
    _show_state(d, as_json)


@deal_app.command("lose")
def lose_cmd(
    deal: str = typer.Argument(..., help="Id or (part of) the title."),
    reason: str = typer.Option(..., "--reason", "-r", help="Why it was lost (price, timing, competitor...)."),
    as_json: bool = JSON,
) -> None:
    """Mark a deal lost, with the reason."""
    from tinycrm.services.sales import deals

    d = deals.lose(state.db(), resolve(deal), reason)
    _show_state(d, as_json)


@deal_app.command("reopen")
def reopen_cmd(
    deal: str = typer.Argument(..., help="Id or (part of) the title."), as_json: bool = JSON
) -> None:
    """Open a won or lost deal again, in the stage it closed in."""
    from tinycrm.services.sales import deals

    d = deals.reopen(state.db(), resolve(deal))
    _show_state(d, as_json)


@deal_app.command("delete")
def delete_cmd(
    deal: str = typer.Argument(..., help="Id or (part of) the title."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
    as_json: bool = JSON,
) -> None:
    """Delete a deal for good (with its stage history; linked interactions stay)."""
    from tinycrm.services.sales import deals

    did = resolve(deal)
    d = deals.get(state.db(), did)
    delete_confirmed(
        f"Delete deal {d.title!r} (id {d.id})?",
        yes,
        lambda: deals.delete(state.db(), did),
        as_json,
        lambda gone: f"deleted deal {gone.title} (id {gone.id})",
    )


@deal_app.command("idle")
def idle_cmd(
    pipeline: str = typer.Option(None, "--pipeline", "-p", callback=not_blank, help="Only this pipeline."),
    owner: str = DEAL_OWNER,
    mine: bool = DEAL_MINE,
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """Open deals idle in their stage longer than its threshold, or with an overdue next step."""
    from tinycrm.services.sales import deals

    page = deals.idle_deals(
        state.db(),
        owner=owner_of(owner, mine),
        pipeline=pipeline,
        limit=limit_of(limit, show_all),
        offset=offset,
    )
    show_deals(page, as_json, "idle deals", reason=True)


def register(app: typer.Typer) -> None:
    app.add_typer(deal_app, name="deal")
