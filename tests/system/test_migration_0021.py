"""Migration 0021: SQLite's search index keeps the first one and two letters of every word (``prefix='1 2'``),
so a one- or two-letter search reads one list instead of merging every word's. Every contact is found as
before the upgrade, by the same words; down and up again give the same matches."""

from alembic import command

from crm_testkit import searchable
from tinycrm.domain.people import ContactInput
from tinycrm.services.people import contacts
from tinycrm.store import migrate
from tinycrm.store.database import open_db
from tinycrm.store.migrations import HEAD

QUERIES = ("a", "ad", "l", "lo", "ada", "müller", "muller", "acme", "tag:vip", "z")


def _found(db) -> dict[str, list[int]]:
    with searchable(db):
        return {q: sorted(c.id for c in contacts.search(db, q, limit=100).items) for q in QUERIES}


def _ddl(db) -> str:
    with db.read() as tx:
        return tx.scalar("SELECT sql FROM sqlite_master WHERE name = 'contact_search'")


def _to(db, revision: str) -> None:
    engine = migrate.sa_engine(db, foreign_keys=False)
    try:
        with engine.begin() as conn:
            command.downgrade(migrate._config(conn), revision)
    finally:
        engine.dispose()


def test_the_upgrade_keeps_every_match_and_adds_the_prefix_index(tmp_path):
    db = open_db(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    for name, email, tags in [
        ("Ada Lovelace", "ada@acme.com", ["vip"]),
        ("Adam Smith", "adam@example.com", []),
        ("Lotte Müller", "lotte@example.de", ["vip"]),
        ("Zoë Lane", "zoe@acme.com", []),
    ]:
        contacts.create(db, ContactInput(display_name=name, emails=[email], tags=tags))
    assert "prefix = '1 2'" in _ddl(db)
    before = _found(db)
    assert before["a"] and before["lo"] and before["muller"] == before["müller"] and before["z"]
    db.close()

    old = open_db(db.url)
    _to(old, "0020")
    assert "prefix" not in _ddl(old)
    assert _found(old) == before
    old.close()
    again = open_db(db.url)  # upgrades to the head
    assert migrate.current_revision(again) == HEAD
    assert "prefix = '1 2'" in _ddl(again)
    assert _found(again) == before
    again.close()
