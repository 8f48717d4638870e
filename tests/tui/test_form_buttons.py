"""Save and Cancel stay in view under every long form at every height from 10 lines, with an error showing:
the form's fields scroll, its buttons do not (at 30-33 lines a one-line error pushed them off the screen)."""

from __future__ import annotations

import pytest
from desk_support import build_desk
from tui_support import press, settle

#: the longest forms and the keys that open them
FORMS = {
    "DealForm": ("3", "n"),
    "ContactForm": ("1", "n"),
    "ReplyForm": ("6", "enter", "m"),
    "LeadForm": ("7", "n"),
}
SIZES = [(80, 30), (80, 31), (80, 33), (80, 24), (80, 10), (120, 40)]


def assert_buttons_in_view(screen, where: str) -> None:
    dialog = screen.query_one("#dialog").region
    for button in ("#save", "#cancel"):
        region = screen.query_one(button).region
        assert region.height >= 1 and screen.region.contains_region(region), (
            f"{button} off the screen {where}"
        )
        assert dialog.contains_region(region), f"{button} outside the dialog {where}"


async def save_empty(pilot) -> None:
    """Save with the first field emptied: a field says what is wrong."""
    screen = pilot.app.screen
    first = screen.focused
    if hasattr(first, "clear"):
        first.clear()
    await press(pilot, "ctrl+s")
    assert type(pilot.app.screen) is type(screen), "an empty form was saved"


@pytest.mark.parametrize("form", list(FORMS))
async def test_save_and_cancel_stay_in_view_with_an_error_at_every_height(form, make, sample_url, ids):
    build_desk(sample_url, ids)
    app = make()
    async with app.run_test(size=(80, 30)) as pilot:
        await settle(pilot)
        await press(pilot, *FORMS[form])
        screen = app.screen
        assert type(screen).__name__ == form
        await save_empty(pilot)
        error = str(screen.query_one("#form-error").render()).strip()
        assert list(screen.query(".field.-invalid")) or error, "no error shown"
        screen.show_error("Could not save: the database said no, twice, in a message long enough to wrap.")
        for size in SIZES:
            await pilot.resize_terminal(*size)
            await settle(pilot)
            await pilot.pause(0.05)
            assert_buttons_in_view(screen, f"at {size[0]}x{size[1]}")
        screen.show_error("")
        await pilot.resize_terminal(80, 31)
        await settle(pilot)
        assert_buttons_in_view(screen, "at 80x31, the error gone")


@pytest.mark.parametrize("height", [30, 31, 33])
async def test_a_form_opened_at_30_to_33_lines_keeps_its_buttons_after_an_error(height, make, db, ids):
    """The deal form opened at that height (not resized into it), saved empty: its buttons stay, and the
    body still scrolls to its last field."""
    from textual.containers import VerticalScroll

    app = make()
    async with app.run_test(size=(80, height)) as pilot:
        await settle(pilot)
        await press(pilot, "3", "n")
        screen = app.screen
        await save_empty(pilot)
        await pilot.pause(0.05)
        assert_buttons_in_view(screen, f"at 80x{height}")
        body = screen.query_one(".form-body", VerticalScroll)
        body.scroll_end(animate=False)
        await pilot.pause(0.05)
        last = list(screen.query(".field"))[-1]
        assert body.content_region.contains_region(last.region) or last.region.height > body.size.height
