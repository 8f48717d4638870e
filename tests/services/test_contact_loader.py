"""One contact loader for every reader: lists, show, export, duplicates and the search index read contacts
through ``load_many`` at the detail they need. On both stores."""

from dataclasses import fields
from pathlib import Path

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from tinycrm.domain.errors import InvalidInput, NotFound
from tinycrm.domain.people import Address, ContactInput, ContactRead, ContactSummary, Labeled
from tinycrm.formats.records import ContactData
from tinycrm.services.interchange import files, importing
from tinycrm.services.people import contact_loader, contacts

FIXTURES = Path(__file__).parent.parent / "fixtures" / "vcards"


def _people(db) -> list[int]:
    """Contacts with everything: lists, tags, custom fields, a company, and from vCards the properties kept
    verbatim and photos."""
    made = [
        contacts.create(
            db,
            ContactInput(
                "Ada Lovelace",
                emails=[Labeled("ada@example.com", "work"), Labeled("ada@home.example.org")],
                phones=[Labeled("+44 20 7946 0000", "mobile"), Labeled("020 7946 0001")],
                addresses=[Address(label="home", street="12 St James's Square", locality="London")],
                company="Analytical Engines",
                company_role="decision maker",
                job_title="Countess",
                birthday="1815-12-10",
                notes="Met at the Royal Society.\nWrote the first program.",
                tags=["vip", "Friend"],
                fields={"source": "conference", "dept": "R&D"},
                cadence_days=30,
            ),
        ).id,
        contacts.create(db, ContactInput("Bob")).id,
    ]
    cards = [FIXTURES / "v40_features.vcf", FIXTURES / "v21_base64_photo.vcf"]
    importing.import_vcards(db, files.sources([str(f) for f in cards], None, suffixes=(".vcf",)))
    contacts.archive(db, made[1])
    with db.read() as tx:
        return tx.column("SELECT id FROM contacts ORDER BY id")


def test_export_detail_is_everything_an_export_writes(db):
    """``detail="export"`` (what every export and import reads) gives each stored value, the kept vCard
    properties and the photo: in the order asked for, duplicates kept, missing contacts left out."""
    ids = _people(db)
    assert len(ids) >= 4
    with db.read() as tx:
        kept = set(tx.column("SELECT DISTINCT contact_id FROM contact_extras"))
        photos = {
            r["contact_id"]: bytes(r["data"]) for r in tx.all("SELECT contact_id, data FROM contact_photos")
        }
        assert kept and photos, "the fixtures bring vCard properties and a photo"
        asked = [*reversed(ids), 4242, ids[0]]
        loaded = contact_loader.load_many(tx, asked, detail="export")
    assert [c.id for c in loaded] == [*reversed(ids), ids[0]]
    assert all(isinstance(c, ContactData) for c in loaded)
    ada = loaded[-1]
    assert (ada.display_name, ada.company, ada.company_role, ada.job_title) == (
        "Ada Lovelace",
        "Analytical Engines",
        "decision maker",
        "Countess",
    )
    assert ada.emails == [Labeled("ada@example.com", "work"), Labeled("ada@home.example.org")]
    assert ada.phones == [Labeled("+44 20 7946 0000", "mobile"), Labeled("020 7946 0001")]
    assert [(a.label, a.street, a.locality) for a in ada.addresses] == [
        ("home", "12 St James's Square", "London")
    ]
    assert str(ada.birthday) == "1815-12-10" and ada.cadence_days == 30 and ada.notes.startswith("Met at")
    assert sorted(ada.tags, key=str.casefold) == ["Friend", "vip"]
    assert ada.fields == {"dept": "R&D", "source": "conference"}
    by_id = {c.id: c for c in loaded}
    assert all(by_id[i].extras for i in kept), "every contact with kept properties gets them"
    assert {i: by_id[i].photo.data for i in photos} == photos


def test_full_detail_is_contact_show(db):
    ids = _people(db)
    with db.read() as tx:
        full = contact_loader.load_many(tx, ids, detail="full")
        export = {c.id: c for c in contact_loader.load_many(tx, ids, detail="export")}
    assert full == [contacts.get(db, i) for i in ids]
    assert all(isinstance(c, ContactRead) for c in full)
    # what a shown contact and an exported one have in common is the same
    shared = ({f.name for f in fields(ContactRead)} & {f.name for f in fields(ContactData)}) - {"company"}
    assert len(shared) == 18
    for c in full:
        e = export[c.id]
        assert {k: getattr(c, k) for k in shared} == {k: getattr(e, k) for k in shared}
        assert (c.company.name if c.company else None) == e.company, "a reference there, a name here"


def test_summary_detail_is_a_list_row(db):
    ids = _people(db)
    with db.read() as tx:
        rows = contact_loader.load_many(tx, ids, detail="summary")
        full = contact_loader.load_many(tx, ids, detail="full")
    assert all(isinstance(r, ContactSummary) for r in rows)
    for row, c in zip(rows, full, strict=True):
        assert row == ContactSummary(
            id=c.id,
            display_name=c.display_name,
            company=c.company.name if c.company else None,
            email=c.emails[0].value if c.emails else None,
            phone=c.phones[0].value if c.phones else None,
            tags=c.tags,
            archived=c.archived,
            job_title=c.job_title,
        )


def test_index_detail_builds_the_search_documents(db):
    """The search index takes its documents from the loader: the normalised words of each field."""
    ids = _people(db)
    with db.read() as tx:
        docs = contact_loader.index_documents(tx, [*ids, 4242])
    assert set(docs) == set(ids), "a contact that does not exist has no document"
    ada = docs[ids[0]]
    assert ada["name"] == "ada lovelace ada lovelace"
    assert sorted(ada["email"].split()) == sorted("ada example com ada home example org".split())
    assert "442079460000" in ada["phone"].split() and "02079460001" in ada["phone"].split()
    assert ada["company"] == "analytical engines countess decision maker"
    assert "royal society" in ada["notes"] and "r d" in ada["notes"] and "conference" in ada["notes"]
    assert sorted(ada["tags"].split()) == ["friend", "vip"]
    assert docs[ids[1]]["email"] == docs[ids[1]]["tags"] == "", "Bob has no email and no tag"


def test_reindex_follows_every_change_and_rebuilds_from_the_loader(db):
    ids = _people(db)
    with db.write() as tx:
        tx.db.search.clear(tx)
    assert contacts.search(db, "lovelace").total == 0
    with db.write() as tx:
        assert contact_loader.reindex_all(tx) == len(ids)
    assert [c.id for c in contacts.search(db, "lovelace").items] == [ids[0]]
    contacts.update(db, ids[0], {"display_name": "Augusta King"})
    assert contacts.search(db, "lovelace").total == 0 and contacts.search(db, "augusta").total == 1


def test_many_contacts_take_a_fixed_number_of_rounds(db):
    """More than one round of queries (500 contacts a round): every contact comes back, in order."""
    with db.write() as tx:
        ids = contacts.insert_many(
            tx, [ContactInput(f"Person {i:04d}", emails=[Labeled(f"p{i}@example.com")]) for i in range(1100)]
        )
    asked = list(reversed(ids))
    with db.read() as tx:
        rows = contact_loader.load_many(tx, asked, detail="summary")
        docs = contact_loader.index_documents(tx, asked)
    assert [r.id for r in rows] == asked and rows[0].email == "p1099@example.com"
    assert len(docs) == 1100


def test_one_contact_and_bad_details(db):
    with pytest.raises(NotFound, match="no contact with id 7"):
        contacts.get(db, 7)
    with db.read() as tx:
        assert contact_loader.load_many(tx, [], detail="summary") == []
        with pytest.raises(InvalidInput, match="unknown contact detail 'everything'"):
            contact_loader.load_many(tx, [1], detail="everything")  # type: ignore[call-overload]
