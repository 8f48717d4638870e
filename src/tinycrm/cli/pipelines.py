"""Pipelines on the command line: ``crm pipeline [NAME]`` (the board), ``crm pipeline list|add|rename|remove``
and ``crm pipeline stages [PIPELINE]|add|rename|move|set|remove``."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from tinycrm.cli import render, state
from tinycrm.cli.common import delete_confirmed, owner_of
from tinycrm.cli.options import DEAL_MINE, DEAL_OWNER, JSON, PIPELINE


class DefaultGroup(TyperGroup):
    """A group that runs ``default_command`` when the first word is not one of its commands, so that
    ``crm pipeline`` and ``crm pipeline Sales`` show the board while ``crm pipeline add X`` still works. Shell
    completion (``crm pipeline <TAB>``) offers the commands instead of running the default."""

    default_command = "show"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [self.default_command, *args]
        elif not args and not ctx.resilient_parsing:
            args = [self.default_command]
        return super().parse_args(ctx, args)


class StagesGroup(DefaultGroup):
    default_command = "list"


pipeline_app = typer.Typer(
    cls=DefaultGroup,
    help="Pipelines and the board. 'crm pipeline [NAME]' shows the board of a pipeline (default: the first).",
)
stages_app = typer.Typer(
    cls=StagesGroup, help="The stages of a pipeline: 'crm pipeline stages [PIPELINE]' lists them."
)


# --- the board ------------------------------------------------------------------------------------------


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
    owner: str = DEAL_OWNER,
    mine: bool = DEAL_MINE,
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


# --- pipelines ------------------------------------------------------------------------------------------


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


# --- stages ---------------------------------------------------------------------------------------------


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


pipeline_app.add_typer(stages_app, name="stages")


def register(app: typer.Typer) -> None:
    app.add_typer(pipeline_app, name="pipeline")
