"""Snapshots of every screen on the fixed sample data, clock (2 March 2026 09:00 UTC) and terminal size.

Update with ``pytest tests/tui/test_snapshots.py --snapshot-update`` and look at every changed SVG (the
report is written to snapshot_report.html when a comparison fails).
"""

from __future__ import annotations

import pytest
from tui_support import press, settle

SIZE = (120, 36)


def steps(*keys: str):
    """A ``run_before`` that presses keys and waits for the database workers after each."""

    async def run(pilot) -> None:
        await settle(pilot)
        await press(pilot, *keys)
        await settle(pilot)

    return run


CASES = {
    "contacts": (),
    "contacts_search": ("slash", "type:tag:vip"),
    "contact": ("slash", "type:lovelace", "enter", "enter"),
    "contact_log_form": (
        "slash",
        "type:lovelace",
        "enter",
        "enter",
        "l",
        "type:Demo",
        "shift+tab",
        "type:yesterday 16:30",
    ),
    "contact_form_error": ("n", "type:Nobody", "tab", "type:not-an-email", "ctrl+s"),
    "companies": ("2",),
    "pipeline": ("3", "right"),
    "pipeline_lose": ("3", "right", "x"),
    "agenda": ("4",),
    "dashboard": ("5",),
    "help": ("f1",),
}


@pytest.mark.parametrize("case", list(CASES))
def test_screen(case, make, snap_compare):
    assert snap_compare(make(), run_before=steps(*CASES[case]), terminal_size=SIZE)


def test_light_theme(make, snap_compare):
    assert snap_compare(make(theme="light"), run_before=steps("3"), terminal_size=SIZE)


def open_kick_off(*keys: str):
    """A ``run_before`` that opens Ada's kick-off meeting from her timeline, then presses ``keys``."""

    async def run(pilot) -> None:
        from textual.widgets import OptionList

        await settle(pilot)
        await press(pilot, "slash", "type:lovelace", "enter", "enter")
        screen = pilot.app.screen
        entry = next(n for n, e in enumerate(screen.entries) if e.title == "Kick-off meeting")
        timeline = screen.query_one("#timeline", OptionList)
        timeline.highlighted = timeline.get_option_index(f"e{entry}")
        await press(pilot, "enter", *keys)
        await settle(pilot)

    return run


@pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["120x36", "80x24"])
def test_interaction_detail(size, make, sample_url, ids, snap_compare):
    """The meeting in full, with notes longer than the screen (a scroll bar), at both sizes."""
    from tinycrm.services.people import interactions
    from tinycrm.store.database import open_db

    db = open_db(sample_url)
    try:
        meeting = next(
            i for i in interactions.timeline(db, ids["ada"]).items if i.summary == "Kick-off meeting"
        )
        notes = [meeting.body] + [
            f"{n}. Point {n} of the notes, with enough words to read." for n in range(2, 41)
        ]
        interactions.update(db, meeting.id, {"body": "\n".join(notes)})
    finally:
        db.close()
    assert snap_compare(make(), run_before=open_kick_off(), terminal_size=size)


def test_interaction_edit_form(make, snap_compare):
    assert snap_compare(make(), run_before=open_kick_off("e"), terminal_size=(80, 24))


NEW_SCREENS = {
    "agenda": ("4",),
    "deal": ("3", "right", "enter"),
    "deal_form": ("3", "n", "type:Website redesign"),
    "company": ("2", "enter"),
    "company_form": ("2", "n"),
    "task_form": ("4", "t", "type:Renew the domain"),
    "pipeline": ("3",),
}
NEW_SIZES = {"80x24": (80, 24), "160x48": (160, 48)}


@pytest.mark.parametrize("size", list(NEW_SIZES))
@pytest.mark.parametrize("case", list(NEW_SCREENS))
def test_screen_at(case, size, make, snap_compare):
    """The agenda, a deal, a company and the forms of deals, companies and tasks, at 80x24 and 160x48."""
    assert snap_compare(make(), run_before=steps(*NEW_SCREENS[case]), terminal_size=NEW_SIZES[size])
