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
