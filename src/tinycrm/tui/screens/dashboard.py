"""The dashboard: forecast by month, the pipeline by stage, the win rate and activity per week."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Label, Sparkline, Static

from tinycrm.domain.errors import CrmError
from tinycrm.tui import keys
from tinycrm.tui.format import money
from tinycrm.tui.screens.base import CrmScreen, ServiceFailed
from tinycrm.tui.widgets.charts import bar, hbars
from tinycrm.tui.widgets.footer import CrmFooter
from tinycrm.tui.widgets.nav import NavBar

#: the cards, each read by its own worker and drawn as soon as its report is in: the slowest report (activity
#: on a million interactions) no longer holds back the others
CARDS = ("forecast", "pipeline", "wins", "activity", "leads", "tickets")


def read_card(service: Any, name: str) -> Any:
    """The report card ``name`` draws, through ``service`` (a screen's: in a worker, or its prefetch)."""
    from tinycrm.services.sales import reports
    from tinycrm.tui.screens import dashboard_desk as desk

    if name == "forecast":
        return service(reports.forecast, months=6)
    if name == "pipeline":
        return service(reports.pipeline_report)
    if name == "wins":
        return service(reports.wins)
    if name == "activity":
        return service(reports.activity, weeks=12)
    if name == "leads":
        return service(desk.leads_summary)
    return service(desk.tickets_summary)


class CardFetched(Message):
    def __init__(self, name: str, report: Any) -> None:
        super().__init__()
        self.name = name
        self.report = report


def _month(label: str) -> str:
    try:
        return date.fromisoformat(label + "-01").strftime("%b %y")
    except ValueError:
        return label


def forecast_chart(fc: Any, colours: dict[str, str], width: int) -> Group | Text:
    if not fc.rows and not fc.earlier and not fc.undated:
        return Text("No open deals with an expected close date.", style="dim italic")
    parts: list[Any] = []
    for cur in fc.currencies:
        rows = [r for r in fc.rows if r.currency == cur]
        top = max([r.weighted for r in rows] + [r.won for r in rows] + [Decimal(1)])
        bw = max(8, width - 26)
        text = Text()
        if len(fc.currencies) > 1:
            text.append(f"{cur}\n", style="bold underline")
        for r in rows:
            text.append(f"{_month(r.month):<7}", style="bold")
            text.append(bar(float(r.weighted / top), bw), style=colours["primary"])
            text.append(
                f" {money(r.weighted, cur, short=True):>8}\n",
                style=colours["primary"] if r.weighted else "dim",
            )
            text.append(f"{'won':>5}  ", style="dim")
            text.append(bar(float(r.won / top), bw), style=colours["success"])
            text.append(
                f" {money(r.won, cur, short=True):>8}\n", style=colours["success"] if r.won else "dim"
            )
        extra = [
            f"{money(e.weighted, e.currency, short=True)} overdue" for e in fc.earlier if e.currency == cur
        ]
        extra += [
            f"{money(u.weighted, u.currency, short=True)} undated" for u in fc.undated if u.currency == cur
        ]
        if extra:
            text.append("also " + ", ".join(extra) + " (weighted)\n", style="dim")
        parts.append(text)
    legend = Text()
    legend.append("■ weighted open  ", style=colours["primary"])
    legend.append("■ won", style=colours["success"])
    return Group(*parts, legend)


def pipeline_chart(report: Any, colours: dict[str, str], width: int) -> Text:
    if not report.stages:
        return Text("No stages.", style="dim italic")
    currencies: dict[str, Decimal] = {}
    for s in report.stages:
        for cur, v in s.open_value.items():
            currencies[cur] = currencies.get(cur, Decimal(0)) + v
    cur = max(currencies, key=lambda c: currencies[c]) if currencies else None
    rows = []
    for s in report.stages:
        value = s.open_value.get(cur, Decimal(0)) if cur else Decimal(0)
        shown = f"{money(value, cur, short=True) if cur else '—'} · {s.open_count}"
        if s.conversion_pct is not None:
            shown += f" · {s.conversion_pct:.0f}% on"
        rows.append((s.stage, float(value), shown))
    lw = max(len(s.stage) for s in report.stages)
    text = hbars(
        rows,
        width=max(8, width - lw - 22),
        label_width=lw,
        style=colours["secondary"],
        empty="No open deals yet.",
    )
    text.append(
        f"\n{report.pipeline}: {report.deals} deals · {report.won} won · {report.lost} lost", style="dim"
    )
    if len(currencies) > 1:
        text.append(f" · bars in {cur}", style="dim")
    return text


def wins_panel(w: Any, colours: dict[str, str], width: int) -> Group:
    rate = Text()
    if w.win_rate_pct is None:
        rate.append("—", style="bold")
        rate.append("  no deal closed yet", style="dim")
    else:
        rate.append(f"{w.win_rate_pct:.0f}%", style=f"bold {colours['success']}")
        rate.append(f"  win rate · {w.won} won, {w.lost} lost", style="dim")
    facts = Text()
    for a in w.won_value:
        facts.append(f"avg won {money(a.average, a.currency)} ", style="bold")
        facts.append(f"({a.count} · {money(a.total, a.currency, short=True)})\n", style="dim")
    if w.avg_cycle_days is not None:
        facts.append(f"avg cycle {w.avg_cycle_days:.0f} days", style="bold")
        if w.avg_cycle_days_lost is not None:
            facts.append(f" (lost ones: {w.avg_cycle_days_lost:.0f})", style="dim")
        facts.append("\n")
    reasons = hbars(
        [(r.reason, float(r.count), str(r.count)) for r in w.lost_reasons[:5]],
        width=max(6, width - 30),
        label_width=18,
        style=colours["error"],
        empty="no deal lost yet",
    )
    return Group(rate, Text(""), facts, Text("Lost because", style="bold underline"), reasons)


def activity_text(a: Any, colours: dict[str, str]) -> Text:
    totals: dict[str, int] = {}
    for w in a.weeks:
        for kind, n in w.counts.items():
            totals[kind] = totals.get(kind, 0) + n
    text = Text()
    this_week = a.weeks[-1].total if a.weeks else 0
    text.append(f"{this_week}", style=f"bold {colours['accent']}")
    text.append(f" this week · {sum(w.total for w in a.weeks)} in {len(a.weeks)} weeks\n", style="dim")
    text.append("  ".join(f"{k} {n}" for k, n in totals.items() if n) or "nothing logged yet", style="dim")
    if a.weeks:
        text.append(f"\nweeks from {a.weeks[0].week} to this week (Mondays)", style="dim")
    return text


class DashboardScreen(CrmScreen):
    AREA = "dashboard"
    BINDINGS = keys.bindings("dashboard")
    AUTO_FOCUS = "#dashboard-scroll"

    def __init__(self) -> None:
        super().__init__()
        #: the reports in so far, by card
        self.reports: dict[str, Any] = {}
        self.loaded = False
        for name in CARDS:  # the reports are read while the screen is built
            read_card(self.prefetch, name)

    def compose(self) -> ComposeResult:
        yield NavBar("dashboard")
        with VerticalScroll(id="dashboard-scroll"), Grid(id="dashboard"):
            with Vertical(classes="card", id="card-forecast"):
                yield Label("Forecast by month", classes="card-title")
                yield Static("Loading…", id="forecast")
            with Vertical(classes="card", id="card-pipeline"):
                yield Label("Pipeline by stage", classes="card-title")
                yield Static("Loading…", id="pipeline-chart")
            with Vertical(classes="card", id="card-wins"):
                yield Label("Wins", classes="card-title")
                yield Static("Loading…", id="wins")
            with Vertical(classes="card", id="card-activity"):
                yield Label("Activity per week", classes="card-title")
                yield Sparkline([], id="activity-spark")
                yield Static("", id="activity")
            with Vertical(classes="card", id="card-leads"):
                yield Label("Leads  [dim]7 opens them[/dim]", classes="card-title")
                yield Static("Loading…", id="leads-card")
            with Vertical(classes="card", id="card-tickets"):
                yield Label("Support  [dim]6 opens it[/dim]", classes="card-title")
                yield Static("Loading…", id="tickets-card")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        if self.loaded:
            self.reload()

    def reload(self) -> None:
        for name in CARDS:
            self.run_worker(
                lambda name=name: self._read(name), thread=True, group=f"card-{name}", exclusive=True
            )

    def _read(self, name: str) -> None:
        try:
            report = read_card(self.service, name)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Dashboard"))
            return
        if not self.cancelled():
            self.post_message(CardFetched(name, report))

    def on_card_fetched(self, message: CardFetched) -> None:
        self.loaded = True  # from now on, coming back reloads (before it, the first reads are on their way)
        self.reports[message.name] = message.report
        self._draw(message.name)

    def on_resize(self) -> None:
        if self.reports:
            self.call_after_refresh(self._draw)

    def _draw(self, only: str | None = None) -> None:
        v = self.app.theme_variables
        colours = {k: v.get(k, "") for k in ("primary", "secondary", "success", "error", "accent", "warning")}
        width = max(30, self.query_one("#forecast", Static).size.width or 40)
        for name, report in self.reports.items():
            if only is None or name == only:
                self._draw_card(name, report, colours, width)

    def _draw_card(self, name: str, r: Any, colours: dict[str, str], width: int) -> None:
        from tinycrm.tui.screens.dashboard_desk import leads_text, tickets_text

        if name == "forecast":
            self.query_one("#forecast", Static).update(forecast_chart(r, colours, width))
        elif name == "pipeline":
            self.query_one("#pipeline-chart", Static).update(pipeline_chart(r, colours, width))
        elif name == "wins":
            self.query_one("#wins", Static).update(wins_panel(r, colours, width))
        elif name == "activity":
            self.query_one("#activity-spark", Sparkline).data = [float(w.total) for w in r.weeks]
            self.query_one("#activity", Static).update(activity_text(r, colours))
        elif name == "leads":
            self.query_one("#leads-card", Static).update(leads_text(r, colours))
        else:
            self.query_one("#tickets-card", Static).update(tickets_text(r, colours))

    def on_click(self, event: Any) -> None:
        """A click on the leads or the support card opens that screen."""
        node = event.widget
        while node is not None and node is not self:
            if node.id in ("card-leads", "card-tickets"):
                self.app.action_show(node.id.removeprefix("card-"))  # type: ignore[attr-defined]
                return
            node = node.parent

    def action_refresh(self) -> None:
        self.reload()
