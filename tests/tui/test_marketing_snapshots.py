"""Snapshots at 80x24 of the Campaigns screens, the segment and pipeline pickers and the Duplicates view, on the
sample data with the fixed clock. Update with ``--snapshot-update`` and look at every changed SVG."""

from __future__ import annotations

import pytest
from campaign_support import inbox, shop  # noqa: F401 - fixtures
from tui_support import press, settle

SIZE = (80, 24)


def steps(*keys: str):
    async def run(pilot) -> None:
        await settle(pilot)
        await press(pilot, *keys)
        await settle(pilot)

    return run


@pytest.fixture
def sent(shop):  # noqa: F811
    """``news`` sent to its two recipients, and a draft ``april`` after it."""
    from tinycrm.services.marketing import campaigns, sending

    sending.send(shop, "news")
    campaigns.add(shop, "april", segment="clients", subject="April", template="Hello")
    return shop


CASES = {
    "campaigns": ("M",),
    "campaign_recipients": ("M", "down", "enter", "c"),
    "campaign_form": ("M", "n"),
    "segment_picker": ("v",),
}


@pytest.mark.parametrize("case", list(CASES))
def test_campaign_screens(case, make, sent, snap_compare):
    assert snap_compare(make(), run_before=steps(*CASES[case]), terminal_size=SIZE)


def test_duplicates(make, db, snap_compare):
    from tinycrm.domain.people import ContactInput, Labeled
    from tinycrm.services.people import contacts

    contacts.create(db, ContactInput("Ada King", emails=[Labeled("ada@acme.com")], job_title="Countess"))
    assert snap_compare(make(), run_before=steps("D"), terminal_size=SIZE)


def test_pipeline_picker(make, db, snap_compare):
    from tinycrm.services.sales import pipelines

    pipelines.create(db, "Partnerships")
    assert snap_compare(make(), run_before=steps("3", "p"), terminal_size=SIZE)
