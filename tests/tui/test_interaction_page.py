"""A logged interaction in the app: opened from the contact's timeline (by keys and by clicks), read in full
with scrolling, changed in a form and deleted after a question; the database checked afterwards."""

from __future__ import annotations

import pytest
from tui_support import click_option, press, settle

SIZE = (120, 36)
LONG_NOTES = "\n".join(
    f"{n:02d}. Point {n} of the meeting notes, in more words than fit." for n in range(1, 61)
)


def screen_name(app) -> str:
    return type(app.screen).__name__


def kick_off(db, ids):
    from tinycrm.services.people import interactions

    return next(i for i in interactions.timeline(db, ids["ada"]).items if i.summary == "Kick-off meeting")


async def open_ada(pilot) -> None:
    await press(pilot, "slash", "type:lovelace", "enter", "enter")
    assert screen_name(pilot.app) == "ContactScreen"


def timeline_option(app, interaction_id: int) -> int:
    """The option of the contact's timeline that shows this interaction."""
    from textual.widgets import OptionList

    entry = next(n for n, e in enumerate(app.screen.entries) if e.ref == ("interaction", interaction_id))
    return app.screen.query_one("#timeline", OptionList).get_option_index(f"e{entry}")


async def choose_by_keys(pilot, interaction_id: int) -> None:
    """Move the timeline's cursor down to the interaction and press enter."""
    from textual.widgets import OptionList

    timeline = pilot.app.screen.query_one("#timeline", OptionList)
    target = timeline_option(pilot.app, interaction_id)
    for _ in range(timeline.option_count):
        if timeline.highlighted == target:
            break
        await press(pilot, "down")
    assert timeline.highlighted == target
    await press(pilot, "enter")
    assert screen_name(pilot.app) == "InteractionScreen"


def shown(app, selector: str) -> str:
    """The text a widget shows now, line by line."""
    from textual.geometry import Region

    widget = app.screen.query_one(selector)
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join(line.text.rstrip() for line in lines)


async def test_open_edit_and_delete_by_keys(make, db, ids):
    from tinycrm.domain.errors import NotFound
    from tinycrm.services.people import interactions

    meeting = kick_off(db, ids)
    before = interactions.timeline(db, ids["ada"]).total
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_ada(pilot)
        await choose_by_keys(pilot, meeting.id)
        assert "Kick-off meeting" in shown(app, "#interaction-title")
        assert "Agreed on the scope and a first date." in shown(app, "#interaction-body")
        assert "Ada Lovelace" in shown(app, "#interaction-about")
        await press(pilot, "e")
        assert screen_name(app) == "InteractionForm"
        assert app.screen.query_one("#summary").value == "Kick-off meeting"
        assert app.screen.query_one("#when").value == "2026-01-28 14:30"
        # the summary is selected when the form opens: typing replaces it
        await press(pilot, "type:Kick-off with the board", "tab", "end", "enter", "type:Next: a workshop.")
        await press(pilot, "ctrl+s")
        assert screen_name(app) == "InteractionScreen"
        assert "Kick-off with the board" in shown(app, "#interaction-title")
        assert "Next: a workshop." in shown(app, "#interaction-body")
        changed = interactions.get(db, meeting.id)
        assert (changed.summary, changed.version) == ("Kick-off with the board", 2)
        assert changed.body == "Agreed on the scope and a first date.\nNext: a workshop."
        assert changed.happened_at == meeting.happened_at and changed.kind == "meeting", (
            "untouched fields stay"
        )
        await press(pilot, "d")
        assert screen_name(app) == "ConfirmDialog"
        await press(pilot, "n")  # called off: nothing goes
        assert screen_name(app) == "InteractionScreen"
        assert interactions.get(db, meeting.id).version == 2
        await press(pilot, "d", "y")
        assert screen_name(app) == "ContactScreen"
        assert all(e.ref != ("interaction", meeting.id) for e in app.screen.entries), "the timeline reloads"
    with pytest.raises(NotFound):
        interactions.get(db, meeting.id)
    assert interactions.timeline(db, ids["ada"]).total == before - 1


async def test_open_edit_and_delete_by_clicks(make, db, ids):
    from tinycrm.domain.errors import NotFound
    from tinycrm.services.people import interactions

    meeting = kick_off(db, ids)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_ada(pilot)
        await click_option(pilot, "#timeline", timeline_option(app, meeting.id))
        assert screen_name(app) == "InteractionScreen"
        assert await pilot.click("#edit")
        await settle(pilot)
        assert screen_name(app) == "InteractionForm"
        form = app.screen
        form.query_one("#kind").value = "call"
        assert await pilot.click("#when")
        await press(pilot, "home", "shift+end", "type:2026-01-28 16:00")
        assert await pilot.click("#save")
        await settle(pilot)
        assert screen_name(app) == "InteractionScreen"
        changed = interactions.get(db, meeting.id)
        assert (changed.kind, changed.happened_at.isoformat()) == ("call", "2026-01-28T16:00:00+00:00")
        assert changed.summary == "Kick-off meeting"
        assert await pilot.click("#delete")
        await settle(pilot)
        assert screen_name(app) == "ConfirmDialog"
        assert await pilot.click("#no")
        await settle(pilot)
        assert interactions.get(db, meeting.id).version == 2
        assert await pilot.click("#delete")
        await settle(pilot)
        assert await pilot.click("#yes")
        await settle(pilot)
        assert screen_name(app) == "ContactScreen"
    with pytest.raises(NotFound):
        interactions.get(db, meeting.id)


async def test_back_by_click_and_by_escape_changes_nothing(make, db, ids):
    meeting = kick_off(db, ids)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_ada(pilot)
        await choose_by_keys(pilot, meeting.id)
        assert await pilot.click("#back")
        await settle(pilot)
        assert screen_name(app) == "ContactScreen"
        await choose_by_keys(pilot, meeting.id)
        await press(pilot, "e", "escape")
        assert screen_name(app) == "InteractionScreen"
        await press(pilot, "escape")
        assert screen_name(app) == "ContactScreen"
    assert kick_off(db, ids) == meeting


@pytest.mark.parametrize("size", [SIZE, (80, 24)])
async def test_long_notes_scroll(make, db, ids, size):
    from textual.containers import VerticalScroll

    from tinycrm.services.people import interactions

    meeting = kick_off(db, ids)
    interactions.update(db, meeting.id, {"body": LONG_NOTES})
    app = make()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await open_ada(pilot)
        await choose_by_keys(pilot, meeting.id)
        text = app.screen.query_one("#interaction-text", VerticalScroll)
        assert app.focused is text, "the notes have the keys: arrows and pages scroll them"
        assert text.max_scroll_y > 0 and text.scroll_y == 0
        await press(pilot, "pagedown")
        assert text.scroll_y > 0
        await press(pilot, "end")
        assert text.scroll_y == text.max_scroll_y
        if size == (80, 24):  # the buttons stay in view on a small terminal
            for button in ("#edit", "#delete", "#back"):
                region = app.screen.query_one(button).region
                assert 0 <= region.y < 24 and region.right <= 80, button


async def test_a_time_in_the_future_is_refused_when_logging_and_editing(make, db, ids):
    from tinycrm.services.people import interactions
    from tinycrm.tui.widgets.fields import Field

    meeting = kick_off(db, ids)
    before = interactions.timeline(db, ids["ada"]).total
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_ada(pilot)
        await press(pilot, "l", "type:Workshop", "shift+tab", "type:next year", "ctrl+s")
        assert screen_name(app) == "InteractionForm"
        field = app.screen.query_one("#f-when", Field)
        assert field.has_class("-invalid")
        error = str(field.query_one(".field-error").render())
        assert "in the future" in error and "follow-up" in error and "f on the contact's page" in error
        await press(pilot, "escape")
        await choose_by_keys(pilot, meeting.id)
        await press(pilot, "e", "shift+tab", "home", "shift+end", "type:tomorrow 9am")
        await press(pilot, "ctrl+s")
        assert screen_name(app) == "InteractionForm"
        assert app.screen.query_one("#f-when", Field).has_class("-invalid")
    assert interactions.timeline(db, ids["ada"]).total == before
    assert kick_off(db, ids) == meeting
