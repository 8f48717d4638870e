"""The pipeline board: one column per stage with its count, total and weighted value; deals move with keys."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tinycrm.domain.errors import CrmError
from tinycrm.tui import keys
from tinycrm.tui.format import escape, money, totals
from tinycrm.tui.screens.base import CrmScreen, ServiceFailed
from tinycrm.tui.widgets.footer import CrmFooter
from tinycrm.tui.widgets.nav import NavBar

#: how many cards a column shows at first (a screenful and then some), and how many more each time the cursor
#: reaches the last one: a board of 100,000 open deals draws 30 cards a stage, not the service's 200
CARDS = 30
MORE_CARDS = 100


class BoardFetched(Message):
    def __init__(self, board: Any, pipelines: list[Any], focus_deal: int | None) -> None:
        super().__init__()
        self.board = board
        self.pipelines = pipelines
        self.focus_deal = focus_deal


class DealChanged(Message):
    """A deal moved, was won or lost."""

    def __init__(self, deal: Any, verb: str, before_stage: int | None = None) -> None:
        super().__init__()
        self.deal = deal
        self.verb = verb
        self.before_stage = before_stage


def deal_card(d: Any, width: int = 30) -> Text:
    """Two or three lines: title; value · company; idle mark or next step."""
    title = Text(d.title, style="bold", no_wrap=True, overflow="ellipsis")
    sub = Text(no_wrap=True, overflow="ellipsis")
    sub.append(money(d.value, d.currency), style="bold green" if d.value else "dim")
    who = d.company or (", ".join(d.contacts) if d.contacts else "")
    if who:
        sub.append(f" · {who}", style="dim")
    lines = [title, sub]
    if d.idle:
        lines.append(
            Text(
                f"◷ idle · {d.days_in_stage}d in stage",
                style="bold yellow",
                no_wrap=True,
                overflow="ellipsis",
            )
        )
    elif d.next_step:
        due = f" · {d.next_step_due:%d %b}" if d.next_step_due else ""
        lines.append(Text(f"→ {d.next_step}{due}", style="dim italic", no_wrap=True, overflow="ellipsis"))
    else:
        lines.append(Text(f"{d.days_in_stage}d in stage", style="dim", no_wrap=True))
    for line in lines:
        line.truncate(max(8, width), overflow="ellipsis")
    card = Text("\n").join(lines)
    card.no_wrap = True
    card.overflow = "ellipsis"
    return card


def _column_parts(column: Any, width: int) -> tuple[Text, Text, list[Any]]:
    """A stage's heading (name and probability), its sums, and its cards as the options of its list."""
    st = column.stage
    name = Text(st.name, style="bold")
    name.append(f"  {st.probability}%", style="dim")
    sums = Text()
    sums.append(f"{column.count} deal{'s' if column.count != 1 else ''}", style="bold")
    sums.append(f"  {totals(column.totals)}\n")
    sums.append(f"weighted {totals(column.weighted)}", style="dim")
    options: list[Any] = []
    for i, d in enumerate(column.deals):
        if i:
            options.append(None)
        options.append(Option(deal_card(d, width), id=f"d{d.id}"))
    if column.more:
        options.append(Option(Text(f"+ {column.more} more", style="dim italic"), disabled=True))
    if not column.deals:
        options.append(Option(Text("no open deals", style="dim italic"), disabled=True))
    return name, sums, options


def _lines(options: list[Any]) -> int:
    """How many lines the options of a column take (a card is never wrapped: one line a line of its text)."""
    return sum(1 if o is None else len(o.prompt.plain.splitlines()) for o in options)


class StageColumn(Vertical):
    """One stage: its name and probability, its sums, its deals.

    Built with its first data (``column``), it is mounted with its cards and its classes in place: filled
    after mounting, each column was styled again (its classes changed) and its list laid out twice."""

    def __init__(self, index: int, column: Any = None, width: int = 30, current: bool = False) -> None:
        idle = column is not None and any(d.idle for d in column.deals)
        classes = "stage" + (" -current" if current else "") + (" -has-idle" if idle else "")
        super().__init__(classes=classes)
        self.index = index
        self.deal_ids: list[int] = [d.id for d in column.deals] if column is not None else []
        #: how many lines its cards take
        self.lines = 0
        self._first: tuple[Any, int] | None = (column, width) if column is not None else None

    def compose(self) -> ComposeResult:
        if self._first is None:
            yield Static("", classes="stage-name")
            yield Static("", classes="stage-sums")
            yield OptionList(classes="deals")
            return
        name, sums, options = _column_parts(*self._first)
        self._first = None
        yield Static(name, classes="stage-name")
        yield Static(sums, classes="stage-sums")
        deals = OptionList(classes="deals")
        deals.add_options(options)  # not as OptionList(*options): that would put a cursor in every column
        self.lines = _lines(options)
        deals.set_class(self.overflows(), "-overflows")
        yield deals

    def overflows(self) -> bool:
        """More lines of cards than the screen has: the list scrolls, its scrollbar is laid out from the start
        (found out as the list is drawn, it took a second layout of the whole board)."""
        return self.lines > self.app.size.height

    def show(self, column: Any, width: int = 30) -> None:
        name, sums, options = _column_parts(column, width)
        self.query_one(".stage-name", Static).update(name)
        self.query_one(".stage-sums", Static).update(sums)
        deals = self.query_one(OptionList)
        deals.clear_options()
        self.deal_ids = [d.id for d in column.deals]
        deals.add_options(options)
        self.lines = _lines(options)
        deals.set_class(self.overflows(), "-overflows")
        self.set_class(any(d.idle for d in column.deals), "-has-idle")


def _pipeline_choices(db: Any) -> list[Any]:
    from tinycrm.services.sales import pipelines

    return [
        (p.name, ", ".join(s.name for s in p.stages) or "no stages", p.id)
        for p in pipelines.list_pipelines(db)
    ]


class PipelineScreen(CrmScreen):
    """The board of one pipeline (p picks another)."""

    AREA = "pipeline"
    BINDINGS = keys.bindings("pipeline")

    def __init__(self) -> None:
        super().__init__()
        self.board: Any = None
        self.pipelines: list[Any] = []
        self.pipeline_id: int | None = None
        self.column = 0
        #: the deal the cursor goes to at the next reload (one just added)
        self.wanted: int | None = None
        #: cards per column (grows as the cursor reaches the last one shown)
        self.limit = CARDS
        #: the width the cards were last drawn to (a resize to the same width draws nothing again)
        self.drawn_width = 0
        from tinycrm.services.sales import pipelines

        self.prefetch(pipelines.board, None, limit=CARDS)
        self.prefetch(pipelines.list_pipelines)

    def compose(self) -> ComposeResult:
        yield NavBar("pipeline")
        yield Static("", id="board-summary")
        yield Horizontal(id="board")
        yield CrmFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.reload()

    def on_screen_resume(self) -> None:
        if self.board is not None:
            self.reload(self.wanted or self.current_deal())

    @work(thread=True, exclusive=True, group="board")
    def reload(self, focus_deal: int | None = None) -> None:
        from tinycrm.services.sales import pipelines

        try:
            board = self.service(pipelines.board, self.pipeline_id, limit=self.limit)
            listed = self.service(pipelines.list_pipelines)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Pipeline"))
            return
        if not self.cancelled():
            self.post_message(BoardFetched(board, listed, focus_deal))

    async def on_board_fetched(self, message: BoardFetched) -> None:
        board = self.board = message.board
        self.pipelines = message.pipelines
        self.pipeline_id = board.pipeline.id
        area = self.query_one("#board", Horizontal)
        columns = list(area.query(StageColumn))
        card_width = self._card_width(len(board.columns))
        self.drawn_width = card_width
        if len(columns) != len(board.columns):
            # new columns come with their cards (the first board, another pipeline's)
            await area.remove_children()
            current = min(self.column, len(board.columns) - 1)
            columns = [
                StageColumn(i, data, card_width, current=i == current) for i, data in enumerate(board.columns)
            ]
            await area.mount_all(columns)
        else:
            for col, data in zip(columns, board.columns, strict=True):
                col.show(data, card_width)
        open_n = sum(c.count for c in board.columns)
        all_totals: dict[str, Any] = {}
        all_weighted: dict[str, Any] = {}
        for c in board.columns:
            for cur, v in c.totals.items():
                all_totals[cur] = all_totals.get(cur, 0) + v
            for cur, v in c.weighted.items():
                all_weighted[cur] = all_weighted.get(cur, 0) + v
        idle = sum(1 for c in board.columns for d in c.deals if d.idle)
        text = f"[b]{escape(board.pipeline.name)}[/b]"
        if len(self.pipelines) > 1:
            text += f" [dim](p: pick one of {len(self.pipelines)})[/dim]"
        text += f"   {open_n} open · {escape(totals(all_totals))} · weighted {escape(totals(all_weighted))}"
        if idle:
            text += f"   [b $warning]◷ {idle} idle[/]"
        self.query_one("#board-summary", Static).update(text)
        # where the cursor goes: the deal just moved, else where it was
        target_col, target_row = self.column, None
        if message.focus_deal is not None:
            for i, col in enumerate(columns):
                if message.focus_deal in col.deal_ids:
                    target_col, target_row = i, col.deal_ids.index(message.focus_deal)
        self._focus(min(target_col, len(columns) - 1), target_row)
        if message.focus_deal == self.wanted:
            self.wanted = None

    # --- cursor ----------------------------------------------------------------------------------------
    def _columns(self) -> list[StageColumn]:
        return list(self.query(StageColumn))

    def _focus(self, index: int, row: int | None = None) -> None:
        columns = self._columns()
        if not columns:
            return
        index = max(0, min(index, len(columns) - 1))
        previous = (
            columns[self.column].query_one(OptionList).highlighted if self.column < len(columns) else None
        )
        self.column = index
        deals = columns[index].query_one(OptionList)
        deals.focus()
        if columns[index].deal_ids:
            wanted = row if row is not None else (previous if previous is not None else 0)
            deals.highlighted = max(0, min(wanted, len(columns[index].deal_ids) - 1))
        for i, col in enumerate(columns):
            col.set_class(i == index, "-current")

    def on_descendant_focus(self, event: Any) -> None:
        for i, col in enumerate(self._columns()):
            if event.widget in col.query(OptionList):
                if self.column != i:
                    self.column = i
                    for j, other in enumerate(self._columns()):
                        other.set_class(j == i, "-current")

    def current_deal(self) -> int | None:
        columns = self._columns()
        if not columns or self.column >= len(columns):
            return None
        col = columns[self.column]
        deals = col.query_one(OptionList)
        if deals.highlighted is None or deals.highlighted >= len(col.deal_ids):
            return None
        return col.deal_ids[deals.highlighted]

    def current_summary(self) -> Any:
        deal_id = self.current_deal()
        if deal_id is None or self.board is None:
            return None
        return next((d for c in self.board.columns for d in c.deals if d.id == deal_id), None)

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """On the last card shown of a column that has more: read more of them (the cursor stays)."""
        if self.board is None or self.limit >= 10_000:
            return
        for i, col in enumerate(self._columns()):
            if event.option_list is col.query_one(OptionList) and i < len(self.board.columns):
                data = self.board.columns[i]
                if data.more and col.deal_ids and event.option_index == len(col.deal_ids) - 1:
                    self.limit = min(10_000, len(data.deals) + MORE_CARDS)
                    self.reload(col.deal_ids[-1])

    def action_move_cursor(self, delta: int) -> None:
        self._focus(self.column + delta)

    def action_move_row(self, delta: int) -> None:
        columns = self._columns()
        if columns:
            deals = columns[self.column].query_one(OptionList)
            deals.action_cursor_down() if delta > 0 else deals.action_cursor_up()

    # --- changes ---------------------------------------------------------------------------------------
    def action_step(self, delta: int) -> None:
        deal_id = self.current_deal()
        if deal_id is None:
            return
        self.change(deal_id, "step", delta)

    def action_win(self) -> None:
        d = self.current_summary()
        if d is None:
            return
        from tinycrm.tui.screens.forms import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(d.id, "win")

        self.app.push_screen(
            ConfirmDialog(
                f"Win “{escape(d.title)}”?",
                f"{money(d.value, d.currency)} · {escape(d.stage)}. It leaves the board and counts as won.",
                yes="Win",
            ),
            answered,
        )

    def action_lose(self) -> None:
        d = self.current_summary()
        if d is None:
            return
        from tinycrm.tui.screens.work_forms import LoseForm

        def lost(deal: Any) -> None:
            if deal is not None:
                from tinycrm.tui import undo

                undo.offer(self.app, f"Lost “{deal.title}”: {deal.lost_reason}", undo.reopen_deal(deal.id))
                self.reload()

        self.app.push_screen(LoseForm(d.id, d.title), lost)

    @work(thread=True, group="deal-write")
    def change(self, deal_id: int, verb: str, delta: int = 0) -> None:
        from tinycrm.services.sales import deals

        before = None
        try:
            if verb == "step":
                before = self.service(deals.get, deal_id).stage_id
                deal = self.service(deals.step, deal_id, delta)
            else:
                deal = self.service(deals.win, deal_id)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Deal"))
            return
        self.post_message(DealChanged(deal, verb, before))

    def on_deal_changed(self, message: DealChanged) -> None:
        d = message.deal
        if message.verb == "win":
            self.notify(f"Won “{d.title}”: {money(d.value, d.currency)}", title="🎉 Won", timeout=3)
            self.reload()
        else:
            from tinycrm.tui import undo

            before = message.before_stage
            if before is not None and before != d.stage_id:
                undo.offer(self.app, f"“{d.title}” → {d.stage}", undo.move_deal_back(d.id, before))
            self.reload(d.id)

    def action_open_deal(self) -> None:
        d = self.current_summary()
        if d is None:
            return
        from tinycrm.tui.screens.deal import DealScreen

        self.app.push_screen(DealScreen(d.id))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_open_deal()

    def action_new_deal(self) -> None:
        from tinycrm.tui.screens.record_forms import DealForm

        columns = self._columns()
        stage = None
        if self.board is not None and columns and self.column < len(self.board.columns):
            stage = self.board.columns[self.column].stage.name

        def saved(deal: Any) -> None:
            if deal is not None:
                self.notify(f"Added “{deal.title}” in {deal.stage}", timeout=3)
                self.wanted = deal.id
                self.reload(deal.id)

        self.app.push_screen(DealForm(pipeline_id=self.pipeline_id, stage=stage), saved)

    def action_move_row_to(self, where: str) -> None:
        columns = self._columns()
        if columns and columns[self.column].deal_ids:
            deals = columns[self.column].query_one(OptionList)
            deals.highlighted = 0 if where == "first" else len(columns[self.column].deal_ids) - 1

    def on_resize(self) -> None:
        """Cards are drawn to the width of their column: draw them again."""
        if self.board is not None:
            for col in self._columns():
                col.query_one(OptionList).set_class(col.overflows(), "-overflows")
            self.call_after_refresh(self._redraw)

    def _redraw(self) -> None:
        if self.board is None:
            return
        width = self._card_width(len(self.board.columns))
        if width == self.drawn_width:
            return  # the cards already have this width (the first layout of a board drawn before it)
        self.drawn_width = width
        for col, data in zip(self._columns(), self.board.columns, strict=False):
            col.show(data, width)
        self._focus(self.column)

    def _card_width(self, n: int) -> int:
        columns = self._columns()
        if columns and columns[0].size.width:
            # the option's padding (2) and the scrollbar (1), shown or not yet: a card never wraps
            return columns[0].query_one(OptionList).content_region.width - 3
        area = self.query_one("#board", Horizontal)
        return (area.size.width or self.app.size.width) // max(1, n) - 6

    def action_pick_pipeline(self) -> None:
        """A list of the pipelines to pick from (typing filters it); the board shows the one picked."""
        from tinycrm.tui.screens.picker import Picker

        def picked(pipeline_id: Any) -> None:
            if pipeline_id is not None and pipeline_id != self.pipeline_id:
                self.pipeline_id = pipeline_id
                self.column = 0
                self.reload()

        self.app.push_screen(
            Picker(
                "Pipeline",
                _pipeline_choices,
                current=self.pipeline_id,
                hint="enter shows it · esc cancels · more with: crm pipeline add NAME",
            ),
            picked,
        )

    def action_refresh(self) -> None:
        self.reload(self.current_deal())
