"""Companies with their people and deals: a paged list beside the highlighted company, and a company page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tinycrm.domain.errors import CrmError
from tinycrm.domain.people import CompanyRead
from tinycrm.tui import keys
from tinycrm.tui.format import KIND_ICONS, count, escape, money, when
from tinycrm.tui.screens.base import CrmScreen, ServiceFailed
from tinycrm.tui.screens.lists import PagedListScreen, PageFetched
from tinycrm.tui.widgets.footer import CrmFooter
from tinycrm.tui.widgets.nav import NavBar
from tinycrm.tui.widgets.paged_table import PagedTable


@dataclass(frozen=True)
class CompanyView:
    company: CompanyRead
    deals: list[Any]
    deals_total: int
    interactions: list[Any]


class CompanyFetched(Message):
    def __init__(self, view: CompanyView) -> None:
        super().__init__()
        self.view = view


def gather(service: Any, company_id: int) -> CompanyView:
    from tinycrm.services.people import companies, interactions
    from tinycrm.services.sales import deals

    company = service(companies.get, company_id)
    page = service(deals.list_deals, company_id=company_id, status="all", limit=50, sort="updated")
    recent = service(interactions.for_company, company_id, limit=8)
    return CompanyView(company, page.items, page.total, recent.items)


class CompanyPanel(Vertical):
    """A company: its details, people, deals and latest interactions."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.view: CompanyView | None = None

    def compose(self) -> ComposeResult:
        yield Static("", classes="company-name")
        yield Static("", classes="company-info")
        with Horizontal(classes="company-lists"):
            with Vertical(classes="company-people"):
                yield Label("People", classes="pane-title people-title")
                yield OptionList(classes="people")
            with Vertical(classes="company-deals"):
                yield Label("Deals", classes="pane-title deals-title")
                yield OptionList(classes="deals")
        yield Label("Latest interactions", classes="pane-title")
        yield Static("", classes="company-activity")

    def show(self, view: CompanyView | None) -> None:
        self.view = view
        people = self.query_one(".people", OptionList)
        deals = self.query_one(".deals", OptionList)
        people.clear_options()
        deals.clear_options()
        if view is None:
            self.query_one(".company-name", Static).update(Text("No company", style="dim"))
            self.query_one(".company-info", Static).update("")
            self.query_one(".company-activity", Static).update("")
            return
        c = view.company
        self.query_one(".company-name", Static).update(Text(c.name, style="bold"))
        info = Table.grid(padding=(0, 1))
        info.add_column(style="dim", no_wrap=True)
        info.add_column()
        for label, value in (
            ("domain", c.domain),
            ("website", c.website),
            ("phone", c.phone),
            ("address", c.address),
            ("notes", c.notes),
        ):
            if value:
                info.add_row(label, Text(value))
        if c.tags:
            info.add_row("tags", Text(" ".join(f"#{t}" for t in c.tags), style="italic"))
        for k, v in c.fields.items():
            info.add_row(k, Text(v))
        self.query_one(".company-info", Static).update(info)
        self.query_one(".people-title", Label).update(f"People [dim]{len(c.people)}[/dim]")
        people.add_options([Option(Text(p.name), id=f"p{p.id}") for p in c.people])
        if c.people:
            people.highlighted = 0
        if not c.people:
            people.add_option(Option(Text("nobody yet", style="dim italic"), disabled=True))
        self.query_one(".deals-title", Label).update(f"Deals [dim]{view.deals_total}[/dim]")
        for d in view.deals:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(d.title, style="bold")
            status = {"won": ("won", "green"), "lost": ("lost", "red")}.get(d.status, (d.stage, ""))
            sub = Text(f"\n{money(d.value, d.currency)} · ", style="dim")
            sub.append(status[0], style=status[1] or "dim")
            if d.idle:
                sub.append(" · idle", style="yellow")
            deals.add_option(Option(Text.assemble(line, sub), id=f"d{d.id}"))
        if not view.deals:
            deals.add_option(Option(Text("no deals", style="dim italic"), disabled=True))
        act = Text()
        for i in view.interactions:
            if act:
                act.append("\n")
            act.append(f"{when(i.happened_at, with_time=False)} ", style="dim")
            act.append(f"{KIND_ICONS.get(i.kind, '•')} {i.summary}")
            names = ", ".join(r.name for r in i.contacts)
            if names:
                act.append(f"  {names}", style="dim")
        self.query_one(".company-activity", Static).update(
            act or Text("nothing logged yet", style="dim italic")
        )

    def person_id(self, option: Option) -> int | None:
        oid = str(option.id or "")
        return int(oid[1:]) if oid.startswith("p") else None


class CompaniesScreen(PagedListScreen):
    """Every company, a page at a time, with the highlighted one beside the list."""

    AREA = "companies"
    BINDINGS = keys.bindings("companies")
    AUTO_FOCUS = "#companies"

    LIST_TITLE = "Companies"

    def __init__(self) -> None:
        super().__init__()
        self.limit = 30
        self.preview_timer: Timer | None = None
        self.previewed: int | None = None
        self.query_text = ""

    def compose(self) -> ComposeResult:
        yield NavBar("companies")
        with Horizontal(id="companies-body"):
            with Vertical(id="companies-list"):
                yield Input(placeholder="Search companies by name or domain", id="company-search")
                yield PagedTable(id="companies")
                yield Static("", id="status", classes="status-line")
            with VerticalScroll(id="company-preview"):
                yield CompanyPanel(id="preview")
        yield CrmFooter()

    def columns(self, width: int) -> list[tuple[str, int, str]]:
        width = max(30, width - 10)
        return [
            ("Company", max(12, width * 5 // 10), "name"),
            ("Domain", max(8, width * 3 // 10), "domain"),
            ("People", 6, "people"),
            ("Tags", max(6, width * 2 // 10), "tags"),
        ]

    def read(self, offset: int, *, first: bool) -> tuple[Any, Any]:
        """The page, and with the first one the first company's view (no second round trip, no debounce)."""
        from tinycrm.services.people import companies

        page = self.service(
            companies.list_companies, limit=self.limit, offset=offset, query=self.query_text or None
        )
        return page, gather(self.service, page.items[0].id) if first and page.items else None

    def rows(self, page: Any) -> list[tuple[Any, list[Any]]]:
        return [
            (
                c.id,
                [
                    Text(c.name, style="bold", no_wrap=True, overflow="ellipsis"),
                    Text(c.domain or "", style="dim", no_wrap=True, overflow="ellipsis"),
                    Text(str(c.contacts), justify="right"),
                    Text(
                        " ".join(f"#{t}" for t in c.tags), style="italic", no_wrap=True, overflow="ellipsis"
                    ),
                ],
            )
            for c in page.items
        ]

    def status_text(self, page: Any) -> str:
        if page.total:
            first, last = page.offset + 1, page.offset + len(page.items)
            return f"[b]{first:,}–{last:,}[/b] of {count(page.total, 'company', 'companies')}"
        if self.query_text:
            return "No company matches."
        return "No companies yet: press [b]n[/b] to add one (they also appear when a contact names one)."

    def shown(self, message: PageFetched) -> None:
        view = message.extra
        if view is not None and view.company.id == self.query_one(PagedTable).current_key:
            self.previewed = view.company.id
            self.query_one(CompanyPanel).show(view)
        self._schedule_preview()

    @on(DataTable.RowHighlighted, "#companies")
    def _highlighted(self) -> None:
        self._schedule_preview()

    def _schedule_preview(self) -> None:
        if self.preview_timer is not None:
            self.preview_timer.stop()
        self.preview_timer = self.set_timer(0.08, self._preview)

    def _preview(self) -> None:
        cid = self.query_one(PagedTable).current_key
        if cid is None:
            self.query_one(CompanyPanel).show(None)
            return
        if cid != self.previewed:
            self.previewed = cid
            self.load_company(cid)

    @work(thread=True, exclusive=True, group="company")
    def load_company(self, company_id: int) -> None:
        try:
            view = gather(self.service, company_id)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Company"))
            return
        if not self.cancelled():
            self.post_message(CompanyFetched(view))

    def on_company_fetched(self, message: CompanyFetched) -> None:
        if message.view.company.id == self.query_one(PagedTable).current_key:
            self.query_one(CompanyPanel).show(message.view)

    @on(DataTable.RowSelected, "#companies")
    def _selected(self) -> None:
        self.action_open_company()

    def action_open_company(self) -> None:
        cid = self.query_one(PagedTable).current_key
        if cid is not None:
            self.app.push_screen(CompanyScreen(cid))

    def action_refresh(self) -> None:
        self.previewed = None
        super().action_refresh()

    # --- search, new, edit, delete ------------------------------------------------------------------------
    @on(Input.Changed, "#company-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value.strip()
        self.load(0, "first")

    @on(Input.Submitted, "#company-search")
    def _search_submitted(self) -> None:
        self.set_focus(self.query_one(PagedTable))

    def on_key(self, event: Any) -> None:
        search = self.query_one("#company-search", Input)
        if self.focused is search and event.key in ("escape", "down"):
            event.stop()
            if event.key == "escape" and search.value:
                search.value = ""
            else:
                self.set_focus(self.query_one(PagedTable))

    def action_focus_search(self) -> None:
        self.set_focus(self.query_one("#company-search", Input))

    def action_new_company(self) -> None:
        from tinycrm.tui.screens.record_forms import CompanyForm

        def saved(company: Any) -> None:
            if company is not None:
                self.notify(f"Added {company.name}", timeout=3)
                self.action_refresh()

        self.app.push_screen(CompanyForm(), saved)

    def action_edit_company(self) -> None:
        cid = self.query_one(PagedTable).current_key
        if cid is not None:
            edit_company(self, cid)

    def action_delete_company(self) -> None:
        cid = self.query_one(PagedTable).current_key
        if cid is not None:
            delete_company(self, cid)

    @on(OptionList.OptionSelected, ".people")
    def _person(self, event: OptionList.OptionSelected) -> None:
        pid = self.query_one(CompanyPanel).person_id(event.option)
        if pid is not None:
            from tinycrm.tui.screens.contact import ContactScreen

            self.app.push_screen(ContactScreen(pid))


class CompanyScreen(CrmScreen):
    """A company's page: details, people (enter opens one), deals, latest interactions."""

    AREA = "company"
    BINDINGS = keys.bindings("company")

    def __init__(self, company_id: int) -> None:
        super().__init__()
        self.company_id = company_id

    def compose(self) -> ComposeResult:
        yield NavBar("companies", "Companies ›")
        with VerticalScroll(id="company-page"):
            yield CompanyPanel(id="company")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True, group="company")
    def reload(self) -> None:
        try:
            view = gather(self.service, self.company_id)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Company"))
            return
        self.post_message(CompanyFetched(view))

    def on_company_fetched(self, message: CompanyFetched) -> None:
        self.query_one(CompanyPanel).show(message.view)
        self.query_one(NavBar).set_crumb(f"Companies › {escape(message.view.company.name)}")
        self.query_one(".people", OptionList).focus()

    def action_back(self) -> None:
        self.dismiss(None)

    def on_screen_resume(self) -> None:
        self.reload()

    def action_refresh(self) -> None:
        self.reload()

    def action_edit(self) -> None:
        edit_company(self, self.company_id)

    def action_delete(self) -> None:
        delete_company(self, self.company_id, leave=True)

    def action_new_deal(self) -> None:
        from tinycrm.tui.screens.record_forms import DealForm

        panel = self.query_one(CompanyPanel)
        name = panel.view.company.name if panel.view else None

        def saved(deal: Any) -> None:
            if deal is not None:
                self.notify(f"Added “{deal.title}”", timeout=3)
                self.reload()

        self.app.push_screen(DealForm(company=name), saved)

    def action_open_person(self) -> None:
        people = self.query_one(".people", OptionList)
        if people.highlighted is not None:
            option = people.get_option_at_index(people.highlighted)
            self._open(option)

    @on(OptionList.OptionSelected, ".people")
    def _person(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._open(event.option)

    def _open(self, option: Option) -> None:
        pid = self.query_one(CompanyPanel).person_id(option)
        if pid is not None:
            from tinycrm.tui.screens.contact import ContactScreen

            self.app.push_screen(ContactScreen(pid))


def edit_company(screen: Any, company_id: int) -> None:
    """Read the company, then open its form; the screen reloads after a save."""
    from tinycrm.services.people import companies
    from tinycrm.tui.screens.record_forms import CompanyForm

    def saved(company: Any) -> None:
        if company is not None:
            screen.notify(f"Saved {company.name}", timeout=3)
            screen.action_refresh()

    @work(thread=True, group="company-edit")
    def read(self: Any) -> None:
        try:
            company = self.service(companies.get, company_id)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Company"))
            return
        self.app.call_from_thread(self.app.push_screen, CompanyForm(company), saved)

    read(screen)


def delete_company(screen: Any, company_id: int, *, leave: bool = False) -> None:
    """Ask, then delete the company (its people stay, without a company)."""
    from tinycrm.services.people import companies
    from tinycrm.tui.screens.forms import ConfirmDialog

    @work(thread=True, group="company-delete")
    def delete(self: Any) -> None:
        try:
            gone = self.service(companies.delete, company_id)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Company"))
            return
        self.app.call_from_thread(done, gone)

    def done(gone: Any) -> None:
        screen.notify(f"Deleted {gone.name}", timeout=3)
        if leave:
            screen.dismiss(None)
        else:
            screen.action_refresh()

    def answered(yes: bool | None) -> None:
        if yes:
            delete(screen)

    screen.app.push_screen(
        ConfirmDialog(
            "Delete this company?", "Its people stay, without a company.", yes="Delete", danger=True
        ),
        answered,
    )
