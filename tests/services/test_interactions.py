"""Interactions on both stores: logging (kinds, natural-language times, several people, a company), the
timeline, and what happens to the history when people or companies go."""

from datetime import UTC, datetime

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from tinycrm.domain.errors import InvalidInput, NotFound
from tinycrm.domain.people import INTERACTION_KINDS, CompanyInput, ContactInput, InteractionRead
from tinycrm.services.people import companies, contacts, interactions


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
