"""Forecasts learned from history, on both stores, with histories built on a fixed clock so that every figure
is computed by hand in the comments."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tinycrm.domain import clock
from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.sales import DealInput


def at(day: str):
    return clock.frozen(datetime.fromisoformat(day + "T10:00:00").replace(tzinfo=UTC))


def deal(db, title: str, stage: str, value: str, close: str | None = None) -> int:
    from tinycrm.services.sales import deals

    return deals.create(db, DealInput(title=title, value=value, currency="EUR", pipeline="P", stage=stage,
                                      expected_close=close)).id  # fmt: skip


@pytest.fixture
def history(db, clock):
    """Stage A (configured 50 %) saw 10 deals closed in December 2025, 4 of them won; stage B (80 %) none."""
    from tinycrm.services.sales import deals, pipelines

    clock("2026-03-10T12:00:00+00:00", tz="UTC")
    pipelines.create(db, "P", [("A", 50, None), ("B", 80, None)])
    with at("2025-12-01"):
        ids = [deal(db, f"old {i}", "A", "100") for i in range(10)]
    with at("2025-12-15"):
        for i in ids[:4]:
            deals.win(db, i)
        for i in ids[4:]:
            deals.lose(db, i, "price")
    return db


def test_stage_conversion_and_blend(history):
    from tinycrm.services.sales import forecasting

    report = forecasting.conversion(history, pipeline="P", window="12m")
    a, b = report.stages
    assert (a.stage, a.won, a.closed, a.learned_pct, a.configured_pct) == ("A", 4, 10, Decimal("40.0"), 50)
    assert a.blend_pct == Decimal("45.0")  # (4 + 10 x 0.5) / (10 + 10) = 9 / 20
    assert (b.won, b.closed, b.learned_pct, b.blend_pct) == (0, 0, None, Decimal("80.0"))  # (0 + 8) / 10
    # a window that ends before December sees nothing closed
    assert (
        forecasting.conversion(history, pipeline="P", window="2m", as_of="2025-12-10").stages[0].closed == 0
    )


def test_forecast_methods_and_categories(history):
    from tinycrm.services.sales import deals, forecasting

    with at("2026-03-01"):
        deal(history, "march", "A", "1000", "2026-03-20")
        april = deal(history, "april", "B", "500", "2026-04-15")
        deals.update(history, april, {"category": "commit"})
    expected = {
        # March: 1000 in A; April: 500 in B (no history: 80 % in every method)
        "weighted": (Decimal("500.00"), Decimal("400.00")),  # 1000 x 50 %; 500 x 80 %
        "historical": (Decimal("400.00"), Decimal("400.00")),  # 1000 x 4/10
        "blend": (Decimal("450.00"), Decimal("400.00")),  # 1000 x 45 %
    }
    for method, (march, april_weighted) in expected.items():
        f = forecasting.forecast(history, method=method, months=2, k=10)
        assert f.months == ["2026-03", "2026-04"]
        rows = {r.month: r for r in f.rows}
        assert (rows["2026-03"].weighted, rows["2026-04"].weighted) == (march, april_weighted), method
        assert (rows["2026-04"].commit, rows["2026-04"].best_case, rows["2026-04"].pipeline) == (
            Decimal("500.00"), Decimal("500.00"), Decimal("500.00"),
        )  # fmt: skip
        assert (rows["2026-03"].commit, rows["2026-03"].pipeline) == (Decimal("0.00"), Decimal("1000.00"))
    blend = forecasting.forecast(history, method="blend", months=1)
    assert [(p.stage, p.pct, p.source) for p in blend.probabilities if p.pipeline == "P"] == [
        ("A", Decimal("45.0"), "blend"), ("B", Decimal("80.0"), "blend")
    ]  # fmt: skip


def test_backtest_over_two_quarters(history, clock):
    """Q1 2026 forecast on 1 January: X1 (A, 1000, closing 15 Feb) and X2 (B, 2000, closing 1 March then);
    X1 is won in February (actual 1000), X2 slips to May and is lost. Q2 forecast on 1 April: X2 (B, 2000) and
    X3 (A, 400, closing in June, won: actual 400); stage A has then 5 wins of 11."""
    from tinycrm.services.sales import accuracy, deals, forecasting

    with at("2025-12-20"):
        x1 = deal(history, "X1", "A", "1000", "2026-02-15")
        x2 = deal(history, "X2", "B", "2000", "2026-03-01")
    with at("2026-02-10"):
        deals.win(history, x1)
    with at("2026-02-20"):
        deals.update(history, x2, {"expected_close": "2026-05-01"})
    with at("2026-03-15"):
        x3 = deal(history, "X3", "A", "400", "2026-06-10")
    with at("2026-05-05"):
        deals.lose(history, x2, "budget")
    with at("2026-06-01"):
        deals.win(history, x3)
    clock("2026-07-10T12:00:00+00:00", tz="UTC")
    # the forecast as it was on 1 January: X2 still closing on 1 March
    jan = forecasting.forecast(history, method="weighted", months=3, as_of="2026-01-01")
    assert {r.month: r.weighted for r in jan.rows} == {
        "2026-01": Decimal("0.00"), "2026-02": Decimal("500.00"), "2026-03": Decimal("1600.00")
    }  # fmt: skip
    report = accuracy.accuracy(history, quarters=2, k=10)
    assert report.quarters == ["2026-Q1", "2026-Q2"]
    got = {(r.quarter, r.method): (r.forecast, r.actual, r.error_pct) for r in report.rows}
    assert got[("2026-Q1", "weighted")] == (
        Decimal("2100.00"),
        Decimal("1000.00"),
        Decimal("110.0"),
    )  # 500 + 1600
    assert got[("2026-Q1", "historical")] == (
        Decimal("2000.00"),
        Decimal("1000.00"),
        Decimal("100.0"),
    )  # 400 + 1600
    assert got[("2026-Q1", "blend")] == (
        Decimal("2050.00"),
        Decimal("1000.00"),
        Decimal("105.0"),
    )  # 450 + 1600
    assert got[("2026-Q2", "weighted")] == (
        Decimal("1800.00"),
        Decimal("400.00"),
        Decimal("350.0"),
    )  # 1600 + 200
    # 1600 + 400 x 5/11 = 1781.8182; (1781.8182 - 400) / 400 = 345.5 %
    assert got[("2026-Q2", "historical")] == (Decimal("1781.8182"), Decimal("400.00"), Decimal("345.5"))
    # A: (5 + 10 x 0.5) / (11 + 10) = 10/21; 1600 + 400 x 10/21 = 1790.4762; 347.6 %
    assert got[("2026-Q2", "blend")] == (Decimal("1790.4762"), Decimal("400.00"), Decimal("347.6"))
    assert report.best == {"EUR": "historical"}


def test_bad_input(history):
    from tinycrm.services.sales import forecasting

    with pytest.raises(InvalidInput, match="future"):
        forecasting.forecast(history, as_of="2030-01-01")
    with pytest.raises(InvalidInput, match="--window"):
        forecasting.conversion(history, window="0m")
    with pytest.raises(InvalidInput, match="--method"):
        forecasting.forecast(history, method="magic")


def test_kpis(history, clock):
    """Since 1 Dec 2025: 4 won and 6 lost of 100 EUR each (created 1 Dec, closed 15 Dec: 14 days); X open in A
    (its close date moved from 1 to 11 March: one slip of 10 days); two interactions on X with one contact;
    two leads, one converted after 2 days."""
    from tinycrm.domain.leads import LeadInput
    from tinycrm.domain.people import ContactInput
    from tinycrm.services.leads import convert, records
    from tinycrm.services.people import contacts, interactions
    from tinycrm.services.sales import deals, kpis

    with at("2026-01-05"):
        x = deal(history, "X", "A", "300", "2026-03-01")
        cid = contacts.create(history, ContactInput(display_name="Cy")).id
        for n in range(2):
            interactions.log(history, contact_ids=[cid], kind_="call", summary=f"call {n}", deal_id=x)
        deals.update(history, x, {"expected_close": "2026-03-11"})
        lead = records.create(history, LeadInput(name="L1", value="1", currency="EUR"))
        records.create(history, LeadInput(name="L2"))
    with at("2026-01-07"):
        convert.convert(history, lead.id, pipeline="P")
    report = kpis.kpis(history, since="2025-12-01")
    k = report.total
    assert (k.won, k.lost, k.win_rate_pct, k.avg_cycle_days) == (4, 6, Decimal("40.0"), Decimal("14.0"))
    assert [(a.currency, a.value, a.count) for a in k.avg_won] == [("EUR", Decimal("100.00"), 4)]
    # two open deals (X and the converted lead's) x 100 x 40 % / 14 days = 5.714... -> 5.71 EUR a day
    assert [(v.currency, v.value) for v in k.velocity] == [("EUR", Decimal("5.71"))]
    assert (k.leads, k.leads_converted, k.lead_conversion_pct, k.lead_conversion_days) == (
        2, 1, Decimal("50.0"), Decimal("2.0")
    )  # fmt: skip
    assert (k.slips, k.slipped_deals, k.avg_slip_days) == (1, 1, Decimal("10.0"))
    assert (k.interactions, k.activity_per_deal, k.activity_per_contact) == (
        2,
        Decimal("2.0"),
        Decimal("2.0"),
    )
    dec = next(m for m in report.months if m.month == "2025-12")
    assert (dec.won, dec.lost, [(w.currency, w.value) for w in dec.won_value]) == (
        4,
        6,
        [("EUR", Decimal("400.00"))],
    )


def changed_over_q1(history, clock) -> tuple[int, int]:
    """Y (A, 1000 EUR, closing 15 Feb) is made `commit` on 15 January, raised to 3000 on 1 February and won on
    10 February; Z (A, 200 USD, closing 20 March) becomes 250 EUR on 1 February and stays open. The clock is then
    10 April."""
    from tinycrm.services.sales import deals

    with at("2025-12-20"):
        y = deal(history, "Y", "A", "1000", "2026-02-15")
        z = deals.create(history, DealInput(title="Z", value="200", currency="USD", pipeline="P", stage="A",
                                            expected_close="2026-03-20")).id  # fmt: skip
    with at("2026-01-15"):
        deals.update(history, y, {"category": "commit"})
    with at("2026-02-01"):
        deals.update(history, y, {"value": "3000"})
        deals.update(history, z, {"value": "250", "currency": "EUR"})
    with at("2026-02-10"):
        deals.win(history, y)
    clock("2026-04-10T12:00:00+00:00", tz="UTC")
    return y, z


def test_backtest_reads_each_deal_as_it_was(history, clock):
    """Y (A, 1000 EUR, closing 15 Feb) is raised to 3000 on 1 February and made `commit` on 15 January, then won
    on 10 February; Z (A, 200 USD, closing 20 March) becomes 250 EUR on 1 February and stays open. On 1 January
    both were as created: Q1's forecast is 1000 EUR and 200 USD in stage A, against 3000 EUR won."""
    from tinycrm.services.sales import accuracy, forecasting

    y, z = changed_over_q1(history, clock)
    report = accuracy.accuracy(history, quarters=1, k=10)
    got = {(r.currency, r.method): (r.forecast, r.actual, r.error_pct) for r in report.rows}
    # A: 50 % configured, 4 of 10 learned, (4 + 5) / 20 = 45 % blended
    assert got == {
        ("EUR", "weighted"): (Decimal("500.00"), Decimal("3000.00"), Decimal("-83.3")),  # 1000 x 50 %
        ("EUR", "historical"): (Decimal("400.00"), Decimal("3000.00"), Decimal("-86.7")),  # 1000 x 40 %
        ("EUR", "blend"): (Decimal("450.00"), Decimal("3000.00"), Decimal("-85.0")),  # 1000 x 45 %
        ("USD", "weighted"): (Decimal("100.00"), Decimal("0.00"), None),  # 200 x 50 %: nothing won to compare
        ("USD", "historical"): (Decimal("80.00"), Decimal("0.00"), None),
        ("USD", "blend"): (Decimal("90.00"), Decimal("0.00"), None),
    }

    def months(as_of: str) -> dict[tuple[str, str], tuple[Decimal, Decimal, Decimal]]:
        f = forecasting.forecast(history, method="weighted", months=3, as_of=as_of)
        return {(r.month, r.currency): (r.pipeline, r.commit, r.won) for r in f.rows if r.pipeline or r.won}

    assert months("2026-01-01") == {
        ("2026-02", "EUR"): (Decimal("1000.00"), Decimal("0.00"), Decimal("0.00")),
        ("2026-03", "USD"): (Decimal("200.00"), Decimal("0.00"), Decimal("0.00")),
    }
    assert months("2026-01-20") == {  # Y is `commit` by then
        ("2026-02", "EUR"): (Decimal("1000.00"), Decimal("1000.00"), Decimal("0.00")),
        ("2026-03", "USD"): (Decimal("200.00"), Decimal("0.00"), Decimal("0.00")),
    }
    assert months("2026-02-05") == {  # both changed; Y not won yet
        ("2026-02", "EUR"): (Decimal("3000.00"), Decimal("3000.00"), Decimal("0.00")),
        ("2026-03", "EUR"): (Decimal("250.00"), Decimal("0.00"), Decimal("0.00")),
    }
    assert months("2026-02-11") == {  # Y won on the 10th, at 3000
        ("2026-02", "EUR"): (Decimal("0.00"), Decimal("0.00"), Decimal("3000.00")),
        ("2026-03", "EUR"): (Decimal("250.00"), Decimal("0.00"), Decimal("0.00")),
    }


def test_a_deal_moved_in_the_same_instant_is_where_it_went(history, clock):
    """Two history rows of a deal at the same time: its state is the later row (B, 80 %), on both stores."""
    from tinycrm.services.sales import deals, forecasting

    with at("2026-01-05"):
        w = deal(history, "W", "A", "1000", "2026-02-15")
        deals.move(history, w, "B")
    clock("2026-04-10T12:00:00+00:00", tz="UTC")
    f = forecasting.forecast(history, method="weighted", months=1, as_of="2026-02-01")
    assert [(r.month, r.weighted) for r in f.rows] == [("2026-02", Decimal("800.00"))]


def test_a_restored_export_from_before_the_value_history_backtests_as_the_original(
    history, clock, other_url, tmp_path
):
    """An export made before revision 0017 has no deal_value_history: its import works the history out from the
    audit log, as the upgrade did, so the backtest of the restored database is the original's (Y's 1000 EUR of
    1 January, not the 3000 it was raised to)."""
    import json

    from tinycrm.services.interchange import backup
    from tinycrm.services.sales import accuracy
    from tinycrm.store.database import open_db

    y, z = changed_over_q1(history, clock)

    def values(db) -> list[tuple]:
        with db.read() as tx:
            return [
                (r["deal_id"], int(r["value_e4"]), r["currency"], r["category"], str(r["changed_at"]))
                for r in tx.all("SELECT * FROM deal_value_history ORDER BY id")
            ]

    source = values(history)
    assert [v[:4] for v in source] == [
        (y, 10_000_000, "EUR", "pipeline"),  # before `commit`
        (y, 10_000_000, "EUR", "commit"),  # before 3000
        (z, 2_000_000, "USD", "pipeline"),  # before 250 EUR
    ]
    expected = accuracy.accuracy(history, quarters=2, k=10)
    out = tmp_path / "export.json"
    backup.export_json(history, out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    doc["schema_revision"] = "0016"  # as tinycrm wrote it before the value history
    del doc["tables"]["deal_value_history"]
    old = tmp_path / "before-0017.json"
    old.write_text(json.dumps(doc), encoding="utf-8")

    restored = open_db(other_url)
    try:
        backup.restore(restored, old, yes=True)
        assert values(restored) == source
        assert accuracy.accuracy(restored, quarters=2, k=10) == expected
        # an export from 0017 on carries the table as it is, even empty: nothing is worked out again
        doc["schema_revision"] = "0017"
        doc["tables"]["deal_value_history"] = []
        old.write_text(json.dumps(doc), encoding="utf-8")
        backup.restore(restored, old, yes=True)
        assert values(restored) == []
    finally:
        restored.close()


def test_the_learned_conversion_and_the_open_sums_read_indexes_only(history):
    """SQLite: the closed deals come from their partial index and the stages from the history index, both
    without reading a row; the open deals' sums from ix_deals_forecast_categories alone (bench/bench_forecast.py).
    PostgreSQL plans by its statistics, without hints: the same statements give the same figures."""
    from tinycrm.services.sales import forecasting

    a = forecasting.conversion(history, pipeline="P").stages[0]
    assert (a.won, a.closed) == (4, 10)
    if not history.is_sqlite:
        assert "INDEXED BY" not in forecasting.learned_sql(False)
        return
    params = {"since": "2025-01-01", "until": "2026-03-10", "start": "2026-03-01", "end": "2026-09-01"}

    def plan(sql: str) -> str:
        with history.read() as tx:
            return "\n".join(r[3] for r in tx.all(f"EXPLAIN QUERY PLAN {sql}", params))

    learned = plan(forecasting.learned_sql(True))
    assert "SCAN d USING COVERING INDEX ix_deals_closed_ids" in learned, learned
    assert "SEARCH h USING COVERING INDEX ix_deal_stage_history_stages" in learned, learned
    sums = plan(forecasting.open_sums_sql(history, True, ""))
    assert "COVERING INDEX ix_deals_forecast_categories" in sums and "SCAN d\n" not in sums + "\n", sums
