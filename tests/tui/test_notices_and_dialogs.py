"""A notice left from what was just done does not sit over the buttons of the next dialog."""

from __future__ import annotations

from tui_support import press, settle

SIZE = (80, 24)


def toasts(app) -> int:  # noqa: ANN001
    return len(app.screen.query("Toast"))


async def test_opening_a_dialog_dismisses_the_notices_shown(make, db, ids):
    from tinycrm.services.sales import deals

    app = make()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        assert app.screen.current_deal() == ids["deal_globex"]
        app.notify("Moved Globex renewal to Qualified")
        await settle(pilot)
        assert toasts(app) == 1
        await press(pilot, "w")
        assert type(app.screen).__name__ == "ConfirmDialog"
        await settle(pilot)
        assert toasts(app) == 0  # it covered the dialog's buttons for up to ten seconds
        await press(pilot, "y")
        await settle(pilot)
    assert deals.get(db, ids["deal_globex"]).status == "won"
