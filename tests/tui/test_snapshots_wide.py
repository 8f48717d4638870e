"""Snapshots at 160x48 of the screens that first had 80x24 ones only: Tickets, a ticket, Leads, a lead,
Campaigns, Duplicates and its merge preview, on the sample data with the fixed clock.

Update with ``pytest tests/tui/test_snapshots_wide.py --snapshot-update`` and look at every changed SVG.
"""

from __future__ import annotations

import pytest
from campaign_support import inbox, shop  # noqa: F401 - fixtures
from desk_support import build_desk
from tui_support import press, settle

SIZE = (160, 48)


def steps(*keys: str):
    async def run(pilot) -> None:
        await settle(pilot)
        await press(pilot, *keys)
        await settle(pilot)

    return run


DESK = {
    "tickets": ("6",),
    "ticket": ("6", "enter"),
    "leads": ("7",),
    "lead": ("7", "enter"),
}


@pytest.mark.parametrize("case", list(DESK))
def test_desk_screen_wide(case, make, sample_url, ids, snap_compare):
    build_desk(sample_url, ids)
    assert snap_compare(make(), run_before=steps(*DESK[case]), terminal_size=SIZE)


def test_campaigns_wide(make, shop, snap_compare):  # noqa: F811
    from tinycrm.services.marketing import campaigns, sending

    sending.send(shop, "news")
    campaigns.add(shop, "april", segment="clients", subject="April", template="Hello")
    assert snap_compare(make(), run_before=steps("M"), terminal_size=SIZE)


@pytest.mark.parametrize("case", ["duplicates", "merge_preview_swapped", "merge_confirm"])
def test_duplicates_wide(case, make, db, snap_compare):
    from tinycrm.domain.people import ContactInput, Labeled
    from tinycrm.services.people import contacts

    contacts.create(db, ContactInput("Ada King", emails=[Labeled("ada@acme.com")], job_title="Countess"))
    keys = {"duplicates": ("D",), "merge_preview_swapped": ("D", "s"), "merge_confirm": ("D", "m")}[case]
    assert snap_compare(make(), run_before=steps(*keys), terminal_size=SIZE)
