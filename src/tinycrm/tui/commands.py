"""The command palette (ctrl+p): every action of the app and of the screen you are on, and contact search."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tinycrm.tui import keys


def _area_of(screen: object) -> str | None:
    return getattr(screen, "AREA", None)


class CrmCommands(Provider):
    """``New contact — Contacts``, ``Go to Agenda``...: one entry per key binding that applies here."""

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        app = self.app
        screen = self.screen
        area = _area_of(screen)
        keymap = getattr(app, "keymap", {})
        for k in keys.KEYS:
            where = k.id.split(".", 1)[0]
            shortcut = keys.current_keys(keymap, k)
            if where == "app":
                if k.id == "app.palette":
                    continue
                name = f"Go to {k.description}" if k.action.startswith("app.show") else k.title
                yield name, f"{shortcut} · {k.id}", partial(app.run_action, k.action)
            elif where == area or (where == "list" and area in ("contacts", "companies")):
                label = keys.AREAS.get(area or where, where)
                yield f"{k.title} — {label}", f"{shortcut} · {k.id}", partial(self._run_on_screen, k.action)

    async def _run_on_screen(self, action: str) -> None:
        target = self.screen
        if action.startswith("page("):
            from tinycrm.tui.widgets.paged_table import PagedTable

            tables = list(target.query(PagedTable))
            if tables:
                await tables[0].run_action(action)
            return
        await target.run_action(action)

    def _search_contacts(self, query: str) -> None:
        app = self.app

        async def go() -> None:
            await app.switch_mode("contacts")
            from tinycrm.tui.screens.contacts import ContactsScreen

            screen = app.screen
            while not isinstance(screen, ContactsScreen) and len(app.screen_stack) > 1:
                app.pop_screen()
                screen = app.screen
            if isinstance(screen, ContactsScreen):
                screen.open_query(query)

        app.call_later(go)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, command in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), command, text=name, help=help_text)
        if query.strip():
            text = f"Search contacts for “{query.strip()}”"
            yield Hit(
                0.5,
                text,
                partial(self._search_contacts, query.strip()),
                text=text,
                help="opens the contact list with this search",
            )

    async def discover(self) -> Hits:
        for name, help_text, command in self._commands():
            yield DiscoveryHit(name, command, text=name, help=help_text)
