"""A deleted record's id is never given to a new one, on either store: otherwise ``crm history contact 4`` mixes
the deleted person with the new one, and so does anything else that noted the id."""

import pytest

from tinycrm.store.database import open_db


def _history(cli, kind: str, record_id: int) -> list[dict]:
    r = cli("history", kind, str(record_id), "--all", "--json")
    assert r.exit_code == 0, r.stderr
    return r.json


def _new_id(cli, *args: str) -> int:
    r = cli(*args, "--json")
    assert r.exit_code == 0, r.stderr
    return r.json["id"]


def test_a_deleted_contact_keeps_its_id_and_its_history(cli):
    first = _new_id(cli, "add-contact", "Ada Lovelace")
    last = _new_id(cli, "add-contact", "Bob Byron")
    assert cli("contact", "delete", str(last), "--yes").exit_code == 0
    new = _new_id(cli, "add-contact", "Cy Cantor")
    assert new > last > first

    history = _history(cli, "contact", new)
    assert [e["action"] for e in history] == ["create"]
    assert "Cy Cantor" in str(history) and "Bob" not in str(history)
    gone = _history(cli, "contact", last)
    assert [e["action"] for e in gone] == ["delete", "create"] and "Cy" not in str(gone)


@pytest.mark.parametrize(
    "kind, add, delete",
    [
        ("company", ("company", "add"), ("company", "delete")),
        ("deal", ("deal", "add", "-c", "EUR"), ("deal", "delete")),
        ("task", ("task", "add"), ("task", "delete")),
    ],
)
def test_a_deleted_record_keeps_its_id(cli, kind, add, delete):
    first = _new_id(cli, *add, f"{kind} one")
    last = _new_id(cli, *add, f"{kind} two")
    r = cli(*delete, str(last), "--yes")
    assert r.exit_code == 0, r.stderr
    new = _new_id(cli, *add, f"{kind} three")
    assert new > last > first
    assert "two" not in str(_history(cli, kind, new))
    assert "three" not in str(_history(cli, kind, last))


def test_a_deleted_interaction_keeps_its_id(cli):
    from tinycrm.services.people import interactions

    _new_id(cli, "add-contact", "Ada")
    first = _new_id(cli, "log", "Ada", "-s", "first call")
    last = _new_id(cli, "log", "Ada", "-s", "second call")
    db = open_db(cli.url)
    try:
        interactions.delete(db, last)
    finally:
        db.close()
    new = _new_id(cli, "log", "Ada", "-s", "third call")
    assert new > last > first
    assert "second" not in str(_history(cli, "interaction", new))


def test_every_id_counter_survives_deleting_everything(db):
    """Emptying a table (the largest id gone too) does not start its ids again from 1."""
    from tinycrm.domain.people import ContactInput, Labeled
    from tinycrm.services.people import contacts

    made = [
        contacts.create(db, ContactInput(f"P{i}", emails=[Labeled(f"p{i}@example.com")])) for i in range(3)
    ]
    for c in made:
        contacts.delete(db, c.id)
    again = contacts.create(db, ContactInput("Q", emails=[Labeled("q@example.com")]))
    assert again.id > max(c.id for c in made)
    with db.read() as tx:
        email_id = tx.scalar("SELECT id FROM contact_emails WHERE contact_id = :c", {"c": again.id})
    assert email_id > len(made)


def test_a_restore_never_moves_the_id_counters_back(cli, tmp_path):
    """Restoring a JSON export taken before a contact was added and deleted: the next contact still gets a new
    id, on both stores (the counter is past every id in the data and in the audit log)."""
    _new_id(cli, "add-contact", "Ada")
    dump = tmp_path / "before.json"
    assert cli("export", "json", str(dump)).exit_code == 0
    bob = _new_id(cli, "add-contact", "Bob")
    assert cli("contact", "delete", str(bob), "--yes").exit_code == 0
    r = cli("restore", str(dump), "--yes")
    assert r.exit_code == 0, r.stderr
    assert _new_id(cli, "add-contact", "Cy") > bob
