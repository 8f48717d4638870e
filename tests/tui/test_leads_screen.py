"""The Leads screen: the inbox by score with its filters, a lead with the rules of its score, convert (with
a confirmation; the contact and deal it made), add, edit, status and log through the forms; the database
checked through the services afterwards."""

from __future__ import annotations

import pytest
from desk_support import build_desk, shown
from tui_support import press, settle


@pytest.fixture
def desk(sample_url, ids):
    return build_desk(sample_url, ids)


def rows(app) -> list:
    from tinycrm.tui.widgets.paged_table import PagedTable

    return list(app.screen.query_one(PagedTable).keys)


async def test_inbox_filters_detail_and_convert(make, desk, db):
    from tinycrm.services.leads import records
    from tinycrm.services.sales import deals
    from tinycrm.tui.screens.contact import ContactScreen
    from tinycrm.tui.screens.leads import LeadScreen

    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "7")
        # open leads, best score first; the disqualified one only under its status
        assert rows(app)[0] == desk["lead_nora"] and desk["lead_mei"] not in rows(app)
        assert len(rows(app)) == 3
        await press(pilot, "h", "h", "h")  # score ≥ 50: the CEO referral
        assert rows(app) == [desk["lead_nora"]]
        await press(pilot, "h", "s", "s", "s", "s", "s")  # any score; disqualified
        assert rows(app) == [desk["lead_mei"]]
        await press(pilot, "s", "s")  # back to open leads
        await press(pilot, "enter")
        assert isinstance(app.screen, LeadScreen)
        why = shown(app.screen.query_one("#lead-score"))
        assert "source.referral" in why and "title.contains.ceo" in why
        await press(pilot, "c", "y")
        assert "Converted: contact #" in shown(app.screen.query_one("#lead-converted"))
        await press(pilot, "o")
        assert isinstance(app.screen, ContactScreen)
    lead = records.get(db, desk["lead_nora"])
    assert lead.status == "converted" and lead.converted_deal_id is not None
    deal = deals.get(db, lead.converted_deal_id)
    assert deal.value == 12000 and deal.currency == "EUR"


async def test_convert_from_the_list_asks_first(make, desk, db):
    from tinycrm.services.leads import records

    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "7", "c", "n")  # asked, and answered no
        assert records.get(db, desk["lead_nora"]).status == "new"
        await press(pilot, "c")
        await pilot.click("#yes")
        await settle(pilot)
    assert records.get(db, desk["lead_nora"]).status == "converted"


async def test_add_edit_status_and_log(make, desk, db):
    from tinycrm.services.leads import records, scoring

    app = make()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await press(pilot, "7", "n", "type:Jane Roe", "tab", "type:jane@roe.example", "ctrl+s")
        found = records.list_leads(db, status="new", sort="created", limit=1).items[0]
        assert (found.name, found.email) == ("Jane Roe", "jane@roe.example")
        await press(pilot, "s", "s", "s", "s", "s", "s", "o")  # all leads, newest first
        assert rows(app)[0] == found.id
        await press(pilot, "enter", "e", "tab", "tab", "tab", "type:Roe Ltd", "ctrl+s")
        assert records.get(db, found.id).company == "Roe Ltd"
        # disqualified needs a reason: the form says so, then takes it
        await press(pilot, "s", "enter", "down", "down", "down", "enter", "ctrl+s")
        assert "reason" in shown(app.screen.query_one("#f-reason .field-error")).lower()
        await press(pilot, "type:spam", "ctrl+s")
        await press(pilot, "l", "type:Called, no answer", "ctrl+s")
    lead = records.get(db, found.id)
    assert (lead.status, lead.reason) == ("disqualified", "spam")
    assert lead.company == "Roe Ltd"
    with db.read() as tx:
        assert scoring.facts(tx, found.id)[0] == {"call": 1}
