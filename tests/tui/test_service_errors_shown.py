"""A service's error shown in the app says what is wrong, without the command line's way to fix it ("edit it
with: crm company edit"): the app has its own."""

from __future__ import annotations

from tui_support import press, settle

SIZE = (100, 30)


def error_of(field) -> str:  # noqa: ANN001
    assert field.has_class("-invalid")
    return str(field.query_one(".field-error").render()).strip()


async def test_a_deal_for_a_company_that_is_not_there(make, db, ids):
    from tinycrm.services.sales import deal_reads

    before = deal_reads.list_deals(db, status="all").total
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3", "n", "type:Lamps")
        screen = app.screen
        assert type(screen).__name__ == "DealForm"
        screen.input("company").value = "#999999"
        await press(pilot, "ctrl+s")
        assert app.screen is screen, "saved with a company that is not there"
        assert error_of(screen.field("company")) == "no company with id 999999"
    assert deal_reads.list_deals(db, status="all").total == before


async def test_a_company_name_taken(make, ids):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "2", "n", "type:Globex", "ctrl+s")
        screen = app.screen
        assert type(screen).__name__ == "CompanyForm"
        assert error_of(screen.field("name")) == "a company named 'Globex' exists already"
