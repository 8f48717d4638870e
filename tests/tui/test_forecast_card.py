"""The dashboard's forecast card: a month shows what is weighted to close in it, and a won line only when
something was won in it (every month ahead had a 'won €0' line of its own, doubling the card's length)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from tinycrm.tui.screens.dashboard import forecast_chart

COLOURS = {"primary": "blue", "success": "green"}


def row(month: str, weighted: str, won: str) -> SimpleNamespace:
    return SimpleNamespace(month=month, currency="EUR", weighted=Decimal(weighted), won=Decimal(won))


def test_a_won_line_only_under_a_month_with_wins():
    fc = SimpleNamespace(
        currencies=["EUR"],
        rows=[row("2026-12", "13200", "5000"), row("2027-01", "375", "0"), row("2027-02", "20600", "0")],
        earlier=[],
        undated=[],
    )
    chart = forecast_chart(fc, COLOURS, 40)
    lines = "".join(part.plain for part in getattr(chart, "renderables", [chart])).splitlines()
    assert [line.split()[0] for line in lines] == ["Dec", "won", "Jan", "Feb", "■"], lines  # and the key
    assert lines[1].rstrip().endswith("€5k") and lines[0].rstrip().endswith("€13.2k"), lines
