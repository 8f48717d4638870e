"""The support desk: the ticket queue (open work first, by SLA due time) and one ticket with its thread.

Everything goes through :mod:`tinycrm.services.support`: the queue pages in SQL, a reply is sent by the same
path as ``crm ticket reply`` (stored only when the mail server took it), notes, status, priority and
assignee are one service call each.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Label, Select, Static

from tinycrm.domain import clock
from tinycrm.domain.errors import CrmError
from tinycrm.tui import keys
from tinycrm.tui.format import count, when
from tinycrm.tui.screens.base import CrmScreen, ServiceFailed
from tinycrm.tui.screens.lists import PagedListScreen
from tinycrm.tui.widgets.footer import CrmFooter
from tinycrm.tui.widgets.nav import NavBar
from tinycrm.tui.widgets.paged_table import PagedTable

#: the status filter: open work (new, open, pending), one status, or every ticket
STATUS_CHOICES = [
    ("Open work", "work"),
    ("New", "new"),
    ("Open", "open"),
    ("Pending", "pending"),
    ("Resolved", "resolved"),
    ("Closed", "closed"),
    ("All tickets", "all"),
]
WHO_CHOICES = [("Anyone's", "any"), ("Mine", "mine"), ("Unassigned", "none")]
SLA_CHOICES = [("Any SLA", "any"), ("Breaching", "breaching")]
PRIORITY_STYLES = {"urgent": "bold red", "high": "yellow", "normal": "", "low": "dim"}
STATUS_STYLES = {
    "new": "bold cyan",
    "open": "bold",
    "pending": "italic",
    "resolved": "green",
    "closed": "dim",
}
MESSAGE_LOOK = {
    "in": ("←", "from", "bold cyan"),
    "out": ("→", "reply by", "bold green"),
    "auto": ("↻", "automatic reply", "dim"),
    "note": ("▤", "note by", "bold yellow"),
}


def span(minutes: int) -> str:
    """``3h 10m``, ``2d 4h``, ``45m``."""
    minutes = abs(minutes)
    if minutes >= 24 * 60:
        return f"{minutes // 1440}d {minutes % 1440 // 60}h"
    if minutes >= 60:
        return f"{minutes // 60}h {minutes % 60:02d}m"
    return f"{minutes}m"


def sla_text(due: datetime | None, breached: bool) -> Text:
    """The SLA countdown: ``in 3h 10m``, ``2h 05m late`` (red), ``—`` when nothing is due."""
    if due is None:
        return Text("—", style="dim")
    minutes = int((due - clock.now()).total_seconds() // 60)
    if breached or minutes < 0:
        return Text(f"{span(minutes)} late", style="bold red")
    return Text(f"in {span(minutes)}", style="yellow" if minutes <= 60 else "")


def cycle(choices: list[tuple[str, str]], value: Any) -> str:
    values = [v for _, v in choices]
    return values[(values.index(value) + 1) % len(values)] if value in values else values[0]


def ticket_facts(t: Any) -> Table:
    """Status, priority, assignee, contact, SLA targets of a ticket (``TicketRead``)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    status = Text(t.status, style=STATUS_STYLES.get(t.status, ""))
    if t.status == "pending" and t.pending_until:
        status.append(f" until {when(t.pending_until)}", style="dim")
    who = Text(t.contact.name if t.contact else "—")
    if t.contact_email:
        who.append(f" <{t.contact_email}>", style="dim")
    if t.company:
        who.append(f" · {t.company.name}", style="dim")
    grid.add_row("status", status, "priority", Text(t.priority, style=PRIORITY_STYLES.get(t.priority, "")))
    grid.add_row("contact", who, "assignee", Text(t.assignee or "nobody", style="" if t.assignee else "dim"))
    first = (
        Text(f"answered {when(t.first_responded_at)}", style="green")
        if t.first_responded_at
        else sla_text(t.first_response_due, t.first_response_breached)
    )
    done = t.resolved_at or t.closed_at
    resolution = (
        Text(f"resolved {when(done)}", style="green")
        if done and t.status in ("resolved", "closed")
        else sla_text(t.resolution_due, t.resolution_breached)
    )
    grid.add_row("1st reply", first, "resolve", resolution)
    tags = " ".join(f"#{x}" for x in t.tags)
    grid.add_row("opened", Text(when(t.created_at)), "tags" if tags else "", Text(tags, style="italic"))
    return grid


def thread(t: Any) -> Group | Text:
    """The messages in and out and the internal notes, oldest first."""
    if not t.messages:
        return Text("No messages yet: press m to write to the customer, n for a note.", style="dim italic")
    parts: list[Any] = []
    for m in t.messages:
        icon, verb, style = MESSAGE_LOOK.get(m.kind, ("•", "", ""))
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(f"{icon} {verb} ", style=style)
        head.append(m.author or "", style="bold")
        head.append(f"  {when(m.created_at)}", style="dim")
        body = Text(m.body.rstrip() or "(no text)", style="italic" if m.kind == "note" else "")
        parts += [head, body]
        for a in m.attachments:
            line = f"  📎 {a.filename} ({a.size:,} bytes{', dropped: too large' if a.dropped else ''})"
            parts.append(Text(line, style="dim"))
        parts.append(Text(""))
    if t.merged_into:
        parts.append(Text(f"Merged into #{t.merged_into}", style="bold yellow"))
    return Group(*parts)


class TicketsScreen(PagedListScreen):
    """The queue: open work first, each group by SLA due time; filters by status, whose and SLA."""

    AREA = "tickets"
    BINDINGS: ClassVar[list[BindingType]] = [*keys.bindings("tickets")]
    AUTO_FOCUS = "#tickets"
    DEFAULT_CSS = """
    #ticket-filters { height: 3; padding: 0 1; }
    #ticket-status { width: 20; }
    #ticket-who { width: 18; }
    #ticket-sla { width: 16; }
    .screen-title { padding: 1 2 0 1; text-style: bold; color: $secondary; }
    #tickets { height: 1fr; margin: 0 1; scrollbar-size: 0 0; }
    """

    LIST_TITLE = "Tickets"

    def __init__(self) -> None:
        super().__init__()
        self.status = "work"
        self.who = "any"
        self.sla = "any"
        self.wide = True

    def compose(self) -> ComposeResult:
        yield NavBar("tickets", "Tickets")
        with Horizontal(id="ticket-filters"):
            yield Label("Tickets", classes="screen-title")
            yield Select(STATUS_CHOICES, value="work", allow_blank=False, id="ticket-status")
            yield Select(WHO_CHOICES, value="any", allow_blank=False, id="ticket-who")
            yield Select(SLA_CHOICES, value="any", allow_blank=False, id="ticket-sla")
        yield PagedTable(id="tickets")
        yield Static("", id="status", classes="status-line")
        yield CrmFooter()

    def columns(self, width: int) -> list[tuple[str, int, str]]:
        #: below 100 columns the assignee shows on the ticket only, so the subject keeps room
        self.wide = width >= 100
        contact = 18 if self.wide else 12
        columns = [("#", 4, "id"), ("Contact", contact, "contact"), ("Status", 8, "status"),
                   ("Prio", 6, "priority"), ("SLA", 12, "sla")]  # fmt: skip
        if self.wide:
            columns.append(("Assignee", 10, "assignee"))
        rest = max(12, width - sum(c[1] for c in columns) - 2 * (len(columns) + 1) - 1)
        columns.insert(1, ("Subject", rest, "subject"))
        return columns

    def read(self, offset: int, *, first: bool) -> tuple[Any, Any]:
        from tinycrm.domain.support import STATUSES
        from tinycrm.services.common import actor
        from tinycrm.services.support import tickets

        statuses = {"work": (), "all": STATUSES}.get(self.status, (self.status,))
        owner = self.service(actor) if self.who == "mine" else None
        page = self.service(
            tickets.list_page,
            statuses=statuses,
            owner=owner,
            unassigned=self.who == "none",
            breaching=self.sla == "breaching",
            limit=self.limit,
            offset=offset,
        )
        return page, None

    def rows(self, page: Any) -> list[tuple[Any, list[Any]]]:
        def cell(text: str, style: str = "") -> Text:
            return Text(text, style=style, no_wrap=True, overflow="ellipsis")

        return [
            (
                t.id,
                [
                    cell(f"#{t.id}", "dim"),
                    cell(t.subject, "bold" if t.status == "new" else ""),
                    cell(t.contact.name if t.contact else "—"),
                    cell(t.status, STATUS_STYLES.get(t.status, "")),
                    cell(t.priority, PRIORITY_STYLES.get(t.priority, "")),
                    sla_text(t.sla_due, t.breached) if t.status in ("new", "open") else cell("—", "dim"),
                    *([cell(t.assignee or "—", "" if t.assignee else "dim")] if self.wide else []),
                ],
            )
            for t in page.items
        ]

    def status_text(self, page: Any) -> str:
        if page.total:
            first, last = page.offset + 1, page.offset + len(page.items)
            return f"[b]{first:,}–{last:,}[/b] of {count(page.total, 'ticket')}"
        if (self.status, self.who, self.sla) != ("work", "any", "any"):
            return "No ticket matches these filters."
        return "No open tickets: press [b]n[/b] to add one (mail to the support address makes them too)."

    @on(Select.Changed)
    def _filter_changed(self, event: Select.Changed) -> None:
        name = {"ticket-status": "status", "ticket-who": "who", "ticket-sla": "sla"}.get(
            event.select.id or ""
        )
        if name and event.value != getattr(self, name):
            setattr(self, name, event.value)
            self.load(0, "first")

    def _set(self, selector: str, value: str) -> None:
        self.query_one(selector, Select).value = value

    def action_cycle_status(self) -> None:
        self._set("#ticket-status", cycle(STATUS_CHOICES, self.status))

    def action_cycle_who(self) -> None:
        self._set("#ticket-who", cycle(WHO_CHOICES, self.who))

    def action_toggle_breaching(self) -> None:
        self._set("#ticket-sla", cycle(SLA_CHOICES, self.sla))

    @on(DataTable.RowSelected, "#tickets")
    def _selected(self) -> None:
        self.action_open_ticket()

    def action_open_ticket(self) -> None:
        tid = self.query_one(PagedTable).current_key
        if tid is not None:
            self.app.push_screen(TicketScreen(tid))

    def action_new_ticket(self) -> None:
        from tinycrm.tui.screens.tickets_forms import NewTicketForm

        def saved(ticket: Any) -> None:
            if ticket is not None:
                self.notify(f"Ticket #{ticket.id} added", timeout=3)
                self.action_refresh()

        self.app.push_screen(NewTicketForm(), saved)


class TicketFetched(Message):
    def __init__(self, ticket: Any) -> None:
        super().__init__()
        self.ticket = ticket


class TicketScreen(CrmScreen):
    """One ticket: its facts, SLA targets and thread; reply, note, status, priority, assignee."""

    AREA = "ticket"
    BINDINGS: ClassVar[list[BindingType]] = [*keys.bindings("ticket")]
    AUTO_FOCUS = "#ticket-thread"
    DEFAULT_CSS = """
    #ticket-head { height: auto; padding: 0 1; background: $surface; }
    #ticket-title { text-style: bold; padding-top: 1; }
    #ticket-facts { padding-bottom: 1; }
    #ticket-thread { height: 1fr; padding: 1 2; }
    """

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.ticket: Any = None
        self.changed = False

    def compose(self) -> ComposeResult:
        yield NavBar("tickets", f"Tickets › #{self.ticket_id}")
        with Vertical(id="ticket-head"):
            yield Static(f"#{self.ticket_id}", id="ticket-title")
            yield Static("Loading…", id="ticket-facts")
        with VerticalScroll(id="ticket-thread"):
            yield Static("", id="thread")
        yield CrmFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.reload()

    @work(thread=True, exclusive=True, group="ticket")
    def reload(self) -> None:
        from tinycrm.services.support import tickets

        try:
            ticket = self.service(tickets.get, self.ticket_id)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Ticket"))
            return
        if not self.cancelled():
            self.post_message(TicketFetched(ticket))

    def on_ticket_fetched(self, message: TicketFetched) -> None:
        self.show(message.ticket)

    def show(self, t: Any) -> None:
        first = self.ticket is None
        self.ticket = t
        title = Text(f"#{t.id} ", style="dim")
        title.append(t.subject, style="bold")
        self.query_one("#ticket-title", Static).update(title)
        self.query_one("#ticket-facts", Static).update(ticket_facts(t))
        self.query_one("#thread", Static).update(thread(t))
        n = len(t.messages)
        self.query_one(NavBar).set_crumb(f"Tickets › #{t.id} · {count(n, 'message')}")
        scroll = self.query_one("#ticket-thread", VerticalScroll)
        if first or self.changed:
            self.call_after_refresh(scroll.scroll_end, animate=False)

    def on_screen_resume(self) -> None:
        if self.ticket is not None:
            self.reload()

    def action_refresh(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.dismiss(self.changed)

    def _open_form(self, form: Any, done: str) -> None:
        def saved(ticket: Any) -> None:
            if ticket is not None:
                self.changed = True
                self.notify(done, timeout=3)
                self.show(ticket)

        self.app.push_screen(form, saved)

    def action_reply(self) -> None:
        if self.ticket is None:
            return
        from tinycrm.tui.screens.tickets_forms import ReplyForm

        self._open_form(ReplyForm(self.ticket), "Reply sent")

    def action_note(self) -> None:
        if self.ticket is None:
            return
        from tinycrm.tui.screens.tickets_forms import NoteForm

        self._open_form(NoteForm(self.ticket), "Note added")

    def action_status(self) -> None:
        if self.ticket is None:
            return
        from tinycrm.tui.screens.tickets_forms import StatusForm

        self._open_form(StatusForm(self.ticket), "Status changed")

    def action_priority(self) -> None:
        if self.ticket is None:
            return
        from tinycrm.tui.screens.tickets_forms import PriorityForm

        self._open_form(PriorityForm(self.ticket), "Priority changed")

    def action_assign(self) -> None:
        if self.ticket is None:
            return
        from tinycrm.tui.screens.tickets_forms import AssignForm

        self._open_form(AssignForm(self.ticket), "Assignee changed")

    def action_open_contact(self) -> None:
        if self.ticket is None or self.ticket.contact is None:
            return
        from tinycrm.tui.screens.contact import ContactScreen

        self.app.push_screen(ContactScreen(self.ticket.contact.id))
