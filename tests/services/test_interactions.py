"""Interactions on both stores: logging (kinds, natural-language times, several people, a company), the
timeline, and what happens to the history when people or companies go."""

from datetime import UTC, datetime

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from tinycrm.domain.errors import Conflict, InvalidInput, NotFound
from tinycrm.domain.people import INTERACTION_KINDS, CompanyInput, ContactInput, InteractionRead
from tinycrm.services.people import companies, contacts, interactions
from tinycrm.services.team import audit


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Paris")
    monkeypatch.setenv("TINYCRM_NOW", "2026-03-25T10:30:00+01:00")


@pytest.fixture
def people(db):
    acme = companies.create(db, CompanyInput("Acme", domain="acme.com"))
    ada = contacts.create(db, ContactInput("Ada Lovelace", company="Acme"))
    bob = contacts.create(db, ContactInput("Bob Babbage"))
    return db, acme, ada, bob


def test_log_and_read(people):
    db, acme, ada, bob = people
    i = interactions.log(
        db,
        contact_ids=[ada.id],
        kind_="Call",
        summary="  Intro   call ",
        when="yesterday 15:00",
        body="Talked about\nthe engine.",
    )
    assert isinstance(i, InteractionRead)
    assert (i.kind, i.summary, i.body) == ("call", "Intro call", "Talked about\nthe engine.")
    assert i.happened_at == datetime(2026, 3, 24, 14, 0, tzinfo=UTC)
    assert [p.name for p in i.contacts] == ["Ada Lovelace"]
    assert i.company is not None and i.company.id == acme.id, "a single contact's company by default"
    assert i.owner == "tester" and i.uid
    assert interactions.get(db, i.id) == i
    assert contacts.get(db, ada.id).last_interaction_at == i.happened_at


def test_every_kind_several_people_and_a_company(people):
    db, acme, ada, bob = people
    for kind in INTERACTION_KINDS:
        assert interactions.log(db, contact_ids=[bob.id], kind_=kind, summary=kind).kind == kind
    meeting = interactions.log(
        db,
        contact_ids=[ada.id, bob.id, ada.id],
        kind_="meeting",
        summary="Kick-off",
        company_id=acme.id,
        when="2026-03-20 09:00",
    )
    assert [p.name for p in meeting.contacts] == ["Ada Lovelace", "Bob Babbage"]
    assert meeting.company.name == "Acme"
    assert meeting.happened_at == datetime(2026, 3, 20, 8, 0, tzinfo=UTC)
    shared = interactions.log(db, contact_ids=[ada.id, bob.id], kind_="email", summary="No company")
    assert shared.company is None, "several people: no company unless given"
    assert [x.id for x in interactions.for_company(db, acme.id).items] == [meeting.id]
    with_company_only = interactions.log(
        db, contact_ids=[], kind_="note", summary="About Acme", company_id=acme.id
    )
    assert with_company_only.contacts == [] and with_company_only.company.id == acme.id


def test_bad_interactions_store_nothing(people):
    db, acme, ada, bob = people
    cases = [
        dict(contact_ids=[ada.id], kind_="fax", summary="x"),
        dict(contact_ids=[ada.id], kind_="call", summary="   "),
        dict(contact_ids=[ada.id], kind_="call", summary="s" * 501),
        dict(contact_ids=[ada.id], kind_="call", summary="x", when="the other day"),
        dict(contact_ids=[ada.id], kind_="call", summary="x", when="in 2 years"),
        dict(contact_ids=[ada.id], kind_="call", summary="x", body="nul\x00byte"),
        dict(contact_ids=[], kind_="call", summary="x"),
    ]
    for case in cases:
        with pytest.raises(InvalidInput):
            interactions.log(db, **case)
    with pytest.raises(NotFound):
        interactions.log(db, contact_ids=[ada.id, 424242], kind_="call", summary="x")
    with db.read() as tx:
        assert tx.scalar("SELECT count(*) FROM interactions") == 0
        assert tx.scalar("SELECT count(*) FROM interaction_contacts") == 0


def test_timeline_newest_first_paged_and_filtered(people, monkeypatch):
    db, acme, ada, bob = people
    logged = [
        interactions.log(
            db,
            contact_ids=[ada.id],
            kind_="call" if d % 2 else "email",
            summary=f"day {d}",
            when=f"2026-03-{d:02d} 10:00",
        )
        for d in range(1, 24)
    ]
    other = interactions.log(db, contact_ids=[bob.id], kind_="call", summary="Bob only")
    page = interactions.timeline(db, ada.id)
    assert page.total == 23 and len(page.items) == 20 and page.more
    assert [i.summary for i in page.items[:3]] == ["day 23", "day 22", "day 21"]
    rest = interactions.timeline(db, ada.id, offset=20)
    assert [i.summary for i in rest.items] == ["day 3", "day 2", "day 1"]
    assert len(interactions.timeline(db, ada.id, limit=None).items) == 23
    calls = interactions.timeline(db, ada.id, kind_="CALL", limit=None)
    assert calls.total == 12 and {i.kind for i in calls.items} == {"call"}
    assert other.id not in {i.id for i in interactions.timeline(db, ada.id, limit=None).items}
    assert logged[-1].id == page.items[0].id
    with pytest.raises(InvalidInput):
        interactions.timeline(db, ada.id, kind_="fax")
    with pytest.raises(NotFound):
        interactions.timeline(db, 424242)


def test_history_when_people_and_companies_go(people):
    db, acme, ada, bob = people
    shared = interactions.log(
        db, contact_ids=[ada.id, bob.id], kind_="meeting", summary="Both", company_id=acme.id
    )
    companies.delete(db, acme.id)
    assert interactions.get(db, shared.id).company is None
    contacts.delete(db, bob.id)
    assert [p.name for p in interactions.get(db, shared.id).contacts] == ["Ada Lovelace"]
    contacts.archive(db, ada.id)
    assert interactions.timeline(db, ada.id).total == 1, "archiving keeps the history"
    gone = interactions.delete(db, shared.id)
    assert gone.summary == "Both"
    with pytest.raises(NotFound):
        interactions.get(db, shared.id)
    assert contacts.get(db, ada.id).last_interaction_at is None


# --- the future is not history --------------------------------------------------------------------------


@pytest.mark.parametrize("when", ["next year", "tomorrow", "in 10 minutes", "2026-03-25 11:00", "friday"])
def test_a_time_in_the_future_is_refused_with_a_hint(people, when):
    db, acme, ada, bob = people
    with pytest.raises(InvalidInput) as info:
        interactions.log(db, contact_ids=[ada.id], kind_="call", summary="Planned", when=when)
    assert info.value.field == "when"
    assert "in the future" in info.value.message and info.value.message.endswith(interactions.FUTURE_HINT)
    with db.read() as tx:
        assert tx.scalar("SELECT count(*) FROM interactions") == 0


def test_a_few_minutes_ahead_is_clock_skew_not_the_future(people):
    db, acme, ada, bob = people
    i = interactions.log(db, contact_ids=[ada.id], kind_="call", summary="Just now", when="in 3 minutes")
    assert i.happened_at == datetime(2026, 3, 25, 9, 33, tzinfo=UTC)
    assert interactions.log(db, contact_ids=[ada.id], kind_="note", summary="x", when="today").id


# --- edit and delete ------------------------------------------------------------------------------------


def deal_for(db, contact_id: int, title: str = "Engine order") -> int:
    from tinycrm.domain.sales import DealInput
    from tinycrm.services.sales import deals

    return deals.create(db, DealInput(title=title, value="1000", currency="EUR", contact_ids=[contact_id])).id


def test_update_every_field_in_one_audited_change(people):
    db, acme, ada, bob = people
    i = interactions.log(db, contact_ids=[ada.id], kind_="call", summary="Intro", when="yesterday 15:00")
    assert (i.version, i.updated_at) == (1, i.created_at)
    did = deal_for(db, ada.id)
    changed = interactions.update(
        db,
        i.id,
        {
            "kind": "Meeting",
            "summary": " Kick-off  ",
            "body": "Long notes\nover lines.",
            "when": "2026-03-20 09:00",
            "deal_id": did,
            "contact_ids": [bob.id, ada.id],
        },
        expected_version=1,
    )
    assert (changed.kind, changed.summary, changed.body) == ("meeting", "Kick-off", "Long notes\nover lines.")
    assert changed.happened_at == datetime(2026, 3, 20, 8, 0, tzinfo=UTC)
    assert changed.deal.id == did and changed.company.id == acme.id
    assert [p.name for p in changed.contacts] == ["Ada Lovelace", "Bob Babbage"]
    assert changed.version == 2 and interactions.get(db, i.id) == changed
    assert interactions.timeline(db, bob.id).total == 1
    log = audit.history(db, "interaction", i.id).items
    assert [e.action for e in log] == ["update", "create"]
    assert log[0].changes["summary"] == ["Intro", "Kick-off"]
    assert log[0].changes["contacts"] == [[ada.id], [bob.id, ada.id]]
    assert log[0].changes["when"] == ["2026-03-24T14:00:00Z", "2026-03-20T08:00:00Z"]
    # unlinking: no deal, no company, no body; the same values again change nothing
    bare = interactions.update(db, i.id, {"deal_id": None, "company_id": None, "body": ""})
    assert (bare.deal, bare.company, bare.body, bare.version) == (None, None, None, 3)
    same = interactions.update(db, i.id, {"kind": "meeting", "summary": "Kick-off"}, expected_version=3)
    assert same.version == 3 and len(audit.history(db, "interaction", i.id).items) == 3


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"when": "next year"}, "when"),
        ({"when": "the other day"}, "when"),
        ({"kind": "fax"}, "kind"),
        ({"summary": "  "}, "summary"),
        ({"body": "nul\x00"}, "body"),
        ({"contact_ids": [], "company_id": None}, "contact"),
        ({"contact_ids": [424242]}, "contact"),
        ({"deal_id": 424242}, "deal"),
        ({"company_id": 2**40}, "company"),
        ({"happened_at": "now"}, None),
    ],
)
def test_a_bad_change_stores_nothing(people, changes, field):
    db, acme, ada, bob = people
    i = interactions.log(db, contact_ids=[ada.id], kind_="call", summary="Intro", when="yesterday")
    with pytest.raises((InvalidInput, NotFound)) as info:
        interactions.update(db, i.id, {"summary": "Changed", **changes})
    assert info.value.field == field
    assert interactions.get(db, i.id) == i
    assert [e.action for e in audit.history(db, "interaction", i.id).items] == ["create"]


def test_a_stale_edit_is_a_conflict_and_a_missing_one_not_found(people):
    db, acme, ada, bob = people
    i = interactions.log(db, contact_ids=[ada.id], kind_="call", summary="Intro")
    interactions.update(db, i.id, {"summary": "First"}, expected_version=1)
    with pytest.raises(Conflict) as info:
        interactions.update(db, i.id, {"summary": "Second"}, expected_version=1)
    assert "was changed by tester" in info.value.message and "(summary)" in info.value.message
    assert interactions.get(db, i.id).summary == "First"
    for missing in (424242, 2**40, 0):
        with pytest.raises(NotFound):
            interactions.update(db, missing, {"summary": "x"})
        with pytest.raises(NotFound):
            interactions.delete(db, missing)


def test_delete_is_audited_and_leaves_the_people(people):
    db, acme, ada, bob = people
    i = interactions.log(db, contact_ids=[ada.id, bob.id], kind_="meeting", summary="Both")
    gone = interactions.delete(db, i.id)
    assert gone == i
    with pytest.raises(NotFound):
        interactions.get(db, i.id)
    assert interactions.timeline(db, ada.id).total == 0 and contacts.get(db, bob.id).display_name
    log = audit.history(db, "interaction", i.id).items
    assert [e.action for e in log] == ["delete", "create"] and log[0].changes == {"summary": ["Both", None]}
    with db.read() as tx:
        assert tx.scalar("SELECT count(*) FROM interaction_contacts") == 0
