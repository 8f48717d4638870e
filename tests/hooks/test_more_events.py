"""The events of leads, imports, archiving and tags: written in the transaction of the change, one summary
event per import (never one per row), none when nothing changed."""

from __future__ import annotations

import json

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from tinycrm.domain.leads import LeadInput
from tinycrm.domain.people import ContactInput
from tinycrm.services.interchange import files, importing
from tinycrm.services.leads import convert, records
from tinycrm.services.leads import importing as lead_importing
from tinycrm.services.people import contacts


def all_events(db) -> list[tuple[str, str, int, dict]]:  # noqa: ANN001
    with db.read() as tx:
        rows = tx.all("SELECT type, record_kind, record_id, payload FROM events ORDER BY id")
    return [(r["type"], r["record_kind"], r["record_id"], json.loads(r["payload"])) for r in rows]


def test_archive_and_tags_are_contact_updates(db):
    ada = contacts.create(db, ContactInput(display_name="Ada Lovelace"))
    contacts.archive(db, ada.id)
    contacts.archive(db, ada.id)  # archived already: nothing changed, no event
    contacts.archive(db, ada.id, archived=False)
    contacts.tag(db, [ada.id], ["vip"])
    contacts.tag(db, [ada.id], ["vip"])  # has it: no event
    contacts.untag(db, [ada.id], ["vip"])
    got = [(t, k, i) for t, k, i, _ in all_events(db)]
    assert got == [("contact.created", "contact", ada.id)] + [("contact.updated", "contact", ada.id)] * 4
    payloads = [p for *_, p in all_events(db)][1:]
    assert [p["archived"] for p in payloads] == [True, False, False, False]
    assert [p["tags"] for p in payloads] == [[], [], ["vip"], []]


def test_one_event_per_import_in_its_last_batch(db, tmp_path):
    cards = tmp_path / "people.vcf"
    cards.write_text(
        "".join(
            f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person {n}\r\nUID:p-{n}\r\nEND:VCARD\r\n" for n in range(5)
        ),
        encoding="utf-8",
    )
    source = files.sources([str(cards)], None, suffixes=(".vcf",))
    report = importing.import_vcards(db, source, batch=2)
    assert report.created == 5
    imports = [p for t, k, i, p in all_events(db) if t == "import.completed"]
    assert [t for t, *_ in all_events(db)] == ["import.completed"]  # no contact.created per row
    assert imports == [
        {
            "as": "contacts",
            "source": "vcard",
            "created": 5,
            "updated": 0,
            "unchanged": 0,
            "failed": 0,
            "duplicates": 0,
        }
    ]
    importing.import_vcards(db, files.sources([str(cards)], None, suffixes=(".vcf",)), batch=2)
    assert len(all_events(db)) == 1  # all unchanged the second time: nothing to tell

    rows = tmp_path / "leads.csv"
    rows.write_text(
        "Name,Email\nMae Jemison,mae@example.com\nSally Ride,sally@example.com\n", encoding="utf-8"
    )
    added = lead_importing.import_csv(db, files.sources([str(rows)], None, suffixes=(".csv",))[0], read={})
    assert len(added.added) == 2
    last = all_events(db)[-1]
    assert last[0] == "import.completed" and last[3]["as"] == "leads"
    assert (last[3]["created"], last[3]["skipped"], last[3]["lead_ids"]) == (2, 0, added.added)
    assert "lead.created" not in [t for t, *_ in all_events(db)]


def test_leads_tell_when_added_and_converted(db):
    lead = records.create(db, LeadInput(name="Katherine Johnson", email="kj@example.com"))
    convert.convert(db, lead.id, no_deal=True)
    got = [(t, i, p["status"]) for t, k, i, p in all_events(db) if k == "lead"]
    assert got == [("lead.created", lead.id, "new"), ("lead.converted", lead.id, "converted")]


def test_a_conversion_tells_of_the_contact_and_the_deal_it_made(db):
    lead = records.create(
        db, LeadInput(name="Dorothy Vaughan", email="dv@example.com", value="900", currency="EUR")
    )
    done = convert.convert(db, lead.id)
    got = [(t, k, i) for t, k, i, _ in all_events(db)]
    assert got[-3:] == [
        ("contact.created", "contact", done.contact_id),
        ("deal.created", "deal", done.deal_id),
        ("lead.converted", "lead", lead.id),
    ]
    again = records.create(db, LeadInput(name="Dorothy Vaughan", email="dv@example.com"))
    before = len(all_events(db))
    convert.convert(
        db, again.id, no_deal=True
    )  # the same email: the contact is reused, nothing new to tell of
    assert [t for t, *_ in all_events(db)[before:]] == ["lead.converted"]
