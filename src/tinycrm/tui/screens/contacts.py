"""Contacts: the list, searched as you type, sorted, filtered by tag and company, paged from the database."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Input, Select, Static

from tinycrm.domain.errors import CrmError
from tinycrm.domain.people import ContactSummary, Page
from tinycrm.tui import keys
from tinycrm.tui.format import count, escape
from tinycrm.tui.screens.base import CrmScreen, ServiceFailed
from tinycrm.tui.widgets.footer import CrmFooter
from tinycrm.tui.widgets.nav import NavBar
from tinycrm.tui.widgets.paged_table import PagedTable

SORTS = ["name", "company", "updated", "created"]
SORT_LABELS = {
    "name": "name",
    "company": "company",
    "updated": "recently updated",
    "created": "recently added",
}
COLUMNS = [  # key, label, share of the width, sort it gives
    ("name", "Name", 24, "name"),
    ("company", "Company", 18, "company"),
    ("title", "Title", 16, None),
    ("email", "Email", 26, None),
    ("phone", "Phone", 16, None),
    ("tags", "Tags", 16, None),
]


@dataclass(frozen=True)
class Request:
    """What the list shows: a query, filters, a sort and a window."""

    query: str = ""
    tag: str | None = None
    company: str | None = None
    archived: bool = False
    sort: str = "name"
    offset: int = 0
    limit: int = 30
    cursor: str | int | None = None
    generation: int = 0
    #: a saved segment whose members the list shows (``v``)
    segment: str | None = None


class ContactsFetched(Message):
    def __init__(self, page: Page[ContactSummary], request: Request) -> None:
        super().__init__()
        self.page = page
        self.request = request


class FiltersFetched(Message):
    def __init__(self, tags: list[str], companies: list[str]) -> None:
        super().__init__()
        self.tags = tags
        self.companies = companies


def tag_chips(tags: list[str], width: int) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    for tag in tags:
        if text.cell_len + len(tag) + 1 > width and text.cell_len:
            text.append("…", style="dim")
            break
        text.append(f"#{tag} ", style="italic")
    return text


class ContactsScreen(CrmScreen):
    """Every contact, one page of them at a time."""

    AREA = "contacts"
    BINDINGS = keys.bindings("contacts")
    AUTO_FOCUS = "#contacts"

    def __init__(self) -> None:
        super().__init__()
        self.request = Request()
        self.generation = 0
        self.inflight = False
        self.pending: Request | None = None
        self.shown: Page[ContactSummary] | None = None
        self.widths: list[int] = []
        #: the query of the segment shown (what ``V`` builds on)
        self.segment_query: str | None = None

    def compose(self) -> ComposeResult:
        yield NavBar("contacts", "")
        with Horizontal(id="filters"):
            yield Input(placeholder="Search  name, email, phone, tag:vip, company:acme…", id="search")
            yield Select([], prompt="Any tag", id="tag-filter")
            yield Select([], prompt="Any company", id="company-filter")
        yield PagedTable(id="contacts")
        yield Static("", id="status", classes="status-line")
        yield CrmFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.filters_loaded = False
        self.call_after_refresh(self._first_load)

    def _first_load(self) -> None:
        table = self.query_one(PagedTable)
        self._set_columns(table)
        self.fetch(replace(self.request, limit=table.fitting_rows()))

    # --- fetching --------------------------------------------------------------------------------------
    def fetch(self, request: Request) -> None:
        """Show ``request``: now if nothing is being fetched, else as soon as the current fetch is back."""
        self.generation += 1
        request = replace(request, generation=self.generation)
        self.request = request
        if self.inflight:
            self.pending = request
            return
        self.inflight = True
        self.load(request)

    @work(thread=True, group="contacts")
    def load(self, request: Request) -> None:
        from tinycrm.services.people import contacts

        try:
            if request.segment:
                page = self._segment_page(request)
            elif request.query.strip():
                page = self.service(
                    contacts.search,
                    request.query,
                    limit=request.limit,
                    offset=request.offset,
                    tag=request.tag,
                    company=request.company,
                    archived=None if request.archived else False,
                    exact_total=False,
                )
            else:
                page = self.service(
                    contacts.list_contacts,
                    limit=request.limit,
                    offset=request.offset,
                    tag=request.tag,
                    company=request.company,
                    archived=None if request.archived else False,
                    sort=request.sort,
                )
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Contacts"))
            self.post_message(ContactsFetched(Page([], 0, request.limit, request.offset), request))
            return
        self.post_message(ContactsFetched(page, request))

    def _segment_page(self, request: Request) -> Page[ContactSummary]:
        from tinycrm.services.marketing import segments

        self.segment_query = self.service(segments.query_of, request.segment)
        return self.service(  # type: ignore[no-any-return]
            segments.members,
            request.segment,
            search=request.query,
            limit=request.limit,
            offset=request.offset,
            sort=request.sort,
            tag=request.tag,
            company=request.company,
            archived=None if request.archived else False,
        )

    def on_contacts_fetched(self, message: ContactsFetched) -> None:
        self.inflight = False
        if self.pending is not None:
            nxt, self.pending = self.pending, None
            self.inflight = True
            self.load(nxt)
            return
        if message.request.generation != self.generation:
            return
        self.shown = message.page
        self._show(message.page, message.request)
        if not self.filters_loaded:  # the tag and company lists wait for the first page to be on screen
            self.filters_loaded = True
            self.load_filters()

    def _show(self, page: Page[ContactSummary], request: Request) -> None:
        table = self.query_one(PagedTable)
        widths = self.widths
        rows = []
        for c in page.items:
            name = Text(
                c.display_name,
                style="bold" if not c.archived else "dim strike",
                no_wrap=True,
                overflow="ellipsis",
            )
            if c.archived:
                name.append(" archived", style="dim italic")
            rows.append(
                (
                    c.id,
                    [
                        name,
                        Text(c.company or "", no_wrap=True, overflow="ellipsis"),
                        Text(c.job_title or "", style="dim", no_wrap=True, overflow="ellipsis"),
                        Text(c.email or "", no_wrap=True, overflow="ellipsis"),
                        Text(c.phone or "", style="dim", no_wrap=True, overflow="ellipsis"),
                        tag_chips(c.tags, widths[-1] if widths else 16),
                    ],
                )
            )
        table.show_page(rows, offset=page.offset, total=page.total, cursor=request.cursor)
        self._status(page, request)

    def _status(self, page: Page[ContactSummary], request: Request) -> None:
        what = "archived included" if request.archived else ""
        if page.total == 0:
            text = (
                "No contacts match."
                if request.query or request.tag or request.company or request.segment
                else "No contacts yet. Press [b]n[/b] to add one."
            )
        else:
            first, last = page.offset + 1, page.offset + len(page.items)
            if request.query.strip():
                order = {"name": "by name", "newest": "newest first"}.get(page.order, "best matches first")
            else:
                order = f"by {SORT_LABELS[request.sort]}"
            about = "about " if page.estimate else ""
            text = f"[b]{first:,}–{last:,}[/b] of {about}{count(page.total, 'contact')} · {order}"
            if page.total > len(page.items):
                text += " · [dim]PgUp/PgDn for more[/dim]"
        from tinycrm.tui.screens.segments import segment_status

        filters = [
            segment_status(request.segment),
            f"tag [b]{escape(request.tag)}[/b]" if request.tag else "",
            f"company [b]{escape(request.company)}[/b]" if request.company else "",
            what,
        ]
        filters = [f for f in filters if f]
        if filters:
            text += " · " + ", ".join(filters)
        self.query_one("#status", Static).update(text)

    @work(thread=True, group="filters")
    def load_filters(self) -> None:
        from tinycrm.services.people import companies, contacts

        try:
            tags = [t.name for t in self.service(contacts.list_tags) if t.contacts]
            names = self.service(companies.names, limit=500)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Filters"))
            return
        self.post_message(FiltersFetched(tags, names))

    def on_filters_fetched(self, message: FiltersFetched) -> None:
        tag = self.query_one("#tag-filter", Select)
        company = self.query_one("#company-filter", Select)
        with self.prevent(Select.Changed):
            tag.set_options([(f"#{t}", t) for t in message.tags])
            company.set_options([(c, c) for c in message.companies])
            if self.request.tag in message.tags:
                tag.value = self.request.tag
            if self.request.company in message.companies:
                company.value = self.request.company

    # --- layout ----------------------------------------------------------------------------------------
    def _set_columns(self, table: PagedTable) -> None:
        width = max(40, table.size.width - 2 * len(COLUMNS) - 2)
        shares = sum(c[2] for c in COLUMNS)
        widths = [max(6, width * c[2] // shares) for c in COLUMNS]
        if widths == self.widths and table.columns:
            return
        self.widths = widths
        table.clear(columns=True)
        for (key, label, _, sort), w in zip(COLUMNS, widths, strict=True):
            mark = " ▲" if sort and sort == self.request.sort and not self.request.query.strip() else ""
            table.add_column(label + mark, width=w, key=key)

    def on_resize(self) -> None:
        self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        table = self.query_one(PagedTable)
        if not table.size.height:
            return
        before = self.widths
        self._set_columns(table)
        rows = table.fitting_rows()
        if rows != self.request.limit:
            self.fetch(replace(self.request, limit=rows, cursor=None))
        elif before != self.widths and self.shown is not None:
            self._show(self.shown, self.request)

    # --- events ----------------------------------------------------------------------------------------
    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        had = bool(self.request.query.strip())
        self.fetch(replace(self.request, query=event.value, offset=0, cursor="first"))
        if had != bool(event.value.strip()):
            self.widths = []
            self._set_columns(self.query_one(PagedTable))

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.query_one(PagedTable).focus()

    def on_key(self, event: Any) -> None:
        search = self.query_one("#search", Input)
        if event.key == "down" and self.focused is search:
            self.set_focus(self.query_one(PagedTable))
            event.stop()
        elif event.key == "escape" and self.focused is search:
            event.stop()
            if search.value:
                search.value = ""  # the list follows (Input.Changed)
            else:
                self.set_focus(self.query_one(PagedTable))

    @on(Select.Changed, "#tag-filter")
    def _tag_changed(self, event: Select.Changed) -> None:
        value = None if event.value == Select.NULL else str(event.value)  # "Any tag"
        if value != self.request.tag:
            self.fetch(replace(self.request, tag=value, offset=0, cursor="first"))

    @on(Select.Changed, "#company-filter")
    def _company_changed(self, event: Select.Changed) -> None:
        value = None if event.value == Select.NULL else str(event.value)  # "Any company"
        if value != self.request.company:
            self.fetch(replace(self.request, company=value, offset=0, cursor="first"))

    @on(PagedTable.PageRequested)
    def _page(self, event: PagedTable.PageRequested) -> None:
        table = event.table
        size = self.request.limit
        self.fetch(replace(self.request, offset=table.offset_for(event.where, size), cursor=event.cursor))

    @on(DataTable.RowSelected, "#contacts")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_contact()

    @on(DataTable.HeaderSelected, "#contacts")
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        sort = next((c[3] for c in COLUMNS if c[0] == str(event.column_key.value)), None)
        if sort:
            self._sort_by(sort)

    # --- actions ---------------------------------------------------------------------------------------
    def current_id(self) -> int | None:
        return self.query_one(PagedTable).current_key

    def action_focus_search(self) -> None:
        self.set_focus(self.query_one("#search", Input))  # now: the next key typed goes there

    def action_focus_tag_filter(self) -> None:
        self.set_focus(self.query_one("#tag-filter", Select))

    def action_focus_company_filter(self) -> None:
        self.set_focus(self.query_one("#company-filter", Select))

    def action_cycle_sort(self) -> None:
        self._sort_by(SORTS[(SORTS.index(self.request.sort) + 1) % len(SORTS)])

    def _sort_by(self, sort: str) -> None:
        if self.request.query.strip():
            self.notify(
                "Search results come in their own order (one word by name, several best first); clear the search to sort.",
                timeout=3,
            )
            return
        self.request = replace(self.request, sort=sort)
        self.widths = []
        self._set_columns(self.query_one(PagedTable))
        self.fetch(replace(self.request, offset=0, cursor="first"))

    def action_toggle_archived(self) -> None:
        self.fetch(replace(self.request, archived=not self.request.archived, offset=0, cursor="first"))
        self.notify(
            "Archived contacts shown" if self.request.archived else "Archived contacts hidden", timeout=2
        )

    def action_refresh(self) -> None:
        self.fetch(replace(self.request, cursor=None))
        self.load_filters()

    def action_open_contact(self) -> None:
        cid = self.current_id()
        if cid is None:
            return
        from tinycrm.tui.screens.contact import ContactScreen

        self.app.push_screen(ContactScreen(cid), callback=lambda _: self.action_refresh())

    def action_new_contact(self) -> None:
        from tinycrm.tui.screens.contact import ContactScreen
        from tinycrm.tui.screens.contact_forms import ContactForm

        def saved(contact: Any) -> None:
            if contact is None:
                return
            self.notify(f"Added {contact.display_name}", timeout=3)
            self.action_refresh()
            self.app.push_screen(ContactScreen(contact.id), callback=lambda _: self.action_refresh())

        self.app.push_screen(ContactForm(), saved)

    def action_log_interaction(self) -> None:
        cid = self.current_id()
        if cid is None or self.shown is None:
            return
        name = next((c.display_name for c in self.shown.items if c.id == cid), "")
        from tinycrm.tui.screens.interaction import InteractionForm

        def logged(result: Any) -> None:
            if result is not None:
                self.notify(f"Logged {result.kind} with {name}", timeout=3)

        self.app.push_screen(InteractionForm(cid, name), logged)

    def action_export(self) -> None:
        from tinycrm.tui.screens.exporting import export_shown

        export_shown(self)

    def action_pick_segment(self) -> None:
        from tinycrm.tui.screens.segments import pick_segment

        pick_segment(self)

    def action_save_segment(self) -> None:
        from tinycrm.tui.screens.segments import save_view

        save_view(self)

    def apply_segment(self, name: str | None, *, clear: bool = False) -> None:
        """Show the members of segment ``name`` (None: everyone); ``clear`` also clears the search and
        filters (a view just saved as the segment: they are in its query now)."""
        request = replace(self.request, segment=name, offset=0, cursor="first")
        if clear:
            request = replace(request, query="", tag=None, company=None)
            with self.prevent(Input.Changed, Select.Changed):
                self.query_one("#search", Input).value = ""
                self.query_one("#tag-filter", Select).clear()
                self.query_one("#company-filter", Select).clear()
        if name is None:
            self.segment_query = None
        self.query_one(NavBar).set_crumb(f"segment {escape(name)}" if name else "")
        self.fetch(request)

    def open_query(self, query: str) -> None:
        """Search for ``query`` (from the command palette)."""
        search = self.query_one("#search", Input)
        search.value = query
        search.focus()
