"""The bar at the top of every screen: the app's name, the areas (with their keys) and where you are."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, Static

AREAS = [
    ("contacts", "Contacts", "app.contacts"),
    ("companies", "Companies", "app.companies"),
    ("pipeline", "Pipeline", "app.pipeline"),
    ("agenda", "Agenda", "app.agenda"),
    ("dashboard", "Dashboard", "app.dashboard"),
    ("tickets", "Tickets", "app.tickets"),
    ("leads", "Leads", "app.leads"),
]


class NavTab(Static):
    """One area; clicking it goes there."""

    def __init__(self, area: str, label: str, key: str, *, current: bool) -> None:
        super().__init__(f"[b]{key}[/b] {label}" if key else label, classes="nav-tab")
        self.area = area
        self.set_class(current, "-current")

    async def on_click(self) -> None:
        await self.app.run_action(f"show('{self.area}')")


class NavBar(Horizontal):
    """``tinycrm  1 Contacts  2 Companies ...        crumb``."""

    def __init__(self, current: str, crumb: str = "") -> None:
        super().__init__(id="nav")
        self.current = current
        self.crumb = crumb

    def compose(self) -> ComposeResult:
        from tinycrm.tui.keys import BY_ID, current_keys

        yield Label("◆ tinycrm", id="brand")
        keymap = getattr(self.app, "keymap", {})
        for area, label, binding_id in AREAS:
            key = current_keys(keymap, BY_ID[binding_id]).split(",")[0]
            yield NavTab(area, label, key, current=area == self.current)
        yield Label(self.crumb, id="crumb")

    #: below this width the tabs close up and the brand steps aside, so every tab stays on screen (80x24): the
    #: brand and seven tabs at full padding take 106 columns
    NARROW = 110

    def on_resize(self, event: Any) -> None:
        self.set_class(event.size.width < self.NARROW, "-narrow")

    def set_crumb(self, text: str) -> None:
        self.crumb = text
        if self.is_mounted:
            self.query_one("#crumb", Label).update(text)
