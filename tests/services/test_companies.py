"""Companies through the service layer, on both stores: the record, references, changes, deletion, and the
people who work there (their search follows the company's name)."""

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from tinycrm.domain.errors import Ambiguous, Conflict, InvalidInput, NotFound
from tinycrm.domain.people import CompanyInput, CompanyRead, ContactInput, Ref
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
    assert companies.resolve(db, f"#{g.id}") == g.id
    assert companies.resolve(db, "acme.com") == a.id
    assert companies.resolve(db, "ACMELABS.IO") == b.id
    assert companies.resolve(db, "https://www.acme.com/contact") == a.id
    assert companies.resolve(db, "acme corporation") == a.id
    assert companies.resolve(db, "  ACME   Corporation ") == a.id
    assert companies.resolve(db, "glob") == g.id
    assert companies.resolve(db, "corpor") == a.id, "a fragment only one name has"
    with pytest.raises(Ambiguous) as info:
        companies.resolve(db, "acme")
    assert info.value.message == (
        f"'acme' matches 2 companies: Acme Corporation (id {a.id}, acme.com), "
        f"Acme Labs (id {b.id}, acmelabs.io); give an id or a domain"
    )
    assert info.value.exit_code == 2
    for ref in ("initech", "999", "#999", "99999999999999999999", "²", "initech.com"):
        with pytest.raises(NotFound):
            companies.resolve(db, ref)
    with pytest.raises(InvalidInput):
        companies.resolve(db, " ")


def test_an_exact_name_wins_over_fragments(db):
    short = companies.create(db, CompanyInput("Acme"))
    companies.create(db, CompanyInput("Acme Labs"))
    assert companies.resolve(db, "ACME") == short.id


def test_a_reference_that_names_no_company_creates_one_only_when_it_is_a_new_name(db):
    a = companies.create(db, CompanyInput("Acme Corp", domain="acme.com"))
    added: list[Ref] = []
    with db.write() as tx:
        for ref in ("acme", "Acme.com", str(a.id), f"#{a.id}", "acme corp", "CORP"):
            assert companies.resolve_ref(tx, ref, create=True, on_create=added.append).id == a.id, ref
    assert companies.list_companies(db).total == 1 and added == []
    with db.write() as tx:
        made = companies.resolve_ref(tx, "Initech", create=True, on_create=added.append)
        assert companies.resolve_ref(tx, "initech", create=True, on_create=added.append) == made
    assert added == [made] and made.name == "Initech" and companies.get(db, made.id).name == "Initech"
    assert companies.list_companies(db).total == 2


@pytest.mark.parametrize(
    ("ref", "words"),
    [
        (
            "999",
            "no company with id 999; list them with: crm company list, or add one with: "
            "crm company add NAME --domain D",
        ),
        (
            "initech.io",
            "no company has the domain initech.io; add it with: crm company add NAME --domain initech.io",
        ),
    ],
)
def test_an_id_or_a_domain_that_names_no_company_is_an_error_with_a_hint(db, ref, words):
    companies.create(db, CompanyInput("Acme Corp", domain="acme.com"))
    with pytest.raises(NotFound) as info, db.write() as tx:
        companies.resolve_ref(tx, ref, create=True)
    assert str(info.value) == words and info.value.exit_code == 2
    assert info.value.message == words.split(";")[0]
    with pytest.raises(NotFound):
        contacts.create(db, ContactInput("Ada", company=ref))
    assert companies.list_companies(db).total == 1 and contacts.list_contacts(db).total == 0


def test_contacts_name_their_company_by_reference(db):
    """``--company acme`` (or ``acme.com``, or ``2``) is Acme Corp, not a new company called "acme"."""
    a = companies.create(db, CompanyInput("Acme Corp", domain="acme.com"))
    for ref in ("acme", "acme.com", str(a.id), "ACME CORP"):
        c = contacts.create(db, ContactInput(f"Person {ref}", company=ref))
        assert c.company == Ref(a.id, "Acme Corp"), ref
    added: list[Ref] = []
    ada = contacts.create(db, ContactInput("Ada", company="acme"), on_new_company=added.append)
    moved = contacts.update(db, ada.id, {"company": "acme.com"}, on_new_company=added.append)
    assert moved.company == Ref(a.id, "Acme Corp")
    assert companies.list_companies(db).total == 1 and added == []
    new = contacts.update(db, ada.id, {"company": "Initech"}, on_new_company=added.append)
    assert added == [new.company] and new.company.name == "Initech"
    bob = contacts.create(db, ContactInput("Bob", company="Globex"), on_new_company=added.append)
    assert added == [new.company, bob.company] and companies.list_companies(db).total == 3
    assert contacts.update(db, ada.id, {"company": None}).company is None


def test_an_ambiguous_company_reference_changes_nothing(db):
    companies.create(db, CompanyInput("Acme Corp", domain="acme.com"))
    companies.create(db, CompanyInput("Acme Labs", domain="acmelabs.io"))
    ada = contacts.create(db, ContactInput("Ada"))
    with pytest.raises(Ambiguous, match="matches 2 companies: Acme Corp .*Acme Labs"):
        contacts.create(db, ContactInput("Bob", company="acme"))
    with pytest.raises(Ambiguous):
        contacts.update(db, ada.id, {"company": "acme", "job_title": "Countess"})
    assert contacts.get(db, ada.id) == ada
    assert contacts.list_contacts(db).total == 1 and companies.list_companies(db).total == 2


def test_contact_lists_filter_by_company_reference(db):
    a = companies.create(db, CompanyInput("Acme Corp", domain="acme.com"))
    ada = contacts.create(db, ContactInput("Ada Lovelace", company="Acme Corp"))
    contacts.create(db, ContactInput("Bob", company="Globex"))
    for ref in ("acme", "acme.com", str(a.id)):
        assert [c.id for c in contacts.list_contacts(db, company=ref).items] == [ada.id], ref
        assert [c.id for c in contacts.search(db, "ada", company=ref).items] == [ada.id], ref
    with pytest.raises(NotFound):
        contacts.list_contacts(db, company="initech")


def test_imports_keep_matching_company_names_exactly(db):
    """Records from files name a company by its name: a new name is a new company, never a fragment match."""
    a = companies.create(db, CompanyInput("Acme Corp", domain="acme.com"))
    with db.write() as tx:
        ids = contacts.insert_many(
            tx, [ContactInput("Ada", company="Acme"), ContactInput("Bob", company="acme corp")]
        )
    ada, bob = (contacts.get(db, i) for i in ids)
    assert bob.company.id == a.id
    assert ada.company.name == "Acme" and ada.company.id != a.id


def test_a_domain_belongs_to_one_company(db):
    a = companies.create(db, CompanyInput("Acme Corp", domain="acme.com"))
    g = companies.create(db, CompanyInput("Globex", domain="globex.com"))
    for attempt in (
        lambda: companies.create(db, CompanyInput("Acme Again", domain="https://www.ACME.com/")),
        lambda: companies.update(db, g.id, {"domain": "acme.com"}),
    ):
        with pytest.raises(InvalidInput) as info:
            attempt()
        assert str(info.value) == (
            f"acme.com is the domain of Acme Corp (id {a.id}) already; change that one with: "
            f"crm company edit {a.id}"
        )
        assert info.value.message == f"acme.com is the domain of Acme Corp (id {a.id}) already"
        assert info.value.exit_code == 2 and info.value.field == "domain"
    assert companies.list_companies(db).total == 2
    assert companies.get(db, g.id).domain == "globex.com" and companies.get(db, g.id).version == 1
    assert companies.update(db, a.id, {"domain": "acme.com", "notes": "ok"}).version == 2, "its own domain"


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


def test_a_contacts_own_company_name_is_no_change(db):
    """A form gives back the company's name as it shows it: that is no change, even for a name that would
    resolve as something else (an id, here)."""
    ada = contacts.create(db, ContactInput("Ada"))
    with db.write() as tx:
        c = companies.insert(tx, CompanyInput("1999"))
        tx.execute("UPDATE contacts SET company_id = :c WHERE id = :i", {"c": c, "i": ada.id})
    ada = contacts.get(db, ada.id)
    kept = contacts.update(db, ada.id, {"company": "1999", "job_title": "Countess"})
    assert kept.company == ada.company and kept.job_title == "Countess"
    with pytest.raises(NotFound, match="no company with id 1999"):
        contacts.update(db, ada.id, {"company": "#1999"})


def test_list_companies_by_a_piece_of_name_or_domain(db):
    companies.create(db, CompanyInput("Acme Corporation", domain="acme.com"))
    companies.create(db, CompanyInput("Globex", domain="globex.example"))
    companies.create(db, CompanyInput("100% Pure_Cotton"))
    assert [c.name for c in companies.list_companies(db, query="ACME").items] == ["Acme Corporation"]
    assert [c.name for c in companies.list_companies(db, query="example").items] == ["Globex"]
    assert [c.name for c in companies.list_companies(db, query="0% p").items] == ["100% Pure_Cotton"]
    assert companies.list_companies(db, query="%").total == 1  # taken literally
    assert companies.list_companies(db, query="_").total == 1
    assert companies.list_companies(db, query="  ").total == 3


def test_names_lists_companies_by_name_as_the_list_does(db):
    for name in ("Zeta GmbH", "acme", "Émile & Co", "Beta"):
        companies.create(db, CompanyInput(name=name))
    listed = [c.name for c in companies.list_companies(db, limit=3).items]
    assert companies.names(db, limit=3) == listed
    assert len(companies.names(db)) == 4
