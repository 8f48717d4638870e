"""Adding many contacts at once (``contacts.insert_many``, what imports use), on SQLite and PostgreSQL: the same
stored result as adding them one by one, everything checked before anything is written, and an import that
reports a bad record and stores the rest of its batch."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path

import pytest

from tinycrm.domain.errors import Conflict, InvalidInput
from tinycrm.domain.people import Address, ContactInput, Labeled
from tinycrm.services import demo
from tinycrm.services.interchange.contactdata import BATCH
from tinycrm.services.interchange.files import sources
from tinycrm.services.interchange.importing import ImportReport, import_vcards
from tinycrm.services.people import contact_loader, contacts
from tinycrm.store.database import open_db


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setenv("TINYCRM_NOW", "2026-05-04T09:00:00+00:00")
    monkeypatch.setenv("TZ", "UTC")


def people() -> list[ContactInput]:
    """A mixed lot: full records, names only, a name made from an email address, one company spelt three
    ways, tags differing in case, a contact archived, one owned by its actor, one without a UID."""
    out = [
        ContactInput(
            display_name="Ada Lovelace",
            emails=[Labeled("ada@example.com", "Work"), Labeled("ADA@example.com")],
            phones=[Labeled("+44 20 7946 0000", "mobile"), Labeled("+44 (20) 7946-0000")],
            addresses=[
                Address(label="home", street="12 St James's Square", locality="London", country="UK"),
                Address(label="empty"),
            ],
            birthday="1815-12-10",
            job_title="Analyst",
            company="Analytical Engines",
            company_role="decision maker",
            notes="Met at the Royal Society.",
            tags=["VIP", "friend"],
            fields={"source": "conference"},
            cadence_days=30,
            uid="urn:uuid:ada",
        ),
        ContactInput(display_name="Charles Babbage", company="analytical  engines", tags=["vip"], uid="cb"),
        ContactInput(given_name="Mary", family_name="Somerville", company="ANALYTICAL ENGINES", uid="ms"),
        ContactInput(emails=[Labeled("nameless@example.org")], uid="nameless"),
        ContactInput(
            display_name="Ludwig van Beethoven",
            archived=True,
            owner="tester",
            uid="lvb",
            tags=["Friend", "composer"],
        ),
        ContactInput(display_name="山田太郎", company="Sakura Studio", fields={"kanji": "yes"}, uid="yt"),
        ContactInput(display_name="No Uid Person", phones=[Labeled("030 1234567", "work")]),
    ]
    out.extend(dataclasses.replace(d, uid=f"demo-{i}") for i, d in enumerate(demo.people(40, seed=3)))
    return out


def stored(url: str) -> dict:
    """Everything stored about the contacts, keyed by display name, without ids and generated UIDs."""
    db = open_db(url)
    try:
        with db.read() as tx:
            ids = tx.column("SELECT id FROM contacts ORDER BY id")
            companies = sorted(tx.column("SELECT name FROM companies"))
            tags = sorted(tx.column("SELECT name FROM tags"))
            audit = Counter(
                (r["action"], r["record_type"], r["user_name"], str(r["at"]), r["changes"])
                for r in tx.all("SELECT action, record_type, user_name, at, changes FROM audit_log")
            )
        out = {}
        for cid in ids:
            c = contacts.get(db, cid)
            read = {k: getattr(c, k) for k in c.__dataclass_fields__ if k not in ("id", "company")}
            read["company"] = c.company.name if c.company else None
            if c.display_name == "No Uid Person":
                read.pop("uid")
            out[c.display_name + ("" if c.display_name not in out else f" #{cid}")] = read
        found = {
            q: [s.display_name for s in contacts.search(db, q, archived=None).items]
            for q in ("ada", "analytical", "tag:vip", "friend", "1234567", "山田", "email:example", "lon")
        }
        return {"contacts": out, "companies": companies, "tags": tags, "audit": audit, "search": found}
    finally:
        db.close()


def test_insert_many_stores_what_insert_stores(store_url, other_url):
    lot = people()
    one_by_one = open_db(store_url)
    with one_by_one.write() as tx:
        singles = [contacts.insert(tx, c) for c in lot]
    one_by_one.close()
    bulk = open_db(other_url)
    with bulk.write() as tx:
        ids = contacts.insert_many(tx, lot)
    with bulk.read() as tx:
        by_uid = {r["uid"]: r["id"] for r in tx.all("SELECT id, uid FROM contacts")}
    bulk.close()
    assert len(ids) == len(set(ids)) == len(lot) == len(singles)
    assert [by_uid[c.uid] for c in lot if c.uid] == [i for i, c in zip(ids, lot, strict=True) if c.uid]
    a, b = stored(store_url), stored(other_url)
    assert a["contacts"] == b["contacts"]
    assert a == b
    # the spelling first given names a new company or tag, as when added one by one
    assert "Analytical Engines" in b["companies"] and "VIP" in b["tags"] and "friend" in b["tags"]
    assert len([n for n in b["companies"] if n.casefold().split() == ["analytical", "engines"]]) == 1


def test_ids_come_back_in_the_order_given_beyond_one_statement(db):
    lot = [ContactInput(f"Person {n:04d}", uid=f"p-{n:04d}") for n in range(contacts.CHUNK * 2 + 37)][::-1]
    with db.write() as tx:
        ids = contacts.insert_many(tx, lot, refresh_index=False)
    with db.read() as tx:
        uid_of = {r["id"]: r["uid"] for r in tx.all("SELECT id, uid FROM contacts")}
        audited = tx.scalar(
            "SELECT count(*) FROM audit_log WHERE action = 'create' AND record_type = 'contact'"
        )
    assert [uid_of[i] for i in ids] == [c.uid for c in lot]
    assert audited == len(lot)
    assert contacts.search(db, "Person").total == 0, "refresh_index=False: the caller refreshes the index"
    with db.write() as tx:
        contact_loader.reindex(tx, ids)
    assert contacts.search(db, "Person").total == len(lot)


def count_rows(db) -> dict[str, int]:
    with db.read() as tx:
        return {
            t: tx.scalar(f"SELECT count(*) FROM {t}")
            for t in ("contacts", "contact_emails", "companies", "tags", "contact_tags", "audit_log")
        }


BAD = [
    (ContactInput("Fine"), ContactInput("x" * 401), InvalidInput),
    (
        ContactInput("Fine", emails=["ok@example.com"]),
        ContactInput("Bad", emails=["not-an-email"]),
        InvalidInput,
    ),
    (ContactInput("Fine", uid="same"), ContactInput("Twin", uid="same"), Conflict),
    (ContactInput("Fine", company="New Co"), ContactInput("Stranger", owner="nobody"), InvalidInput),
]


@pytest.mark.parametrize("good,bad,error", BAD)
def test_insert_many_checks_every_input_before_writing(db, good, bad, error):
    before = count_rows(db)
    with pytest.raises(error), db.write() as tx:
        contacts.insert_many(tx, [good, ContactInput("Tagged", tags=["new-tag"]), bad])
    assert count_rows(db) == before
    # one by one: the same error for the same input
    with db.write() as tx:
        contacts.insert(tx, good)
    with pytest.raises(error), db.write() as tx:
        contacts.insert(tx, bad)


def test_a_stored_uid_is_a_conflict_and_nothing_is_written(db):
    contacts.create(db, ContactInput("Ada", uid="urn:uuid:1"))
    before = count_rows(db)
    with pytest.raises(Conflict, match="urn:uuid:1 exists already"), db.write() as tx:
        contacts.insert_many(
            tx,
            [
                ContactInput("New One", company="Brand New", tags=["fresh"]),
                ContactInput("Other Ada", uid=" urn:uuid:1 "),
            ],
        )
    assert count_rows(db) == before


def test_prepared_inputs_are_stored_as_prepared(db):
    p = contacts.prepare(ContactInput("Grace Hopper", emails=[Labeled("grace@example.com", "WORK")]))
    assert (p.values["given_name"], p.values["family_name"]) == ("Grace", "Hopper")
    assert p.values["emails"] == [Labeled("grace@example.com", "work")]
    with db.write() as tx:
        [cid] = contacts.insert_many(tx, [p])
    c = contacts.get(db, cid)
    assert (c.uid, c.display_name, c.emails) == (p.uid, "Grace Hopper", p.values["emails"])
    with pytest.raises(InvalidInput):
        contacts.prepare(ContactInput(""))
    with db.write() as tx:
        assert contacts.insert_many(tx, []) == []


# --- imports --------------------------------------------------------------------------------------------


def card(uid: str | None, name: str, *extra: str) -> str:
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        *([f"UID:{uid}"] if uid else []),
        f"FN:{name}",
        *extra,
        "END:VCARD",
    ]
    return "\n".join(lines) + "\n"


def import_file(db, tmp_path: Path, text: str, *, batch: int = BATCH) -> ImportReport:
    f = tmp_path / "cards.vcf"
    f.write_text(text, encoding="utf-8")
    return import_vcards(db, sources([str(f)], None, suffixes=(".vcf",)), batch=batch)


def test_an_import_reports_bad_cards_and_stores_the_rest_of_their_batch(db, tmp_path):
    text = (
        card("c-1", "Fine One", "ORG:Acme", "CATEGORIES:client")
        + card("c-2", "x" * 500)
        + card("c-3", "Fine Three", "EMAIL:three@example.com")
        + card("c-4", "Long Title", "TITLE:" + "t" * 400)
        + card("c-5", "Fine Five", "ORG:acme")
    )
    report = import_file(db, tmp_path, text)
    assert (report.created, report.failed) == (3, 2)
    assert ["record 2" in p.where for p in report.errors] == [True, False]
    assert "record 4" in report.errors[1].where and "job title is 400 characters" in report.errors[1].message
    with db.read() as tx:
        assert sorted(tx.column("SELECT uid FROM contacts")) == ["c-1", "c-3", "c-5"]
        assert tx.column("SELECT name FROM companies") == ["Acme"]
    assert [s.display_name for s in contacts.search(db, "fine").items] == [
        "Fine Five",
        "Fine One",
        "Fine Three",
    ]


def test_a_uid_conflict_inside_a_batch_is_reported_for_its_card_alone(db, tmp_path):
    """Two cards whose UIDs differ only in spacing are the same UID once stored: the database refuses the
    batch, so its new contacts are stored one at a time and only the second card fails."""
    contacts.create(db, ContactInput("Stored Already", uid="s 1"))
    text = (
        card("n-1", "New One")
        + card("d  1", "Dup First")
        + card("n-2", "New Two", "ORG:Initech")
        + card("d 1", "Dup Second")
        + card("s  1", "Clashes With Stored")
        + card("n-3", "New Three", "CATEGORIES:vip")
    )
    report = import_file(db, tmp_path, text, batch=4)
    assert (report.created, report.updated, report.failed) == (4, 0, 2), report.errors
    assert [
        (p.where.split(": ")[1].split(" (")[0], "exists already" in p.message) for p in report.errors
    ] == [
        ("record 4", True),
        ("record 5", True),
    ]
    with db.read() as tx:
        assert sorted(tx.column("SELECT display_name FROM contacts")) == [
            "Dup First",
            "New One",
            "New Three",
            "New Two",
            "Stored Already",
        ]
        imports = [
            json.loads(c)
            for c in tx.column("SELECT changes FROM audit_log WHERE action = 'import' ORDER BY id")
        ]
    assert [(i.get("created", [0, 0])[1], i.get("failed", [0, 0])[1]) for i in imports] == [(3, 1), (1, 1)]
    assert contacts.search(db, "new").total == 3


def test_a_second_card_with_the_uid_of_a_new_one_updates_it(db, tmp_path):
    text = (
        card("u-1", "First Version", "TITLE:Engineer") + card("u-2", "Other") + card("u-1", "Second Version")
    )
    report = import_file(db, tmp_path, text)
    assert (report.created, report.updated, report.failed) == (2, 1, 0)
    c = contacts.get(db, contacts.resolve(db, "Second Version"))
    assert (c.uid, c.display_name) == ("u-1", "Second Version")
    assert contacts.search(db, "first").total == 0
    again = import_file(db, tmp_path, text)
    assert (again.created, again.failed) == (0, 0)


def test_a_large_import_matches_one_by_one_inserts(db, tmp_path, other_url):
    """Several batches through the import store exactly what contacts.insert stores for the same cards."""
    from tinycrm.formats.records import ContactData
    from tinycrm.formats.vcard import VCardReader, write_card

    lot = list(demo.people(120, seed=5))
    text = "".join(
        write_card(
            ContactData(
                uid=f"big-{i}",
                display_name=p.display_name or "",
                given_name=p.given_name,
                family_name=p.family_name,
                job_title=p.job_title,
                company=p.company,
                company_role=p.company_role,
                birthday=p.birthday,
                notes=p.notes,
                emails=p.emails,
                phones=p.phones,
                addresses=p.addresses,
                tags=p.tags,
                fields=p.fields,
                cadence_days=p.cadence_days,
            )
        )
        for i, p in enumerate(lot)
    )
    report = import_file(db, tmp_path, text, batch=50)
    assert (report.created, report.failed) == (120, 0)
    other = open_db(other_url)
    with (tmp_path / "cards.vcf").open("rb") as fh, other.write() as tx:
        for item in VCardReader(fh, "cards.vcf"):
            contacts.insert(tx, item.record.contact)
    other.close()
    a, b = stored(db.url), stored(other_url)
    assert a["contacts"] == b["contacts"] and a["companies"] == b["companies"] and a["search"] == b["search"]


def test_a_uid_stored_by_someone_else_meanwhile_fails_its_card_alone(db, tmp_path):
    """PostgreSQL: another session stores a card's UID after this import looked (its INSERT waits for the
    other transaction, then the database refuses it): the batch's new contacts are stored one at a time."""
    if db.is_sqlite:
        pytest.skip("SQLite runs one writer at a time: no other session can store a UID meanwhile")
    import threading
    import time

    import psycopg

    from tinycrm.store.database import pg_conninfo

    text = card("r-0", "Before") + card("race-1", "Racer Card") + card("r-2", "After", "ORG:Hooli")
    info = pg_conninfo(db.url)
    with psycopg.connect(info) as other, psycopg.connect(info, autocommit=True) as look:
        other.execute(
            "INSERT INTO contacts (uid, display_name, sort_name, archived, created_at, updated_at, version) "
            "VALUES ('race-1', 'Racer Elsewhere', 'racer elsewhere', false, now(), now(), 1)"
        )
        result: dict = {}
        worker = threading.Thread(target=lambda: result.update(report=import_file(db, tmp_path, text)))
        worker.start()
        for _ in range(200):  # until the import waits for the other session's row
            waiting = look.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            ).fetchone()[0]
            if waiting:
                break
            time.sleep(0.05)
        assert waiting, "the import never reached the INSERT"
        other.commit()
        worker.join(30)
    report = result["report"]
    assert (report.created, report.failed) == (2, 1)
    assert "record 2" in report.errors[0].where and "race-1 exists already" in report.errors[0].message
    with db.read() as tx:
        assert sorted(tx.column("SELECT display_name FROM contacts")) == [
            "After",
            "Before",
            "Racer Elsewhere",
        ]
    assert [s.display_name for s in contacts.search(db, "hooli").items] == ["After"]


def test_a_row_the_database_refuses_fails_its_card_alone(db, tmp_path):
    """Whatever the database refuses (here a trigger) rolls the batch's new contacts back to their savepoint;
    they are then stored one at a time, and only the refused card is reported."""
    with db.write() as tx:
        if db.is_sqlite:
            tx.execute(
                "CREATE TRIGGER refuse_one BEFORE INSERT ON contacts WHEN NEW.display_name = 'Refused' "
                "BEGIN SELECT RAISE(ABORT, 'refused by the database'); END"
            )
        else:
            tx.execute(
                "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.display_name = 'Refused' THEN RAISE EXCEPTION 'refused by the database'; END IF; "
                "RETURN NEW; END $$"
            )
            tx.execute(
                "CREATE TRIGGER refuse_one BEFORE INSERT ON contacts FOR EACH ROW "
                "EXECUTE FUNCTION refuse_one()"
            )
    text = "".join(
        card(f"t-{i}", "Refused" if i == 3 else f"Person {i}", "CATEGORIES:team") for i in range(6)
    )
    report = import_file(db, tmp_path, text)
    assert (report.created, report.failed) == (5, 1)
    assert "record 4" in report.errors[0].where and "refused by the database" in report.errors[0].message
    with db.read() as tx:
        assert tx.scalar("SELECT count(*) FROM contacts") == 5
        assert tx.scalar("SELECT count(*) FROM contact_tags") == 5
        assert tx.scalar("SELECT count(*) FROM audit_log WHERE action = 'create'") == 5
    assert contacts.search(db, "tag:team").total == 5
