"""The agenda: overdue tasks, idle deals, people to get back in touch with, then the dates coming up.

Each group shows its first items and how many it holds ("12 of 9,947"); "show more" under a group reads the
next ones. Only what is shown is read and drawn, so the agenda opens at once on any database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tinycrm.domain.errors import CrmError
from tinycrm.tui import keys
from tinycrm.tui.format import KIND_ICONS, ago, when
from tinycrm.tui.screens.base import CrmScreen, ServiceFailed
from tinycrm.tui.widgets.footer import CrmFooter
from tinycrm.tui.widgets.nav import NavBar

#: how many items a group shows at first, and how many more each "show more" adds
FIRST = 12
MORE = 50
COLOURS = {"overdue_tasks": "error", "idle_deals": "warning", "stale": "secondary", "dates": "primary"}
KIND_LABELS = {"task": "task", "stale": "get in touch", "birthday": "birthday", "deal": "idle deal"}
#: the kind filter (f cycles through it): label, kinds
FILTERS = [
    ("everything", None),
    ("tasks", {"task"}),
    ("deals", {"deal"}),
    ("people", {"stale"}),
    ("birthdays", {"birthday"}),
]


class AgendaFetched(Message):
    def __init__(self, day: Any, groups: list[Any], keep: str | None) -> None:
        super().__init__()
        self.day = day
        self.groups = groups
        self.keep = keep


class TaskDone(Message):
    def __init__(self, task: Any, nxt: Any) -> None:
        super().__init__()
        self.task = task
        self.nxt = nxt


def item_option(item: Any, index: int, colour: str) -> Option:
    icon = KIND_ICONS.get(item.kind, "•")
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
    """What needs doing: d marks a task done, z snoozes it, u undoes, f filters, enter opens."""

    AREA = "agenda"
    BINDINGS = keys.bindings("agenda")
    AUTO_FOCUS = "#agenda"

    def __init__(self) -> None:
        super().__init__()
        self.items: list[Any] = []
        self.limits: dict[str, int] = {}
        self.filter = 0
        #: a first answer is on screen (before it, the first load is on its way: no second one)
        self.loaded = False
        from tinycrm.services.work import agenda

        self.prefetch(agenda.groups, days=7, kinds=None, limit=FIRST, limits={})

    def compose(self) -> ComposeResult:
        yield NavBar("agenda")
        yield Static("", id="agenda-summary")
        yield OptionList(id="agenda")
        yield CrmFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.reload()

    def on_screen_resume(self) -> None:
        if self.loaded:  # the first visit's load is already on its way: reading the agenda twice cost 2x
            self.reload(self._current_key())

    @work(thread=True, exclusive=True, group="agenda")
    def reload(self, keep: str | None = None) -> None:
        from tinycrm.services.work import agenda

        kinds = FILTERS[self.filter][1]
        try:
            day, groups = self.service(
                agenda.groups, days=7, kinds=kinds, limit=FIRST, limits=dict(self.limits)
            )
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Agenda"))
            return
        if not self.cancelled():
            self.post_message(AgendaFetched(day, groups, keep))

    def on_agenda_fetched(self, message: AgendaFetched) -> None:
        self.loaded = True
        theme = self.app.theme_variables
        lst = self.query_one("#agenda", OptionList)
        self.items = []
        options: list[Option] = []
        counts = []
        for group in message.groups:
            colour = theme.get(COLOURS[group.key], "")
            shown = len(group.items)
            head = Text(group.title, style=f"bold {colour}")
            head.append(
                f"  {shown} of {group.total:,}" if group.total > shown else f"  {group.total:,}", style="dim"
            )
            if options:
                options.append(Option(Text(""), disabled=True))
            options.append(Option(head, disabled=True, id=f"h-{group.key}"))
            for item in group.items:
                options.append(item_option(item, len(self.items), colour))
                self.items.append(item)
            if group.total > shown:
                more = min(MORE, group.total - shown)
                options.append(
                    Option(
                        Text(f"    ▾ show {more:,} more ({group.total - shown:,} not shown)", style="italic"),
                        id=f"more-{group.key}",
                    )
                )
            elif not group.items:
                options.append(Option(Text("    nothing", style="dim italic"), disabled=True))
            counts.append(f"[b]{group.total:,}[/b] {group.title.lower()}")
        lst.clear_options()
        lst.add_options(options)
        day = f"{message.day:%a %d %b %Y}" if message.day else ""
        label = FILTERS[self.filter][0]
        self.query_one("#agenda-summary", Static).update(
            f"[b]{day}[/b]  [dim]showing {label} (f)[/dim]   " + " · ".join(counts)
        )
        self._restore(message.keep)

    def _restore(self, keep: str | None) -> None:
        lst = self.query_one("#agenda", OptionList)
        if keep and keep.startswith("more-"):
            try:
                lst.highlighted = lst.get_option_index(keep)
                return
            except Exception:  # noqa: BLE001 - the group has no more to show
                keep = None
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

    def _option_id(self) -> str:
        lst = self.query_one("#agenda", OptionList)
        if lst.highlighted is None or lst.highlighted >= lst.option_count:
            return ""
        return str(lst.get_option_at_index(lst.highlighted).id or "")

    def current(self) -> Any:
        oid = self._option_id()
        return self.items[int(oid[1:])] if oid.startswith("i") and int(oid[1:]) < len(self.items) else None

    def _current_key(self) -> str | None:
        oid = self._option_id()
        if oid.startswith("more-"):
            return oid
        item = self.current()
        return item.key if item is not None else None

    # --- actions ---------------------------------------------------------------------------------------
    def action_show_more(self, group: str) -> None:
        self.limits[group] = self.limits.get(group, FIRST) + MORE
        self.reload(f"more-{group}")

    def action_filter_kind(self) -> None:
        self.filter = (self.filter + 1) % len(FILTERS)
        self.limits = {}
        self.reload()

    def action_cursor(self, where: str) -> None:
        lst = self.query_one("#agenda", OptionList)
        actions = {"down": lst.action_cursor_down, "up": lst.action_cursor_up}
        actions.update(first=lst.action_first, last=lst.action_last)
        actions[where]()

    def action_done(self) -> None:
        item = self.current()
        if item is None:
            return
        if item.kind != "task" or item.task_id is None:
            what = {
                "stale": "log an interaction with them (enter, then l)",
                "birthday": "wish them well",
                "deal": "open it (enter) and move it on",
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
        from tinycrm.tui import undo

        text = f"Done: {message.task.title}"
        if message.nxt is not None:
            text += f" · next {when(message.nxt.when, with_time=not message.nxt.all_day)}"
        undo.offer(self.app, text, undo.reopen_task(message.task.id, message.nxt.id if message.nxt else None))
        index = next((i for i, it in enumerate(self.items) if it.task_id == message.task.id), 0)
        following = self.items[index + 1].key if index + 1 < len(self.items) else None
        self.reload(following)

    def action_snooze(self) -> None:
        item = self.current()
        if item is None or item.kind != "task" or item.task_id is None:
            self.notify("Only tasks can be snoozed.", timeout=3)
            return
        from tinycrm.tui import undo
        from tinycrm.tui.screens.work_forms import SnoozeForm

        form = SnoozeForm(item.task_id, item.title)

        index = next((i for i, it in enumerate(self.items) if it.key == item.key), 0)
        following = self.items[index + 1].key if index + 1 < len(self.items) else None

        def snoozed(task: Any) -> None:
            if task is not None:
                text = f"Snoozed until {when(task.snoozed_until)}: {task.title}"
                undo.offer(self.app, text, undo.unsnooze_task(task.id, form.previous))
                # stay where you were, as after a done (not where the task went); the cursor moves first, so
                # that the reload on coming back from the form keeps it there too
                self._restore(following)
                self.reload(following)

        self.app.push_screen(form, snoozed)

    async def action_open_contact(self) -> None:
        oid = self._option_id()
        if oid.startswith("more-"):
            self.action_show_more(oid[5:])
            return
        item = self.current()
        if item is None:
            return
        if item.kind == "deal" and item.deal_id is not None:
            from tinycrm.tui.screens.deal import DealScreen

            self.app.push_screen(DealScreen(item.deal_id))
            return
        if item.contact_id is None:
            if item.deal_id is not None:
                from tinycrm.tui.screens.deal import DealScreen

                self.app.push_screen(DealScreen(item.deal_id))
            else:
                self.notify("This item has no contact.", timeout=3)
            return
        from tinycrm.tui.screens.contact import ContactScreen

        self.app.push_screen(ContactScreen(item.contact_id))

    @on(OptionList.OptionSelected, "#agenda")
    async def _selected(self) -> None:
        await self.action_open_contact()

    def action_refresh(self) -> None:
        self.reload(self._current_key())
