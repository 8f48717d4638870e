"""Contacts through the service layer, on SQLite and PostgreSQL: the whole record, changes, archive, delete,
tags, references, paging, validation, the audit trail, and read models that outlive their transaction."""

import dataclasses
import json
import uuid
from datetime import UTC, date, datetime

import pytest

from tinycrm.domain.errors import Ambiguous, Conflict, InvalidInput, NotFound
from tinycrm.domain.people import Address, ContactInput, ContactRead, ContactSummary, Labeled, Page, Ref
from tinycrm.services.people import contacts, interactions

NOW = "2026-05-04T09:00:00+00:00"


from crm_testkit import _pg_for_module, store_url  # noqa: E402,F401 - one PostgreSQL database per module


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setenv("TINYCRM_NOW", NOW)
    monkeypatch.setenv("TZ", "UTC")


def ada(**changes) -> ContactInput:
    data = ContactInput(
        display_name="Ada Lovelace",
        emails=[Labeled("ada@example.com", "Work"), Labeled("ada@home.example.org", "home")],
        phones=[Labeled("+44 20 7946 0000", "mobile"), Labeled("020 7946 0001")],
        addresses=[
            Address(
                label="home",
                street="12 St James's Square",
                locality="London",
                postcode="SW1Y 4JH",
                country="UK",
                po_box="PO 7",
                extended="Flat 2",
            )
        ],
        birthday="1815-12-10",
        job_title="Analyst",
        company="Analytical Engines",
        company_role="decision maker",
        notes="Met at the Royal Society.\nPrefers letters.",
        tags=["vip", "Friend"],
        fields={"source": "conference", "twitter": "@ada"},
        cadence_days=30,
    )
    return dataclasses.replace(data, **changes)


def table_count(db, table: str, where: str = "1=1", params=None) -> int:
    with db.read() as tx:
        return tx.scalar(f"SELECT count(*) FROM {table} WHERE {where}", params or {})


# --- the record -----------------------------------------------------------------------------------------


def test_create_stores_the_whole_record(db):
    c = contacts.create(db, ada())
    assert isinstance(c, ContactRead)
    assert (c.display_name, c.given_name, c.family_name) == ("Ada Lovelace", "Ada", "Lovelace")
    assert c.emails == [Labeled("ada@example.com", "work"), Labeled("ada@home.example.org", "home")]
    assert c.phones == [Labeled("+44 20 7946 0000", "mobile"), Labeled("020 7946 0001", None)]
    assert c.addresses == [
        Address(
            label="home",
            street="12 St James's Square",
            locality="London",
            postcode="SW1Y 4JH",
            country="UK",
            po_box="PO 7",
            extended="Flat 2",
        )
    ]
    assert c.birthday == "1815-12-10"
    assert (c.job_title, c.company_role) == ("Analyst", "decision maker")
    assert c.company is not None and c.company.name == "Analytical Engines"
    assert c.notes == "Met at the Royal Society.\nPrefers letters."
    assert c.tags == ["Friend", "vip"]
    assert c.fields == {"source": "conference", "twitter": "@ada"}
    assert c.cadence_days == 30
    assert c.archived is False
    assert c.owner == "tester"
    assert c.created_at == c.updated_at == datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    assert c.version == 1
    uuid.UUID(c.uid)
    assert contacts.get(db, c.id) == c


def test_read_models_are_plain_values_that_outlive_the_database(db):
    c = contacts.create(db, ada())
    page = contacts.list_contacts(db)
    db.close()

    allowed = (str, int, bool, float, datetime, date, type(None), Labeled, Address, Ref)

    def check(value, path):
        if isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                check(item, f"{path}[{i}]")
        elif isinstance(value, dict):
            for k, item in value.items():
                assert isinstance(k, str)
                check(item, f"{path}.{k}")
        elif dataclasses.is_dataclass(value) and not isinstance(value, allowed):
            for f in dataclasses.fields(value):
                check(getattr(value, f.name), f"{path}.{f.name}")
        else:
            assert isinstance(value, allowed), f"{path} is a {type(value).__name__}"

    check(c, "contact")
    check(page.items, "page")
    assert isinstance(page, Page) and isinstance(page.items[0], ContactSummary)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.display_name = "changed"  # type: ignore[misc]


def test_names(db):
    assert (contacts.create(db, ContactInput("Ludwig van Beethoven")).family_name) == "van Beethoven"
    c = contacts.create(db, ContactInput(given_name="Grace", family_name="Hopper"))
    assert c.display_name == "Grace Hopper"
    c = contacts.create(db, ContactInput(emails=[Labeled("nameless@example.com")]))
    assert c.display_name == "nameless@example.com"
    c = contacts.create(db, ContactInput("Madonna"))
    assert (c.given_name, c.family_name) == ("Madonna", None)


def test_given_and_family_names_follow_a_new_display_name(db):
    c = contacts.create(db, ContactInput("José García"))
    c = contacts.update(db, c.id, {"display_name": "Pepe García Lorca"})
    assert (c.given_name, c.family_name) == ("Pepe García", "Lorca")
    c = contacts.update(db, c.id, {"given_name": "José", "family_name": "García"})
    c = contacts.update(db, c.id, {"display_name": "Pepe"})
    assert (c.display_name, c.given_name, c.family_name) == ("Pepe", "José", "García"), "given by hand: kept"


def test_uid_is_stable_and_unique(db):
    c = contacts.create(db, ContactInput("Ada", uid="urn:uuid:1234"))
    assert c.uid == "urn:uuid:1234"
    c2 = contacts.update(db, c.id, {"job_title": "Countess"})
    assert c2.uid == c.uid
    with pytest.raises(Conflict):
        contacts.create(db, ContactInput("Other", uid="urn:uuid:1234"))
    assert table_count(db, "contacts") == 1


def test_duplicate_emails_and_phones_are_kept_once(db):
    c = contacts.create(
        db,
        ContactInput(
            "Ada",
            emails=["ada@example.com", "ADA@example.com"],
            phones=["+44 20 7946 0000", "+44 (20) 7946-0000"],
        ),
    )
    assert [e.value for e in c.emails] == ["ada@example.com"]
    assert len(c.phones) == 1


INVALID = [
    ({"display_name": "  ", "emails": []}, "name"),
    ({"display_name": None, "emails": []}, "name"),
    ({"emails": [Labeled("not-an-email")]}, "email"),
    ({"phones": [Labeled("call me")]}, "phone"),
    ({"birthday": "yesterday-ish"}, "birthday"),
    ({"birthday": "2999-01-01"}, "birthday"),
    ({"cadence_days": 0}, "cadence (days)"),
    ({"tags": ["a,b"]}, "tag"),
    ({"fields": {"a=b": "c"}}, "fields"),
    ({"notes": "bell\x07"}, "notes"),
    ({"notes": "x" * 1_000_001}, "notes"),
    ({"company": "x" * 301}, "company"),
    ({"addresses": [Address(postcode="9" * 51)]}, "address postcode"),
    ({"given_name": "g" * 201}, "given name"),
]


def test_invalid_input_is_a_typed_error_and_stores_nothing(db):
    for changes, field in INVALID:
        with pytest.raises(InvalidInput) as info:
            contacts.create(db, ada(**changes))
        assert info.value.field == field, changes
    for table in ("contacts", "contact_emails", "companies", "tags", "audit_log", "users"):
        assert table_count(db, table) == 0, table


def test_longest_values_fit_the_columns(db):
    """What validation accepts, every store keeps (PostgreSQL enforces column lengths; SQLite does not)."""
    long = ContactInput(
        display_name="N" * 400,
        given_name="G" * 200,
        family_name="F" * 200,
        job_title="T" * 300,
        company="C" * 300,
        company_role="R" * 300,
        emails=[Labeled("e" * 300 + "@example.com", "l" * 50)],
        phones=[Labeled("1" * 100, "m" * 50)],
        tags=["t" * 100],
        fields={"k" * 200: "v" * 10_000},
        addresses=[
            Address(
                label="a" * 50,
                street="s" * 500,
                locality="l" * 200,
                region="r" * 200,
                postcode="p" * 50,
                country="c" * 200,
                po_box="b" * 100,
                extended="x" * 300,
            )
        ],
        notes="n" * 100_000,
        uid="u" * 255,
    )
    c = contacts.create(db, long)
    assert contacts.get(db, c.id) == c
    assert len(c.notes) == 100_000
    # normalising for sorting and search may lengthen a name: spaced-out CJK, "ß" -> "ss"
    cjk = contacts.create(db, ContactInput("山田" * 200))
    assert cjk.display_name == "山田" * 200
    assert contacts.create(db, ContactInput("ß" * 400)).display_name == "ß" * 400
    assert contacts.resolve(db, "山田" * 200) == cjk.id


# --- changes --------------------------------------------------------------------------------------------


def test_update_scalars_and_lists(db, monkeypatch):
    c = contacts.create(db, ada())
    monkeypatch.setenv("TINYCRM_NOW", "2026-05-05T10:00:00+00:00")
    u = contacts.update(
        db,
        c.id,
        {
            "job_title": "Countess",
            "notes": None,
            "birthday": "12-10",
            "add_emails": [Labeled("countess@example.com", "other")],
            "remove_emails": ["ADA@home.example.org"],
            "remove_phones": ["020-7946-0001"],
            "set_fields": {"source": "letter"},
            "unset_fields": ["twitter"],
            "company": "Babbage & Co",
            "cadence_days": None,
        },
    )
    assert u.job_title == "Countess" and u.notes is None and u.birthday == "--12-10"
    assert [e.value for e in u.emails] == ["ada@example.com", "countess@example.com"]
    assert [p.value for p in u.phones] == ["+44 20 7946 0000"]
    assert u.fields == {"source": "letter"}
    assert u.company.name == "Babbage & Co" and u.cadence_days is None
    assert u.version == 2 and u.updated_at == datetime(2026, 5, 5, 10, 0, tzinfo=UTC)
    assert u.created_at == c.created_at
    assert contacts.get(db, c.id) == u
    # nothing to change: no new version
    assert contacts.update(db, c.id, {"job_title": "Countess"}).version == 2


def test_update_refuses_bad_changes_and_keeps_the_record(db):
    c = contacts.create(db, ada())
    for changes in (
        {"display_name": ""},
        {"emails": [Labeled("bad")]},
        {"remove_emails": ["nobody@x.com"]},
        {"unset_fields": ["nope"]},
        {"uid": "new"},
        {"archived": True},
    ):
        with pytest.raises(InvalidInput):
            contacts.update(db, c.id, changes)
    assert contacts.get(db, c.id) == c
    with pytest.raises(NotFound):
        contacts.update(db, 999_999, {"job_title": "x"})


def test_stale_edit_is_a_conflict(db):
    c = contacts.create(db, ada())
    contacts.update(db, c.id, {"job_title": "First"}, expected_version=1)
    with pytest.raises(Conflict) as info:
        contacts.update(db, c.id, {"job_title": "Second"}, expected_version=1)
    assert "job_title" in info.value.message and "tester" in info.value.message
    assert contacts.get(db, c.id).job_title == "First"


def test_every_change_is_audited(db):
    c = contacts.create(db, ada())
    contacts.update(db, c.id, {"job_title": "Countess"})
    contacts.archive(db, c.id)
    contacts.delete(db, c.id)
    with db.read() as tx:
        rows = tx.all(
            "SELECT action, user_name, changes FROM audit_log WHERE record_type = 'contact' "
            "AND record_id = :i ORDER BY id",
            {"i": c.id},
        )
    assert [r["action"] for r in rows] == ["create", "update", "archive", "delete"]
    assert {r["user_name"] for r in rows} == {"tester"}
    assert json.loads(rows[1]["changes"]) == {"job_title": ["Analyst", "Countess"]}


def test_archive_hides_unless_asked(db):
    c = contacts.create(db, ada())
    other = contacts.create(db, ContactInput("Ada Byron"))
    a = contacts.archive(db, c.id)
    assert a.archived and a.version == 2
    assert [x.id for x in contacts.list_contacts(db).items] == [other.id]
    assert [x.id for x in contacts.list_contacts(db, archived=True).items] == [c.id]
    assert {x.id for x in contacts.list_contacts(db, archived=None).items} == {c.id, other.id}
    assert [x.id for x in contacts.search(db, "lovelace").items] == []
    assert [x.id for x in contacts.search(db, "lovelace", archived=None).items] == [c.id]
    assert contacts.list_tags(db)[0].contacts == 0  # tag counts leave archived people out
    assert not contacts.archive(db, c.id, archived=False).archived
    assert [x.id for x in contacts.search(db, "lovelace").items] == [c.id]


def test_delete_removes_everything_of_the_contact(db):
    c = contacts.create(db, ada())
    bob = contacts.create(db, ContactInput("Bob Babbage", tags=["vip"]))
    alone = interactions.log(db, contact_ids=[c.id], kind_="call", summary="Just Ada")
    shared = interactions.log(db, contact_ids=[c.id, bob.id], kind_="meeting", summary="Both")
    gone = contacts.delete(db, c.id)
    assert gone.id == c.id and gone.display_name == "Ada Lovelace"
    with pytest.raises(NotFound):
        contacts.get(db, c.id)
    for table in ("contact_emails", "contact_phones", "contact_addresses", "contact_tags", "contact_fields"):
        assert table_count(db, table, "contact_id = :i", {"i": c.id}) == 0, table
    assert (
        table_count(
            db, "contact_search", "contact_id = :i" if not db.is_sqlite else "rowid = :i", {"i": c.id}
        )
        == 0
    )
    with pytest.raises(NotFound):
        interactions.get(db, alone.id)
    assert [p.name for p in interactions.get(db, shared.id).contacts] == ["Bob Babbage"]
    # tags nobody uses any more go; the company stays
    assert [t.name for t in contacts.list_tags(db)] == ["vip"]
    assert table_count(db, "companies") == 1
    with pytest.raises(NotFound):
        contacts.delete(db, c.id)


def test_tag_and_untag(db):
    a = contacts.create(db, ContactInput("Ada", tags=["vip"]))
    b = contacts.create(db, ContactInput("Bob"))
    out = contacts.tag(db, [a.id, b.id], ["VIP", "client", "client"])
    assert [c.tags for c in out] == [["client", "vip"], ["client", "vip"]]  # a tag keeps its first spelling
    assert {(t.name, t.contacts) for t in contacts.list_tags(db)} == {("client", 2), ("vip", 2)}
    assert contacts.untag(db, [a.id], ["Client"])[0].tags == ["vip"]
    contacts.untag(db, [b.id], ["client", "not-there"])
    assert [t.name for t in contacts.list_tags(db)] == ["vip"]
    with pytest.raises(InvalidInput):
        contacts.tag(db, [a.id], [])
    with pytest.raises(NotFound):
        contacts.tag(db, [a.id, 424242], ["x"])
    assert contacts.get(db, a.id).tags == ["vip"], "a failed tagging changes nobody"


# --- references -----------------------------------------------------------------------------------------


def test_resolve_references(db):
    ada_ = contacts.create(db, ada())
    byron = contacts.create(db, ContactInput("Ada Byron", emails=["byron@example.com"]))
    zoe = contacts.create(db, ContactInput("Zoë Müller"))
    assert contacts.resolve(db, str(ada_.id)) == ada_.id
    assert contacts.resolve(db, f"#{byron.id}") == byron.id
    assert contacts.resolve(db, "ADA@example.com") == ada_.id
    assert contacts.resolve(db, "lovel") == ada_.id
    assert contacts.resolve(db, "ada lovelace") == ada_.id
    assert contacts.resolve(db, "zoe muller") == zoe.id
    assert contacts.resolve(db, "MÜLL") == zoe.id
    with pytest.raises(Ambiguous) as info:
        contacts.resolve(db, "ada")
    assert {c.id for c in info.value.candidates} == {ada_.id, byron.id}
    assert info.value.exit_code == 2
    for ref in ("nobody", "nobody@example.com", "999999", "99999999999999999999", "%", "_"):
        with pytest.raises(NotFound):
            contacts.resolve(db, ref)
    with pytest.raises(InvalidInput):
        contacts.resolve(db, "  ")


def test_an_exact_name_wins_over_fragments(db):
    ann = contacts.create(db, ContactInput("Ann Lee"))
    contacts.create(db, ContactInput("Ann Leeson"))
    assert contacts.resolve(db, "ann lee") == ann.id


# --- lists ----------------------------------------------------------------------------------------------


def test_list_pages_and_filters(db, monkeypatch):
    for i in range(25):
        monkeypatch.setenv("TINYCRM_NOW", f"2026-05-04T09:{i:02d}:00+00:00")
        contacts.create(
            db,
            ContactInput(
                f"Person {i:02d}", company="Acme" if i % 2 else "Globex", tags=["even"] if i % 2 == 0 else []
            ),
        )
    page = contacts.list_contacts(db)
    assert (len(page.items), page.total, page.limit, page.offset, page.more) == (20, 25, 20, 0, True)
    assert [c.display_name for c in page.items][:2] == ["Person 00", "Person 01"]
    last = contacts.list_contacts(db, offset=20)
    assert [c.display_name for c in last.items] == [f"Person {i}" for i in range(20, 25)] and not last.more
    assert len(contacts.list_contacts(db, limit=None).items) == 25
    assert contacts.list_contacts(db, tag="EVEN").total == 13
    assert contacts.list_contacts(db, company="acme").total == 12
    newest = contacts.list_contacts(db, sort="created", limit=1).items[0]
    assert newest.display_name == "Person 24"
    assert contacts.list_contacts(db, sort="company", limit=1).items[0].company == "Acme"
    for bad in ({"limit": 0}, {"offset": -1}, {"sort": "age"}):
        with pytest.raises(InvalidInput):
            contacts.list_contacts(db, **bad)


def test_summaries_show_first_email_and_phone(db):
    contacts.create(db, ada())
    s = contacts.list_contacts(db).items[0]
    assert (s.email, s.phone, s.company, s.tags) == (
        "ada@example.com",
        "+44 20 7946 0000",
        "Analytical Engines",
        ["Friend", "vip"],
    )
