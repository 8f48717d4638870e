"""crm db copy: a whole database into an empty one and back -- SQLite -> PostgreSQL -> SQLite is identical:
counts, per-table checksums over normalised values, and every contact field by field."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crm_testkit import Cli
from tinycrm.domain.errors import Refused, StoreError
from tinycrm.domain.people import Address, CompanyInput, ContactInput, Labeled
from tinycrm.services.interchange import dbcopy
from tinycrm.services.people import companies, contacts, interactions
from tinycrm.services.team import users
from tinycrm.store import tables
from tinycrm.store.database import open_db

STAMP = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


def populate(db) -> None:
    """A little of everything, including values that differ in type or order between the stores."""
    db.actor = "tester"
    from tinycrm.services.hooks import delivery, registry

    registry.add(db, "https://hooks.example/in", ["*"])  # the outbox, a hook and its deliveries
    users.add(db, "bob", full_name="Bob Builder", email="bob@example.com", role="viewer")
    acme = companies.create(
        db,
        CompanyInput(
            "Acme GmbH",
            domain="acme.de",
            tags=["client", "Ärger"],
            fields={"vat": "DE1", "Zeta": "z", "alpha": "a", "_x": "x"},
        ),
    )
    zoe = contacts.create(
        db,
        ContactInput(
            "Zoë Müller",
            emails=[Labeled("zoe@acme.de", "work"), Labeled("zoe@home.example")],
            phones=[Labeled("+49 30 1234567", "mobile")],
            company_id=acme.id,
            company_role="buyer",
            addresses=[
                Address(label="work", street="Hauptstr. 1", locality="Köln", postcode="50667", country="DE")
            ],
            birthday="--12-10",
            notes="line one\nline two\ttabbed",
            tags=["vip", "Ärger"],
            fields={"Zeta": "1", "alpha": "2", "ärger": "3", "_": "4"},
            cadence_days=30,
        ),
    )
    contacts.create(
        db, ContactInput("Йосиф Бродский", emails=[Labeled("joseph@poets.ru")], birthday="1940-05-24")
    )
    contacts.create(db, ContactInput("山田太郎", company="東京商事", archived=True))
    ada = contacts.create(db, ContactInput("Ada Lovelace", owner="bob", job_title="Countess"))
    contacts.update(db, ada.id, {"notes": "edited", "add_phones": ["020 7946 0958"]})
    interactions.log(
        db, contact_ids=[zoe.id, ada.id], kind_="meeting", summary="Kick-off", when=STAMP, body="x" * 500
    )
    interactions.log(db, contact_ids=[zoe.id], kind_="call", summary="Follow-up")
    delivery.route(db)
    from tinycrm.services.team import accounts

    accounts.set_password(db, "bob", "correct horse battery staple")  # the web's accounts
    accounts.create_token(db, "bob", "invoicing", "read")
    with pytest.raises(accounts.SignInFailed):
        accounts.check_password(db, "bob", "wrong password")
    with db.write() as tx:
        stage = tx.one("SELECT id, pipeline_id FROM stages ORDER BY position LIMIT 1")
        bob = tx.scalar("SELECT id FROM users WHERE name = 'bob'")
        tx.execute(  # the customer portal: Zoe's links were withdrawn once
            "INSERT INTO portal_access (contact_id, generation, revoked_at) VALUES (:c, 1, :t)",
            {"c": zoe.id, "t": STAMP},
        )
        tx.execute(
            "INSERT INTO contact_photos (contact_id, media_type, data) VALUES (:c, 'image/png', :d)",
            {"c": zoe.id, "d": bytes(range(256)) * 3},
        )
        tx.execute(
            "INSERT INTO contact_extras (contact_id, position, name, params, value) "
            "VALUES (:c, 0, 'X-SOCIAL', 'TYPE=x', 'https://x.example/zoe')",
            {"c": zoe.id},
        )
        deal = tx.insert(
            "INSERT INTO deals (uid, title, value_e4, currency, pipeline_id, stage_id, status, expected_close, "
            "company_id, owner_id, created_at, updated_at, stage_entered_at, version) VALUES ('deal-1', 'Big one', "
            ":v, 'EUR', :p, :s, 'open', :close, :co, :o, :t, :t, :t, 3) RETURNING id",
            {
                "v": 12_345_678_901_234,
                "p": stage["pipeline_id"],
                "s": stage["id"],
                "close": date(2026, 12, 31),
                "co": acme.id,
                "o": bob,
                "t": STAMP,
            },
        )
        tx.execute(
            "INSERT INTO deal_contacts (deal_id, contact_id) VALUES (:d, :c)", {"d": deal, "c": zoe.id}
        )
        tx.execute(
            "INSERT INTO deal_stage_history (deal_id, from_stage_id, to_stage_id, status, changed_at, "
            "user_id) VALUES (:d, NULL, :s, 'open', :t, :o)",
            {"d": deal, "s": stage["id"], "t": STAMP, "o": bob},
        )
        tx.execute(
            "INSERT INTO tasks (uid, title, due_at, all_day, rrule, priority, contact_id, deal_id, owner_id, "
            "assignee_id, created_at, updated_at, version) VALUES ('task-1', 'Call back', :t, :ad, "
            "'FREQ=WEEKLY;BYDAY=MO', 2, :c, :d, :o, :o, :t, :t, 1)",
            {"t": STAMP, "ad": True, "c": zoe.id, "d": deal, "o": bob},
        )
        tx.execute(
            "INSERT INTO reminders_sent (user_name, item_key, item_state, sent_at) VALUES "
            "('bob', 'task:1', 'due', :t), ('Bob', 'Task:1', 'due', :t), ('bob', '_x', 's', :t)",
            {"t": STAMP},
        )
        tx.execute(  # mail in: a handled message, how far a folder was read (UIDs beyond 32 bits)
            "INSERT INTO mail_messages (message_id, kind, subject, from_address, refs, handled_at, source) "
            "VALUES ('a@b', 'interaction', 'Grüße', 'zoe@acme.de', '{\"interaction\": 1}', :t, 'stdin')",
            {"t": STAMP},
        )
        tx.execute(
            "INSERT INTO mail_fetch_state (account, folder, uidvalidity, last_uid, updated_at) "
            "VALUES ('default', 'INBOX', 4294967295, 4294967296, :t)",
            {"t": STAMP},
        )
        folder = tx.insert(  # vdir sync: a folder, a card in it, a conflict kept with the card's bytes
            "INSERT INTO sync_folders (path, kind, synced_at) VALUES ('/home/zoë/cards', 'contacts', :t) "
            "RETURNING id",
            {"t": STAMP},
        )
        tx.execute(
            "INSERT INTO sync_items (folder_id, file_name, record_type, record_id, uid, etag, mtime_ns, size, "
            "record_version) VALUES (:f, 'zoë.vcf', 'contact', :c, 'zoe-uid', :e, 1733400000123456789, 512, 2)",
            {"f": folder, "c": zoe.id, "e": "a" * 64},
        )
        tx.execute(
            "INSERT INTO sync_conflicts (folder_id, contact_id, file_name, card, etag, found_at) "
            "VALUES (:f, :c, 'zoë.vcf', :d, :e, :t)",
            {
                "f": folder,
                "c": zoe.id,
                "d": b"BEGIN:VCARD\r\nFN:Zo\xc3\xab\r\nEND:VCARD\r\n",
                "e": "b" * 64,
                "t": STAMP,
            },
        )
        form = tx.insert(  # a web form and a post from it
            "INSERT INTO web_forms (name, key, fields, redirect, tags, created_at) VALUES ('Kontakt', 'k3y', "
            "'[\"name\", \"email\"]', 'https://acme.de/danke', '[\"website\"]', :t) RETURNING id",
            {"t": STAMP},
        )
        tx.execute(
            "INSERT INTO web_form_posts (form_id, sender, at) VALUES (:f, :s, :t)",
            {"f": form, "s": "c" * 64, "t": STAMP},
        )
        tx.execute(  # a post waiting for its double opt-in confirmation
            "INSERT INTO web_form_optins (form_id, address_key, data, secret, link_base, state, attempts, "
            "next_at, created_at) VALUES (:f, 'zoe@example.com', '{\"name\": \"Zo\u00eb\"}', :s, "
            "'https://crm.acme.de', 'sent', 1, :t, :t)",
            {"f": form, "s": "d" * 43, "t": STAMP},
        )
        tx.execute(
            "INSERT INTO deal_close_history (deal_id, old_close, new_close, changed_at) VALUES (:d, NULL, :c, :t)",
            {"d": deal, "c": date(2026, 12, 31), "t": STAMP},
        )
        tx.execute(  # the deal's value before a change
            "INSERT INTO deal_value_history (deal_id, value_e4, currency, category, changed_at) "
            "VALUES (:d, 12345, 'EUR', 'commit', :t)",
            {"d": deal, "t": STAMP},
        )
        tx.execute("INSERT INTO lead_assignments (role, last_user_id) VALUES ('member', :b)", {"b": bob})
    from tinycrm.domain.leads import LeadInput
    from tinycrm.services.leads import records as leads

    lead = leads.create(
        db, LeadInput("Lee Ärger", email="lee@x.example", tags=["Ärger", "expo"], fields={"k": "v"}, value="5.5",
                      currency="EUR"),
    )  # fmt: skip
    leads.log(db, lead.id, kind="call", summary="first call")
    populate_marketing(db, zoe.id)
    populate_support(db, zoe.id)
    populate_dupes(db, zoe.id, ada.id)


def populate_dupes(db, a: int, b: int) -> None:
    """A pair dismissed as two people, and the record of a merge (made by hand: a merge would use up an id)."""
    from tinycrm.services.people import dismissals

    dismissals.dismiss(db, a, b)
    with db.write() as tx:
        tx.execute(
            "INSERT INTO contact_merges (keep_id, other_id, keep_name, other_name, user_name, merged_at, state, "
            "undone_at, undone_by) VALUES (:a, 99, 'Zoë', 'Zoe', 'bob', :t, '{}', :t, 'bob')",
            {"a": a, "t": STAMP},
        )


def populate_marketing(db, contact_id: int) -> None:
    """Segments, consent and its log, a suppression, a frozen campaign, a sequence with a member."""
    from tinycrm.services.marketing import campaigns, consent, segments, sending, sequences

    consent.set_for_contact(db, contact_id, "opted-in", "web form")
    consent.suppress(db, "gone@example.com", "complaint")
    segments.add(db, "everyone", "has:email")
    campaigns.add(db, "news", segment="everyone", subject="Hi", template="Hello {{ contact.display_name }}")
    sending.freeze(db, "news")
    sequences.add(db, "welcome", [sequences.StepInput(0, "task", "Call")])
    sequences.enroll(db, "welcome", contact_id=contact_id)


def populate_support(db, contact_id: int) -> None:
    """Tickets with a thread, tags and attachments (one dropped), an acknowledgement, knowledge-base articles."""
    from tinycrm.domain.mail import Attachment
    from tinycrm.services.support import kb, thread, tickets

    t = tickets.create(db, subject_="Drucker kaputt", contact_id=contact_id, body="Hilfe", tags=["hardware"])
    other = tickets.create(db, subject_="Same again", contact_id=contact_id)
    tickets.merge(db, other.id, t.id)
    kb.add(db, title="Passwort zurücksetzen", body="**Einstellungen**", tags=["konto"])
    kb.add(db, title="Entwurf", body="draft", published=False)
    with db.write() as tx:
        mid = thread.add_message(tx, t.id, kind="in", author="zoe@acme.de", body="x", message_id="a@b")
        thread.add_attachments(
            tx,
            t.id,
            mid,
            [
                Attachment("a.bin", "application/octet-stream", 3, b"\x00\x01\xff"),
                Attachment("b", "x/y", 9, None),
            ],
        )
        tx.execute(
            "INSERT INTO support_acks (address, day, ticket_id, state, at) VALUES ('zoe@acme.de', :d, :t, 'sent', :at)",
            {"d": date(2026, 3, 1), "t": t.id, "at": STAMP},
        )


def all_contacts(db):
    with db.read() as tx:
        ids = tx.column("SELECT id FROM contacts ORDER BY id")
    return [contacts.get(db, i) for i in ids]


def all_companies(db):
    with db.read() as tx:
        ids = tx.column("SELECT id FROM companies ORDER BY id")
    return [companies.get(db, i) for i in ids]


@pytest.fixture
def source(tmp_path):
    db = open_db(f"sqlite:///{tmp_path / 'personal.sqlite3'}")
    populate(db)
    _sign_in_rows(db)
    yield db
    db.close()


def _sign_in_rows(db) -> None:  # noqa: ANN001
    """A password, an API token and a failed sign-in: the web's tables travel too."""
    from tinycrm.services.common import actor
    from tinycrm.services.team import accounts

    accounts.set_password(db, actor(db), "correct horse battery")
    accounts.create_token(db, actor(db), "copy")
    with pytest.raises(accounts.SignInFailed):
        accounts.check_password(db, "nobody", "wrong password")


def test_round_trip_sqlite_postgresql_sqlite_is_identical(source, pg_url, tmp_path):
    team = open_db(pg_url)
    back = open_db(f"sqlite:///{tmp_path / 'back.sqlite3'}")
    try:
        there = dbcopy.copy(source, team)
        again = dbcopy.copy(team, back)
        want = dbcopy.describe(source)
        assert dbcopy.describe(team) == want == dbcopy.describe(back)
        assert there.tables == again.tables == want
        assert {t.table: t.rows for t in want}["contacts"] == 4 and there.indexed == 4
        assert all_contacts(source) == all_contacts(team) == all_contacts(back)
        assert all_companies(source) == all_companies(team) == all_companies(back)
        for db in (team, back):
            # the search index was rebuilt, and new ids follow the copied ones
            assert [c.display_name for c in contacts.search(db, "muller acme").items] == ["Zoë Müller"]
            assert [c.display_name for c in contacts.search(db, "田太", archived=None).items] == ["山田太郎"]
            assert contacts.create(db, ContactInput("New After Copy")).id == 5
            assert companies.create(db, CompanyInput("New Co")).id == 3
    finally:
        team.close()
        back.close()


def test_every_table_is_covered(source, tmp_path):
    """The sample fills every table of the schema, so the round trip above compares all of them."""
    empty = [t.table for t in dbcopy.describe(source) if t.rows == 0]
    assert empty == [], f"populate() leaves these tables empty: {empty}"


def test_copy_refuses_a_target_that_is_not_empty(source, tmp_path):
    target = open_db(f"sqlite:///{tmp_path / 'busy.sqlite3'}")
    try:
        contacts.create(target, ContactInput("Already Here"))
        with pytest.raises(Refused, match="not empty .*contacts: 1"):
            dbcopy.copy(source, target)
        assert [c.display_name for c in all_contacts(target)] == ["Already Here"]
    finally:
        target.close()


def test_copy_refuses_itself(source):
    from tinycrm.domain.errors import InvalidInput

    with pytest.raises(InvalidInput, match="the target is the database being copied"):
        dbcopy.copy(source, open_db(source.url))


def test_a_copy_that_does_not_verify_stores_nothing(source, tmp_path, monkeypatch):
    """A bug that lost one row would be caught by the checksums before the commit."""
    real = tables.insert_rows

    def lossy(tx, table, items):
        real(tx, table, items[:-1] if table == "contact_tags" else items)

    monkeypatch.setattr(tables, "insert_rows", lossy)
    target = open_db(f"sqlite:///{tmp_path / 'target.sqlite3'}")
    try:
        with pytest.raises(StoreError, match="table contact_tags does not match .*nothing was stored"):
            dbcopy.copy(source, target)
        assert all_contacts(target) == []
    finally:
        target.close()


def test_checksums_see_any_change(source):
    before = {t.table: t.checksum for t in dbcopy.describe(source)}
    with source.write() as tx:
        tx.execute("UPDATE contact_fields SET value = 'changed' WHERE key = 'Zeta'")
    after = {t.table: t.checksum for t in dbcopy.describe(source)}
    assert [t for t in before if before[t] != after[t]] == ["contact_fields"]


def test_cli_db_copy(source, store_url):
    r = Cli(source.url)("db", "copy", "--to", store_url, "--json")
    assert r.exit_code == 0, r.stderr
    report = r.json
    assert report["verified"] is True and report["indexed"] == 4
    assert {t["table"]: t["rows"] for t in report["tables"]}["contacts"] == 4
    assert ":postgres@" not in report["target"]
    plain = Cli(source.url)("db", "copy", "--to", store_url)
    assert plain.exit_code == 1 and "is not empty" in plain.stderr
    r = Cli(store_url)("search", "joseph", "--json")
    assert [c["display_name"] for c in r.json] == ["Йосиф Бродский"]


def test_cli_db_copy_into_postgresql_and_back(source, pg_url, tmp_path):
    assert Cli(source.url)("db", "copy", "--to", pg_url).exit_code == 0
    back = f"sqlite:///{tmp_path / 'back.sqlite3'}"
    r = Cli(pg_url)("db", "copy", "--to", back)
    assert r.exit_code == 0, r.stderr
    assert "every table's count and checksum match" in r.stderr
    rows = dict(line.split("\t")[:2] for line in r.stdout.splitlines())
    assert rows["contacts"] == "4" and rows["reminders_sent"] == "3"
    copied = open_db(back)
    try:
        assert dbcopy.describe(copied) == dbcopy.describe(source)
    finally:
        copied.close()
