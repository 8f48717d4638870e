"""What a mail client's address book needs from the services: every email address of the contacts found, and a
search among the contacts that have one."""

from __future__ import annotations

from tinycrm.domain.people import ContactInput, Labeled
from tinycrm.services.people import addressbook, contact_search, contacts


def _add(db, name: str, *emails: Labeled) -> int:  # noqa: ANN001
    return contacts.create(db, ContactInput(name, emails=list(emails))).id


def test_every_address_first_one_first_by_contact(db):
    ada = _add(db, "Ada Lovelace", Labeled("ada@example.com", "work"), Labeled("ada@home.example", "home"))
    grace = _add(db, "Grace Hopper", Labeled("grace@example.com"))
    nobody = _add(db, "No Address")
    got = addressbook.emails_of(db, [grace, nobody, ada, 999_999])
    assert got == {
        ada: [Labeled("ada@example.com", "work"), Labeled("ada@home.example", "home")],
        grace: [Labeled("grace@example.com")],
    }
    assert addressbook.emails_of(db, []) == {}


def test_more_contacts_than_one_query_takes(db):
    with db.write() as tx:
        ids = [
            contacts.insert(tx, ContactInput(f"Person {i}", emails=[Labeled(f"p{i}@example.com")]))
            for i in range(addressbook.CHUNK + 20)
        ]
    got = addressbook.emails_of(db, ids)
    assert len(got) == len(ids) and got[ids[-1]] == [Labeled(f"p{len(ids) - 1}@example.com")]


def test_search_with_email_leaves_out_contacts_without_one(db):
    _add(db, "Ada Lovelace", Labeled("ada@example.com"))
    _add(db, "Adam Smith")
    assert {c.display_name for c in contact_search.search(db, "ada").items} == {"Ada Lovelace", "Adam Smith"}
    page = contact_search.search(db, "ada", with_email=True)
    assert [c.display_name for c in page.items] == ["Ada Lovelace"] and page.total == 1
    page = contact_search.list_contacts(db, with_email=True)
    assert [c.display_name for c in page.items] == ["Ada Lovelace"] and page.total == 1
