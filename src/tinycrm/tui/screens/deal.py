"""One deal: its fields and people, its life (stage changes, wins and losses, interactions) and its tasks.
Edit, move, win, lose, reopen and delete it from here; opened from the board, the agenda, a company or the
palette."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from tinycrm.domain.errors import CrmError
from tinycrm.tui import keys
from tinycrm.tui.format import KIND_ICONS, escape, money, when
from tinycrm.tui.screens.base import CrmScreen, ServiceFailed
from tinycrm.tui.screens.task_keys import TaskKeys, highlighted_index
from tinycrm.tui.widgets.footer import CrmFooter
from tinycrm.tui.widgets.nav import NavBar


class DealFetched(Message):
    def __init__(self, deal: Any, timeline: list[Any], tasks: list[Any]) -> None:
        super().__init__()
        self.deal = deal
        self.timeline = timeline
        self.tasks = tasks


class DealWritten(Message):
    def __init__(self, deal: Any, verb: str, before: Any) -> None:
        super().__init__()
        self.deal = deal
        self.verb = verb
        self.before = before


def gather(service: Any, deal_id: int) -> tuple[Any, list[Any], list[Any]]:
    from tinycrm.services.sales import deals
    from tinycrm.services.work import tasks

    deal = service(deals.get, deal_id)
    timeline = service(deals.timeline, deal_id, limit=200)
    open_tasks = service(tasks.list_tasks, deal_id=deal_id, limit=50).items
    return deal, timeline, open_tasks


def details(d: Any) -> str:
    rows = [
        ("Value", f"{money(d.value, d.currency)}  [dim](weighted {money(d.weighted, d.currency)})[/dim]"),
        ("Stage", f"{escape(d.stage)} · {d.probability}% · {escape(d.pipeline)}"),
        ("Status", d.status + (f": {escape(d.lost_reason)}" if d.lost_reason else "")),
        ("Company", escape(d.company or "—")),
        ("People", escape(", ".join(c.name for c in d.contacts) or "—")),
        ("Close", when(d.expected_close) if d.expected_close else "—"),
        (
            "Next step",
            escape(d.next_step or "—") + (f" · {when(d.next_step_due)}" if d.next_step_due else ""),
        ),
        ("In stage", f"{d.days_in_stage} days" + ("  [b $warning]◷ idle[/]" if d.idle else "")),
        ("Owner", escape(d.owner or "—")),
    ]
    return "\n".join(f"[dim]{k:<10}[/dim] {v}" for k, v in rows)


class DealScreen(TaskKeys, CrmScreen):
    """A deal's page."""

    AREA = "deal"
    BINDINGS: ClassVar[list[BindingType]] = [*keys.bindings("deal")]
    AUTO_FOCUS = "#deal-timeline"

    def __init__(self, deal_id: int) -> None:
        super().__init__()
        self.deal_id = deal_id
        self.deal: Any = None
        self.open_tasks: list[Any] = []

    def compose(self) -> ComposeResult:
        yield NavBar("pipeline", "Pipeline ›")
        yield Static("Loading…", id="deal-head")
        with Horizontal(id="deal-body"):
            with VerticalScroll(id="deal-details"):
                yield Static("", id="deal-fields")
            with Vertical(id="deal-timeline-pane"):
                yield Label("Tasks and history", classes="pane-title")
                yield OptionList(id="deal-timeline")
        yield CrmFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.reload()

    def on_screen_resume(self) -> None:
        if self.deal is not None:
            self.reload()

    @work(thread=True, exclusive=True, group="deal")
    def reload(self) -> None:
        try:
            deal, timeline, open_tasks = gather(self.service, self.deal_id)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Deal"))
            return
        if not self.cancelled():
            self.post_message(DealFetched(deal, timeline, open_tasks))

    def on_deal_fetched(self, message: DealFetched) -> None:
        d = self.deal = message.deal
        self.query_one(NavBar).set_crumb(f"Pipeline › {escape(d.title)}")
        head = Text(d.title, style="bold")
        head.append(f"   {money(d.value, d.currency)} · {d.stage} · {d.status}", style="dim")
        self.query_one("#deal-head", Static).update(head)
        self.query_one("#deal-fields", Static).update(details(d))
        lst = self.query_one("#deal-timeline", OptionList)
        lst.clear_options()
        options: list[Option] = []
        self.open_tasks = list(message.tasks)
        for n, t in enumerate(message.tasks):
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f"{KIND_ICONS['task']} ", style="bold")
            line.append(t.title, style="bold")
            if t.due_at:
                line.append(f"  {when(t.due_at, with_time=not t.all_day)}", style="dim")
            options.append(Option(line, id=f"t{n}"))
        for e in message.timeline:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f"{KIND_ICONS.get(e.kind, '•')} ", style="bold")
            line.append(f"{when(e.at)}  ", style="dim")
            line.append(e.summary)
            options.append(Option(line))
        if not options:
            options.append(Option(Text("nothing yet", style="dim italic"), disabled=True))
        lst.add_options(options)

        self.refresh_bindings()  # win, lose and the stage keys for an open deal, reopen for a closed one

    # --- actions ---------------------------------------------------------------------------------------
    def highlighted_task(self) -> tuple[int, str, bool] | None:
        index = highlighted_index(self.query_one("#deal-timeline", OptionList), "t")
        if index is None or index >= len(self.open_tasks):
            return None
        return self.open_tasks[index].id, self.open_tasks[index].title, False

    @on(OptionList.OptionHighlighted, "#deal-timeline")
    def _highlighted(self) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("task_done", "task_snooze") and self.highlighted_task() is None:
            return False  # d and z act on a highlighted task: shown only then
        closed = self.deal is not None and self.deal.status != "open"
        if action in ("win", "lose", "step") and closed or action == "reopen" and not closed:
            return False  # not for this deal: left out of the footer
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        self.reload()

    def action_edit(self) -> None:
        if self.deal is None:
            return
        from tinycrm.tui.screens.record_forms import DealForm

        def saved(deal: Any) -> None:
            if deal is not None:
                self.notify(f"Saved “{deal.title}”", timeout=3)
                self.reload()

        self.app.push_screen(DealForm(self.deal), saved)

    def action_step(self, delta: int) -> None:
        if self.deal is not None:
            self.write("step", delta)

    def action_win(self) -> None:
        if self.deal is None:
            return
        from tinycrm.tui.screens.forms import ConfirmDialog

        d = self.deal
        self.app.push_screen(
            ConfirmDialog(
                f"Win “{escape(d.title)}”?", f"{money(d.value, d.currency)} · {escape(d.stage)}", yes="Win"
            ),
            self._if_yes("win"),
        )

    def action_lose(self) -> None:
        if self.deal is None:
            return
        from tinycrm.tui import undo
        from tinycrm.tui.screens.work_forms import LoseForm

        def lost(deal: Any) -> None:
            if deal is not None:
                undo.offer(self.app, f"Lost “{deal.title}”: {deal.lost_reason}", undo.reopen_deal(deal.id))
                self.reload()

        self.app.push_screen(LoseForm(self.deal.id, self.deal.title), lost)

    def action_reopen(self) -> None:
        if self.deal is not None:
            self.write("reopen")

    def action_delete(self) -> None:
        if self.deal is None:
            return
        from tinycrm.tui.screens.forms import ConfirmDialog

        d = self.deal
        self.app.push_screen(
            ConfirmDialog(
                f"Delete “{escape(d.title)}”?",
                "The deal and its stage history go for good; its interactions and tasks stay, unlinked.",
                yes="Delete",
                danger=True,
            ),
            self._if_yes("delete"),
        )

    def action_new_task(self) -> None:
        if self.deal is None:
            return
        from tinycrm.tui.screens.record_forms import TaskForm

        def saved(task: Any) -> None:
            if task is not None:
                self.notify(f"Task added: {task.title}", timeout=3)
                self.reload()

        self.app.push_screen(TaskForm(("deal_id", self.deal.id, self.deal.title)), saved)

    def _if_yes(self, verb: str) -> Any:
        def answered(yes: bool | None) -> None:
            if yes:
                self.write(verb)

        return answered

    @work(thread=True, group="deal-write")
    def write(self, verb: str, delta: int = 0) -> None:
        from tinycrm.services.sales import deals

        before = self.deal
        calls = {
            "step": lambda: self.service(deals.step, self.deal_id, delta),
            "win": lambda: self.service(deals.win, self.deal_id),
            "reopen": lambda: self.service(deals.reopen, self.deal_id),
            "delete": lambda: self.service(deals.delete, self.deal_id),
        }
        try:
            deal = calls[verb]()
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Deal"))
            return
        self.post_message(DealWritten(deal, verb, before))

    def on_deal_written(self, message: DealWritten) -> None:
        from tinycrm.tui import undo

        d = message.deal
        if message.verb == "delete":
            self.notify(f"Deleted “{d.title}”", timeout=3)
            self.dismiss(None)
            return
        if message.verb == "step" and message.before is not None:
            undo.offer(
                self.app, f"“{d.title}” → {d.stage}", undo.move_deal_back(d.id, message.before.stage_id)
            )
        elif message.verb == "win":
            self.notify(f"Won “{d.title}”: {money(d.value, d.currency)}", timeout=3)
        else:
            self.notify(f"“{d.title}” is open again", timeout=3)
        self.reload()
