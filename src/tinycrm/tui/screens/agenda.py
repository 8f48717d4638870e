"""The agenda: overdue, today, upcoming (tasks, people to get back in touch with, birthdays, idle deals)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tinycrm.domain.errors import CrmError
from tinycrm.tui import keys
from tinycrm.tui.format import KIND_ICONS, ago, when
from tinycrm.tui.screens.base import CrmScreen, ServiceFailed
from tinycrm.tui.widgets.nav import NavBar

SECTIONS = [
    ("overdue", "Overdue", "error"),
    ("today", "Today", "accent"),
    ("upcoming", "Upcoming", "primary"),
]
KIND_LABELS = {"task": "task", "stale": "get in touch", "birthday": "birthday", "deal": "idle deal"}


class AgendaFetched(Message):
    def __init__(self, agenda: Any, keep: str | int | None) -> None:
        super().__init__()
        self.agenda = agenda
        self.keep = keep


class TaskDone(Message):
    def __init__(self, task: Any, nxt: Any) -> None:
        super().__init__()
        self.task = task
        self.nxt = nxt


def item_option(item: Any, index: int, colour: str) -> Option:
    icon = KIND_ICONS.get("stale" if item.kind == "stale" else item.kind, "•")
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f" {icon} ", style=f"bold {colour}")
    line.append(item.title, style="bold")
    line.append(f"  {KIND_LABELS.get(item.kind, item.kind)}", style="dim italic")
    sub = Text(no_wrap=True, overflow="ellipsis")
    sub.append("    ")
    if item.when is not None:
        with_time = isinstance(item.when, datetime)
        sub.append(f"{when(item.when, with_time=with_time)} ({ago(item.when)})", style=colour)
    if item.detail:
        sub.append(f"  {item.detail}", style="dim")
    return Option(Text.assemble(line, "\n", sub), id=f"i{index}")


class AgendaScreen(CrmScreen):
    """What needs doing: d marks a task done, z snoozes it, enter opens the contact."""

    AREA = "agenda"
    BINDINGS = keys.bindings("agenda")
    AUTO_FOCUS = "#agenda"

    def __init__(self) -> None:
        super().__init__()
        self.items: list[Any] = []

    def compose(self) -> ComposeResult:
        yield NavBar("agenda")
        yield Static("", id="agenda-summary")
        yield OptionList(id="agenda")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        if self.items:
            self.reload(self._current_key())

    @work(thread=True, exclusive=True, group="agenda")
    def reload(self, keep: str | int | None = None) -> None:
        from tinycrm.services.work import agenda

        try:
            result = self.service(agenda.agenda, days=7)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Agenda"))
            return
        if not self.cancelled():
            self.post_message(AgendaFetched(result, keep))

    def on_agenda_fetched(self, message: AgendaFetched) -> None:
        a = message.agenda
        theme = self.app.theme_variables
        lst = self.query_one("#agenda", OptionList)
        lst.clear_options()
        self.items = []
        options: list[Option] = []
        for key, title, colour_var in SECTIONS:
            entries = getattr(a, key)
            colour = theme.get(colour_var, "")
            head = Text(f"{title}", style=f"bold {colour}")
            head.append(f"  {len(entries)}", style="dim")
            if options:
                options.append(Option(Text(""), disabled=True))
            options.append(Option(head, disabled=True, id=f"h-{key}"))
            for item in entries:
                options.append(item_option(item, len(self.items), colour))
                self.items.append(item)
            if not entries:
                options.append(Option(Text("    nothing", style="dim italic"), disabled=True))
        lst.add_options(options)
        counts = [
            f"[b $error]{len(a.overdue)}[/] overdue",
            f"[b $accent]{len(a.today)}[/] today",
            f"[b $primary]{len(a.upcoming)}[/] in the next {a.days} days",
        ]
        day = f"{a.day:%A %d %B %Y}" if a.day else ""
        text = f"[b]{day}[/b]   " + " · ".join(counts)
        for note in a.notes:
            text += f"\n[dim]{note}[/dim]"
        self.query_one("#agenda-summary", Static).update(text)
        keep = message.keep
        if isinstance(keep, int):
            index = keep
        else:
            index = next((i for i, it in enumerate(self.items) if it.key == keep), 0) if keep else 0
        self._highlight(index)

    def _highlight(self, index: int) -> None:
        lst = self.query_one("#agenda", OptionList)
        if not self.items:
            return
        index = max(0, min(index, len(self.items) - 1))
        try:
            lst.highlighted = lst.get_option_index(f"i{index}")
        except Exception:  # noqa: BLE001 - the option went away
            pass

    def current(self) -> Any:
        lst = self.query_one("#agenda", OptionList)
        if lst.highlighted is None:
            return None
        option = lst.get_option_at_index(lst.highlighted)
        oid = str(option.id or "")
        return self.items[int(oid[1:])] if oid.startswith("i") else None

    def _current_key(self) -> str | None:
        item = self.current()
        return item.key if item is not None else None

    # --- actions ---------------------------------------------------------------------------------------
    def action_done(self) -> None:
        item = self.current()
        if item is None:
            return
        if item.kind != "task" or item.task_id is None:
            what = {
                "stale": "log an interaction with them (enter, then l)",
                "birthday": "wish them well",
                "deal": "move it on the pipeline board (3)",
            }.get(item.kind, "")
            self.notify(f"Only tasks are marked done here; {what}.", timeout=4)
            return
        self.complete(item.task_id)

    @work(thread=True, group="agenda-write")
    def complete(self, task_id: int) -> None:
        from tinycrm.services.work import tasks

        try:
            task, nxt = self.service(tasks.complete, task_id)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Done"))
            return
        self.post_message(TaskDone(task, nxt))

    def on_task_done(self, message: TaskDone) -> None:
        text = f"Done: {message.task.title}"
        if message.nxt is not None:
            text += f" · next {when(message.nxt.when, with_time=not message.nxt.all_day)}"
        self.notify(text, timeout=3)
        index = next((i for i, it in enumerate(self.items) if it.task_id == message.task.id), 0)
        self.reload(index)

    def action_snooze(self) -> None:
        item = self.current()
        if item is None or item.kind != "task" or item.task_id is None:
            self.notify("Only tasks can be snoozed.", timeout=3)
            return
        from tinycrm.tui.screens.work_forms import SnoozeForm

        def snoozed(task: Any) -> None:
            if task is not None:
                self.notify(f"Snoozed until {when(task.snoozed_until)}", timeout=3)
                self.reload(item.key)

        self.app.push_screen(SnoozeForm(item.task_id, item.title), snoozed)

    async def action_open_contact(self) -> None:
        item = self.current()
        if item is None:
            return
        if item.contact_id is None:
            if item.kind == "deal":
                await self.app.run_action("show('pipeline')")
            else:
                self.notify("This item has no contact.", timeout=3)
            return
        from tinycrm.tui.screens.contact import ContactScreen

        self.app.push_screen(ContactScreen(item.contact_id), callback=lambda _: self.reload(item.key))

    @on(OptionList.OptionSelected, "#agenda")
    async def _selected(self) -> None:
        await self.action_open_contact()

    def action_refresh(self) -> None:
        self.reload(self._current_key())
