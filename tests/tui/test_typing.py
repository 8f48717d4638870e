"""Keys typed right after a key that opens a form or moves the focus reach the new widget, never the old
screen's shortcuts: typed all at once (a fast typist, a paste) and at 50 ms a key."""

from __future__ import annotations

import asyncio

from tui_support import press, send_fast, settle

SIZE = (100, 30)


async def test_slash_then_a_query_at_full_speed_lands_in_the_search(make):
    from textual.widgets import Input

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        send_fast(pilot, "slash", "type:nat")
        await settle(pilot)
        assert app.screen.query_one("#search", Input).value == "nat"
        assert type(app.screen).__name__ == "ContactsScreen"  # n did not open the new-contact form


async def test_n_a_name_tab_an_email_creates_exactly_that_contact(make, db):
    from tinycrm.services.people import contacts

    before = contacts.list_contacts(db, archived=None).total
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        send_fast(pilot, "n", "type:Hedy Lamarr", "tab", "type:hedy@example.com", "ctrl+s")
        await settle(pilot, 8)
    assert contacts.list_contacts(db, archived=None).total == before + 1
    hedy = contacts.search(db, "hedy").items
    assert [c.display_name for c in hedy] == ["Hedy Lamarr"]
    assert [e.value for e in contacts.get(db, hedy[0].id).emails] == ["hedy@example.com"]


async def test_the_same_at_50_ms_a_key(make, db):
    from tinycrm.services.people import contacts

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key in ["n", *"Grete Hermann", "tab", *"grete@example.com"]:
            send_fast(pilot, key if len(key) > 1 else f"type:{key}")
            await asyncio.sleep(0.05)
        await press(pilot, "ctrl+s")
        await settle(pilot, 8)
    found = contacts.search(db, "grete").items
    assert [c.display_name for c in found] == ["Grete Hermann"]
    assert [e.value for e in contacts.get(db, found[0].id).emails] == ["grete@example.com"]


async def test_esc_in_the_search_clears_it_then_returns_to_the_list(make):
    from textual.widgets import Input

    from tinycrm.tui.widgets.paged_table import PagedTable

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "slash", "type:ada")
        search = app.screen.query_one("#search", Input)
        await press(pilot, "escape")
        assert search.value == "" and app.focused is search
        await press(pilot, "escape")
        assert isinstance(app.focused, PagedTable)


async def test_keys_after_opening_a_page_are_not_kept_waiting(make):
    """A page that focuses a list (not a form) takes the keys typed ahead at once, not after a timeout."""
    import time

    from tinycrm.tui.screens.contact import ContactScreen

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(ContactScreen(1))
        await settle(pilot)
        started = time.monotonic()
        send_fast(pilot, "escape")
        await settle(pilot)
        for _ in range(100):
            if type(app.screen).__name__ == "ContactsScreen":
                break
            await pilot.pause(0.01)
        assert type(app.screen).__name__ == "ContactsScreen"
        assert time.monotonic() - started < app.HOLD
        assert app.held_keys is None
