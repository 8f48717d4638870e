"""The command palette (ctrl+p): every action of the app and of the screen you are on, each once, and a jump to
any contact, company or deal by name (through the search services, a few of each)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tinycrm.domain.errors import CrmError
from tinycrm.tui import keys

#: how many contacts, companies and deals the palette offers for what is typed
PER_KIND = 5
KIND_LABELS = {"contact": "Open contact", "company": "Open company", "deal": "Open deal"}


def _area_of(screen: object) -> str | None:
    return getattr(screen, "AREA", None)


class CrmCommands(Provider):
    """``New contact — Contacts``, ``Go to Agenda``...: one entry per key binding that applies here."""

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        seen: set[str] = set()
        for name, help_text, command in self._all_commands():
            if name.casefold() not in seen:
                seen.add(name.casefold())
                yield name, help_text, command

    def _all_commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
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
                yield name, f"key: {shortcut}", partial(app.run_action, k.action)
            elif where == area or (where == "list" and area in ("contacts", "companies")):
                label = keys.AREAS.get(area or where, where)
                yield f"{k.title} — {label}", f"key: {shortcut}", partial(self._run_on_screen, k.action)

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

    def _open(self, kind: str, record_id: int) -> None:
        app = self.app

        def go() -> None:
            if kind == "contact":
                from tinycrm.tui.screens.contact import ContactScreen

                app.push_screen(ContactScreen(record_id))
            elif kind == "company":
                from tinycrm.tui.screens.companies import CompanyScreen

                app.push_screen(CompanyScreen(record_id))
            else:
                from tinycrm.tui.screens.deal import DealScreen

                app.push_screen(DealScreen(record_id))

        app.call_later(go)

    async def _records(self, query: str) -> list[tuple[str, str, int, str]]:
        """A few contacts, companies and deals matching ``query``: (kind, name, id, detail)."""
        import asyncio

        from tinycrm.store import pool

        def find(db: Any) -> list[tuple[str, str, int, str]]:
            from tinycrm.services.people import companies, contacts
            from tinycrm.services.sales import deals

            found = [
                ("contact", c.display_name, c.id, c.company or c.email or "")
                for c in contacts.search(db, query, limit=PER_KIND, exact_total=False).items
            ]
            found += [
                ("company", c.name, c.id, c.domain or "")
                for c in companies.list_companies(db, query=query, limit=PER_KIND).items
            ]
            found += [
                ("deal", d.title, d.id, f"{d.stage} · {d.status}")
                for d in deals.list_deals(db, query=query, status="all", limit=PER_KIND, sort="updated").items
            ]
            return found

        try:
            return await asyncio.to_thread(pool.call, self.app.db, find)  # type: ignore[attr-defined]
        except CrmError:
            return []

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, command in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), command, text=name, help=help_text)
        if len(query.strip()) >= 2:
            for kind, name, record_id, detail in await self._records(query.strip()):
                text = f"{KIND_LABELS[kind]}: {name}"
                score = max(matcher.match(name), 0.6)
                yield Hit(score, text, partial(self._open, kind, record_id), text=text, help=detail or None)
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
