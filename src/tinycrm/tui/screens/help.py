"""The help screen: every key binding, by area, with its id (to remap it in the config file)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from tinycrm.tui import keys
from tinycrm.tui.screens.base import CrmModal


def bindings_table(keymap: dict[str, str]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, style="bold", min_width=12)
    table.add_column(min_width=18)
    table.add_column(style="dim", no_wrap=True)
    area = None
    for k in keys.KEYS:
        a = k.id.split(".", 1)[0]
        if a != area:
            area = a
            if table.row_count:
                table.add_row("", "", "")
            table.add_row(Text(keys.AREAS.get(a, a), style="bold underline"), "", "")
        table.add_row(keys.current_keys(keymap, k), k.title, k.id)
    return table


class HelpScreen(CrmModal):
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="help"):
            yield Label("Keys", classes="dialog-title")
            yield Static(
                "Remap any key in the config file's [b]\\[keys][/b] section: "
                '[b]"contacts.search" = "ctrl+f"[/b]. '
                "[b]ctrl+p[/b] opens the command palette, which lists every action.",
                classes="dialog-detail",
            )
            with VerticalScroll(id="help-body"):
                yield Static(bindings_table(getattr(self.app, "keymap", {})), id="help-table")

    def action_close(self) -> None:
        self.dismiss(None)
