"""Gaps a day of use found: a ticket opened from a contact, keys that no longer collide (``t`` a task, ``#``
tags), forms that fit a 80x24 terminal, dashboard cards whose lines never wrap, and a campaign whose name
looks like markup (the app crashed drawing the message after its test mail)."""

from __future__ import annotations

import io

import pytest
from campaign_support import inbox, shop  # noqa: F401 - fixtures
from desk_support import build_desk
from tui_support import press, settle

SIZE = (80, 24)


def screen_name(app) -> str:
    return type(app.screen).__name__


async def open_contact(pilot, name: str) -> None:
    await press(pilot, "slash", f"type:{name}", "enter", "enter")
    assert screen_name(pilot.app) == "ContactScreen"


def footer_keys(screen) -> dict[str, str]:
    """What the footer under ``screen`` shows: key -> description."""
    from tinycrm.tui.widgets.footer import FooterKeyLabel

    return {k.key_display or k.key: k.description for k in screen.query(FooterKeyLabel)}


# --- a ticket from the contact -------------------------------------------------------------------------------
async def test_a_new_ticket_from_the_contact_screen(make, db, ids):
    from tinycrm.services.support import tickets

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_contact(pilot, "turing")
        assert footer_keys(app.screen).get("T") == "Ticket"
        await press(pilot, "T")
        assert screen_name(app) == "NewTicketForm"
        assert app.screen.text("contact") == "Alan Turing"  # filled in: only the subject to type
        await press(pilot, "type:Invoice is late", "ctrl+s")
        assert screen_name(app) == "ContactScreen"
        await settle(pilot)
        timeline = [e.title for e in app.screen.entries if e.kind == "ticket"]
    page = tickets.list_page(db, statuses=("new", "open"), contact_id=ids["alan"], limit=10)
    assert [t.subject for t in page.items] == ["Invoice is late"]
    assert timeline == ["Invoice is late"]


async def test_the_help_screen_lists_the_ticket_and_task_keys(make):
    from tinycrm.tui.screens.help import bindings_table

    table = bindings_table({})
    out = io.StringIO()
    from rich.console import Console

    Console(file=out, width=120, color_system=None).print(table)
    lines = out.getvalue().splitlines()
    assert any(line.split()[:1] == ["T"] and "contact.new_ticket" in line for line in lines)
    assert any(line.split()[:1] == ["t"] and "contact.task" in line for line in lines)
    assert any(line.split()[:1] == ["#"] and "contacts.tag" in line for line in lines)


# --- t is a task, # is tags ------------------------------------------------------------------------------------
def test_no_key_of_the_contact_list_hides_an_app_wide_key():
    from tinycrm.config.keys import KEYS

    def keys_of(*areas: str) -> set[str]:
        return {k for b in KEYS if b.id.split(".")[0] in areas for k in b.key.split(",")}

    assert keys_of("contacts", "list") & keys_of("app") == set()


async def test_t_adds_a_task_and_hash_filters_by_tag_on_the_contact_list(make, db, ids):
    from textual.widgets import Select

    from tinycrm.services.work import tasks

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "t")
        assert screen_name(app) == "TaskForm"
        await press(pilot, "escape")
        await open_contact(pilot, "turing")
        await press(pilot, "t", "type:Send the slides", "ctrl+s")
        assert screen_name(app) == "ContactScreen"
        await press(pilot, "number_sign")
        assert screen_name(app) == "TagsForm"
        await press(pilot, "escape", "escape")
        assert screen_name(app) == "ContactsScreen"
        app.screen.query_one("#contacts").focus()
        await press(pilot, "number_sign")
        assert isinstance(app.screen.focused, Select) and app.screen.focused.id == "tag-filter"
    page = tasks.list_tasks(db, contact_id=ids["alan"], status="all", limit=10)
    assert [t.title for t in page.items] == ["Send the slides"]


# --- forms at 80x24 ---------------------------------------------------------------------------------------------
FORMS = {
    "ReplyForm": ("6", "enter", "m"),
    "NewTicketForm": ("6", "n"),
    "NoteForm": ("6", "enter", "n"),
    "TaskForm": ("t",),
    "InteractionForm": ("l",),
    "ContactForm": ("n",),
    "DealForm": ("3", "n"),
    "LeadForm": ("7", "n"),
}


@pytest.mark.parametrize("form", list(FORMS))
async def test_forms_at_80x24_show_their_top_and_keep_save_and_cancel_in_view(form, make, sample_url, ids):
    from textual.containers import VerticalScroll

    build_desk(sample_url, ids)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, *FORMS[form])
        await pilot.pause(0.1)
        screen = app.screen
        assert screen_name(app) == form
        dialog = screen.query_one("#dialog").region
        for button in ("#save", "#cancel"):
            region = screen.query_one(button).region
            assert dialog.contains_region(region) and screen.region.contains_region(region), button
        body = screen.query_one(".form-body", VerticalScroll)
        assert body.scroll_y == 0  # the first field's label shows
        if form in ("ReplyForm", "NewTicketForm", "NoteForm", "TaskForm", "InteractionForm"):
            assert body.max_scroll_y == 0  # every field fits: nothing scrolls out of view
            for field in screen.query(".field"):
                assert body.content_region.contains_region(field.region), field.id


async def test_the_reply_form_at_80x24_shows_the_template_field(make, sample_url, ids):
    build_desk(sample_url, ids)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "6", "enter", "m", "type:We are on it.")
        screen = app.screen
        template = screen.query_one("#template").region
        assert screen.query_one(".form-body").content_region.contains_region(template)
        assert screen.focused.id == "body"


# --- the dashboard's lines -------------------------------------------------------------------------------------
def plain_lines(widget) -> list[str]:
    """The lines of a Static's text, each whole (drawn on a console wide enough for anything)."""
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=1000, color_system=None).print(widget.content)
    return [line.rstrip() for line in out.getvalue().splitlines()]


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 48)], ids=["80x24", "100x30", "160x48"])
async def test_every_dashboard_card_line_fits_its_card(size, make, sample_url, ids):
    from rich.cells import cell_len

    build_desk(sample_url, ids)
    app = make()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await press(pilot, "5")
        await settle(pilot)
        screen = app.screen
        for card in ("forecast", "pipeline-chart", "wins", "activity", "leads-card", "tickets-card"):
            widget = screen.query_one(f"#{card}")
            lines = plain_lines(widget)
            assert widget.size.height == len(lines), f"{card} wraps a line"
            whole = lines if card not in ("leads-card", "tickets-card") else lines[:1]  # names may end in …
            too_long = [line for line in whole if cell_len(line) > widget.size.width]
            assert not too_long, f"{card} at {size}: {too_long} wider than {widget.size.width}"
        pipeline = "\n".join(plain_lines(screen.query_one("#pipeline-chart")))
        assert "% on" in pipeline or "→" in pipeline  # the conversion stays, shortened on a narrow card


def test_bar_lines_shorten_labels_before_the_bar_disappears():
    from tinycrm.tui.screens.dashboard import MIN_BAR, bar_lines

    rows = [("A stage with a very long name", 10.0, "€93.7k · 11 →72%"), ("Won", 5.0, "€1k · 1")]
    text = bar_lines(rows, 32, "red")
    lines = text.plain.splitlines()
    assert all(len(line) <= 32 for line in lines), lines
    assert lines[0].startswith("A stage w… ") and "█" * MIN_BAR in lines[0]


# --- a campaign named like markup -------------------------------------------------------------------------------
async def test_a_test_mail_of_a_campaign_named_like_markup_keeps_the_app_running(make, shop, inbox):  # noqa: F811
    """Regression: the message "Sent a test of spring [/b] sale …" was read as markup and the app crashed."""
    from tinycrm.services.marketing import campaigns

    campaigns.add(shop, "spring [/b] sale", segment="clients", subject="Spring [b]offer", template="Hi")
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "M")
        screen = app.screen
        assert [c.name for c in screen.items][0] == "spring [/b] sale"
        await press(pilot, "m", "type:me@a.io", "ctrl+s")
        for _ in range(200):
            if inbox.messages:
                break
            await pilot.pause(0.05)
        await settle(pilot)
        await pilot.pause(0.3)  # the message is drawn
        assert inbox.messages[0][2]["Subject"] == "[test] Spring [b]offer"
        shown = [n.message for n in app._notifications]
        assert "Sent a test of spring [/b] sale to me@a.io" in shown
        await press(pilot, "down", "up", "r", "enter")
        assert screen_name(app) == "CampaignScreen"
        await press(pilot, "escape", "s")
        assert screen_name(app) == "ConfirmDialog"
        assert "spring [/b] sale" in str(app.screen.query_one(".dialog-title").render())
        await press(pilot, "n")
        assert screen_name(app) == "CampaignsScreen"
    assert campaigns.get(shop, "spring [/b] sale").state == "draft"


@pytest.mark.parametrize("width", [80, 100, 106, 110, 160])
async def test_every_area_tab_is_on_screen_at_any_common_width(make, width):
    """The bar at the top shows all seven areas whole: at 100 columns "7 Leads" was cut off."""
    from tinycrm.tui.widgets.nav import NavTab

    app = make()
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(pilot)
        tabs = list(app.screen.query(NavTab))
        assert len(tabs) == 7
        for tab in tabs:
            region = tab.region
            assert region.width >= len(str(tab.render()).strip()), tab
            assert region.x + region.width <= width, (str(tab.render()), region, width)
