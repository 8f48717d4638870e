"""Deals: money, stages, win/lose/reopen, references, lists, idle deals and the timeline, on both stores."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tinycrm.domain.errors import Ambiguous, Conflict, InvalidInput, NotFound
from tinycrm.domain.people import CompanyInput, ContactInput, to_json
from tinycrm.domain.sales import CURRENCIES, DealInput, money, parse_amount
from tinycrm.services.people import companies, contacts, interactions
from tinycrm.services.sales import deals, pipelines


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("TINYCRM_NOW", "2026-03-10T12:00:00+00:00")


def at(monkeypatch, when: str) -> None:
    monkeypatch.setenv("TINYCRM_NOW", when)


def snapshot(db) -> dict:
    with db.read() as tx:
        return {
            t: [tuple(r) for r in tx.all(f"SELECT * FROM {t} ORDER BY 1, 2")]
            for t in ("deals", "deal_stage_history", "deal_contacts", "audit_log", "stages", "pipelines")
        }


# --- money ----------------------------------------------------------------------------------------------


def test_amounts_are_exact_decimals():
    assert parse_amount("5000") == Decimal("5000")
    assert parse_amount("1234.50") == Decimal("1234.50")
    assert parse_amount("5 000") == parse_amount("5_000") == parse_amount("5,000") == Decimal(5000)
    assert parse_amount("1,234,567.8912") == Decimal("1234567.8912")
    assert parse_amount(".5") == Decimal("0.5")
    assert parse_amount(None) == 0
    for bad in ("-1", "1e3", "abc", "1.23456", "NaN", "Infinity", "1,23", "1000000000000", 1.5):
        with pytest.raises(InvalidInput):
            parse_amount(bad)
    assert money(50000000, "EUR") == Decimal("5000.00") and str(money(50000000, "EUR")) == "5000.00"
    assert str(money(12345, "EUR")) == "1.2345"
    assert str(money(50000000, "JPY")) == "5000"
    assert str(money(12345670, "KWD")) == "1234.567"


def test_the_currency_list_is_iso_4217():
    assert isinstance(CURRENCIES, frozenset)
    assert {"EUR", "USD", "GBP", "JPY", "CHF", "CNY", "INR", "BRL", "ZAR", "KWD", "XOF"} <= CURRENCIES
    assert not {"XXX", "XTS", "ABC", "EUX", "US", "EURO", "DEM", "FRF"} & CURRENCIES
    assert all(len(c) == 3 and c.isupper() for c in CURRENCIES)
    assert len(CURRENCIES) > 150


# --- creating -------------------------------------------------------------------------------------------


def test_create_a_deal(db):
    acme = companies.create(db, CompanyInput("Acme"))
    ada = contacts.create(db, ContactInput(display_name="Ada Lovelace", company_id=acme.id))
    bob = contacts.create(db, ContactInput(display_name="Bob Builder"))
    d = deals.create(
        db,
        DealInput(
            "Website redesign",
            "5000.10",
            "eur",
            contact_ids=[ada.id, bob.id],
            expected_close="2026-04-30",
            next_step="Send proposal",
            next_step_due="2026-03-12",
        ),
    )
    assert d.value == Decimal("5000.10") and d.currency == "EUR"
    assert d.weighted == Decimal("500.01")  # Lead: 10 %
    assert (d.pipeline, d.stage, d.probability, d.status) == ("Sales", "Lead", 10, "open")
    assert d.company == "Acme"  # the first contact's company
    assert [c.name for c in d.contacts] == ["Ada Lovelace", "Bob Builder"]
    assert d.expected_close == date(2026, 4, 30)
    assert (d.next_step, d.next_step_due) == ("Send proposal", date(2026, 3, 12))
    assert d.owner == "tester" and d.version == 1
    assert d.created_at == d.stage_entered_at and d.closed_at is None
    assert not d.idle and d.days_in_stage == 0
    assert to_json(d)["value"] == "5000.10"
    assert [e.kind for e in deals.timeline(db, d.id)] == ["created"]
    with db.read() as tx:
        assert tx.scalar("SELECT value_e4 FROM deals WHERE id = :i", {"i": d.id}) == 50001000
        assert (
            tx.scalar("SELECT count(*) FROM audit_log WHERE record_type = 'deal' AND action = 'create'") == 1
        )
    other = deals.create(db, DealInput("App", "1", "USD", stage="proposal", pipeline="Sales"))
    assert other.stage == "Proposal" and other.company is None


def test_sums_stay_exact(db):
    for v in ("0.1", "0.2", "0.0001"):
        deals.create(db, DealInput(f"d{v}", v, "EUR"))
    b = pipelines.board(db)
    assert b.columns[0].totals == {"EUR": Decimal("0.3001")}


@pytest.mark.parametrize(
    "data, message",
    [
        (DealInput("x", "-5", "EUR"), "negative"),
        (DealInput("x", "5", "EUX"), "ISO 4217"),
        (DealInput("x", "5", "ZZZ"), "ISO 4217"),
        (DealInput("x", "5", None), "ISO 4217"),
        (DealInput("x", "5", "EUR", expected_close="the day after never"), "close date"),
        (DealInput("x", "5.123456", "EUR"), "decimal places"),
        (DealInput("x", "five", "EUR"), "not an amount"),
        (DealInput("  ", "5", "EUR"), "title"),
        (DealInput("x", "5", "EUR", stage="Nope"), "no stage"),
        (DealInput("x", "5", "EUR", next_step_due="2026-04-01"), "next step"),
        (DealInput("x", "5", "EUR", contact_ids=[999]), "no contact"),
        (DealInput("x", "5", "EUR", owner="nobody"), "no user"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(db, data, message):
    before = snapshot(db)
    with pytest.raises((InvalidInput, NotFound), match=message) as info:
        deals.create(db, data)
    assert "\n" not in info.value.message
    assert snapshot(db) == before


def test_default_currency_from_the_config(db, monkeypatch, _isolated_home):
    (_isolated_home / "config.toml").write_text('[sales]\ncurrency = "GBP"\n')
    from tinycrm import config, paths

    monkeypatch.setattr(paths, "config_file", lambda: _isolated_home / "config.toml")
    config.reset()
    assert deals.create(db, DealInput("x", "1")).currency == "GBP"


# --- stages ---------------------------------------------------------------------------------------------


def test_move_and_step_keep_the_history(db, monkeypatch):
    d = deals.create(db, DealInput("Deal", "100", "EUR"))
    at(monkeypatch, "2026-03-11T12:00:00+00:00")
    d = deals.move(db, d.id, "Proposal")
    assert (d.stage, d.version, d.weighted) == ("Proposal", 2, Decimal("50.00"))
    assert d.stage_entered_at.day == 11
    assert deals.move(db, d.id, "proposal").version == 2  # same stage: nothing changes
    d = deals.step(db, d.id, 1)
    assert d.stage == "Negotiation"
    d = deals.step(db, d.id, -2)
    assert d.stage == "Qualified"
    d = deals.move(db, d.id, pipelines.get(db).stages[0].id)
    assert d.stage == "Lead"
    with pytest.raises(InvalidInput, match="first stage"):
        deals.step(db, d.id, -1)
    deals.move(db, d.id, "Negotiation")
    with pytest.raises(InvalidInput, match="last stage"):
        deals.step(db, d.id, 1)
    with db.read() as tx:
        rows = tx.all(
            "SELECT f.name AS f, t.name AS t, h.status FROM deal_stage_history h LEFT JOIN stages f ON "
            "f.id = h.from_stage_id JOIN stages t ON t.id = h.to_stage_id WHERE h.deal_id = :d ORDER BY h.id",
            {"d": d.id},
        )
    assert [(r["f"], r["t"], r["status"]) for r in rows] == [
        (None, "Lead", "open"),
        ("Lead", "Proposal", "open"),
        ("Proposal", "Negotiation", "open"),
        ("Negotiation", "Qualified", "open"),
        ("Qualified", "Lead", "open"),
        ("Lead", "Negotiation", "open"),
    ]


def test_a_stage_of_another_pipeline_is_refused(db):
    hiring = pipelines.create(db, "Hiring", [("Applied", 5, None), ("Offer", 80, None)])
    d = deals.create(db, DealInput("Deal", "100", "EUR"))
    before = snapshot(db)
    with pytest.raises(InvalidInput, match="belongs to pipeline 'Hiring'"):
        deals.move(db, d.id, "Offer")
    with pytest.raises(InvalidInput, match="belongs to pipeline 'Hiring'"):
        deals.move(db, d.id, hiring.stages[1].id)
    with pytest.raises(InvalidInput, match="no stage"):
        deals.move(db, d.id, "Nowhere")
    with pytest.raises(InvalidInput):
        deals.update(db, d.id, {"stage": "Applied", "value": "999"})
    assert snapshot(db) == before
    # changing pipelines is an explicit edit
    moved = deals.update(db, d.id, {"pipeline": "Hiring", "stage": "Offer"})
    assert (moved.pipeline, moved.stage, moved.probability) == ("Hiring", "Offer", 80)
    first = deals.update(db, d.id, {"pipeline": "Sales"})
    assert (first.pipeline, first.stage) == ("Sales", "Lead")


def test_win_lose_reopen(db, monkeypatch):
    d = deals.create(db, DealInput("Deal", "100", "EUR", stage="Proposal"))
    at(monkeypatch, "2026-03-20T09:00:00+00:00")
    won = deals.win(db, d.id)
    assert won.status == "won" and won.closed_at.day == 20 and won.version == 2
    assert deals.win(db, d.id).version == 2  # winning a won deal changes nothing
    with pytest.raises(InvalidInput, match="reopen"):
        deals.lose(db, d.id, "price")
    with pytest.raises(InvalidInput, match="reopen"):
        deals.move(db, d.id, "Lead")
    at(monkeypatch, "2026-03-21T09:00:00+00:00")
    opened = deals.reopen(db, d.id)
    assert (opened.status, opened.closed_at, opened.stage) == ("open", None, "Proposal")
    assert opened.stage_entered_at.day == 21
    with pytest.raises(InvalidInput, match="reason"):
        deals.lose(db, d.id, "  ")
    lost = deals.lose(db, d.id, " too  expensive ")
    assert (lost.status, lost.lost_reason) == ("lost", "too expensive")
    again = deals.lose(db, d.id, "timing")
    assert again.lost_reason == "timing" and again.status == "lost"

    before = snapshot(db)
    with pytest.raises(InvalidInput, match="is lost; reopen it first"):
        deals.win(db, d.id)
    assert snapshot(db) == before

    edited = deals.update(db, d.id, {"lost_reason": "budget"})
    assert edited.lost_reason == "budget"
    assert [e.kind for e in deals.timeline(db, d.id)] == ["lost", "reopened", "won", "created"]
    with db.read() as tx:
        actions = tx.column("SELECT action FROM audit_log WHERE record_type = 'deal' ORDER BY id")
    assert actions == ["create", "win", "reopen", "lose", "update", "update"]


def test_update_fields_and_versions(db):
    ada = contacts.create(db, ContactInput(display_name="Ada Lovelace"))
    bob = contacts.create(db, ContactInput(display_name="Bob Builder"))
    d = deals.create(db, DealInput("Deal", "100", "EUR", contact_ids=[ada.id]))
    d2 = deals.update(
        db,
        d.id,
        {
            "value": "250.5",
            "currency": "usd",
            "expected_close": "2026-06-30",
            "title": "Bigger deal",
            "add_contact_ids": [bob.id],
            "next_step": "Call",
            "next_step_due": "2026-03-15",
        },
    )
    assert (d2.value, d2.currency, d2.title, d2.version) == (Decimal("250.50"), "USD", "Bigger deal", 2)
    assert d2.expected_close == date(2026, 6, 30)
    assert [c.name for c in d2.contacts] == ["Ada Lovelace", "Bob Builder"]
    d3 = deals.update(db, d.id, {"remove_contact_ids": [ada.id], "expected_close": None})
    assert [c.name for c in d3.contacts] == ["Bob Builder"] and d3.expected_close is None
    assert deals.update(db, d.id, {"value": "250.50"}).version == d3.version  # no change: no new version
    with pytest.raises(Conflict, match="version"):
        deals.update(db, d.id, {"value": "1"}, expected_version=1)
    before = snapshot(db)
    for changes in (
        {"value": "-1"},
        {"currency": "EURO"},
        {"expected_close": "blah blah"},
        {"next_step": None},
        {"lost_reason": "x"},
        {"color": "red"},
    ):
        with pytest.raises(InvalidInput):
            deals.update(db, d.id, changes)
    assert snapshot(db) == before


def test_delete_keeps_interactions(db):
    ada = contacts.create(db, ContactInput(display_name="Ada Lovelace"))
    d = deals.create(db, DealInput("Deal", "100", "EUR", contact_ids=[ada.id]))
    i = interactions.log(db, contact_ids=[ada.id], kind_="call", summary="Pitch", deal_id=d.id)
    assert deals.delete(db, d.id).title == "Deal"
    with pytest.raises(NotFound):
        deals.get(db, d.id)
    assert interactions.get(db, i.id).deal is None
    with db.read() as tx:
        assert tx.scalar("SELECT count(*) FROM deal_stage_history") == 0


# --- references and lists -------------------------------------------------------------------------------


def test_resolve(db):
    a = deals.create(db, DealInput("Website redesign", "1", "EUR"))
    b = deals.create(db, DealInput("Website hosting", "1", "EUR"))
    c = deals.create(db, DealInput("Logo", "1", "EUR"))
    assert deals.resolve(db, str(c.id)) == c.id
    assert deals.resolve(db, f"#{a.id}") == a.id
    assert deals.resolve(db, "logo") == c.id
    assert deals.resolve(db, "REDESIGN") == a.id
    assert deals.resolve(db, "website hosting") == b.id
    with pytest.raises(Ambiguous) as info:
        deals.resolve(db, "website")
    assert sorted(x.id for x in info.value.candidates) == [a.id, b.id]
    assert "Website" in info.value.candidates[0].name
    with pytest.raises(NotFound):
        deals.resolve(db, "nothing like it")
    with pytest.raises(NotFound):
        deals.resolve(db, "999")
    with pytest.raises(InvalidInput):
        deals.resolve(db, " ")
    with pytest.raises(NotFound):  # a % in a reference is a plain character
        deals.resolve(db, "%")


def test_list_filters(db):
    acme = companies.create(db, CompanyInput("Acme"))
    ada = contacts.create(db, ContactInput(display_name="Ada Lovelace"))
    pipelines.create(db, "Hiring", [("Applied", 5, None)])
    db.actor = "ann"
    a = deals.create(db, DealInput("A", "1", "EUR", expected_close="2026-05-01", contact_ids=[ada.id]))
    b = deals.create(
        db, DealInput("B", "2", "EUR", stage="Proposal", expected_close="2026-04-01", company_id=acme.id)
    )
    db.actor = "bob"
    c = deals.create(db, DealInput("C", "3", "USD"))
    h = deals.create(db, DealInput("H", "4", "EUR", pipeline="Hiring"))
    deals.win(db, c.id)

    def ids(**kw):
        return [d.id for d in deals.list_deals(db, **kw).items]

    assert ids() == [b.id, a.id, h.id]
    assert ids(status="won") == [c.id]
    assert ids(status="all", sort="value") == [h.id, c.id, b.id, a.id]
    assert ids(owner="ann") == [b.id, a.id]
    assert ids(owner="bob", status=None) == [c.id, h.id]
    assert ids(pipeline="Hiring") == [h.id]
    assert ids(stage="Proposal") == [b.id]
    assert ids(pipeline="Sales", stage="Lead") == [a.id]
    assert ids(contact_id=ada.id) == [a.id]
    assert ids(company_id=acme.id) == [b.id]
    page = deals.list_deals(db, limit=1, offset=1)
    assert (page.total, [d.id for d in page.items], page.more) == (3, [a.id], True)
    s = deals.list_deals(db, contact_id=ada.id).items[0]
    assert (s.title, s.value, s.currency, s.stage, s.pipeline, s.contacts, s.owner) == (
        "A",
        Decimal("1.00"),
        "EUR",
        "Lead",
        "Sales",
        ["Ada Lovelace"],
        "ann",
    )
    with pytest.raises(InvalidInput):
        deals.list_deals(db, status="pending")
    with pytest.raises(InvalidInput):
        deals.list_deals(db, owner="nobody")


# --- idle deals and the timeline ------------------------------------------------------------------------


def test_idle_deals(db, monkeypatch):
    pipelines.set_stage(db, None, "Lead", idle_days=10)
    at(monkeypatch, "2026-03-01T12:00:00+00:00")
    old = deals.create(db, DealInput("Old lead", "1", "EUR"))
    fresh_stage = deals.create(db, DealInput("Moved on", "1", "EUR"))
    overdue = deals.create(
        db,
        DealInput("Overdue", "1", "EUR", stage="Proposal", next_step="Call back", next_step_due="2026-03-09"),
    )
    no_limit = deals.create(db, DealInput("No limit", "1", "EUR", stage="Proposal"))
    pipelines.set_stage(db, None, "Proposal", idle_days=0)
    closed = deals.create(db, DealInput("Closed", "1", "EUR"))
    deals.lose(db, closed.id, "price")
    at(monkeypatch, "2026-03-10T12:00:00+00:00")
    deals.move(db, fresh_stage.id, "Qualified")
    assert [d.title for d in deals.idle_deals(db).items] == ["Overdue"]  # Old lead: 9 days of 10
    at(monkeypatch, "2026-03-11T12:00:01+00:00")  # 10 days and 1 second in Lead
    page = deals.idle_deals(db)
    idle = page.items
    assert [d.title for d in idle] == ["Old lead", "Overdue"] and page.total == 2
    assert (
        idle[0].idle and idle[0].idle_reason == "10 days in Lead (limit 10)" and idle[0].days_in_stage == 10
    )
    assert idle[1].idle_reason == "next step overdue since 2026-03-09"
    assert deals.get(db, old.id).idle and not deals.get(db, no_limit.id).idle
    assert deals.idle_deals(db, owner="tester").items == idle
    one = deals.idle_deals(db, limit=1)
    assert one.items == idle[:1] and one.total == 2
    assert deals.idle_deals(db, limit=1, offset=1).items == idle[1:]
    assert overdue.id in [d.id for d in idle]


def test_timeline_merges_history_and_interactions(db, monkeypatch):
    ada = contacts.create(db, ContactInput(display_name="Ada Lovelace"))
    at(monkeypatch, "2026-03-01T09:00:00+00:00")
    d = deals.create(db, DealInput("Deal", "1", "EUR"))
    at(monkeypatch, "2026-03-02T12:00:00+00:00")  # interactions are logged once they happened
    interactions.log(
        db, contact_ids=[ada.id], kind_="call", summary="Discovery", when="2026-03-02T10:00:00Z", deal_id=d.id
    )
    interactions.log(db, contact_ids=[ada.id], kind_="note", summary="Unrelated", when="2026-03-02T11:00:00Z")
    at(monkeypatch, "2026-03-03T09:00:00+00:00")
    deals.move(db, d.id, "Proposal")
    at(monkeypatch, "2026-03-04T09:00:00+00:00")
    deals.win(db, d.id)
    t = deals.timeline(db, d.id)
    assert [(e.kind, e.summary) for e in t] == [
        ("won", "won in Proposal"),
        ("moved", "Lead -> Proposal"),
        ("call", "Discovery (with Ada Lovelace)"),
        ("created", "created in Lead"),
    ]
    assert t[2].interaction_id is not None and t[0].user == "tester"
    assert len(deals.timeline(db, d.id, limit=2)) == 2
    with pytest.raises(NotFound):
        deals.timeline(db, 999)


def test_list_deals_by_a_piece_of_the_title(db):
    from tinycrm.domain.sales import DealInput
    from tinycrm.services.sales import deals as deal_service

    for title in ("Acme rollout", "Globex pilot", "50% off_deal"):
        deal_service.create(db, DealInput(title=title, value="1", currency="EUR"))
    assert [d.title for d in deal_service.list_deals(db, query="ROLL").items] == ["Acme rollout"]
    assert [d.title for d in deal_service.list_deals(db, query="% off_").items] == ["50% off_deal"]
    assert deal_service.list_deals(db, query="_").total == 1  # taken literally
    assert deal_service.list_deals(db, query=" ").total == 3
