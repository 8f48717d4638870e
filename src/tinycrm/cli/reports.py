"""Sales reports on the command line: ``crm report forecast|pipeline|wins|activity``.

On a terminal: Rich tables with bar charts; to a pipe: tab-separated lines; ``--json``; ``--csv`` with a header
row.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.common import owner_of
from tinycrm.cli.options import DEAL_MINE, DEAL_OWNER, JSON, not_blank
from tinycrm.domain.currencies import shown

report_app = typer.Typer(
    help="Sales reports: forecast, pipeline conversion, wins, activity.", no_args_is_help=True
)

CSV = typer.Option(False, "--csv", help="Print CSV with a header row.")


# --- shared ---------------------------------------------------------------------------------------------


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


# --- crm report ... -------------------------------------------------------------------------------------


@report_app.command("forecast")
def forecast_cmd(
    months: int = typer.Option(6, "--months", "-m", help="Months ahead, this one included."),
    past: int = typer.Option(0, "--past", help="Also this many months before this one."),
    pipeline: str = typer.Option(None, "--pipeline", "-p", callback=not_blank, help="Only this pipeline."),
    owner: str = DEAL_OWNER,
    mine: bool = DEAL_MINE,
    method: str = typer.Option(
        None,
        "--method",
        help="weighted, historical or blend: with forecast categories and the probabilities used.",
    ),
    as_of: str = typer.Option(None, "--as-of", callback=not_blank, help="As it would have been on this day."),
    k: int = typer.Option(None, "--k", help="The blend's weight of the configured probability (default 10)."),
    window: str = typer.Option(None, "--window", "-w", help="How far back probabilities are learned (12m)."),
    as_csv: bool = CSV,
    as_json: bool = JSON,
) -> None:
    """Weighted open value (value x stage probability) by expected close month and currency, next to the value
    already won in each month. --method (or --as-of) adds forecast categories and learned probabilities."""
    no_csv_and_json(as_csv, as_json)
    if method is not None or as_of is not None or k is not None or window is not None:
        from tinycrm.cli.forecasting import method_forecast

        method_forecast(
            method=method or "weighted", k=k, months=months, as_of=as_of, owner=owner_of(owner, mine),
            pipeline=pipeline, window=window, as_csv=as_csv, as_json=as_json,
        )  # fmt: skip
        return
    from tinycrm.services.sales import reports

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
                shown(r.weighted, r.currency),
                bar(r.weighted, top),
                shown(r.won, r.currency),
                bar(r.won, top),
                shown(r.open_value, r.currency),
            )
        c.print(t)
        c.print()


@report_app.command("pipeline")
def pipeline_report_cmd(
    pipeline: str = typer.Argument(None, help="Pipeline name or id (default: the first pipeline)."),
    owner: str = DEAL_OWNER,
    mine: bool = DEAL_MINE,
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
    since: str = typer.Option(
        None, "--since", callback=not_blank, help="Only deals closed since this day (default: ever)."
    ),
    pipeline: str = typer.Option(None, "--pipeline", "-p", callback=not_blank, help="Only this pipeline."),
    owner: str = DEAL_OWNER,
    mine: bool = DEAL_MINE,
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
            t.add_row(a.currency, str(a.count), shown(a.total, a.currency), shown(a.average, a.currency))
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
    owner: str = typer.Option(
        None, "--owner", callback=not_blank, help="Only interactions this user logged."
    ),
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


def register(app: typer.Typer) -> None:
    from tinycrm.cli.forecasting import register_reports

    register_reports(report_app)
    app.add_typer(report_app, name="report")
