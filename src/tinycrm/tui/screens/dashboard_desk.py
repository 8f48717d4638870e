"""The dashboard's leads and support cards: what the services say (run in the dashboard's worker), and how
it looks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.text import Text

from tinycrm.tui.format import money

#: how many leads and tickets a card lists
TOP = 4


@dataclass(frozen=True)
class LeadsSummary:
    new: int
    hot: int
    threshold: int
    open: int
    top: list[Any]


@dataclass(frozen=True)
class TicketsSummary:
    open: int
    breaching: int
    unassigned: int
    top: list[Any]


def leads_summary(db: Any) -> LeadsSummary:
    from tinycrm import config
    from tinycrm.config.leads import Leads
    from tinycrm.services.leads import records

    threshold = config.get(Leads).threshold
    new = records.list_leads(db, status="new", limit=1).total
    hot = records.list_leads(db, status="open", min_score=threshold, limit=1).total
    top = records.list_leads(db, status="open", sort="score", limit=TOP)
    return LeadsSummary(new, hot, threshold, top.total, top.items)


def tickets_summary(db: Any) -> TicketsSummary:
    from tinycrm.services.support import tickets

    work = tickets.list_page(db, statuses=("new", "open"), limit=TOP)
    breaching = tickets.list_page(db, statuses=("new", "open"), breaching=True, limit=1).total
    unassigned = tickets.list_page(db, statuses=("new", "open"), unassigned=True, limit=1).total
    return TicketsSummary(work.total, breaching, unassigned, work.items)


def _line() -> Text:
    return Text(no_wrap=True, overflow="ellipsis")


def _counts(parts: list[tuple[int, str, str]], width: int) -> Text:
    """``3 new  1 hot  5 open``: each count with its label, on as many lines as ``width`` needs (never cut)."""
    text = _line()
    used = 0
    for n, style, label in parts:
        piece = len(f"{n} {label}")
        if used and used + 2 + piece > width:
            text.append("\n")
            used = 0
        elif used:
            text.append("  ")
            used += 2
        text.append(f"{n}", style=style)
        text.append(f" {label}", style="dim")
        used += piece
    return text


def leads_text(s: LeadsSummary | None, colours: dict[str, str], width: int = 40) -> Group | Text:
    if s is None:
        return Text("")
    head = _counts(
        [
            (s.new, f"bold {colours['accent']}", "new"),
            (s.hot, f"bold {colours['warning']}", f"hot (≥ {s.threshold})"),
            (s.open, "bold", "open"),
        ],
        width,
    )
    if not s.top:
        return Group(head, Text(""), Text("No open leads.", style="dim italic"))
    lines = [head, Text(""), Text("best open leads", style="bold underline")]
    for lead in s.top:
        hot = "hot" in lead.tags
        line = _line()
        line.append(
            f"{lead.score:>4}{'★' if hot else ' '} ", style=f"bold {colours['warning']}" if hot else "bold"
        )
        line.append(lead.name, style="bold" if lead.status == "new" else "")
        extra = " · ".join(x for x in (money(lead.value, lead.currency, short=True), lead.company) if x)
        if extra:
            line.append(f"  {extra}", style="dim")
        lines.append(line)
    return Group(*lines)


def tickets_text(s: TicketsSummary | None, colours: dict[str, str], width: int = 40) -> Group | Text:
    if s is None:
        return Text("")
    from tinycrm.tui.screens.tickets import sla_text

    head = _counts(
        [
            (s.open, f"bold {colours['accent']}", "open"),
            (s.breaching, f"bold {colours['error']}" if s.breaching else "bold", "breaching"),
            (s.unassigned, "bold", "unassigned"),
        ],
        width,
    )
    if not s.top:
        return Group(head, Text(""), Text("No open tickets.", style="dim italic"))
    lines = [head, Text(""), Text("next due", style="bold underline")]
    for t in s.top:
        line = _line()
        line.append_text(sla_text(t.sla_due, t.breached))
        line.append(f"  #{t.id} ", style="dim")
        line.append(t.subject)
        lines.append(line)
    return Group(*lines)
