"""The footer of every screen at 80, 100 and 120 columns: the keys that matter most and "? Help" always in view
(at 80 columns the contact screen cut "? Help" off); ``t`` a new task on the Campaigns screens too, the test
mail on ``m``; and the one use of Textual's private state, which must fail here, loudly, if Textual moves it."""

from __future__ import annotations

import pytest
from campaign_support import inbox, shop  # noqa: F401 - fixtures
from desk_support import build_desk
from tui_support import press, settle

#: how to reach each screen, and the keys its footer must show at 80 columns
SCREENS = {
    "ContactsScreen": (("1",), {"/", "n", "l", "?"}),
    "ContactScreen": (("1", "enter"), {"l", "f", "e", "#", "t", "T", "n", "?"}),
    "InteractionScreen": (("1", "slash", "type:lovelace", "enter", "enter"), {"e", "?"}),
    "CompaniesScreen": (("2",), {"/", "n", "e", "?"}),
    "CompanyScreen": (("2", "enter"), {"e", "n", "?"}),
    "PipelineScreen": (("3",), {"⇧←", "⇧→", "w", "x", "n", "?"}),
    "DealScreen": (("3", "enter"), {"e", "<", ">", "w", "x", "t", "?"}),
    "AgendaScreen": (("4",), {"d", "z", "f", "?"}),
    "DashboardScreen": (("5",), {"?"}),
    "TicketsScreen": (("6",), {"n", "s", "w", "b", "?"}),
    "TicketScreen": (("6", "enter"), {"m", "n", "s", "p", "a", "?"}),
    "LeadsScreen": (("7",), {"n", "s", "c", "?"}),
    "LeadScreen": (("7", "enter"), {"s", "l", "c", "e", "?"}),
    "CampaignsScreen": (("M",), {"n", "m", "s", "?"}),
    "CampaignScreen": (("M", "enter"), {"m", "s", "p", "f", "?"}),
    "DuplicatesScreen": (("D",), {"m", "s", "x", "?"}),
    "ContactForm": (("1", "n"), {"^s", "esc"}),
}


def footer_items(screen) -> dict[str, object]:
    from tinycrm.tui.widgets.footer import FooterKeyLabel

    return {k.key_display: k for k in screen.query(FooterKeyLabel)}


def check_footer(screen, width: int, must: set[str]) -> None:
    items = footer_items(screen)
    where = f"{type(screen).__name__} at {width} columns"
    assert must <= set(items), f"{where}: {sorted(must - set(items))} missing from {sorted(items)}"
    regions = [k.region for k in items.values()]
    for key, item in items.items():
        assert screen.region.contains_region(item.region), f"{where}: {key} {item.description} cut off"
    overlaps = [(a, b) for i, a in enumerate(regions) for b in regions[i + 1 :] if a.overlaps(b)]
    assert not overlaps, f"{where}: keys drawn over each other"


async def open_first_interaction(pilot) -> None:
    """On a contact's page: move down the timeline to its first interaction and open it."""
    from textual.widgets import OptionList

    screen = pilot.app.screen
    entry = next(n for n, e in enumerate(screen.entries) if e.ref[0] == "interaction")
    timeline = screen.query_one("#timeline", OptionList)
    target = timeline.get_option_index(f"e{entry}")
    for _ in range(timeline.option_count):
        if timeline.highlighted == target:
            break
        await press(pilot, "down")
    await press(pilot, "enter")


@pytest.mark.parametrize("name", list(SCREENS))
@pytest.mark.usefixtures("shop")
async def test_every_footer_shows_its_main_keys_and_help_at_80_100_and_120_columns(
    name, make, sample_url, ids
):
    build_desk(sample_url, ids)
    path, must = SCREENS[name]
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, *path)
        if name == "InteractionScreen":
            await open_first_interaction(pilot)
        await pilot.pause(0.1)
        screen = app.screen
        assert type(screen).__name__ == name
        check_footer(screen, 80, must)
        wide = set(footer_items(screen))
        for width in (100, 120, 80):
            await pilot.resize_terminal(width, 24)
            await settle(pilot)
            await pilot.pause(0.05)
            check_footer(screen, width, must)
            if width > 80:
                wide = set(footer_items(screen))
        assert "^p" in wide or name == "ContactForm", "the palette's key comes back where it fits"


async def test_the_deal_footer_offers_reopen_only_for_a_closed_deal(make, db):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "3", "enter")
        screen = app.screen
        assert {"w", "x"} <= set(footer_items(screen)) and "o" not in footer_items(screen)
        await press(pilot, "w", "y")
        await pilot.pause(0.1)
        assert screen.deal.status == "won"
        shown = set(footer_items(screen))
        assert "o" in shown and not {"w", "x", "<", ">"} & shown, shown
        await press(pilot, "o")
        await pilot.pause(0.1)
        assert screen.deal.status == "open" and "w" in footer_items(screen)


def test_fit_drops_the_palette_then_minor_keys_then_shortens_and_keeps_help():
    from tinycrm.tui.widgets.footer import Shown, fit

    def key(k: str, label: str, rank: int = 1, short: str = "", palette: bool = False) -> Shown:
        return Shown(k, k, label, short, rank, True, "", palette)

    items = [
        key("e", "Edit"),
        key("<", "Stage back", short="Prev"),
        key("d", "Delete", rank=3),
        key("?", "Help", rank=0),
        key("^p", "Commands", rank=2, palette=True),
    ]
    widths = {item.key: item.cells(False) for item in items}
    full = sum(widths.values())
    assert fit(items, full) == (items, False)
    kept, short = fit(items, full - 1)
    assert [i.key for i in kept] == ["e", "<", "d", "?"] and not short
    kept, short = fit(items, full - widths["^p"] - 1)
    assert [i.key for i in kept] == ["e", "<", "?"] and not short
    kept, short = fit(items, widths["e"] + widths["?"] + 8)
    assert [i.key for i in kept] == ["e", "<", "?"] and short
    kept, short = fit(items, 10)
    assert [i.key for i in kept] == ["?"]


# --- t is a new task on the Campaigns screens too ------------------------------------------------------------
async def test_t_adds_a_task_on_both_campaign_screens_and_m_sends_the_test(make, shop, inbox):  # noqa: F811
    from tinycrm.services.work import tasks

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "M", "t")
        assert type(app.screen).__name__ == "TaskForm"
        await press(pilot, "type:Plan the spring mail", "ctrl+s")
        assert type(app.screen).__name__ == "CampaignsScreen"
        await press(pilot, "enter", "t")
        assert type(app.screen).__name__ == "TaskForm"
        await press(pilot, "type:Check the bounces", "ctrl+s")
        assert type(app.screen).__name__ == "CampaignScreen"
        await press(pilot, "m")
        assert type(app.screen).__name__ == "SendTestForm"
        await press(pilot, "escape")
        head = str(app.screen.query_one("#campaign-head").render())
        assert "m sends you a test" in head
    titles = {t.title for t in tasks.list_tasks(shop, status="all", limit=50).items}
    assert {"Plan the spring mail", "Check the bounces"} <= titles
    assert not inbox.messages


def test_no_campaign_key_hides_an_app_wide_key():
    from tinycrm.config.keys import KEYS

    def keys_of(area: str) -> set[str]:
        return {k for b in KEYS if b.id.split(".")[0] == area for k in b.key.split(",")}

    assert keys_of("campaigns") & keys_of("app") == set()
    assert keys_of("campaign") & keys_of("app") == set()


# --- Textual's private state, in one place ------------------------------------------------------------------
async def test_textual_still_keeps_the_css_count_that_first_visits_rely_on(make):
    """``tinycrm.tui.app._styled`` sets Textual's private per-screen CSS count so that a first visit does not
    restyle every open screen. If this fails after a Textual upgrade, Textual has moved that count: change
    ``_styled`` (or drop it) and check the first-visit times in bench/."""
    from textual.app import App
    from textual.screen import Screen

    from tinycrm.tui.app import CSS_COUNT

    message = (
        f"Textual {__import__('textual').__version__} no longer has {CSS_COUNT} on App and Screen: "
        "tinycrm.tui.app._styled must follow it (first visits restyle every open screen without it)"
    )
    assert isinstance(getattr(Screen(), CSS_COUNT, None), int), message
    app = make()
    assert isinstance(getattr(app, CSS_COUNT, None), int), message
    assert isinstance(getattr(App(), CSS_COUNT, None), int), message
    restyled: list[int] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        original = app.refresh_css
        app.refresh_css = lambda *a, **kw: (restyled.append(1), original(*a, **kw))[1]  # type: ignore[method-assign]
        await press(pilot, "2")
        await press(pilot, "4")
    assert restyled == [], f"a first visit restyled the whole app: {message}"
