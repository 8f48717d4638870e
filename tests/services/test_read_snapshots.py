"""A page made of several services' reads (the web app's contact page) reads them in one snapshot: the
services' reads join the one the page opened, on both stores. On PostgreSQL they join it without a savepoint
each (two round trips saved per read); a read inside a write still runs as part of the write."""

from __future__ import annotations

from tinycrm.domain.people import ContactInput
from tinycrm.services.people import contact_loader, contact_search, contacts
from tinycrm.store.database import open_db


def test_reads_inside_a_read_see_one_snapshot(db):
    contacts.create(db, ContactInput("Ada Lovelace"))
    other = open_db(db.url)
    try:
        with db.read():
            first = contact_search.list_contacts(db, limit=10)
            contacts.create(other, ContactInput("Grace Hopper"))  # stored meanwhile by another connection
            second = contact_search.list_contacts(db, limit=10)
            found = contact_search.search(db, "grace", limit=10)
        assert (first.total, second.total, found.total) == (1, 1, 0)
        assert contact_search.list_contacts(db, limit=10).total == 2  # the next read sees it
    finally:
        other.close()


def test_a_failed_read_inside_a_read_leaves_the_next_read_working(db):
    from tinycrm.domain.errors import NotFound

    cid = contacts.create(db, ContactInput("Ada Lovelace")).id
    try:
        with db.read():
            contact_loader.get(db, cid)
            contact_loader.get(db, cid + 1000)
    except NotFound:
        pass
    assert contact_loader.get(db, cid).display_name == "Ada Lovelace"


def test_a_read_inside_a_write_sees_the_write(db):
    with db.write() as tx:
        tx.execute("INSERT INTO tags (name, name_key) VALUES (:n, :k)", {"n": "Inside", "k": "inside"})
        with db.read() as inner:
            assert inner.scalar("SELECT count(*) FROM tags WHERE name_key = 'inside'") == 1
    with db.read() as tx:
        assert tx.scalar("SELECT count(*) FROM tags WHERE name_key = 'inside'") == 1


def test_the_web_pages_read_in_one_transaction_on_postgresql(pg_url, monkeypatch):
    """PostgreSQL: a contact's, a deal's and a ticket's page read in one transaction each (after a look for
    pending tickets to wake on the pages that show tickets); the services' reads inside join it instead of each
    adding a savepoint (two round trips apiece)."""
    import psycopg

    from tinycrm.domain.sales import DealInput
    from tinycrm.services.sales import deals
    from tinycrm.services.support import tickets
    from tinycrm.web.pages import contact_view
    from tinycrm.web.pages_sales import deal_view
    from tinycrm.web.pages_support import ticket_view

    db = open_db(pg_url)
    try:
        cid = contacts.create(db, ContactInput("Ada Lovelace")).id
        deal = deals.create(db, DealInput("Engine", value="100", currency="EUR", contact_ids=[cid]))
        ticket = tickets.create(db, subject_="Printer", contact_id=cid, body="Help")
        opened = 0
        real = psycopg.Connection.transaction

        def counting(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            nonlocal opened
            opened += 1
            return real(self, *args, **kwargs)

        monkeypatch.setattr(psycopg.Connection, "transaction", counting)
        # the pages that list tickets first look for pending ones to wake (a read of its own, then the page's)
        for view, arg, want in ((contact_view, cid, 2), (deal_view, deal.id, 1), (ticket_view, ticket.id, 2)):
            opened = 0
            shown = view(db, arg) if view is not ticket_view else view(db, arg, None)
            assert shown and opened == want, (view.__name__, opened)
    finally:
        db.close()


def test_a_page_wakes_a_pending_ticket_past_its_date_before_its_read(db, monkeypatch):
    """A ticket pending until a day now past opens again when it is next read. A page read in one snapshot
    (the web's contact and ticket pages) wakes it before that read: inside it, the write was refused on SQLite
    (the page failed) and would be undone with the read on PostgreSQL. Inside a read, ``wake`` wakes nothing."""
    from tinycrm.services.support import tickets
    from tinycrm.web.pages import contact_view
    from tinycrm.web.pages_support import ticket_view

    monkeypatch.setenv("TINYCRM_NOW", "2026-12-07T10:00:00+00:00")
    cid = contacts.create(db, ContactInput("Ada Lovelace")).id
    first = tickets.create(db, subject_="Printer", contact_id=cid, body="Help")
    second = tickets.create(db, subject_="Scanner", contact_id=cid, body="Help too")
    for t in (first, second):
        tickets.set_status(db, t.id, "pending", until="2026-12-08 09:00")
    monkeypatch.setenv("TINYCRM_NOW", "2026-12-09T10:00:00+00:00")  # both until-dates have passed

    with db.read():
        assert tickets.wake(db) == 0
        assert contact_search.list_contacts(db, limit=5).total == 1  # the read goes on
    with db.read() as tx:
        assert tx.column("SELECT status FROM tickets ORDER BY id") == ["pending", "pending"]

    shown = contact_view(db, cid)
    assert sorted(t.status for t in shown["tickets"].items) == ["open", "open"]
    assert ticket_view(db, first.id, None)["t"].status == "open"
    with db.read() as tx:
        assert tx.column("SELECT status FROM tickets ORDER BY id") == ["open", "open"]
