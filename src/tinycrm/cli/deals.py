"""The sales side on the command line: ``crm deal ...``, ``crm pipeline [NAME]`` and ``crm pipeline stages ...``,
``crm report forecast|pipeline|wins|activity``.

Commands parse, call a service, render. On a terminal: Rich tables and bar charts; to a pipe: tab-separated
lines; ``--json`` everywhere; reports also take ``--csv``.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from tinycrm.cli import common, render, state
from tinycrm.cli.common import contact_id, delete_confirmed, edit_record, option_changes
from tinycrm.cli.options import ALL, JSON, LIMIT, OFFSET, limit_of


class DefaultGroup(TyperGroup):
    """A group that runs ``default_command`` when the first word is not one of its commands, so that
    ``crm pipeline`` and ``crm pipeline Sales`` show the board while ``crm pipeline add X`` still works."""

    default_command = "show"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


class StagesGroup(DefaultGroup):
    default_command = "list"


deal_app = typer.Typer(
    help="Deals: add, list, show, edit, move through stages, win, lose.", no_args_is_help=True
)
pipeline_app = typer.Typer(
    cls=DefaultGroup,
    help="Pipelines and the board. 'crm pipeline [NAME]' shows the board of a pipeline (default: the first).",
)
stages_app = typer.Typer(
    cls=StagesGroup, help="The stages of a pipeline: 'crm pipeline stages [PIPELINE]' lists them."
)
report_app = typer.Typer(
    help="Sales reports: forecast, pipeline conversion, wins, activity.", no_args_is_help=True
)

OWNER = typer.Option(None, "--owner", help="Only deals of this user (a user name).")
MINE = typer.Option(False, "--mine", help="Only my deals (the current user).")
CSV = typer.Option(False, "--csv", help="Print CSV with a header row.")
PIPELINE = typer.Option(None, "--pipeline", "-p", help="Pipeline name or id (default: the first pipeline).")


# --- shared ---------------------------------------------------------------------------------------------


def owner_of(owner: str | None, mine: bool) -> str | None:
    """``--owner NAME`` / ``--mine`` (see :func:`tinycrm.cli.common.owner_of`)."""
    return common.owner_of(owner, mine, both="give --owner NAME or --mine, not both")


def resolve(ref: str) -> int:
    from tinycrm.services.sales import deals

    return deals.resolve(state.db(), ref)


def amount(value: Any, code: str | None = None) -> str:
    """``5,000.00 EUR`` on a terminal, ``5000.00`` (no grouping) for scripts."""
    if value is None:
        return ""
    text = f"{value:,}" if render.is_tty() else str(value)
    return f"{text} {code}" if code and render.is_tty() else text


def per_currency(values: dict) -> str:
    sep = ", " if render.is_tty() else "; "
    return sep.join(f"{(f'{v:,}' if render.is_tty() else str(v))} {c}" for c, v in values.items())


def bar(value: Any, top: Any, width: int = 24) -> str:
    """A horizontal bar of ``value`` against ``top``, in eighths of a character."""
    if not top or not value or value <= 0:
        return ""
    eighths = int(round(float(value) / float(top) * width * 8))
    full, part = divmod(max(eighths, 1), 8)
    return "█" * full + ("" if not part else " ▏▎▍▌▋▊▉"[part])


def no_csv_and_json(as_csv: bool, as_json: bool) -> None:
    from tinycrm.domain.errors import InvalidInput

    if as_csv and as_json:
        raise InvalidInput("give --csv or --json, not both")


def write_csv(header: list[str], rows: list[list[Any]]) -> None:
    import csv

    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow(["" if c is None else c for c in row])


def report_for_scripts(
    report: Any, header: list[str], rows: list[list[Any]], *, as_csv: bool, as_json: bool
) -> bool:
    """A report as CSV (``--csv``), JSON (``--json``) or tab-separated lines to a pipe; False when it is for a
    terminal instead, where each report draws its own tables."""
    if as_csv:
        write_csv(header, rows)
    elif as_json:
        render.print_json(report)
    elif not render.is_tty():
        render.table(rows, header)
    else:
        return False
    return True


def show_deals(
    items: list, as_json: bool, page: Any = None, what: str = "deals", reason: bool = False
) -> None:
    def human() -> None:
        rows = []
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
            elif render.is_tty():
                row.append("idle" if d.idle else "")
            rows.append(row)
        headers = ["id", "title", "stage", "value", "cur", "close", "company", "owner", "status"]
        headers.append("why" if reason else "")
        render.table(
            rows, headers, styles=["dim", "bold", "magenta", None, "dim", "cyan", None, "dim", None, "red"]
        )
        if page is not None:
            render.page_footer(page, what)
        elif render.is_tty() and not items:
            render.note(f"no {what}")

    render.emit(items, as_json, human)


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
            ("weighted", f"{d.weighted} {d.currency} ({d.probability} %)"),
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
    from tinycrm.domain.dates import show

    render.emit(
        entries,
        as_json,
        lambda: render.table(
            ((show(e.at), e.kind, e.summary, e.user or "") for e in entries),
            ["when", "what", "", "by"],
            styles=["cyan", "magenta", None, "dim"],
        ),
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
    contact: str = typer.Option(None, "--contact", help="Only deals with this contact."),
    company: str = typer.Option(None, "--company", help="Only deals with this company."),
    owner: str = OWNER,
    mine: bool = MINE,
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
    )
    show_deals(page.items, as_json, page)


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
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """What happened to a deal, newest first."""
    from tinycrm.services.sales import deals

    show_timeline(deals.timeline(state.db(), resolve(deal), limit=limit_of(limit, show_all)), as_json)


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
        ),
        as_given=("title", "value", "currency", "pipeline", "stage"),
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
    pipeline: str = typer.Option(None, "--pipeline", "-p", help="Only this pipeline."),
    owner: str = OWNER,
    mine: bool = MINE,
    limit: int = LIMIT,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """Open deals idle in their stage longer than its threshold, or with an overdue next step."""
    from tinycrm.services.sales import deals

    n = limit_of(limit, show_all)
    items = deals.idle_deals(
        state.db(), owner=owner_of(owner, mine), pipeline=pipeline, limit=None if n is None else n + 1
    )
    more = n is not None and len(items) > n
    items = items[:n] if n is not None else items
    show_deals(items, as_json, None, "idle deals", reason=True)
    if more and render.is_tty() and not as_json:
        render.note(f"showing the first {n}; all with --all")


# --- crm pipeline ... -----------------------------------------------------------------------------------


def show_board(b: Any, deals_per_column: int) -> None:
    if not render.is_tty():
        for col in b.columns:
            if not col.totals:
                render.out("\t".join([render.clean(col.stage.name), "0", "", "", ""]))
            for code, total in col.totals.items():
                render.out(
                    "\t".join(
                        [
                            render.clean(col.stage.name),
                            str(col.counts.get(code, 0)),
                            code,
                            str(total),
                            str(col.weighted[code]),
                        ]
                    )
                )
        return
    from rich.table import Table
    from rich.text import Text

    t = Table(
        title=f"{b.pipeline.name}" + (f" — {b.owner}" if b.owner else ""),
        box=None,
        pad_edge=False,
        show_edge=False,
        header_style="bold",
        expand=False,
    )
    for col in b.columns:
        t.add_column(f"{col.stage.name} ({col.stage.probability} %)", overflow="fold", min_width=14)
    head = []
    for col in b.columns:
        text = Text(f"{col.count} deal{'s' if col.count != 1 else ''}\n", style="bold")
        for code, total in col.totals.items():
            text.append(f"{total:,} {code}\n")
            text.append(f"≈ {col.weighted[code]:,} {code}\n", style="dim")
        head.append(text)
    t.add_row(*head)
    depth = max((min(len(c.deals), deals_per_column) for c in b.columns), default=0)
    for k in range(depth):
        cells = []
        for col in b.columns:
            if k < len(col.deals) and k < deals_per_column:
                d = col.deals[k]
                cell = Text(f"{d.title}", style="red" if d.idle else "")
                cell.append(
                    f"\n  {d.value:,} {d.currency}" + (f" · {d.expected_close}" if d.expected_close else ""),
                    style="dim",
                )
                cells.append(cell)
            elif k == min(len(col.deals), deals_per_column) and col.count > k:
                cells.append(Text(f"+{col.count - k} more", style="dim italic"))
            else:
                cells.append("")
        t.add_row(*cells)
    extra = [
        c
        for c in b.columns
        if c.count > min(len(c.deals), deals_per_column) and min(len(c.deals), deals_per_column) >= depth
    ]
    if extra:
        t.add_row(
            *[Text(f"+{c.count - depth} more", style="dim italic") if c in extra else "" for c in b.columns]
        )
    render.console().print(t)


@pipeline_app.command("show")
def board_cmd(
    name: str = typer.Argument(None, help="Pipeline name or id (default: the first pipeline)."),
    owner: str = OWNER,
    mine: bool = MINE,
    limit: int = typer.Option(
        8, "--limit", "-n", min=0, help="Deals listed per stage (on a terminal / in JSON)."
    ),
    as_json: bool = JSON,
) -> None:
    """The board: per stage, the open deals with their count, total and weighted value per currency."""
    from tinycrm.services.sales import pipelines

    want = limit if (as_json or render.is_tty()) else 0
    b = pipelines.board(state.db(), name, owner=owner_of(owner, mine), limit=want)
    render.emit(b, as_json, lambda: show_board(b, limit))


@pipeline_app.command("list")
def pipelines_cmd(as_json: bool = JSON) -> None:
    """All pipelines with their stages."""
    from tinycrm.services.sales import pipelines

    items = pipelines.list_pipelines(state.db())
    render.emit(
        items,
        as_json,
        lambda: render.table(
            (
                (
                    p.id,
                    p.name,
                    len(p.stages),
                    sum(s.open_deals for s in p.stages),
                    " > ".join(s.name for s in p.stages),
                )
                for p in items
            ),
            ["id", "name", "stages", "open deals", ""],
            styles=["dim", "bold", None, None, "magenta"],
        ),
    )


@pipeline_app.command("add")
def pipeline_add_cmd(
    name: str = typer.Argument(..., help="Name of the new pipeline."),
    stage: list[str] = typer.Option(
        [],
        "--stage",
        help="NAME:PROBABILITY[:IDLE_DAYS], repeatable, in order "
        "(default: Lead, Qualified, Proposal, Negotiation).",
    ),
    as_json: bool = JSON,
) -> None:
    """Add a pipeline and print its id."""
    from tinycrm.services.sales import pipelines

    specs = [pipelines.parse_stage_spec(s) for s in stage]
    p = pipelines.create(state.db(), name, specs or None)
    render.emit(p, as_json, lambda: render.out(str(p.id)))


@pipeline_app.command("rename")
def pipeline_rename_cmd(
    pipeline: str = typer.Argument(..., help="Pipeline name or id."),
    new_name: str = typer.Argument(..., help="The new name."),
    as_json: bool = JSON,
) -> None:
    """Rename a pipeline."""
    from tinycrm.services.sales import pipelines

    p = pipelines.rename(state.db(), pipeline, new_name)
    render.emit(p, as_json, lambda: render.out(f"{p.id}\t{p.name}"))


@pipeline_app.command("remove")
def pipeline_remove_cmd(
    pipeline: str = typer.Argument(..., help="Pipeline name or id."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
    as_json: bool = JSON,
) -> None:
    """Remove a pipeline that holds no deals, with its stages."""
    from tinycrm.services.sales import pipelines

    p = pipelines.get(state.db(), pipeline)
    delete_confirmed(
        f"Remove pipeline {p.name!r} and its {len(p.stages)} stages?",
        yes,
        lambda: pipelines.remove(state.db(), p.id),
        as_json,
        lambda gone: f"removed pipeline {gone.name} (id {gone.id})",
    )


def show_stages(p: Any, as_json: bool) -> None:
    render.emit(
        p,
        as_json,
        lambda: render.table(
            (
                (
                    s.position + 1,
                    s.name,
                    f"{s.probability}" + (" %" if render.is_tty() else ""),
                    s.idle_days if s.idle_days is not None else "",
                    s.open_deals,
                    s.deals,
                    s.id,
                )
                for s in p.stages
            ),
            ["#", "stage", "probability", "idle days", "open", "all deals", "id"],
            title=p.name if render.is_tty() else None,
            styles=["dim", "bold", None, None, None, "dim", "dim"],
        ),
    )


@stages_app.command("list")
def stages_list_cmd(
    pipeline: str = typer.Argument(None, help="Pipeline name or id (default: the first pipeline)."),
    as_json: bool = JSON,
) -> None:
    """The stages of a pipeline, in order: probability, idle threshold, deals."""
    from tinycrm.services.sales import pipelines

    show_stages(pipelines.get(state.db(), pipeline), as_json)


@stages_app.command("add")
def stages_add_cmd(
    name: str = typer.Argument(..., help="Name of the new stage."),
    probability: int = typer.Option(..., "--probability", "-w", help="Win probability, 0-100 (%)."),
    idle_days: int = typer.Option(None, "--idle-days", help="Idle (rotting) after this many days; 0: never."),
    position: int = typer.Option(None, "--position", help="1 = first (default: last)."),
    pipeline: str = PIPELINE,
    as_json: bool = JSON,
) -> None:
    """Add a stage to a pipeline."""
    from tinycrm.services.sales import pipelines

    p = pipelines.add_stage(
        state.db(), pipeline, name, probability=probability, idle_days=idle_days, position=position
    )
    show_stages(p, as_json)


@stages_app.command("rename")
def stages_rename_cmd(
    stage: str = typer.Argument(..., help="Stage name or id."),
    new_name: str = typer.Argument(..., help="The new name."),
    pipeline: str = PIPELINE,
    as_json: bool = JSON,
) -> None:
    """Rename a stage."""
    from tinycrm.services.sales import pipelines

    show_stages(pipelines.rename_stage(state.db(), pipeline, stage, new_name), as_json)


@stages_app.command("move")
def stages_move_cmd(
    stage: str = typer.Argument(..., help="Stage name or id."),
    position: int = typer.Argument(..., help="Its new place: 1 = first."),
    pipeline: str = PIPELINE,
    as_json: bool = JSON,
) -> None:
    """Reorder: put a stage at another place in its pipeline."""
    from tinycrm.services.sales import pipelines

    show_stages(pipelines.move_stage(state.db(), pipeline, stage, position), as_json)


@stages_app.command("set")
def stages_set_cmd(
    stage: str = typer.Argument(..., help="Stage name or id."),
    probability: int = typer.Option(None, "--probability", "-w", help="Win probability, 0-100 (%)."),
    idle_days: int = typer.Option(None, "--idle-days", help="Idle (rotting) after this many days; 0: never."),
    pipeline: str = PIPELINE,
    as_json: bool = JSON,
) -> None:
    """Re-weight a stage (probability) or change its idle threshold."""
    from tinycrm.services.sales import pipelines

    p = pipelines.set_stage(
        state.db(), pipeline, stage, probability=probability, idle_days=idle_days, clear_idle=idle_days == 0
    )
    show_stages(p, as_json)


@stages_app.command("remove")
def stages_remove_cmd(
    stage: str = typer.Argument(..., help="Stage name or id."),
    move_to: str = typer.Option(None, "--move-to", help="Move its deals to this stage first."),
    pipeline: str = PIPELINE,
    as_json: bool = JSON,
) -> None:
    """Remove a stage; one that holds deals needs --move-to STAGE."""
    from tinycrm.services.sales import pipelines

    show_stages(pipelines.remove_stage(state.db(), pipeline, stage, move_to=move_to), as_json)


# --- crm report ... -------------------------------------------------------------------------------------


@report_app.command("forecast")
def forecast_cmd(
    months: int = typer.Option(6, "--months", "-m", help="Months ahead, this one included."),
    past: int = typer.Option(0, "--past", help="Also this many months before this one."),
    pipeline: str = typer.Option(None, "--pipeline", "-p", help="Only this pipeline."),
    owner: str = OWNER,
    mine: bool = MINE,
    as_csv: bool = CSV,
    as_json: bool = JSON,
) -> None:
    """Weighted open value (value x stage probability) by expected close month and currency, next to the value
    already won in each month."""
    from tinycrm.services.sales import reports

    no_csv_and_json(as_csv, as_json)
    f = reports.forecast(state.db(), months=months, past=past, owner=owner_of(owner, mine), pipeline=pipeline)
    rows = [*f.earlier, *f.rows, *f.undated]
    cols = ["month", "currency", "open_deals", "open_value", "weighted", "won_deals", "won"]

    cells = [[r.month, r.currency, r.open_count, r.open_value, r.weighted, r.won_count, r.won] for r in rows]
    if report_for_scripts(f, cols, cells, as_csv=as_csv, as_json=as_json):
        return
    if not rows:
        render.note(f"no open deals expected to close and nothing won in {f.months[0]} .. {f.months[-1]}")
        return
    from rich.table import Table

    c = render.console()
    for code in f.currencies:
        mine_rows = [r for r in rows if r.currency == code]
        top = max([max(r.weighted, r.won) for r in mine_rows] or [0])
        t = Table(title=f"Forecast ({code})", box=None, pad_edge=False, header_style="bold")
        for h, style in (
            ("month", "cyan"),
            ("deals", "dim"),
            ("weighted", None),
            ("", "blue"),
            ("won", None),
            ("", "green"),
            ("open value", "dim"),
        ):
            t.add_column(
                h, style=style, justify="right" if h in ("deals", "weighted", "won", "open value") else "left"
            )
        for r in mine_rows:
            t.add_row(
                r.month,
                str(r.open_count),
                f"{r.weighted:,}",
                bar(r.weighted, top),
                f"{r.won:,}",
                bar(r.won, top),
                f"{r.open_value:,}",
            )
        c.print(t)
        c.print()


@report_app.command("pipeline")
def pipeline_report_cmd(
    pipeline: str = typer.Argument(None, help="Pipeline name or id (default: the first pipeline)."),
    owner: str = OWNER,
    mine: bool = MINE,
    as_csv: bool = CSV,
    as_json: bool = JSON,
) -> None:
    """Per stage: open deals and value, how many deals reached it, conversion to the next stage, wins."""
    from tinycrm.services.sales import reports

    no_csv_and_json(as_csv, as_json)
    r = reports.pipeline_report(state.db(), pipeline=pipeline, owner=owner_of(owner, mine))
    cols = [
        "stage",
        "probability",
        "open_deals",
        "open_value",
        "weighted",
        "reached",
        "conversion_pct",
        "won",
        "win_pct",
    ]

    cells = [
        [
            s.stage,
            s.probability,
            s.open_count,
            per_currency(s.open_value),
            per_currency(s.weighted),
            s.reached,
            s.conversion_pct,
            s.won,
            s.win_pct,
        ]
        for s in r.stages
    ]
    if report_for_scripts(r, cols, cells, as_csv=as_csv, as_json=as_json):
        return
    from rich.table import Table

    top = max([s.reached for s in r.stages] or [0])
    t = Table(
        title=f"{r.pipeline}: {r.deals} deals, {r.won} won, {r.lost} lost",
        box=None,
        pad_edge=False,
        header_style="bold",
    )
    for h in ("stage", "%", "open", "open value", "weighted", "reached", "", "→ next", "won"):
        t.add_column(h, justify="right" if h in ("%", "open", "reached", "→ next", "won") else "left")
    for s in r.stages:
        t.add_row(
            s.stage,
            str(s.probability),
            str(s.open_count),
            per_currency(s.open_value),
            per_currency(s.weighted),
            str(s.reached),
            bar(s.reached, top),
            f"{s.conversion_pct} %" if s.conversion_pct is not None else "",
            f"{s.won} ({s.win_pct} %)" if s.win_pct is not None else str(s.won),
        )
    render.console().print(t)


@report_app.command("wins")
def wins_cmd(
    since: str = typer.Option(None, "--since", help="Only deals closed since this day (default: ever)."),
    pipeline: str = typer.Option(None, "--pipeline", "-p", help="Only this pipeline."),
    owner: str = OWNER,
    mine: bool = MINE,
    as_csv: bool = CSV,
    as_json: bool = JSON,
) -> None:
    """Win rate, average won deal per currency, average cycle (created to closed), lost reasons ranked."""
    from tinycrm.services.sales import reports

    no_csv_and_json(as_csv, as_json)
    w = reports.wins(state.db(), since=since, owner=owner_of(owner, mine), pipeline=pipeline)
    lines: list[list[Any]] = [
        ["won", "", w.won, "", ""],
        ["lost", "", w.lost, "", ""],
        ["win_rate_pct", "", w.win_rate_pct, "", ""],
        ["avg_cycle_days", "", w.avg_cycle_days, "", ""],
        ["avg_cycle_days_lost", "", w.avg_cycle_days_lost, "", ""],
        *[["won_value", a.currency, a.count, a.total, a.average] for a in w.won_value],
        *[["lost_reason", r.reason, r.count, "", ""] for r in w.lost_reasons],
    ]
    if report_for_scripts(
        w, ["metric", "key", "count", "total", "average"], lines, as_csv=as_csv, as_json=as_json
    ):
        return
    from rich.table import Table

    c = render.console()
    render.record(
        [
            ("closed", f"since {w.since}" if w.since else "ever"),
            ("won", str(w.won)),
            ("lost", str(w.lost)),
            ("win rate", f"{w.win_rate_pct} %" if w.win_rate_pct is not None else "-"),
            ("avg cycle (won)", f"{w.avg_cycle_days} days" if w.avg_cycle_days is not None else "-"),
            (
                "avg cycle (lost)",
                f"{w.avg_cycle_days_lost} days" if w.avg_cycle_days_lost is not None else "-",
            ),
        ]
    )
    if w.won_value:
        t = Table(title="Won", box=None, pad_edge=False, header_style="bold")
        for h in ("currency", "deals", "total", "average"):
            t.add_column(h, justify="left" if h == "currency" else "right")
        for a in w.won_value:
            t.add_row(a.currency, str(a.count), f"{a.total:,}", f"{a.average:,}")
        c.print()
        c.print(t)
    if w.lost_reasons:
        top = w.lost_reasons[0].count
        t = Table(title="Lost reasons", box=None, pad_edge=False, header_style="bold")
        t.add_column("reason")
        t.add_column("deals", justify="right")
        t.add_column("", style="red")
        for r in w.lost_reasons:
            t.add_row(r.reason, str(r.count), bar(r.count, top))
        c.print()
        c.print(t)


@report_app.command("activity")
def activity_cmd(
    weeks: int = typer.Option(12, "--weeks", "-w", help="Weeks back, this one included."),
    owner: str = typer.Option(None, "--owner", help="Only interactions this user logged."),
    mine: bool = typer.Option(False, "--mine", help="Only interactions I logged."),
    as_csv: bool = CSV,
    as_json: bool = JSON,
) -> None:
    """Interactions per week (from Monday) by kind."""
    from tinycrm.services.sales import reports

    no_csv_and_json(as_csv, as_json)
    a = reports.activity(state.db(), weeks=weeks, owner=owner_of(owner, mine))
    cols = ["week", *a.kinds, "total"]
    rows = [[w.week, *[w.counts.get(k, 0) for k in a.kinds], w.total] for w in a.weeks]
    if report_for_scripts(a, cols, rows, as_csv=as_csv, as_json=as_json):
        return
    from rich.table import Table

    top = max([w.total for w in a.weeks] or [0])
    t = Table(title="Interactions per week", box=None, pad_edge=False, header_style="bold")
    t.add_column("week", style="cyan")
    for k in a.kinds:
        t.add_column(k, justify="right")
    t.add_column("total", justify="right", style="bold")
    t.add_column("", style="blue")
    for w in a.weeks:
        t.add_row(w.week, *[str(w.counts.get(k, 0) or "") for k in a.kinds], str(w.total), bar(w.total, top))
    render.console().print(t)


pipeline_app.add_typer(stages_app, name="stages")


def register(app: typer.Typer) -> None:
    app.add_typer(deal_app, name="deal")
    app.add_typer(pipeline_app, name="pipeline")
    app.add_typer(report_app, name="report")
