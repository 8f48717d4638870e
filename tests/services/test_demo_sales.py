"""The demo's deals make sense as history: the sales reports on a demo database show what they are for."""

from __future__ import annotations

from decimal import Decimal

from tinycrm.services import demo
from tinycrm.services.sales import accuracy


def test_demo_closed_deals_were_expected_to_close_after_they_began(db):
    assert demo.populate(db, contacts_n=60, interactions_per_contact=0)["deals"] == 40
    with db.read() as tx:
        closed = tx.all("SELECT created_at, expected_close FROM deals WHERE status <> 'open'")
    assert closed
    for deal in closed:
        assert str(deal["expected_close"])[:10] > str(deal["created_at"])[:10]
    # so the backtest has forecasts to compare with what was won, not only zeros
    report = accuracy.accuracy(db, quarters=4)
    assert any(row.forecast > Decimal(0) for row in report.rows)
