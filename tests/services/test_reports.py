"""Reports checked against small data sets computed by hand, with a fixed clock, on both stores."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import ContactInput, to_json
from tinycrm.domain.sales import DealInput
from tinycrm.services.people import contacts, interactions
from tinycrm.services.sales import deals, reports


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("TINYCRM_NOW", "2026-03-10T12:00:00+00:00")


def at(monkeypatch, when: str) -> None:
    monkeypatch.setenv("TINYCRM_NOW", when)


def add(db, title, value, cur, stage="Lead", close=None) -> int:
    return deals.create(db, DealInput(title, value, cur, stage=stage, expected_close=close)).id


# --- forecast -------------------------------------------------------------------------------------------


@pytest.fixture
def forecast_data(db, monkeypatch):
    """Open deals (value x probability):
    March  EUR  A 1000 x 10 % = 100.00  +  B 2000.50 x 50 % = 1000.25          -> 3000.50, weighted 1100.25
    April  USD  C 3000 x 75 % = 2250.00
    May    EUR  D 999.99 x 25 % = 249.9975
    earlier EUR E 500 x 10 % = 50.00 (expected in February, still open)
    undated EUR F 700 x 10 % = 70.00
    Sept.  EUR  beyond three months; a lost deal in March: not counted.
    Won: G EUR 4000 on 5 March; H USD 100 on 20 February (before the window unless --past 1).
    """
    add(db, "A", "1000", "EUR", "Lead", "2026-03-20")
    add(db, "B", "2000.50", "EUR", "Proposal", "2026-03-31")
    add(db, "C", "3000", "USD", "Negotiation", "2026-04-05")
    add(db, "D", "999.99", "EUR", "Qualified", "2026-05-01")
    add(db, "E", "500", "EUR", "Lead", "2026-02-01")
    add(db, "F", "700", "EUR", "Lead")
    add(db, "late", "123", "EUR", "Lead", "2026-09-15")
    lost = add(db, "lost", "9999", "EUR", "Proposal", "2026-03-15")
    deals.lose(db, lost, "price")
    g = add(db, "G", "4000", "EUR", "Proposal", "2026-03-15")
    h = add(db, "H", "100", "USD", "Proposal", "2026-02-15")
    at(monkeypatch, "2026-02-20T10:00:00+00:00")
    deals.win(db, h)
    at(monkeypatch, "2026-03-05T10:00:00+00:00")
    deals.win(db, g)
    at(monkeypatch, "2026-03-10T12:00:00+00:00")
    return db


def test_forecast_by_hand(forecast_data):
    f = reports.forecast(forecast_data, months=3)
    assert f.months == ["2026-03", "2026-04", "2026-05"]
    assert f.currencies == ["EUR", "USD"]
    got = {
        (r.month, r.currency): (r.open_count, r.open_value, r.weighted, r.won_count, r.won) for r in f.rows
    }
    assert got == {
        ("2026-03", "EUR"): (2, D("3000.50"), D("1100.25"), 1, D("4000.00")),
        ("2026-03", "USD"): (0, D("0.00"), D("0.00"), 0, D("0.00")),
        ("2026-04", "EUR"): (0, D("0.00"), D("0.00"), 0, D("0.00")),
        ("2026-04", "USD"): (1, D("3000.00"), D("2250.00"), 0, D("0.00")),
        ("2026-05", "EUR"): (1, D("999.99"), D("249.9975"), 0, D("0.00")),
        ("2026-05", "USD"): (0, D("0.00"), D("0.00"), 0, D("0.00")),
    }
    assert [(r.month, r.currency, r.open_value, r.weighted) for r in f.earlier] == [
        ("earlier", "EUR", D("500.00"), D("50.00"))
    ]
    assert [(r.month, r.currency, r.open_value, r.weighted) for r in f.undated] == [
        ("undated", "EUR", D("700.00"), D("70.00"))
    ]
    doc = to_json(f)
    assert doc["rows"][0]["weighted"] == "1100.25"


def test_forecast_with_past_months_and_more_months(forecast_data):
    f = reports.forecast(forecast_data, months=7, past=1)
    assert f.months[0] == "2026-02" and f.months[-1] == "2026-09"
    rows = {(r.month, r.currency): r for r in f.rows}
    assert (rows["2026-02", "USD"].won_count, rows["2026-02", "USD"].won) == (1, D("100.00"))
    # E (expected in February) is in its month now, not "earlier"
    assert (rows["2026-02", "EUR"].open_count, rows["2026-02", "EUR"].weighted) == (1, D("50.00"))
    assert f.earlier == []
    assert rows["2026-09", "EUR"].open_value == D("123.00")


def test_forecast_never_adds_currencies(forecast_data):
    f = reports.forecast(forecast_data, months=3)
    for r in f.rows:
        assert r.currency in ("EUR", "USD")
    assert sum(r.weighted for r in f.rows if r.currency == "USD") == D("2250.00")
    assert sum(r.weighted for r in f.rows if r.currency == "EUR") == D("1350.2475")


def test_forecast_by_owner(db):
    db.actor = "ann"
    add(db, "ann's", "100", "EUR", "Lead", "2026-03-20")
    db.actor = "bob"
    add(db, "bob's", "200", "EUR", "Lead", "2026-03-20")
    assert reports.forecast(db, months=1, owner="ann").rows[0].weighted == D("10.00")
    assert reports.forecast(db, months=1, owner="bob").rows[0].weighted == D("20.00")
    assert reports.forecast(db, months=1).rows[0].weighted == D("30.00")
    assert reports.forecast(db, months=1, owner="bob").owner == "bob"
    with pytest.raises(InvalidInput):
        reports.forecast(db, months=0)


# --- pipeline conversion --------------------------------------------------------------------------------


def test_stage_conversion_by_hand(db):
    """d1 Lead -> Qualified -> Proposal -> won;  d2 Lead -> Qualified -> lost;  d3 Lead -> lost;
    d4 created in Proposal (skipped two stages) -> Negotiation, open;  d5 Lead, open.

    reached: Lead 5 (all), Qualified 3 (d1 won, d2, d4), Proposal 2 (d1, d4), Negotiation 2 (d1 won, d4).
    conversion: 3/5 = 60.0 %, 2/3 = 66.7 %, 2/2 = 100.0 %, last stage to won 1/2 = 50.0 %.
    """
    d1 = add(db, "d1", "1000", "EUR")
    deals.move(db, d1, "Qualified")
    deals.move(db, d1, "Proposal")
    deals.win(db, d1)
    d2 = add(db, "d2", "10", "EUR")
    deals.move(db, d2, "Qualified")
    deals.lose(db, d2, "price")
    d3 = add(db, "d3", "10", "EUR")
    deals.lose(db, d3, "timing")
    d4 = add(db, "d4", "400", "USD", "Proposal")
    deals.move(db, d4, "Negotiation")
    add(db, "d5", "50", "EUR")
    r = reports.pipeline_report(db)
    assert (r.pipeline, r.deals, r.won, r.lost) == ("Sales", 5, 1, 2)
    got = [(s.stage, s.reached, s.conversion_pct, s.won, s.win_pct) for s in r.stages]
    assert got == [
        ("Lead", 5, D("60.0"), 1, D("20.0")),
        ("Qualified", 3, D("66.7"), 1, D("33.3")),
        ("Proposal", 2, D("100.0"), 1, D("50.0")),
        ("Negotiation", 2, D("50.0"), 1, D("50.0")),
    ]
    lead, _, _, nego = r.stages
    assert (lead.open_count, lead.open_value, lead.weighted) == (1, {"EUR": D("50.00")}, {"EUR": D("5.00")})
    assert (nego.open_count, nego.open_value, nego.weighted) == (
        1,
        {"USD": D("400.00")},
        {"USD": D("300.00")},
    )
    assert reports.pipeline_report(db, owner="tester").stages[0].reached == 5


def test_conversion_of_an_empty_pipeline(db):
    r = reports.pipeline_report(db)
    assert [(s.reached, s.conversion_pct, s.win_pct) for s in r.stages] == [(0, None, None)] * 4


# --- wins -----------------------------------------------------------------------------------------------


def _closed(db, monkeypatch, title, value, cur, created, closed, reason=None):
    at(monkeypatch, created + "T00:00:00+00:00")
    did = add(db, title, value, cur)
    at(monkeypatch, closed + "T00:00:00+00:00")
    if reason:
        deals.lose(db, did, reason)
    else:
        deals.win(db, did)
    return did


def test_wins_by_hand(db, monkeypatch):
    """Won: 30, 12 and 10 days -> 17.3 on average; lost: 7, 3 and 2 days -> 4.0. 3 won of 6 closed: 50.0 %.
    EUR won: 1000 + 2001 = 3001.00, 1500.50 on average; USD: 100.00. Lost reasons: price 2, timing 1."""
    _closed(db, monkeypatch, "w1", "1000", "EUR", "2026-01-01", "2026-01-31")
    _closed(db, monkeypatch, "w2", "2001", "EUR", "2026-01-10", "2026-01-22")
    _closed(db, monkeypatch, "w3", "100", "USD", "2026-02-01", "2026-02-11")
    _closed(db, monkeypatch, "l1", "5", "EUR", "2026-01-05", "2026-01-12", "price")
    _closed(db, monkeypatch, "l2", "5", "EUR", "2026-01-05", "2026-01-08", "timing")
    _closed(db, monkeypatch, "l3", "5", "EUR", "2026-02-01", "2026-02-03", "price")
    at(monkeypatch, "2026-03-10T12:00:00+00:00")
    add(db, "open", "5", "EUR")
    w = reports.wins(db)
    assert (w.won, w.lost, w.win_rate_pct) == (3, 3, D("50.0"))
    assert (w.avg_cycle_days, w.avg_cycle_days_lost) == (D("17.3"), D("4.0"))
    assert [(a.currency, a.count, a.total, a.average) for a in w.won_value] == [
        ("EUR", 2, D("3001.00"), D("1500.50")),
        ("USD", 1, D("100.00"), D("100.00")),
    ]
    assert [(r.reason, r.count) for r in w.lost_reasons] == [("price", 2), ("timing", 1)]

    since = reports.wins(db, since="2026-02-01")
    assert since.since == date(2026, 2, 1)
    assert (since.won, since.lost, since.win_rate_pct) == (1, 1, D("50.0"))
    assert (since.avg_cycle_days, since.avg_cycle_days_lost) == (D("10.0"), D("2.0"))
    assert [(r.reason, r.count) for r in since.lost_reasons] == [("price", 1)]
    assert [a.currency for a in since.won_value] == ["USD"]
    with pytest.raises(InvalidInput):
        reports.wins(db, since="sometime")


def test_average_won_size_rounds_to_the_currency(db, monkeypatch):
    for v in ("100", "50.01"):
        _closed(db, monkeypatch, f"w{v}", v, "USD", "2026-01-01", "2026-01-02")
    for v in ("1", "2"):
        _closed(db, monkeypatch, f"j{v}", v, "JPY", "2026-01-01", "2026-01-02")
    w = reports.wins(db)
    assert [(a.currency, a.total, a.average) for a in w.won_value] == [
        ("JPY", D("3"), D("2")),
        ("USD", D("150.01"), D("75.00")),
    ]  # 1.5 -> 2 and 75.005 -> 75.00 (half even)
    empty = reports.wins(db, since="2027-01-01")
    assert (empty.won, empty.win_rate_pct, empty.avg_cycle_days, empty.won_value) == (0, None, None, [])


# --- activity -------------------------------------------------------------------------------------------


def test_activity_by_hand(db, monkeypatch):
    """Now: Wednesday 11 March 2026. Three weeks: from Mondays 23 Feb, 2 Mar, 9 Mar (UTC)."""
    at(monkeypatch, "2026-03-11T12:00:00+00:00")
    ada = contacts.create(db, ContactInput(display_name="Ada")).id
    for kind, when in [
        ("call", "2026-03-09T08:00:00Z"),  # Monday: week of 9 March
        ("call", "2026-03-11T09:00:00Z"),
        ("email", "2026-03-08T23:00:00Z"),  # Sunday: week of 2 March
        ("meeting", "2026-03-02T00:00:00Z"),  # Monday midnight: week of 2 March
        ("note", "2026-02-23T10:00:00Z"),
        ("call", "2026-02-22T10:00:00Z"),  # before the first week
    ]:
        interactions.log(db, contact_ids=[ada], kind_=kind, summary=kind, when=when)
    a = reports.activity(db, weeks=3)
    assert a.kinds[:6] == ["call", "email", "meeting", "message", "note", "other"]
    got = {w.week: ({k: n for k, n in w.counts.items() if n}, w.total) for w in a.weeks}
    assert got == {
        "2026-02-23": ({"note": 1}, 1),
        "2026-03-02": ({"email": 1, "meeting": 1}, 2),
        "2026-03-09": ({"call": 2}, 2),
    }
    assert [w.total for w in reports.activity(db, weeks=3, owner="tester").weeks] == [1, 2, 2]
    db.actor = "bob"
    assert [w.total for w in reports.activity(db, weeks=3, owner="bob").weeks] == [0, 0, 0]
    with pytest.raises(InvalidInput):
        reports.activity(db, weeks=0)


def test_totals_of_many_deals_at_the_largest_value_are_exact(db):
    """923 open deals at the largest accepted value overflowed SQLite's 64-bit sum ("integer overflow") in the
    board and every report; totals are exact on both stores."""
    from tinycrm.domain.sales import MAX_VALUE
    from tinycrm.services.sales import pipelines

    largest = MAX_VALUE - 1
    with db.write() as tx:
        for i in range(923):
            deals.insert(tx, DealInput(f"Big {i}", str(largest), "EUR", expected_close="2026-06-15"))
        won = deals.insert(tx, DealInput("Won big", str(largest), "EUR"))
    deals.win(db, won)
    expected = largest * 923
    column = next(c for c in pipelines.board(db).columns if c.count)
    assert column.totals == {"EUR": expected} and column.count == 923
    stages = reports.pipeline_report(db).stages
    assert [s.open_value for s in stages if s.open_count] == [{"EUR": expected}]
    f = reports.forecast(db)
    assert sum(r.open_value for r in f.rows + f.earlier + f.undated if r.currency == "EUR") == expected
    assert reports.wins(db).won_value[0].total == largest
