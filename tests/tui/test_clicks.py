"""The app driven by the mouse: every navigation tab, agenda items, the contact's timeline. Each click is
checked by the screen it leads to (and, where it changes data, by the database)."""

from __future__ import annotations

import pytest
from tui_support import click_option, press, settle

from tinycrm.tui.app import AREAS

SIZE = (120, 36)
SCREENS = {
    "contacts": "ContactsScreen",
    "companies": "CompaniesScreen",
    "pipeline": "PipelineScreen",
    "agenda": "AgendaScreen",
    "dashboard": "DashboardScreen",
    "tickets": "TicketsScreen",
    "leads": "LeadsScreen",
}


def screen_name(app) -> str:
    return type(app.screen).__name__


async def click_tab(pilot, area: str) -> None:
    from tinycrm.tui.widgets.nav import NavTab

    tab = next(t for t in pilot.app.screen.query(NavTab) if t.area == area)
    assert await pilot.click(tab), f"the {area} tab is not on the screen"
    await settle(pilot)


@pytest.mark.parametrize("size", [SIZE, (80, 24)])
async def test_each_navigation_tab_opens_its_area(make, size):
    app = make()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert screen_name(app) == "ContactsScreen"
        for area in [*AREAS[1:], "contacts", "dashboard", "companies"]:
            await click_tab(pilot, area)
            assert app.current_mode == area and screen_name(app) == SCREENS[area], area


async def test_a_tab_leads_back_from_a_contact_page(make):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "slash", "type:lovelace", "enter", "enter")
        assert screen_name(app) == "ContactScreen"
        await click_tab(pilot, "agenda")
        assert screen_name(app) == "AgendaScreen"
        await click_tab(pilot, "contacts")
        assert screen_name(app) == "ContactScreen", "an area keeps its state: the contact stays open"


def agenda_index(app, **match) -> int:
    """The option of the first agenda item with these attributes (options include the section titles)."""
    from textual.widgets import OptionList

    items = app.screen.items
    position = next(i for i, it in enumerate(items) if all(getattr(it, k) == v for k, v in match.items()))
    return app.screen.query_one("#agenda", OptionList).get_option_index(f"i{position}")


async def test_clicking_agenda_items(make, ids):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await click_tab(pilot, "agenda")
        await click_option(pilot, "#agenda", agenda_index(app, task_id=ids["task_contract"]))
        assert screen_name(app) == "ContactScreen" and app.screen.contact_id == ids["zoë"]
        await press(pilot, "escape")
        assert screen_name(app) == "AgendaScreen"
        deal_id = next(it.deal_id for it in app.screen.items if it.kind == "deal")
        await click_option(pilot, "#agenda", agenda_index(app, kind="deal"))
        assert screen_name(app) == "DealScreen" and app.screen.deal_id == deal_id
