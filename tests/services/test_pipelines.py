"""Pipelines, stages and the board, on both stores."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tinycrm.domain.errors import Ambiguous, Conflict, InvalidInput, NotFound
from tinycrm.domain.sales import DealInput
from tinycrm.services.sales import deals, pipelines


@pytest.fixture(autouse=True)
def _utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("TINYCRM_NOW", "2026-03-10T12:00:00+00:00")


def snapshot(db) -> dict:
    with db.read() as tx:
        return {
            t: [tuple(r) for r in tx.all(f"SELECT * FROM {t} ORDER BY 1")]
            for t in ("pipelines", "stages", "deals", "deal_stage_history", "audit_log")
        }


def names(p) -> list[tuple[str, int, int | None]]:
    return [(s.name, s.probability, s.idle_days) for s in p.stages]


def test_a_new_database_has_the_sales_pipeline(db):
    p = pipelines.get(db)
    assert p.name == "Sales"
    assert names(p) == [
        ("Lead", 10, 14),
        ("Qualified", 25, 14),
        ("Proposal", 50, 21),
        ("Negotiation", 75, 21),
    ]
    assert [s.position for s in p.stages] == [0, 1, 2, 3]
    assert [x.name for x in pipelines.list_pipelines(db)] == ["Sales"]
    assert pipelines.get(db, "sales").id == p.id
    assert pipelines.get(db, str(p.id)).id == p.id


def test_create_pipelines_with_default_or_given_stages(db):
    hiring = pipelines.create(db, "Hiring", [("Applied", 5, None), ("Interview", 30, 7), ("Offer", 80, 3)])
    assert names(hiring) == [("Applied", 5, None), ("Interview", 30, 7), ("Offer", 80, 3)]
    partners = pipelines.create(db, "Partners")
    assert [s.name for s in partners.stages] == ["Lead", "Qualified", "Proposal", "Negotiation"]
    assert [p.name for p in pipelines.list_pipelines(db)] == ["Sales", "Hiring", "Partners"]
    assert pipelines.get(db).name == "Sales"  # the first stays the default
    with pytest.raises(Conflict):
        pipelines.create(db, "hiring")
    with pytest.raises(Ambiguous):
        pipelines.get(db, "s")  # in "Sales" and in "Partners"
    renamed = pipelines.rename(db, "Partners", "Channel")
    assert renamed.name == "Channel"
    with pytest.raises(NotFound):
        pipelines.get(db, "Partners")


def test_parse_stage_spec():
    assert pipelines.parse_stage_spec("Demo:40") == ("Demo", 40, None)
    assert pipelines.parse_stage_spec("Demo:40:10") == ("Demo", 40, 10)
    assert pipelines.parse_stage_spec("Step: one:40") == ("Step: one", 40, None)
    for bad in ("Demo", "Demo:140", "Demo:x"):
        with pytest.raises(InvalidInput):
            pipelines.parse_stage_spec(bad)


def test_add_rename_reorder_reweight_stages(db):
    p = pipelines.add_stage(db, None, "Demo", probability=40, idle_days=7, position=3)
    assert [s.name for s in p.stages] == ["Lead", "Qualified", "Demo", "Proposal", "Negotiation"]
    assert [s.position for s in p.stages] == [0, 1, 2, 3, 4]
    p = pipelines.add_stage(db, "Sales", "Contract", probability=90)
    assert p.stages[-1].name == "Contract" and p.stages[-1].idle_days is None
    p = pipelines.rename_stage(db, None, "demo", "Demo call")
    assert p.stages[2].name == "Demo call"
    p = pipelines.move_stage(db, None, "Demo call", 1)
    assert [s.name for s in p.stages] == [
        "Demo call",
        "Lead",
        "Qualified",
        "Proposal",
        "Negotiation",
        "Contract",
    ]
    p = pipelines.move_stage(db, None, "Demo call", 99)
    assert p.stages[-1].name == "Demo call"
    p = pipelines.set_stage(db, None, "Lead", probability=15, idle_days=0)
    assert (p.stages[0].probability, p.stages[0].idle_days) == (15, None)
    p = pipelines.set_stage(db, None, "Lead", idle_days=30)
    assert (p.stages[0].probability, p.stages[0].idle_days) == (15, 30)
    with pytest.raises(Conflict):
        pipelines.add_stage(db, None, "lead", probability=1)
    with pytest.raises(Conflict):
        pipelines.rename_stage(db, None, "Lead", "PROPOSAL")


@pytest.mark.parametrize(
    "call",
    [
        lambda db: pipelines.add_stage(db, None, "X", probability=101),
        lambda db: pipelines.add_stage(db, None, "X", probability=-1),
        lambda db: pipelines.add_stage(db, None, "X", probability=10, idle_days=-3),
        lambda db: pipelines.add_stage(db, None, "  ", probability=10),
        lambda db: pipelines.set_stage(db, None, "Lead", probability=150),
        lambda db: pipelines.set_stage(db, None, "Nope", probability=10),
        lambda db: pipelines.set_stage(db, None, "Lead"),
        lambda db: pipelines.move_stage(db, None, "Lead", 0),
    ],
)
def test_bad_stage_edits_change_nothing(db, call):
    before = snapshot(db)
    with pytest.raises((InvalidInput, NotFound)):
        call(db)
    assert snapshot(db) == before


def test_a_stage_with_deals_is_removed_only_by_moving_them(db):
    d1 = deals.create(db, DealInput("One", "100", "EUR", stage="Qualified"))
    d2 = deals.create(db, DealInput("Two", "200", "EUR", stage="Qualified"))
    deals.lose(db, d2.id, "price")
    empty = pipelines.remove_stage(db, None, "Negotiation")
    assert [s.name for s in empty.stages] == ["Lead", "Qualified", "Proposal"]

    before = snapshot(db)
    with pytest.raises(InvalidInput, match="--move-to"):
        pipelines.remove_stage(db, None, "Qualified")
    assert snapshot(db) == before
    hiring = pipelines.create(db, "Hiring", [("Applied", 5, None)])
    before = snapshot(db)
    with pytest.raises(InvalidInput, match="belongs to pipeline 'Hiring'"):
        pipelines.remove_stage(db, None, "Qualified", move_to=hiring.stages[0].id)
    with pytest.raises(InvalidInput):
        pipelines.remove_stage(db, None, "Qualified", move_to="Qualified")
    assert snapshot(db) == before

    p = pipelines.remove_stage(db, None, "Qualified", move_to="Proposal")
    assert [s.name for s in p.stages] == ["Lead", "Proposal"]
    assert [s.position for s in p.stages] == [0, 1]
    assert p.stages[1].deals == 2 and p.stages[1].open_deals == 1
    one, two = deals.get(db, d1.id), deals.get(db, d2.id)
    assert (one.stage, two.stage, two.status) == ("Proposal", "Proposal", "lost")
    assert one.version == d1.version + 1
    assert [e.kind for e in deals.timeline(db, d1.id)] == ["moved", "created"]


def test_a_pipeline_with_deals_cannot_be_removed(db):
    p = pipelines.create(db, "Hiring", [("Applied", 5, None)])
    deals.create(db, DealInput("Eng", "1", "EUR", pipeline="Hiring"))
    before = snapshot(db)
    with pytest.raises(InvalidInput):
        pipelines.remove(db, "Hiring")
    assert snapshot(db) == before
    q = pipelines.create(db, "Empty")
    assert pipelines.remove(db, q.id).name == "Empty"
    assert [x.name for x in pipelines.list_pipelines(db)] == ["Sales", "Hiring"]
    assert p.id in [x.id for x in pipelines.list_pipelines(db)]


def test_board_sums_per_stage_and_currency(db):
    for title, value, cur, stage, close in [
        ("a", "1000", "EUR", "Lead", "2026-05-01"),
        ("b", "2000.50", "EUR", "Lead", "2026-04-01"),
        ("c", "300", "USD", "Lead", None),
        ("d", "0.0001", "EUR", "Proposal", "2026-06-01"),
        ("e", "5000", "EUR", "Proposal", "2026-03-31"),
    ]:
        deals.create(db, DealInput(title, value, cur, stage=stage, expected_close=close))
    won = deals.create(db, DealInput("won", "9999", "EUR", stage="Lead"))
    deals.win(db, won.id)
    b = pipelines.board(db)
    assert b.pipeline.name == "Sales"
    lead, qualified, proposal, negotiation = b.columns
    assert lead.count == 3 and lead.more == 0
    assert lead.totals == {"EUR": Decimal("3000.50"), "USD": Decimal("300.00")}
    assert lead.weighted == {"EUR": Decimal("300.05"), "USD": Decimal("30.00")}
    assert lead.counts == {"EUR": 2, "USD": 1}
    assert [d.title for d in lead.deals] == ["b", "a", "c"]  # soonest close first, undated last
    assert qualified.count == 0 and qualified.totals == {} and qualified.deals == []
    assert proposal.totals == {"EUR": Decimal("5000.0001")}
    assert proposal.weighted == {"EUR": Decimal("2500.00005")}
    assert negotiation.count == 0
    small = pipelines.board(db, "Sales", limit=1)
    assert [len(c.deals) for c in small.columns] == [1, 0, 1, 0]
    assert small.columns[0].more == 2 and small.columns[0].count == 3
    assert isinstance(small.columns[0].deals[0].value, Decimal)


def test_board_filters_by_owner(db):
    db.actor = "ann"
    deals.create(db, DealInput("ann's", "10", "EUR"))
    db.actor = "bob"
    deals.create(db, DealInput("bob's", "20", "EUR"))
    assert pipelines.board(db, owner="ann").columns[0].totals == {"EUR": Decimal("10.00")}
    assert pipelines.board(db, owner="bob").columns[0].totals == {"EUR": Decimal("20.00")}
    assert pipelines.board(db).columns[0].count == 2
    db.actor = "carol"  # the acting user owns nothing yet: an empty board, not an error
    assert pipelines.board(db, owner="carol").columns[0].count == 0
    with pytest.raises(InvalidInput):
        pipelines.board(db, owner="nobody")
