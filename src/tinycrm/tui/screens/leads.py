"""Leads: the inbox by score (paged in SQL, filtered by status and a minimum score) and one lead with the
rules that made its score; change its status, log a touch, convert it (a contact, a company, a deal), add
and edit leads. Everything goes through :mod:`tinycrm.services.leads`."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Label, Select, Static

from tinycrm.domain.errors import CrmError
from tinycrm.tui import keys
from tinycrm.tui.format import ago, count, escape, money, when
from tinycrm.tui.screens.base import CrmScreen, ServiceFailed
from tinycrm.tui.screens.lists import PagedListScreen
from tinycrm.tui.screens.tickets import cycle
from tinycrm.tui.widgets.footer import CrmFooter
from tinycrm.tui.widgets.nav import NavBar
from tinycrm.tui.widgets.paged_table import PagedTable

STATUS_CHOICES = [
    ("Open leads", "open"),
    ("New", "new"),
    ("Contacted", "contacted"),
    ("Qualified", "qualified"),
    ("Converted", "converted"),
    ("Disqualified", "disqualified"),
    ("All leads", "all"),
]
SCORE_CHOICES = [("Any score", "0"), ("Score ≥ 10", "10"), ("Score ≥ 25", "25"), ("Score ≥ 50", "50")]
SORT_CHOICES = [("By score", "score"), ("Newest first", "created")]
STATUS_STYLES = {
    "new": "bold cyan",
    "contacted": "",
    "qualified": "bold green",
    "converted": "green",
    "disqualified": "dim strike",
}


def age(moment: Any) -> str:
    """How long ago a lead came in, short: ``today``, ``3d``, ``5w``."""
    from tinycrm.domain import clock

    days = (clock.local_now().date() - clock.to_local(moment).date()).days
    return "today" if days <= 0 else f"{days}d" if days < 30 else f"{days // 7}w"


def score_text(lead: Any) -> Text:
    hot = "hot" in lead.tags
    return Text(f"{lead.score:>4} {'★' if hot else ' '}", style="bold yellow" if hot else "")


def lead_details(lead: Any) -> Group:
    """Everything about a lead (``LeadRead`` read with ``explain``), the score's rules included."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True, min_width=9)
    grid.add_column()
    status = Text(lead.status, style=STATUS_STYLES.get(lead.status, ""))
    if lead.reason:
        status.append(f" ({lead.reason})", style="dim")
    rows = [
        ("status", status),
        ("email", lead.email),
        ("phone", lead.phone),
        ("company", lead.company),
        ("title", lead.title),
        ("source", lead.source + (f" · {lead.source_detail}" if lead.source_detail else "")),
        ("value", money(lead.value, lead.currency) if lead.value is not None else None),
        ("owner", lead.owner),
        ("tags", " ".join(f"#{t}" for t in lead.tags) or None),
        ("came in", f"{when(lead.created_at)} ({ago(lead.created_at)})"),
        ("touched", f"{when(lead.touched_at)} ({ago(lead.touched_at)})"),
    ]
    for label, value in rows:
        if value:
            grid.add_row(label, value if isinstance(value, Text) else Text(str(value)))
    for k, v in lead.fields.items():
        grid.add_row(k, Text(v))
    parts: list[Any] = [grid]
    if lead.duplicate_of:
        parts.append(Text(f"\nmay duplicate: {', '.join(lead.duplicate_of)}", style="yellow"))
    if lead.status == "converted":
        made = [f"contact #{lead.converted_contact_id}"]
        if lead.converted_company_id:
            made.append(f"company #{lead.converted_company_id}")
        if lead.converted_deal_id:
            made.append(f"deal #{lead.converted_deal_id}")
        parts.append(Text(f"\nconverted {when(lead.converted_at)} → {', '.join(made)}", style="green"))
    if lead.notes:
        parts += [Text("\nNotes", style="bold underline"), Text(lead.notes)]
    return Group(*parts)


def score_explained(lead: Any) -> Group | Text:
    """The rules that made the score, with their points."""
    if not lead.score_lines:
        return Text("No rule gave points yet.", style="dim italic")
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(justify="right", style="dim")
    table.add_column(justify="right", style="bold")
    for line in lead.score_lines:
        table.add_row(line.rule, f"×{line.times}" if line.times != 1 else "", f"{line.points:+d}")
    table.add_row(Text("score", style="bold"), "", Text(str(lead.score), style="bold yellow"))
    return Group(table)


class Converted(Message):
    def __init__(self, result: Any, lead: Any) -> None:
        super().__init__()
        self.result = result
        self.lead = lead


def ask_convert(screen: Any, lead_id: int, name: str) -> None:
    """Ask, then convert the lead in a worker; the screen gets :class:`Converted` (or a failure)."""
    from tinycrm.tui.screens.forms import ConfirmDialog

    @work(thread=True, group="lead-convert")
    def convert(self: Any) -> None:
        from tinycrm.services.leads import convert as converting
        from tinycrm.services.leads import records

        try:
            result = self.service(converting.convert, lead_id)
            lead = self.service(records.get, lead_id)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Convert"))
            return
        self.post_message(Converted(result, lead))

    def answered(yes: bool | None) -> None:
        if yes:
            convert(screen)

    screen.app.push_screen(
        ConfirmDialog(
            f"Convert {escape(name)}?",
            "Makes (or reuses, by email) the contact and the company and opens a deal with the lead's value; "
            "its notes, tags and interactions move to the contact.",
            yes="Convert",
        ),
        answered,
    )


def converted_text(result: Any) -> str:
    made = f"contact #{result.contact_id}" + (" (existing, same email)" if result.contact_reused else "")
    if result.company_id:
        made += f", company #{result.company_id}"
    if result.deal_id:
        made += f", deal #{result.deal_id}"
    return f"Converted: {made}"


class LeadsScreen(PagedListScreen):
    """The leads inbox, highest score first; enter opens one, c converts the highlighted one."""

    AREA = "leads"
    BINDINGS: ClassVar[list[BindingType]] = [*keys.bindings("leads")]
    AUTO_FOCUS = "#leads"
    DEFAULT_CSS = """
    #lead-filters { height: 3; padding: 0 1; }
    #lead-status { width: 20; }
    #lead-score { width: 18; }
    .screen-title { padding: 1 2 0 1; text-style: bold; color: $secondary; }
    #lead-sort { width: 18; }
    #leads { height: 1fr; margin: 0 1; scrollbar-size: 0 0; }
    """

    LIST_TITLE = "Leads"

    def __init__(self) -> None:
        super().__init__()
        self.status = "open"
        self.score = "0"
        self.sort = "score"
        self.wide = True

    def compose(self) -> ComposeResult:
        yield NavBar("leads", "Leads")
        with Horizontal(id="lead-filters"):
            yield Label("Leads", classes="screen-title")
            yield Select(STATUS_CHOICES, value="open", allow_blank=False, id="lead-status")
            yield Select(SCORE_CHOICES, value="0", allow_blank=False, id="lead-score")
            yield Select(SORT_CHOICES, value="score", allow_blank=False, id="lead-sort")
        yield PagedTable(id="leads")
        yield Static("", id="status", classes="status-line")
        yield CrmFooter()

    def columns(self, width: int) -> list[tuple[str, int, str]]:
        #: below 100 columns the source shows on the lead only, so names keep room
        self.wide = width >= 100
        fixed = [("Status", 12 if self.wide else 9, "status"), ("Value", 7, "value")]
        fixed += [("Source", 8, "source")] if self.wide else []
        fixed.append(("In", 5, "created"))
        rest = max(20, width - 6 - sum(c[1] for c in fixed) - 2 * (len(fixed) + 4) - 1)
        return [
            ("Score", 6, "score"),
            ("Name", rest * 55 // 100, "name"),
            ("Company", rest - rest * 55 // 100, "company"),
            *fixed,
        ]

    def read(self, offset: int, *, first: bool) -> tuple[Any, Any]:
        from tinycrm.services.leads import records

        page = self.service(
            records.list_leads,
            status=self.status,
            sort=self.sort,
            min_score=int(self.score) or None,
            limit=self.limit,
            offset=offset,
        )
        return page, None

    def rows(self, page: Any) -> list[tuple[Any, list[Any]]]:
        def cell(text: str | None, style: str = "") -> Text:
            return Text(text or "", style=style, no_wrap=True, overflow="ellipsis")

        return [
            (
                x.id,
                [
                    score_text(x),
                    cell(x.name, "bold" if x.status == "new" else ""),
                    cell(x.company, "dim"),
                    cell(x.status, STATUS_STYLES.get(x.status, "")),
                    Text(money(x.value, x.currency, short=True), justify="right"),
                    *([cell(x.source, "dim")] if self.wide else []),
                    cell(age(x.created_at), "dim"),
                ],
            )
            for x in page.items
        ]

    def status_text(self, page: Any) -> str:
        if page.total:
            first, last = page.offset + 1, page.offset + len(page.items)
            return f"[b]{first:,}–{last:,}[/b] of {count(page.total, 'lead')}"
        if (self.status, self.score) != ("open", "0"):
            return "No lead matches these filters."
        return "No open leads: press [b]n[/b] to add one (web forms, mail and CSV imports add them too)."

    @on(Select.Changed)
    def _filter_changed(self, event: Select.Changed) -> None:
        name = {"lead-status": "status", "lead-score": "score", "lead-sort": "sort"}.get(
            event.select.id or ""
        )
        if name and event.value != getattr(self, name):
            setattr(self, name, event.value)
            self.load(0, "first")

    def action_cycle_status(self) -> None:
        self.query_one("#lead-status", Select).value = cycle(STATUS_CHOICES, self.status)

    def action_cycle_score(self) -> None:
        self.query_one("#lead-score", Select).value = cycle(SCORE_CHOICES, self.score)

    def action_cycle_sort(self) -> None:
        self.query_one("#lead-sort", Select).value = cycle(SORT_CHOICES, self.sort)

    @on(DataTable.RowSelected, "#leads")
    def _selected(self) -> None:
        self.action_open_lead()

    def action_open_lead(self) -> None:
        lid = self.query_one(PagedTable).current_key
        if lid is not None:
            self.app.push_screen(LeadScreen(lid))

    def action_new_lead(self) -> None:
        from tinycrm.tui.screens.leads_forms import LeadForm

        def saved(lead: Any) -> None:
            if lead is not None:
                extra = f" (may duplicate {', '.join(lead.duplicate_of)})" if lead.duplicate_of else ""
                self.notify(f"Added {lead.name}{extra}", timeout=4)
                self.action_refresh()

        self.app.push_screen(LeadForm(), saved)

    def action_convert(self) -> None:
        table = self.query_one(PagedTable)
        lid = table.current_key
        if lid is not None:
            name = str(table.get_row_at(table.cursor_row)[1])
            ask_convert(self, lid, name)

    def on_converted(self, message: Converted) -> None:
        self.notify(converted_text(message.result), title=message.lead.name, timeout=8)
        self.action_refresh()


class LeadFetched(Message):
    def __init__(self, lead: Any) -> None:
        super().__init__()
        self.lead = lead


class LeadScreen(CrmScreen):
    """One lead: its details, and why it scores what it does."""

    AREA = "lead"
    BINDINGS: ClassVar[list[BindingType]] = [*keys.bindings("lead")]
    AUTO_FOCUS = "#lead-page"
    DEFAULT_CSS = """
    #lead-page { padding: 0 1; }
    #lead-name { text-style: bold; padding: 1 0; }
    #lead-score-title { text-style: bold underline; padding-top: 1; }
    """

    def __init__(self, lead_id: int) -> None:
        super().__init__()
        self.lead_id = lead_id
        self.lead: Any = None

    def compose(self) -> ComposeResult:
        yield NavBar("leads", f"Leads › {self.lead_id}")
        with VerticalScroll(id="lead-page"):
            yield Static("Loading…", id="lead-name")
            yield Static("", id="lead-details")
            yield Static("Why this score", id="lead-score-title")
            yield Static("", id="lead-score")
            yield Static("", id="lead-converted")
        yield CrmFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.reload()

    @work(thread=True, exclusive=True, group="lead")
    def reload(self) -> None:
        from tinycrm.services.leads import records

        try:
            lead = self.service(records.get, self.lead_id, explain=True)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Lead"))
            return
        if not self.cancelled():
            self.post_message(LeadFetched(lead))

    def on_lead_fetched(self, message: LeadFetched) -> None:
        lead = self.lead = message.lead
        name = Text(lead.name, style="bold")
        name.append(f"  score {lead.score}", style="yellow" if "hot" in lead.tags else "dim")
        if "hot" in lead.tags:
            name.append(" ★ hot", style="bold yellow")
        self.query_one("#lead-name", Static).update(name)
        self.query_one("#lead-details", Static).update(lead_details(lead))
        self.query_one("#lead-score", Static).update(score_explained(lead))
        self.query_one(NavBar).set_crumb(f"Leads › {escape(lead.name)}")

    def on_screen_resume(self) -> None:
        if self.lead is not None:
            self.reload()

    def action_refresh(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.dismiss(None)

    def _form(self, form: Any, done: str) -> None:
        def saved(result: Any) -> None:
            if result is not None:
                self.notify(done, timeout=3)
                self.reload()

        self.app.push_screen(form, saved)

    def action_status(self) -> None:
        if self.lead is not None:
            from tinycrm.tui.screens.leads_forms import LeadStatusForm

            self._form(LeadStatusForm(self.lead), "Status changed")

    def action_log(self) -> None:
        if self.lead is not None:
            from tinycrm.tui.screens.leads_forms import LeadLogForm

            self._form(LeadLogForm(self.lead), "Logged")

    def action_edit(self) -> None:
        if self.lead is not None:
            from tinycrm.tui.screens.leads_forms import LeadForm

            self._form(LeadForm(self.lead), "Saved")

    def action_convert(self) -> None:
        if self.lead is not None:
            ask_convert(self, self.lead.id, self.lead.name)

    def on_converted(self, message: Converted) -> None:
        self.notify(converted_text(message.result), title=message.lead.name, timeout=8)
        self.query_one("#lead-converted", Static).update(
            Text(f"\n{converted_text(message.result)}. Press o to open the contact.", style="bold green")
        )
        self.reload()

    def action_open_contact(self) -> None:
        lead = self.lead
        cid = lead and (lead.converted_contact_id or lead.contact_id)
        if not cid:
            self.notify("This lead has no contact yet: convert it with c", timeout=3)
            return
        from tinycrm.tui.screens.contact import ContactScreen

        self.app.push_screen(ContactScreen(cid))

    def action_delete(self) -> None:
        if self.lead is None:
            return
        from tinycrm.tui.screens.forms import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete()

        self.app.push_screen(
            ConfirmDialog(f"Delete the lead {escape(self.lead.name)}?", "", yes="Delete", danger=True),
            answered,
        )

    @work(thread=True, group="lead-delete")
    def delete(self) -> None:
        from tinycrm.services.leads import records

        try:
            gone = self.service(records.delete, self.lead_id)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Delete"))
            return
        self.app.call_from_thread(self._deleted, gone)

    def _deleted(self, gone: Any) -> None:
        self.notify(f"Deleted {gone.name}", timeout=3)
        self.dismiss(None)
