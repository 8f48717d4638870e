"""Snapshots of the Tickets and Leads screens, a ticket, its reply form, a lead and the dashboard's leads and
support cards at 80x24, on the sample data with its tickets and leads (``desk_support``).

Update with ``pytest tests/tui/test_snapshots_desk.py --snapshot-update`` and look at every changed SVG.
"""

from __future__ import annotations

import pytest
from desk_support import build_desk
from tui_support import press, settle

SIZE = (80, 24)
CASES = {
    "tickets": ("6",),
    "ticket": ("6", "enter"),
    "ticket_reply": ("6", "enter", "m", "type:Thanks, we are on it."),
    "leads": ("7",),
    "lead": ("7", "enter"),
    "dashboard_cards": ("5", "end"),
}


def steps(*keys: str):
    async def run(pilot) -> None:
        await settle(pilot)
        await press(pilot, *keys)
        await settle(pilot)

    return run


@pytest.mark.parametrize("case", list(CASES))
def test_desk_screen(case, make, sample_url, ids, snap_compare):
    build_desk(sample_url, ids)
    assert snap_compare(make(), run_before=steps(*CASES[case]), terminal_size=SIZE)
