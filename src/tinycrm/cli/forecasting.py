"""``crm report conversion|accuracy|kpis`` and ``crm report forecast --method``: forecasts and KPIs learned
from the deals' history. Registered on the ``crm report`` group by :mod:`tinycrm.cli.reports`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import typer

from tinycrm.cli import charts, render, state
from tinycrm.cli.options import JSON, not_blank
from tinycrm.domain.currencies import shown

CSV = typer.Option(False, "--csv", help="Print CSV with a header row.")
WINDOW = typer.Option(
    None, "--window", "-w", help="How far back to learn: 12m, 90d, 2y (default: [forecast] window)."
)
K = typer.Option(
    None, "--k", help="The blend's weight of the configured probability (default: [forecast] k, 10)."
)


def _scripts(report: Any, header: list[str], rows: list[list[Any]], as_csv: bool, as_json: bool) -> bool:
    from tinycrm.cli.reports import no_csv_and_json, report_for_scripts

    no_csv_and_json(as_csv, as_json)
    return report_for_scripts(report, header, rows, as_csv=as_csv, as_json=as_json)


def _pct(value: Any) -> str:
    return "-" if value is None else f"{value} %"


def conversion_cmd(
    pipeline: str = typer.Option(None, "--pipeline", "-p", callback=not_blank, help="Only this pipeline."),
    window: str = WINDOW,
    as_of: str = typer.Option(
        None, "--as-of", callback=not_blank, help="Learn from what had closed by this day."
    ),
    k: int = K,
    as_csv: bool = CSV,
    as_json: bool = JSON,
) -> None:
    """Per stage: of the deals that were in it and closed in the window, the share won (learned), next to the
    configured probability and the blend of both."""
    from tinycrm.services.sales import forecasting

    r = forecasting.conversion(state.db(), pipeline=pipeline, window=window, as_of=as_of, k=k)
    cols = ["pipeline", "stage", "configured_pct", "learned_pct", "won", "closed", "blend_pct"]
    rows = [
        [s.pipeline, s.stage, s.configured_pct, s.learned_pct, s.won, s.closed, s.blend_pct] for s in r.stages
    ]
    if _scripts(r, cols, rows, as_csv, as_json):
        return
    from rich.table import Table

    t = Table(
        title=f"Stage conversion, closed {r.since} .. {r.until} (k = {r.k})", box=None, header_style="bold"
    )
    for h in ("pipeline", "stage", "configured", "learned", "", "won / closed", "blend"):
        t.add_column(h, justify="left" if h in ("pipeline", "stage", "") else "right")
    for s in r.stages:
        t.add_row(s.pipeline, s.stage, f"{s.configured_pct} %", _pct(s.learned_pct),
                  charts.bar(s.learned_pct, 100, 10), f"{s.won} / {s.closed}", _pct(s.blend_pct))  # fmt: skip
    render.console().print(t)


def method_forecast(
    *, method: str, k: int | None, months: int, as_of: str | None, owner: str | None, pipeline: str | None,
    window: str | None, as_csv: bool, as_json: bool,
) -> None:  # fmt: skip
    """``crm report forecast --method M``: categories and the weighted value by the method, per month."""
    from tinycrm.services.sales import forecasting

    f = forecasting.forecast(state.db(), method=method, k=k, months=months, as_of=as_of, owner=owner,
                             pipeline=pipeline, window=window)  # fmt: skip
    rows = [*f.earlier, *f.rows, *f.undated]
    cols = ["month", "currency", "won", "commit", "best_case", "pipeline", "open_deals", "weighted"]
    cells = [
        [r.month, r.currency, r.won, r.commit, r.best_case, r.pipeline, r.open_count, r.weighted]
        for r in rows
    ]
    if _scripts(f, cols, cells, as_csv, as_json):
        return
    from rich.table import Table

    c = render.console()
    for code in f.currencies:
        mine = [r for r in rows if r.currency == code]
        top = max([max(r.weighted, r.won) for r in mine] or [Decimal(0)])
        t = Table(title=f"Forecast ({code}, {f.method}, as of {f.as_of})", box=None, header_style="bold")
        for h in ("month", "won", "commit", "best case", "pipeline", "weighted", ""):
            t.add_column(h, justify="left" if h in ("month", "") else "right")
        for r in mine:
            t.add_row(r.month, *(shown(x, code) for x in (r.won, r.commit, r.best_case, r.pipeline, r.weighted)),
                      charts.bar(r.weighted, top, 12))  # fmt: skip
        c.print(t)
        c.print()
    used = [(f"{p.pipeline} / {p.stage}", p.pct, f"{p.pct} % ({p.source})") for p in f.probabilities]
    charts.bars("Stage probabilities used", used, width=20)


def accuracy_cmd(
    quarters: int = typer.Option(4, "--quarters", "-q", help="How many past quarters."),
    window: str = WINDOW,
    k: int = K,
    owner: str = typer.Option(None, "--owner", callback=not_blank, help="Only deals of this user."),
    as_csv: bool = CSV,
    as_json: bool = JSON,
) -> None:
    """Each past quarter: what each method forecast on its first day against what was won in it."""
    from tinycrm.services.sales import accuracy

    r = accuracy.accuracy(state.db(), quarters=quarters, k=k, owner=owner, window=window)
    cols = ["quarter", "currency", "method", "forecast", "actual", "error_pct"]
    rows = [[a.quarter, a.currency, a.method, a.forecast, a.actual, a.error_pct] for a in r.rows]
    if _scripts(r, cols, rows, as_csv, as_json):
        return
    if not r.rows:
        render.note(f"nothing forecast or won in {r.quarters[0]} .. {r.quarters[-1]}")
        return
    from rich.table import Table

    t = Table(title=f"Forecast accuracy (k = {r.k})", box=None, header_style="bold")
    for h in ("quarter", "cur", "method", "forecast", "actual", "error", ""):
        t.add_column(h, justify="right" if h in ("forecast", "actual", "error") else "left")
    for a in r.rows:
        t.add_row(a.quarter, a.currency, a.method, shown(a.forecast, a.currency), shown(a.actual, a.currency),
                  _pct(a.error_pct),
                  charts.bar(abs(a.error_pct) if a.error_pct is not None else 0, 100, 10))  # fmt: skip
    render.console().print(t)
    for code, method in r.best.items():
        render.note(f"{code}: {method} was closest on average")


def _kpi_lines(k: Any) -> list[list[Any]]:
    who = k.owner or ""
    lines: list[list[Any]] = [
        [who, "won", "", k.won], [who, "lost", "", k.lost], [who, "win_rate_pct", "", k.win_rate_pct],
        [who, "avg_cycle_days", "", k.avg_cycle_days], [who, "open_deals", "", k.open_deals],
        [who, "leads", "", k.leads], [who, "leads_converted", "", k.leads_converted],
        [who, "lead_conversion_pct", "", k.lead_conversion_pct], [who, "lead_conversion_days", "", k.lead_conversion_days],
        [who, "slips", "", k.slips], [who, "slipped_deals", "", k.slipped_deals], [who, "avg_slip_days", "", k.avg_slip_days],
        [who, "interactions", "", k.interactions], [who, "activity_per_deal", "", k.activity_per_deal],
        [who, "activity_per_contact", "", k.activity_per_contact],
    ]  # fmt: skip
    lines += [[who, "avg_won", a.currency, a.value] for a in k.avg_won]
    lines += [[who, "velocity_per_day", v.currency, v.value] for v in k.velocity]
    return lines


def kpis_cmd(
    since: str = typer.Option(
        None, "--since", callback=not_blank, help="From this day (default: 12 months ago)."
    ),
    owner: str = typer.Option(
        None, "--owner", callback=not_blank, help="Only this user's deals, leads, activity."
    ),
    as_csv: bool = CSV,
    as_json: bool = JSON,
) -> None:
    """Win rate, average won size, cycle, velocity, lead conversion, close-date slips, activity; per month and,
    with several users, per owner."""
    from tinycrm.services.sales import kpis

    r = kpis.kpis(state.db(), since=since, owner=owner)
    lines = _kpi_lines(r.total)
    for o in r.owners:
        lines += _kpi_lines(o)
    for m in r.months:
        lines += [
            [r.total.owner or "", f"month {m.month} won", "", m.won],
            [r.total.owner or "", f"month {m.month} lost", "", m.lost],
        ]
        lines += [
            [r.total.owner or "", f"month {m.month} won_value", w.currency, w.value] for w in m.won_value
        ]
    if _scripts(r, ["owner", "metric", "currency", "value"], lines, as_csv, as_json):
        return
    k = r.total
    render.record(
        [
            ("since", str(r.since)), ("won / lost", f"{k.won} / {k.lost}"), ("win rate", _pct(k.win_rate_pct)),
            ("avg won", ", ".join(f"{a.value:,} {a.currency}" for a in k.avg_won)),
            ("avg cycle", f"{k.avg_cycle_days} days" if k.avg_cycle_days is not None else "-"),
            ("velocity", ", ".join(f"{v.value:,} {v.currency}/day" for v in k.velocity)),
            ("leads", f"{k.leads_converted} of {k.leads} converted ({_pct(k.lead_conversion_pct)}"
                      + (f", {k.lead_conversion_days} days)" if k.lead_conversion_days is not None else ")")),
            ("close-date slips", f"{k.slips} on {k.slipped_deals} deals"
                                 + (f", {k.avg_slip_days} days on average" if k.avg_slip_days is not None else "")),
            ("activity", f"{k.interactions} interactions; {k.activity_per_deal or '-'} per deal, "
                         f"{k.activity_per_contact or '-'} per contact"),
        ],
        title="KPIs",
    )  # fmt: skip
    render.out("")
    render.out(
        "won per month   "
        + charts.line([m.won for m in r.months])
        + f"   ({r.months[0].month} .. {r.months[-1].month})"
    )
    render.out("activity        " + charts.line([m.interactions for m in r.months]))
    if r.owners:
        charts.bars(
            "Win rate per owner",
            [(o.owner or "", o.win_rate_pct or 0, _pct(o.win_rate_pct)) for o in r.owners],
        )


def register_reports(report_app: typer.Typer) -> None:
    report_app.command("conversion")(conversion_cmd)
    report_app.command("accuracy")(accuracy_cmd)
    report_app.command("kpis")(kpis_cmd)
