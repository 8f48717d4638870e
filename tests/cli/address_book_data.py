"""A small address book on either store, for the tests of ``crm search`` and ``crm contact list``: the fast
path against Typer, and the mail-client formats."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from crm_testkit import pg_database

#: what the name and the work label of the contact written by hand are made of
ODD_NAME = "Tabby\tCat\nthe Second"
ODD_LABEL = "wo\trk\n"


def seed(url: str) -> None:
    """Ada Lovelace (two addresses, Acme, vip), Ada Byron (archived), Grete Müller (vip), Adam Noemail (no
    address), Bob Builder (owned by bob), Person 00-24 (bulk: more than a page), and Tabby Cat, whose name and
    label hold a tab and a line break, as an older version or another program could have stored them."""
    from tinycrm.domain.people import ContactInput, Labeled
    from tinycrm.services.people import contacts
    from tinycrm.store.database import open_db

    db = open_db(url)
    db.actor = "tester"  # type: ignore[attr-defined]
    try:
        with db.write() as tx:
            for data in (
                ContactInput(
                    "Ada Lovelace",
                    emails=[Labeled("ada@example.com", "work"), Labeled("ada.l@mail.example.net", "home")],
                    phones=[Labeled("+44 20 7946 0000", "mobile")],
                    company="Acme",
                    tags=["vip"],
                ),
                ContactInput("Ada Byron", emails=[Labeled("byron@example.org")], archived=True),
                ContactInput("Grete Müller", emails=[Labeled("grete@example.de")], company="Müller & Söhne"),
                ContactInput("Adam Noemail", company="Acme", phones=[Labeled("+1 555 0100")]),
                *[
                    ContactInput(f"Person {i:02}", emails=[Labeled(f"person{i}@example.com")], tags=["bulk"])
                    for i in range(25)
                ],
                ContactInput("Tabby Cat", emails=[Labeled("tabby@example.com", "work")], company="Acme"),
            ):
                contacts.insert(tx, data)
        db.actor = "bob"  # type: ignore[attr-defined]
        with db.write() as tx:
            contacts.insert(
                tx, ContactInput("Bob Builder", emails=[Labeled("bob@example.com")], tags=["vip"])
            )
        with db.write() as tx:
            cid = tx.scalar("SELECT contact_id FROM contact_emails WHERE value = 'tabby@example.com'")
            tx.execute("UPDATE contacts SET display_name = :n WHERE id = :i", {"n": ODD_NAME, "i": cid})
            tx.execute(
                "UPDATE contact_emails SET label = :l WHERE contact_id = :i", {"l": ODD_LABEL, "i": cid}
            )
    finally:
        db.close()


def seeded_url(store: str, folder: Path) -> Iterator[str]:
    """For a module-scoped fixture to ``yield from``: the URL of a seeded database on ``store`` (``sqlite`` or
    ``postgresql``, skipped without a server), dropped afterwards."""
    if store == "sqlite":
        url = f"sqlite:///{folder / 'book.sqlite3'}"
        seed(url)
        yield url
        return
    for url in pg_database():
        seed(url)
        yield url
