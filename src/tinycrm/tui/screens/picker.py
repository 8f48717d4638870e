"""Pick one of a few things (a pipeline, a segment): a dialog with a filter box over a list. The choices are read
through a service in a worker; the dialog dismisses with the chosen value, or ``None`` when cancelled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tinycrm.domain.errors import CrmError
from tinycrm.tui import keys
from tinycrm.tui.screens.base import CrmModal

#: a choice: what the list shows, a dimmed detail after it, and the value the dialog gives back
Choice = tuple[str, str, Any]


class Picker(CrmModal):
    """``Picker("Pipeline", load)``: ``load(db)`` gives the choices (:data:`Choice`); ``current`` is
    highlighted first. Typing filters the list; enter (or a click) picks."""

    DEFAULT_CSS = """
    Picker #dialog.picker { width: 64; height: auto; max-height: 90%; }
    Picker #picker-options { height: auto; max-height: 16; min-height: 1; margin-top: 1; }
    Picker #picker-hint { color: $text-muted; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [*keys.bindings("form")]
    AUTO_FOCUS = "#picker-filter"

    class Loaded(Message):
        def __init__(self, choices: list[Choice]) -> None:
            super().__init__()
            self.choices = choices

    def __init__(
        self,
        title: str,
        load: Callable[[Any], list[Choice]],
        *,
        current: Any = None,
        hint: str = "",
        empty: str = "nothing to pick",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.load = load
        self.current = current
        self.hint = hint
        self.empty = empty
        self.choices: list[Choice] = []
        self.shown: list[Choice] = []
        self.loaded = False
        #: enter was pressed before the choices were read: pick as soon as they are
        self.submit_when_loaded = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="picker"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(placeholder="type to filter", id="picker-filter")
            yield OptionList(Option(Text("Loading…", style="dim italic"), disabled=True), id="picker-options")
            yield Static(self.hint or "enter picks · esc cancels", id="picker-hint")

    def on_mount(self) -> None:
        super().on_mount()
        self.fetch()

    @work(thread=True, group="picker")
    def fetch(self) -> None:
        try:
            choices = self.service(self.load)
        except CrmError as exc:
            self.app.call_from_thread(self.app.notify, exc.message, title=self.title_text, severity="error")
            choices = []
        self.post_message(self.Loaded(choices))

    def on_picker_loaded(self, message: Loaded) -> None:
        self.choices = message.choices
        self.loaded = True
        self._show(self.query_one("#picker-filter", Input).value)
        if self.submit_when_loaded:
            self._submitted()

    def _show(self, text: str) -> None:
        needle = text.strip().casefold()
        self.shown = [c for c in self.choices if needle in f"{c[0]} {c[1]}".casefold()]
        options = self.query_one("#picker-options", OptionList)
        options.clear_options()
        for label, detail, _ in self.shown:
            line = Text(label, style="bold", no_wrap=True, overflow="ellipsis")
            if detail:
                line.append(f"  {detail}", style="dim")
            options.add_option(Option(line))
        if not self.shown:
            options.add_option(Option(Text(self.empty, style="dim italic"), disabled=True))
            return
        values = [c[2] for c in self.shown]
        options.highlighted = values.index(self.current) if not needle and self.current in values else 0

    @on(Input.Changed, "#picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        if self.choices:
            self._show(event.value)

    @on(Input.Submitted, "#picker-filter")
    def _submitted(self) -> None:
        if not self.loaded:
            self.submit_when_loaded = True
            return
        options = self.query_one("#picker-options", OptionList)
        if self.shown and options.highlighted is not None:
            self.dismiss(self.shown[options.highlighted][2])

    @on(OptionList.OptionSelected, "#picker-options")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if 0 <= event.option_index < len(self.shown):
            self.dismiss(self.shown[event.option_index][2])

    def on_key(self, event: Any) -> None:
        """↑/↓ in the filter box move through the list."""
        if self.focused is not self.query_one("#picker-filter", Input) or event.key not in ("up", "down"):
            return
        event.stop()
        options = self.query_one("#picker-options", OptionList)
        options.action_cursor_down() if event.key == "down" else options.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        self._submitted()
