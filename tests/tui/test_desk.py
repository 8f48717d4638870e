"""The Tickets screen (the queue, its filters, a ticket's thread; reply through a real SMTP server, note,
status, priority, assignee), tickets on the contact screen, and the support card of the dashboard: keys and
clicks, with the database checked through the services afterwards."""

from __future__ import annotations

import pytest
from desk_support import build_desk, messages, shown
from tui_support import click_option, press, settle

from mail_testkit import smtp, support_config  # noqa: F401 - the SMTP server fixture


@pytest.fixture
def desk(sample_url, ids):
    return build_desk(sample_url, ids)


def rows(app) -> list:
    from tinycrm.tui.widgets.paged_table import PagedTable

    return list(app.screen.query_one(PagedTable).keys)


async def test_queue_filters_and_open_by_click(make, desk):
    from tinycrm.tui.screens.tickets import TicketScreen, TicketsScreen

    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "6")
        assert isinstance(app.screen, TicketsScreen)
        # open work, urgent (due soonest) first; the pending one after the open ones
        assert rows(app) == [desk["ticket_login"], desk["ticket_invoice"], desk["ticket_export"]]
        await press(pilot, "s")  # new only
        assert rows(app) == [desk["ticket_login"], desk["ticket_invoice"]]
        await press(pilot, "s", "s")  # pending only
        assert rows(app) == [desk["ticket_export"]]
        await press(pilot, "s", "s", "s", "s")  # back to open work
        await press(pilot, "w")  # mine: none is assigned yet
        assert rows(app) == []
        assert "No ticket matches" in shown(app.screen.query_one("#status"))
        await press(pilot, "w")  # unassigned
        assert len(rows(app)) == 3
        await press(pilot, "w", "b")  # anyone's, breaching or due within the hour: the urgent one
        assert rows(app) == [desk["ticket_login"]]
        await press(pilot, "b")
        # a click on the second row opens that ticket
        table = app.screen.query_one("#tickets")
        assert await pilot.click(table, offset=(10, 2))
        await settle(pilot)
        await pilot.click(table, offset=(10, 2))
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.ticket_id == desk["ticket_invoice"]
        assert "Invoice shows the old address" in shown(app.screen.query_one("#ticket-title"))


async def test_reply_note_status_priority_assign(make, desk, db, smtp, _isolated_home):  # noqa: F811
    from tinycrm.services.support import tickets

    inbox, port = smtp
    support_config(_isolated_home, port)
    (_isolated_home / "templates").mkdir()
    (_isolated_home / "templates" / "thanks.md").write_text("Hello {{ contact.first_name }}, we are on it.\n")
    app = make()
    tid = desk["ticket_login"]
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await press(pilot, "6", "enter")
        thread = shown(app.screen.query_one("#thread"))
        assert "login page says my password is wrong" in thread and "auth logs" in thread
        # a reply from the canned template: chosen in the form, sent through the mail server
        await press(pilot, "m", "shift+tab", "enter", "down", "enter")
        assert app.screen.query_one("#body").text == "Hello Ada, we are on it.\n"
        await press(pilot, "ctrl+s")
        assert len(inbox.messages) == 1
        _, to, message, _ = inbox.messages[0]
        assert to == ["ada@acme.com"] and f"[#{tid}]" in message["Subject"]
        assert "we are on it" in message.get_content()
        # an internal note, never sent
        await press(pilot, "n", "type:Customer called back", "ctrl+s")
        assert len(inbox.messages) == 1
        assert [k for k, _ in messages(db, tid)] == ["in", "note", "out", "note"]
        # pending, then high, then assigned to me
        await press(pilot, "s", "enter", "down", "enter", "ctrl+s")
        await press(pilot, "p", "enter", "up", "enter", "ctrl+s")
        await press(pilot, "a", "type:tester", "ctrl+s")
        facts = shown(app.screen.query_one("#ticket-facts"))
    t = tickets.get(db, tid)
    assert (t.status, t.priority, t.assignee) == ("pending", "high", "tester")
    assert t.first_responded_at is not None
    assert "pending" in facts and "tester" in facts


async def test_reply_refused_changes_nothing(make, desk, db, _isolated_home):
    """No mail server listening: the form says why, and the ticket is as it was."""
    support_config(_isolated_home, None)
    app = make()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await press(pilot, "6", "enter", "m", "type:On it", "ctrl+s")
        assert "ReplyForm" in type(app.screen).__name__
        assert shown(app.screen.query_one("#form-error")).strip()
    assert [k for k, _ in messages(db, desk["ticket_login"])] == ["in", "note"]


async def test_new_ticket_form(make, desk, db):
    from tinycrm.services.support import tickets

    app = make()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await press(pilot, "6", "n", "type:Printer on fire", "tab", "type:grace@globex.com", "ctrl+s")
    page = tickets.list_page(db, statuses=("new",), limit=10)
    made = [t for t in page.items if t.subject == "Printer on fire"]
    assert len(made) == 1 and made[0].contact.name == "Grace Hopper"


async def test_contact_screen_lists_and_opens_tickets(make, desk, ids):
    from tinycrm.tui.screens.contact import ContactScreen
    from tinycrm.tui.screens.tickets import TicketScreen

    app = make()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.push_screen(ContactScreen(ids["ada"]))
        await settle(pilot)
        screen = app.screen
        assert "1 ticket" in shown(screen.query_one("#timeline-title"))
        entry = next(i for i, e in enumerate(screen.entries) if e.kind == "ticket")
        timeline = screen.query_one("#timeline")
        index = timeline.get_option_index(f"e{entry}")
        await click_option(pilot, "#timeline", index)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.ticket_id == desk["ticket_login"]


async def test_dashboard_cards_open_their_screens(make, desk):
    from tinycrm.tui.screens.leads import LeadsScreen

    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "5")
        leads = shown(app.screen.query_one("#leads-card"))
        support = shown(app.screen.query_one("#tickets-card"))
        assert "Nora Webb" in leads and "3 new" in leads and "1 hot" in leads
        assert "2 open" in support and "Cannot log in" in support
        card = app.screen.query_one("#card-leads")
        app.screen.query_one("#dashboard-scroll").scroll_to_widget(card, animate=False)
        await settle(pilot)
        await pilot.click(card, offset=(4, 1))
        await settle(pilot)
        assert isinstance(app.screen, LeadsScreen)


async def test_every_new_screen_at_every_size(make, desk):
    """Tickets, a ticket and its reply form, Leads, a lead and the dashboard, each drawn at 20x10, 40x15,
    80x24 and 200x60: nothing raises."""
    app = make()
    seen = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for keys in (("6",), ("enter",), ("m",), ("escape", "escape", "7"), ("enter",), ("escape", "5")):
            await press(pilot, *keys)
            for size in ((20, 10), (40, 15), (200, 60), (80, 24)):
                await pilot.resize_terminal(*size)
                await settle(pilot, 1)
            seen.append(type(app.screen).__name__)
    assert seen == [
        "TicketsScreen",
        "TicketScreen",
        "ReplyForm",
        "LeadsScreen",
        "LeadScreen",
        "DashboardScreen",
    ]
