"""Companies through the service layer, on both stores: the record, references, changes, deletion, and the
people who work there (their search follows the company's name)."""

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from tinycrm.domain.errors import Ambiguous, Conflict, InvalidInput, NotFound
from tinycrm.domain.people import CompanyInput, CompanyRead, ContactInput
from tinycrm.services import demo
from tinycrm.services.people import companies, contacts


def acme(**kw) -> CompanyInput:
    base = dict(
        name="Acme Corporation",
        domain="https://www.ACME.com/about",
        website="https://acme.com",
        phone="+1 555 0100",
        address="1 Road Runner Way\nDesert, AZ",
        notes="Makes anvils.",
        tags=["client", "Anvils"],
        fields={"industry": "manufacturing"},
    )
    base.update(kw)
    return CompanyInput(**base)


def test_create_and_read(db):
    c = companies.create(db, acme())
    assert isinstance(c, CompanyRead)
    assert (c.name, c.domain, c.website, c.phone) == (
        "Acme Corporation",
        "acme.com",
        "https://acme.com",
        "+1 555 0100",
    )
    assert c.address == "1 Road Runner Way\nDesert, AZ" and c.notes == "Makes anvils."
    assert c.tags == ["Anvils", "client"] and c.fields == {"industry": "manufacturing"}
    assert c.people == [] and c.version == 1 and c.owner == "tester" and c.uid
    assert companies.get(db, c.id) == c
    with pytest.raises(NotFound):
        companies.get(db, 4242)


def test_names_are_unique_regardless_of_case_and_accents(db):
    companies.create(db, CompanyInput("Café Lumière"))
    for name in ("café lumière", "CAFE LUMIERE", "  Cafe   Lumiere "):
        with pytest.raises(Conflict):
            companies.create(db, CompanyInput(name))
    with db.read() as tx:
        assert tx.scalar("SELECT count(*) FROM companies") == 1


def test_invalid_companies(db):
    for data, field in [
        (CompanyInput(""), "company name"),
        (CompanyInput("x" * 301), "company name"),
        (acme(domain="not a domain"), "domain"),
        (acme(phone="call us"), "phone"),
        (acme(tags=["a,b"]), "tag"),
        (acme(uid="u" * 101), "uid"),
    ]:
        with pytest.raises(InvalidInput) as info:
            companies.create(db, data)
        assert info.value.field == field
    assert companies.list_companies(db).total == 0


def test_resolve(db):
    a = companies.create(db, acme())
    b = companies.create(db, CompanyInput("Acme Labs", domain="acmelabs.io"))
    g = companies.create(db, CompanyInput("Globex"))
    assert companies.resolve(db, str(g.id)) == g.id
    assert companies.resolve(db, "acme.com") == a.id
    assert companies.resolve(db, "ACMELABS.IO") == b.id
    assert companies.resolve(db, "acme corporation") == a.id
    assert companies.resolve(db, "glob") == g.id
    with pytest.raises(Ambiguous) as info:
        companies.resolve(db, "acme")
    assert {r.id for r in info.value.candidates} == {a.id, b.id}
    for ref in ("initech", "999", "99999999999999999999", "²"):
        with pytest.raises(NotFound):
            companies.resolve(db, ref)
    with pytest.raises(InvalidInput):
        companies.resolve(db, " ")


def test_update(db):
    c = companies.create(db, acme())
    u = companies.update(
        db,
        c.id,
        {
            "name": "Acme Inc",
            "domain": "acme.io",
            "notes": None,
            "tags": ["client"],
            "set_fields": {"size": "50"},
            "unset_fields": ["industry"],
        },
    )
    assert (u.name, u.domain, u.notes, u.tags, u.fields) == (
        "Acme Inc",
        "acme.io",
        None,
        ["client"],
        {"size": "50"},
    )
    assert u.version == 2
    assert companies.update(db, c.id, {"name": "Acme Inc"}).version == 2, "no change, no new version"
    other = companies.create(db, CompanyInput("Globex"))
    with pytest.raises(Conflict):
        companies.update(db, other.id, {"name": "ACME inc"})
    with pytest.raises(Conflict):
        companies.update(db, c.id, {"notes": "stale"}, expected_version=1)
    with pytest.raises(InvalidInput):
        companies.update(db, c.id, {"employees": 5})
    with pytest.raises(InvalidInput):
        companies.update(db, c.id, {"set_fields": {"k": "bell\x07"}})
    assert companies.get(db, c.id) == u


def test_people_follow_their_company(db):
    ada = contacts.create(db, ContactInput("Ada Lovelace", company="acme corporation"))
    c = companies.create(db, CompanyInput("Globex"))
    assert contacts.get(db, ada.id).company.name == "acme corporation"
    moved = contacts.update(db, ada.id, {"company": "GLOBEX"})
    assert moved.company.id == c.id, "a company is found by name regardless of case"
    bob = contacts.create(db, ContactInput("Bob", company="Globex"))
    assert [p.name for p in companies.get(db, c.id).people] == ["Ada Lovelace", "Bob"]
    contacts.archive(db, bob.id)
    assert [p.name for p in companies.get(db, c.id).people] == ["Ada Lovelace"]
    page = companies.list_companies(db)
    assert {(s.name, s.contacts) for s in page.items} == {("acme corporation", 0), ("Globex", 1)}


def test_renaming_a_company_updates_its_peoples_search(db):
    c = companies.create(db, CompanyInput("Initech"))
    ada = contacts.create(db, ContactInput("Ada Lovelace", company="Initech"))
    assert [s.id for s in contacts.search(db, "company:initech").items] == [ada.id]
    companies.update(db, c.id, {"name": "Intertrode"})
    assert contacts.search(db, "initech").total == 0
    assert [s.id for s in contacts.search(db, "company:intertrode").items] == [ada.id]
    assert contacts.list_contacts(db).items[0].company == "Intertrode"


def test_delete_keeps_the_people(db):
    c = companies.create(db, acme())
    ada = contacts.create(db, ContactInput("Ada Lovelace", company="Acme Corporation"))
    gone = companies.delete(db, c.id)
    assert gone.name == "Acme Corporation" and [p.id for p in gone.people] == [ada.id]
    assert contacts.get(db, ada.id).company is None
    assert contacts.search(db, "acme").total == 0
    assert [t.name for t in contacts.list_tags(db)] == [], "its tags went with it"
    with pytest.raises(NotFound):
        companies.delete(db, c.id)


def test_list_pages_and_tags(db):
    with db.write() as tx:
        for i in range(23):
            companies.insert(tx, CompanyInput(f"Company {i:02d}", tags=["odd"] if i % 2 else []))
    page = companies.list_companies(db)
    assert (len(page.items), page.total, page.more) == (20, 23, True)
    assert [c.name for c in companies.list_companies(db, offset=20).items] == [
        "Company 20",
        "Company 21",
        "Company 22",
    ]
    assert len(companies.list_companies(db, limit=None).items) == 23
    assert companies.list_companies(db, tag="ODD").total == 11


def test_demo_companies_have_domains(db):
    counts = demo.populate(db, contacts_n=30, interactions_per_contact=1)
    assert counts["contacts"] == 30
    page = companies.list_companies(db, limit=None)
    assert len(page.items) == len(demo.COMPANIES)
    assert {(c.name, c.domain) for c in page.items} == set(demo.COMPANIES)
    # people's work addresses use their company's domain
    people = contacts.list_contacts(db, limit=None).items
    domains = dict(demo.COMPANIES)
    for p in people:
        if p.company:
            assert p.email.endswith("@" + domains[p.company])
