"""How ``crm report support`` shows the support report (the command is declared in :mod:`tinycrm.cli.tickets`)."""

from __future__ import annotations

from typing import Any

from tinycrm.cli import render, state
from tinycrm.cli.reports import bar, no_csv_and_json, report_for_scripts


def duration(minutes: int | None) -> str:
    if minutes is None:
        return "-"
    return f"{minutes // 60}h {minutes % 60:02d}m"


def show_report(since: str | None, as_json: bool, as_csv: bool) -> None:
    from tinycrm.services.support import report

    no_csv_and_json(as_csv, as_json)
    r = report.build(state.db(), since=since)
    rows: list[list[Any]] = [[w.week, w.opened, w.resolved] for w in r.weeks]
    if report_for_scripts(r, ["week", "opened", "resolved"], rows, as_csv=as_csv, as_json=as_json):
        return
    top = max([w.opened for w in r.weeks] + [w.resolved for w in r.weeks] + [1])
    render.table(
        [[w.week, w.opened, bar(w.opened, top, 16), w.resolved, bar(w.resolved, top, 16)] for w in r.weeks],
        ["week", "opened", "", "resolved", ""],
        title=f"Support since {r.since}",
    )
    render.record(
        [
            (
                "first response",
                f"median {duration(r.first_response.median_minutes)}, "
                f"90% within {duration(r.first_response.p90_minutes)} ({r.first_response.count} tickets)",
            ),
            (
                "resolution",
                f"median {duration(r.resolution.median_minutes)}, "
                f"90% within {duration(r.resolution.p90_minutes)} ({r.resolution.count} tickets)",
            ),
            (
                "SLA breaches",
                f"{r.breached_first_response} first response, {r.breached_resolution} resolution",
            ),
            ("backlog", ", ".join(f"{k} {v}" for k, v in r.backlog_by_status.items())),
            ("by assignee", ", ".join(f"{k} {v}" for k, v in r.backlog_by_assignee.items())),
        ],
        title="Business hours",
    )
