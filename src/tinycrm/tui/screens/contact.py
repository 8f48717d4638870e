"""One contact: every field, tags, custom fields, and a timeline of interactions, tasks and deals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from tinycrm.domain import clock
from tinycrm.domain.errors import CrmError
from tinycrm.domain.people import ContactRead
from tinycrm.tui import keys
from tinycrm.tui.format import KIND_ICONS, ago, count, escape, money, when
from tinycrm.tui.screens.base import CrmScreen, ServiceFailed
from tinycrm.tui.screens.task_keys import TaskKeys, highlighted_index
from tinycrm.tui.widgets.footer import CrmFooter
from tinycrm.tui.widgets.nav import NavBar


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    at: datetime
    kind: str  # an interaction kind, task, done, deal
    title: str
    detail: str = ""
    style: str = ""
    ref: tuple[str, int] | None = None  # ("task", id), ("deal", id), ("interaction", id)


class ContactFetched(Message):
    def __init__(self, contact: ContactRead, entries: list[Entry], counts: dict[str, int]) -> None:
        super().__init__()
        self.contact = contact
        self.entries = entries
        self.counts = counts


def _moment(value: datetime | date | None) -> datetime:
    if value is None:
        return datetime.min.replace(tzinfo=UTC)
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(12), tzinfo=clock.local_tz()).astimezone(UTC)


#: how many interactions the timeline reads at first, and how many more "load older" adds
TIMELINE_PAGE = 100


def gather(
    service: Any, contact_id: int, limit: int = TIMELINE_PAGE
) -> tuple[ContactRead, list[Entry], dict[str, int]]:
    """The contact and its timeline (the newest ``limit`` interactions), newest first (run in a worker)."""
    from tinycrm.services.people import contacts, interactions

    contact = service(contacts.get, contact_id)
    entries: list[Entry] = []
    counts = {}
    page = service(interactions.timeline, contact_id, limit=limit)
    counts["interactions"] = page.total
    counts["interactions_shown"] = len(page.items)
    for i in page.items:
        others = [r.name for r in i.contacts if r.id != contact_id]
        detail = (i.body or "").strip().splitlines()[0] if i.body else ""
        if others:
            detail = ("with " + ", ".join(others) + (" · " + detail if detail else "")).strip()
        entries.append(Entry(i.happened_at, i.kind, i.summary, detail, ref=("interaction", i.id)))
    try:
        from tinycrm.services.work import tasks

        tpage = service(tasks.list_tasks, contact_id=contact_id, status="all", limit=50)
        counts["tasks"] = tpage.total
        for t in tpage.items:
            done = t.done_at is not None
            due = t.when
            detail = f"due {when(due, with_time=not t.all_day)} ({ago(due)})" if due and not done else ""
            if done:
                detail = f"done {when(t.done_at)}"
            elif t.snoozed_until:
                detail += f" · snoozed until {when(t.snoozed_until)}"
            overdue = not done and due is not None and _moment(due) < clock.now()
            entries.append(
                Entry(
                    t.done_at if done else _moment(due) if due else t.created_at,
                    "done" if done else "task",
                    t.title,
                    detail.strip(" ·"),
                    style="error" if overdue else "",
                    ref=("task", t.id),
                )
            )
    except ImportError:  # pragma: no cover - tasks are part of tinycrm
        pass
    try:
        from tinycrm.services.sales import deals

        dpage = service(deals.list_deals, contact_id=contact_id, status="all", limit=50, sort="updated")
        counts["deals"] = dpage.total
        for d in dpage.items:
            state = {"won": "won", "lost": "lost"}.get(d.status, f"{d.stage} · {d.days_in_stage} days")
            detail = f"{money(d.value, d.currency)} · {d.pipeline} · {state}"
            if d.idle:
                detail += " · idle"
            at = _moment(d.expected_close) if d.expected_close else clock.now()
            entries.append(
                Entry(at, "deal", d.title, detail, style="warning" if d.idle else "", ref=("deal", d.id))
            )
    except ImportError:  # pragma: no cover
        pass
    tickets_of(service, contact_id, entries, counts)
    entries.sort(key=lambda e: e.at, reverse=True)
    return contact, entries, counts


#: how many of a contact's tickets the screen lists (newest first)
TICKETS_SHOWN = 20


def tickets_of(service: Any, contact_id: int, entries: list[Entry], counts: dict[str, int]) -> None:
    """The contact's support tickets, every status, as entries of their own section."""
    from tinycrm.domain.support import STATUSES
    from tinycrm.services.support import tickets

    page = service(tickets.list_page, statuses=STATUSES, contact_id=contact_id, limit=TICKETS_SHOWN)
    counts["tickets"] = page.total
    for t in page.items:
        detail = f"#{t.id} · {t.status} · {t.priority}" + (" · SLA breached" if t.breached else "")
        style = "error" if t.breached else ""
        entries.append(Entry(t.created_at, "ticket", t.subject, detail, style=style, ref=("ticket", t.id)))


def details(c: ContactRead) -> Group:
    """The left column: everything known about the contact."""

    def section(title: str) -> Text:
        return Text(f"\n{title}", style="bold underline")

    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True, min_width=9)
    grid.add_column()
    for e in c.emails:
        grid.add_row(e.label or "email", Text(e.value))
    for p in c.phones:
        grid.add_row(p.label or "phone", Text(p.value))
    for a in c.addresses:
        grid.add_row(a.label or "address", Text(a.one_line()))
    if not (c.emails or c.phones or c.addresses):
        grid.add_row("", Text("no email, phone or address", style="dim italic"))
    parts: list[Any] = [Text("Reach", style="bold underline"), grid]
    info = Table.grid(padding=(0, 1))
    info.add_column(style="dim", no_wrap=True, min_width=9)
    info.add_column()
    if c.company:
        info.add_row("company", Text(c.company.name + (f" ({c.company_role})" if c.company_role else "")))
    if c.job_title:
        info.add_row("title", Text(c.job_title))
    if c.birthday:
        info.add_row("birthday", Text(c.birthday.removeprefix("--")))
    if c.cadence_days:
        info.add_row("in touch", Text(f"every {c.cadence_days} days"))
    info.add_row(
        "last seen",
        Text(
            f"{when(c.last_interaction_at, with_time=False)} ({ago(c.last_interaction_at)})"
            if c.last_interaction_at
            else "never",
            style="" if c.last_interaction_at else "dim italic",
        ),
    )
    if c.owner:
        info.add_row("owner", Text(c.owner))
    parts += [section("About"), info]
    if c.fields:
        custom = Table.grid(padding=(0, 1))
        custom.add_column(style="dim", no_wrap=True, min_width=9)
        custom.add_column()
        for k, v in c.fields.items():
            custom.add_row(k, Text(v))
        parts += [section("Custom fields"), custom]
    if c.notes:
        parts += [section("Notes"), Text(c.notes)]
    parts += [
        section("Record"),
        Text(
            f"#{c.id} · added {when(c.created_at, with_time=False)} · "
            f"updated {when(c.updated_at, with_time=False)} · v{c.version}",
            style="dim",
        ),
    ]
    return Group(*parts)


def timeline_option(e: Entry, index: int) -> Option:
    icon = KIND_ICONS.get(e.kind, "•")
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"{when(e.at, with_time=False)}  ", style="dim")
    line.append(f"{icon} ", style="bold")
    label = {"done": "task", "task": "task"}.get(e.kind, e.kind)
    line.append(f"{label:<8}", style="dim italic")
    line.append(e.title, style="strike dim" if e.kind == "done" else "bold")
    prompt = line
    if e.detail:
        sub = Text("              " + e.detail, style="dim", no_wrap=True, overflow="ellipsis")
        if e.style == "error":
            sub.stylize("red")
        elif e.style == "warning":
            sub.stylize("yellow")
        prompt = Text.assemble(line, "\n", sub)
    return Option(prompt, id=f"e{index}")


class ContactScreen(TaskKeys, CrmScreen):
    """A contact's page; opened from the list, a company, the agenda or the palette."""

    AREA = "contact"
    BINDINGS = keys.bindings("contact")
    AUTO_FOCUS = "#timeline"

    def __init__(self, contact_id: int) -> None:
        super().__init__()
        self.contact_id = contact_id
        self.contact: ContactRead | None = None
        self.entries: list[Entry] = []
        self.timeline_limit = TIMELINE_PAGE

    def compose(self) -> ComposeResult:
        yield NavBar("contacts", "Contacts ›")
        with Vertical(id="contact-head"):
            yield Static("", id="contact-name")
            yield Static("", id="contact-sub")
        with Horizontal(id="contact-body"):
            with VerticalScroll(id="contact-details"):
                yield Static("Loading…", id="details")
            with Vertical(id="timeline-pane"):
                yield Label("Timeline", id="timeline-title", classes="pane-title")
                yield OptionList(id="timeline")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        if self.contact is not None:  # back from a form or another page: what changed there shows
            self.reload()

    def action_refresh(self) -> None:
        """``r``: the page again (an undo reloads it too)."""
        self.reload()

    # --- the highlighted task: d done, z snooze (shown in the footer only then) --------------------------------
    def highlighted_task(self) -> tuple[int, str, bool] | None:
        index = highlighted_index(self.query_one("#timeline", OptionList), "e")
        if index is None or index >= len(self.entries):
            return None
        e = self.entries[index]
        if e.ref is None or e.ref[0] != "task":
            return None
        return e.ref[1], e.title, e.kind == "done"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("task_done", "task_snooze"):
            task = self.highlighted_task()
            if task is None or task[2]:
                return False
        return super().check_action(action, parameters)

    @on(OptionList.OptionHighlighted, "#timeline")
    def _highlighted(self) -> None:
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="contact")
    def reload(self) -> None:
        try:
            contact, entries, counts = gather(self.service, self.contact_id, self.timeline_limit)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Contact"))
            return
        if not self.cancelled():
            self.post_message(ContactFetched(contact, entries, counts))

    def on_contact_fetched(self, message: ContactFetched) -> None:
        c = self.contact = message.contact
        self.entries = message.entries
        self.query_one(NavBar).set_crumb(f"Contacts › {escape(c.display_name)}")
        name = Text(c.display_name, style="bold")
        if c.archived:
            name.append("  archived", style="italic dim")
        self.query_one("#contact-name", Static).update(name)
        theme = self.app.theme_variables
        sub = Text()
        role = " at ".join(x for x in (c.job_title, c.company.name if c.company else None) if x)
        if role:
            sub.append(role + "   ")
        for tag in c.tags:
            sub.append(
                f" {tag} ", style=f"bold {theme.get('background', '')} on {theme.get('secondary', '')}"
            )
            sub.append(" ")
        self.query_one("#contact-sub", Static).update(sub)
        self.query_one("#details", Static).update(details(c))
        tl = self.query_one("#timeline", OptionList)
        highlighted = tl.highlighted
        tl.clear_options()
        moment = clock.now()
        tickets = [i for i, e in enumerate(self.entries) if e.kind == "ticket"]
        coming = sorted(
            (i for i, e in enumerate(self.entries) if e.at > moment and e.kind != "ticket"),
            key=lambda i: self.entries[i].at,
        )
        past = [i for i, e in enumerate(self.entries) if e.at <= moment and e.kind != "ticket"]
        options: list[Option] = []
        for title, indexes in (("Tickets", tickets), ("Coming up", coming), ("History", past)):
            if not indexes:
                continue
            if options:
                options.append(Option(Text(""), disabled=True))
            options.append(Option(Text(title, style=f"bold {theme.get('secondary', '')}"), disabled=True))
            options += [timeline_option(self.entries[i], i) for i in indexes]
        n = message.counts
        older = n.get("interactions", 0) - n.get("interactions_shown", 0)
        if older > 0:
            label = f"    ▾ load older interactions ({older:,} more)"
            options.append(Option(Text(label, style="italic"), id="more"))
        tl.add_options(options)
        if not self.entries:
            tl.add_option(
                Option(
                    Text("Nothing yet: press l to log a call, f to add a follow-up.", style="dim italic"),
                    disabled=True,
                )
            )
        elif highlighted is not None:
            tl.highlighted = min(highlighted, tl.option_count - 1)
        else:
            tl.highlighted = 1
        n = message.counts
        # what there is, not "0 deals": at 80 columns the title wrapped onto a second line
        kinds = ("interaction", "task", "deal", "ticket")
        parts = [count(n[k + "s"], k) for k in kinds if n.get(k + "s")] or ["nothing yet"]
        self.query_one("#timeline-title", Label).update(f"Timeline  [dim]{' · '.join(parts)}[/dim]")

    # --- actions ---------------------------------------------------------------------------------------
    def _need(self) -> ContactRead | None:
        if self.contact is None:
            self.notify("Still loading…", timeout=2)
        return self.contact

    def action_new_deal(self) -> None:
        c = self.contact
        if c is None:
            return
        from tinycrm.tui.screens.record_forms import DealForm

        def saved(deal: Any) -> None:
            if deal is not None:
                self.notify(f"Added “{deal.title}”", timeout=3)
                self.reload()

        company = c.company.name if c.company else None
        self.app.push_screen(DealForm(contact=(c.id, c.display_name), company=company), saved)

    def action_new_task(self) -> None:
        if (c := self._need()) is None:
            return
        from tinycrm.tui.screens.record_forms import TaskForm

        def saved(task: Any) -> None:
            if task is not None:
                self.notify(f"Task added: {task.title}", timeout=3)
                self.reload()

        self.app.push_screen(TaskForm(("contact_id", c.id, c.display_name)), saved)

    def action_new_ticket(self) -> None:
        """A support ticket for the contact (taken by phone, say): the form comes with the contact filled in."""
        if (c := self._need()) is None:
            return
        from tinycrm.tui.screens.tickets_forms import NewTicketForm

        def saved(ticket: Any) -> None:
            if ticket is not None:
                self.notify(f"Ticket #{ticket.id} added", timeout=3)
                self.reload()

        self.app.push_screen(NewTicketForm(contact=(c.id, c.display_name)), saved)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.dismiss(self.contact)

    def action_log_interaction(self) -> None:
        if (c := self._need()) is None:
            return
        from tinycrm.tui.screens.interaction import InteractionForm

        def logged(result: Any) -> None:
            if result is not None:
                self.notify(f"Logged {result.kind}: {result.summary}", timeout=3)
                self.reload()

        self.app.push_screen(InteractionForm(c.id, c.display_name), logged)

    def action_follow_up(self) -> None:
        if (c := self._need()) is None:
            return
        from tinycrm.tui.screens.contact_forms import FollowUpForm

        def added(result: Any) -> None:
            if result is not None:
                self.notify(f"Follow-up due {when(result.when, with_time=not result.all_day)}", timeout=3)
                self.reload()

        self.app.push_screen(FollowUpForm(c.id, c.display_name), added)

    def action_edit(self) -> None:
        if (c := self._need()) is None:
            return
        from tinycrm.tui.screens.contact_forms import ContactForm

        def saved(result: Any) -> None:
            if result is not None:
                self.notify("Saved", timeout=2)
                self.reload()

        self.app.push_screen(ContactForm(c), saved)

    def action_tag(self) -> None:
        if (c := self._need()) is None:
            return
        from tinycrm.tui.screens.contact_forms import TagsForm

        def saved(result: Any) -> None:
            if result is not None:
                self.reload()

        self.app.push_screen(TagsForm(c), saved)

    def action_archive(self) -> None:
        if (c := self._need()) is None:
            return
        from tinycrm.tui.screens.forms import ConfirmDialog

        verb = "Bring back" if c.archived else "Archive"

        def answered(yes: bool | None) -> None:
            if yes:
                self.set_archived(not c.archived)

        detail = (
            "It shows in lists and search again."
            if c.archived
            else "Archived contacts are hidden from lists and search; nothing is deleted."
        )
        question = f"{verb} {escape(c.display_name)}?"
        self.app.push_screen(ConfirmDialog(question, detail, yes=verb), answered)

    @work(thread=True, group="contact-write")
    def set_archived(self, archived: bool) -> None:
        from tinycrm.services.people import contacts

        try:
            self.service(contacts.archive, self.contact_id, archived=archived)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Archive"))
            return
        self.post_message(self.Archived(archived))

    class Archived(Message):
        def __init__(self, archived: bool) -> None:
            super().__init__()
            self.archived = archived

    def on_contact_screen_archived(self, message: Archived) -> None:
        self.notify("Archived" if message.archived else "Back from the archive", timeout=2)
        self.reload()

    def action_open_company(self) -> None:
        if (c := self._need()) is None or c.company is None:
            return
        from tinycrm.tui.screens.companies import CompanyScreen

        self.app.push_screen(CompanyScreen(c.company.id))

    @on(OptionList.OptionSelected, "#timeline")
    def _entry_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == "more":
            self.timeline_limit += TIMELINE_PAGE
            self.reload()
            return
        index = int(str(event.option.id)[1:]) if event.option.id else -1
        if not 0 <= index < len(self.entries):
            return
        e = self.entries[index]
        if e.ref is not None and e.ref[0] == "interaction":
            self.open_interaction(e.ref[1])
        elif e.ref is not None and e.ref[0] == "ticket":
            from tinycrm.tui.screens.tickets import TicketScreen

            self.app.push_screen(TicketScreen(e.ref[1]), self._ticket_closed)

    def _ticket_closed(self, changed: bool | None) -> None:
        if changed:
            self.reload()

    def open_interaction(self, interaction_id: int) -> None:
        """The interaction in full (e edits it, d deletes it); the timeline reloads when it changed."""
        from tinycrm.tui.screens.interaction import InteractionScreen

        def back(changed: bool | None) -> None:
            if changed:
                self.reload()

        name = self.contact.display_name if self.contact else ""
        self.app.push_screen(InteractionScreen(interaction_id, name), back)
