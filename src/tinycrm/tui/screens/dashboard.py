"""The dashboard: forecast by month, the pipeline by stage, the win rate and activity per week."""

from __future__ import annotations

import contextvars
import threading
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
from tinycrm.store import pool as data
from tinycrm.tui import keys
from tinycrm.tui.format import money
from tinycrm.tui.screens.base import CrmScreen, ServiceFailed
from tinycrm.tui.widgets.charts import bar
from tinycrm.tui.widgets.footer import CrmFooter
from tinycrm.tui.widgets.nav import NavBar

#: the cards, each read by its own worker and drawn as soon as its report is in: the slowest report (activity
#: on a million interactions) no longer holds back the others
CARDS = ("forecast", "pipeline", "wins", "activity", "leads", "tickets")
#: the first reads, a thread each: as much of the CPU as six threads on two cores, and three database
#: connections instead of six (each keeps up to 2 MB of pages: the peak memory grew 14 MB on this screen)
FIRST_READS = (("wins", "leads"), ("activity", "tickets"), ("forecast", "pipeline"))


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
    def __init__(self, name: str, report: Any, generation: int = 0) -> None:
        super().__init__()
        self.name = name
        self.report = report
        #: which read of the card it answers (a refresh's answer is not overwritten by an older one)
        self.generation = generation


def _month(label: str) -> str:
    try:
        return date.fromisoformat(label + "-01").strftime("%b %y")
    except ValueError:
        return label


def _lines() -> Text:
    """Text whose every line stays on one line: what does not fit the card ends in an ellipsis."""
    return Text(no_wrap=True, overflow="ellipsis")


def _packed(items: list[str], width: int, sep: str = "  ") -> str:
    """``items`` in as few lines as fit ``width``, none cut."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + len(sep) + len(item) <= width:
            lines[-1] += sep + item
        else:
            lines.append(item)
    return "\n".join(lines)


def forecast_chart(fc: Any, colours: dict[str, str], width: int) -> Group | Text:
    if not fc.rows and not fc.earlier and not fc.undated:
        return Text("No open deals with an expected close date.", style="dim italic")
    parts: list[Any] = []
    for cur in fc.currencies:
        rows = [r for r in fc.rows if r.currency == cur]
        top = max([r.weighted for r in rows] + [r.won for r in rows] + [Decimal(1)])
        bw = max(4, width - 17)  # month (7), a space, the amount (8), a cell to spare
        text = _lines()
        if len(fc.currencies) > 1:
            text.append(f"{cur}\n", style="bold underline")
        for r in rows:
            text.append(f"{_month(r.month):<7}", style="bold")
            text.append(bar(float(r.weighted / top), bw), style=colours["primary"])
            text.append(
                f" {money(r.weighted, cur, short=True):>8}\n",
                style=colours["primary"] if r.weighted else "dim",
            )
            if r.won:  # a month with nothing won yet (every month ahead) says so by having no won line
                text.append(f"{'won':>5}  ", style="dim")
                text.append(bar(float(r.won / top), bw), style=colours["success"])
                text.append(f" {money(r.won, cur, short=True):>8}\n", style=colours["success"])
        extra = [
            f"{money(e.weighted, e.currency, short=True)} overdue" for e in fc.earlier if e.currency == cur
        ]
        extra += [
            f"{money(u.weighted, u.currency, short=True)} undated" for u in fc.undated if u.currency == cur
        ]
        if extra:
            text.append(_packed(["also", *extra, "(weighted)"], width, sep=" ") + "\n", style="dim")
        parts.append(text)
    legend = _lines()
    legend.append("■ weighted open  ", style=colours["primary"])
    legend.append("■ won", style=colours["success"])
    return Group(*parts, legend)


#: the narrowest bar worth drawing
MIN_BAR = 4


def pipeline_chart(report: Any, colours: dict[str, str], width: int) -> Text:
    """One line per stage: ``Lead   ████  €93.7k · 11 · 72% on``; on a narrow card the conversion is
    ``→72%`` (explained under the bars), then the bars and the stage names are shortened, never wrapped."""
    if not report.stages:
        return Text("No stages.", style="dim italic")
    currencies: dict[str, Decimal] = {}
    for s in report.stages:
        for cur, v in s.open_value.items():
            currencies[cur] = currencies.get(cur, Decimal(0)) + v
    cur = max(currencies, key=lambda c: currencies[c]) if currencies else None
    values = [float(s.open_value.get(cur, Decimal(0))) if cur else 0.0 for s in report.stages]
    if not any(values):
        text = Text("No open deals yet.", style="dim italic")
    else:
        text = _stage_lines(report.stages, values, cur, colours, width)
    text.append("\n")
    facts = [f"{report.pipeline}: {report.deals} deals", f"{report.won} won", f"{report.lost} lost"]
    if len(currencies) > 1:
        facts.append(f"bars in {cur}")
    text.append(_packed(facts, width, sep=" · "), style="dim")
    return text


def _stage_lines(
    stages: list[Any], values: list[float], cur: str | None, colours: dict[str, str], width: int
) -> Text:
    def shown(s: Any, value: float, short: bool) -> str:
        amount = s.open_value.get(cur, Decimal(0)) if cur else None
        out = f"{money(amount, cur, short=True) if cur else '—'} · {s.open_count}"
        if s.conversion_pct is not None:
            out += f" →{s.conversion_pct:.0f}%" if short else f" · {s.conversion_pct:.0f}% on"
        return out

    rows = list(zip(stages, values, strict=True))
    texts = [shown(s, v, False) for s, v in rows]
    short = width - max(len(s.stage) for s in stages) - 2 - max(map(len, texts)) < MIN_BAR
    if short:
        texts = [shown(s, v, True) for s, v in rows]
    text = bar_lines(
        [(s.stage, v, t) for (s, v), t in zip(rows, texts, strict=True)], width, colours["secondary"]
    )
    if short and any(s.conversion_pct is not None for s in stages):
        text.append("\n→ % on to the next stage", style="dim")
    return text


def bar_lines(rows: list[tuple[str, float, str]], width: int, style: str, label_max: int = 0) -> Text:
    """``label ████▌  shown`` a line each, in ``width`` cells: a long label ends in an ellipsis before the bar
    gets narrower than ``MIN_BAR``."""
    sw = max(len(shown) for _, _, shown in rows)
    lw = max(len(label) for label, _, _ in rows)
    if label_max:
        lw = min(lw, label_max)
    lw = max(4, min(lw, width - 2 - sw - MIN_BAR))
    bw = max(1, width - lw - 2 - sw)
    top = max(value for _, value, _ in rows) or 1.0
    text = _lines()
    for i, (label, value, shown) in enumerate(rows):
        if i:
            text.append("\n")
        name = label if len(label) <= lw else label[: lw - 1] + "…"
        text.append(name.ljust(lw) + " ", style="bold")
        text.append(bar(value / top, bw), style=style)
        text.append(" " + shown, style="dim")
    return text


def wins_panel(w: Any, colours: dict[str, str], width: int) -> Group:
    rate = _lines()
    if w.win_rate_pct is None:
        rate.append("—", style="bold")
        rate.append("  no deal closed yet", style="dim")
    else:
        rate.append(f"{w.win_rate_pct:.0f}%", style=f"bold {colours['success']}")
        rate.append(f"  win rate · {w.won} won, {w.lost} lost", style="dim")
    facts = _lines()
    for a in w.won_value:
        facts.append(f"avg won {money(a.average, a.currency)} ", style="bold")
        facts.append(f"({a.count} · {money(a.total, a.currency, short=True)})\n", style="dim")
    if w.avg_cycle_days is not None:
        facts.append(f"avg cycle {w.avg_cycle_days:.0f} days", style="bold")
        if w.avg_cycle_days_lost is not None:
            facts.append(f" (lost: {w.avg_cycle_days_lost:.0f})", style="dim")
        facts.append("\n")
    lost = [(r.reason, float(r.count), str(r.count)) for r in w.lost_reasons[:5]]
    if lost:
        reasons = bar_lines(lost, width, colours["error"], label_max=max(18, width // 3))
    else:
        reasons = Text("no deal lost yet", style="dim italic")
    return Group(rate, Text(""), facts, Text("Lost because", style="bold underline"), reasons)


def activity_text(a: Any, colours: dict[str, str], width: int = 40) -> Text:
    totals: dict[str, int] = {}
    for w in a.weeks:
        for kind, n in w.counts.items():
            totals[kind] = totals.get(kind, 0) + n
    text = _lines()
    this_week = a.weeks[-1].total if a.weeks else 0
    text.append(f"{this_week}", style=f"bold {colours['accent']}")
    text.append(f" this week · {sum(w.total for w in a.weeks)} in {len(a.weeks)} weeks\n", style="dim")
    kinds = [f"{k} {n}" for k, n in totals.items() if n]
    text.append(_packed(kinds, width) if kinds else "nothing logged yet", style="dim")
    if a.weeks:
        text.append(f"\nfrom the week of {a.weeks[0].week}", style="dim")
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
        #: the latest read of each card (0: the first, started here)
        self.generation = dict.fromkeys(CARDS, 0)
        self._read_first()

    def _read_first(self) -> None:
        """Each report is read in a thread of its own while the screen is built, and posted to it when in:
        through workers started once the screen was mounted, four cards in by then waited 140 ms more."""
        try:
            db = self.app.db  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - built outside a running app: mounting reads as usual
            return
        self.started_first = True
        for names in FIRST_READS:
            run = contextvars.copy_context().run  # the app's context: the thread posts to the screen
            threading.Thread(target=run, args=(self._first, db, names), daemon=True, name="cards").start()

    def _first(self, db: Any, names: tuple[str, ...]) -> None:
        for name in names:
            try:
                report = read_card(lambda fn, *a, **k: data.call(db, fn, *a, **k), name)
            except CrmError as exc:
                self.post_message(ServiceFailed(exc, "Dashboard"))
                continue
            self.post_message(CardFetched(name, report))

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

    #: the first reads were started as the screen was built (not when built outside a running app)
    started_first = False

    def on_mount(self) -> None:
        if not self.started_first:
            self.reload()

    def on_screen_resume(self) -> None:
        if self.loaded:
            self.reload()

    def reload(self) -> None:
        for name in CARDS:
            self.generation[name] += 1
            generation = self.generation[name]
            self.run_worker(
                lambda name=name, generation=generation: self._read(name, generation),
                thread=True,
                group=f"card-{name}",
                exclusive=True,
            )

    def _read(self, name: str, generation: int) -> None:
        try:
            report = read_card(self.service, name)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Dashboard"))
            return
        if not self.cancelled():
            self.post_message(CardFetched(name, report, generation))

    def on_card_fetched(self, message: CardFetched) -> None:
        if message.generation < self.generation[message.name]:
            return  # a newer read of this card is on its way
        self.loaded = True  # from now on, coming back reloads (before it, the first reads are on their way)
        self.reports[message.name] = message.report
        self._draw(message.name)

    def on_resize(self) -> None:
        if self.reports:
            self.call_after_refresh(self._draw)

    def _draw(self, only: str | None = None) -> None:
        v = self.app.theme_variables
        colours = {k: v.get(k, "") for k in ("primary", "secondary", "success", "error", "accent", "warning")}
        for name, report in self.reports.items():
            if only is None or name == only:
                self._draw_card(name, report, colours)

    def _draw_card(self, name: str, r: Any, colours: dict[str, str]) -> None:
        from tinycrm.tui.screens.dashboard_desk import leads_text, tickets_text

        if name == "forecast":
            self.query_one("#forecast", Static).update(forecast_chart(r, colours, self._width("forecast")))
        elif name == "pipeline":
            chart = pipeline_chart(r, colours, self._width("pipeline-chart"))
            self.query_one("#pipeline-chart", Static).update(chart)
        elif name == "wins":
            self.query_one("#wins", Static).update(wins_panel(r, colours, self._width("wins")))
        elif name == "activity":
            self.query_one("#activity-spark", Sparkline).data = [float(w.total) for w in r.weeks]
            self.query_one("#activity", Static).update(activity_text(r, colours, self._width("activity")))
        elif name == "leads":
            self.query_one("#leads-card", Static).update(leads_text(r, colours, self._width("leads-card")))
        else:
            self.query_one("#tickets-card", Static).update(
                tickets_text(r, colours, self._width("tickets-card"))
            )

    def _width(self, card: str) -> int:
        """How many cells a line of a card's text has (its scrollbar, when it shows, left out)."""
        return max(20, self.query_one(f"#{card}", Static).size.width or 40)

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
