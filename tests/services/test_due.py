"""What is due, on both stores: contacts.last_interaction_at kept with the interactions, long IN lists as one
parameter, pages of the agenda and of reminders with their totals, crm (status) counting, the local zone
resolved once."""

from __future__ import annotations

import pytest

from tinycrm.domain.people import ContactInput
from tinycrm.domain.sales import DealInput
from tinycrm.domain.tasks import TaskInput
from tinycrm.services.people import contacts, interactions
from tinycrm.services.sales import deals
from tinycrm.services.work import agenda, due, remind, tasks
from tinycrm.store.database import as_datetime


def last_at(db, contact_id: int):
    with db.read() as tx:
        return as_datetime(
            tx.scalar("SELECT last_interaction_at FROM contacts WHERE id = :i", {"i": contact_id})
        )


def worked_out(db, contact_id: int):
    """When the contact was last in touch, from the interactions themselves."""
    with db.read() as tx:
        return as_datetime(
            tx.scalar(
                "SELECT max(i.happened_at) FROM interaction_contacts ic JOIN interactions i "
                "ON i.id = ic.interaction_id WHERE ic.contact_id = :c",
                {"c": contact_id},
            )
        )


def test_last_interaction_follows_logging_editing_and_deleting(db, clock):
    clock("2026-03-27T08:00:00+01:00")
    ada = contacts.create(db, ContactInput("Ada", cadence_days=30))
    bob = contacts.create(db, ContactInput("Bob"))
    assert last_at(db, ada.id) is None
    old = interactions.log(db, contact_ids=[ada.id], kind_="call", summary="Old", when="2026-01-10")
    new = interactions.log(db, contact_ids=[ada.id, bob.id], kind_="email", summary="New", when="2026-03-01")
    interactions.log(db, contact_ids=[ada.id], kind_="note", summary="Older", when="2025-12-01")
    assert last_at(db, ada.id) == worked_out(db, ada.id) == new.happened_at
    assert last_at(db, bob.id) == new.happened_at

    interactions.update(db, new.id, {"when": "2026-02-01"})  # moved back in time: no longer the latest
    assert last_at(db, ada.id) == worked_out(db, ada.id)
    assert last_at(db, ada.id).date().isoformat() == "2026-01-31"  # 1 February, Berlin midnight, in UTC

    interactions.update(db, new.id, {"contact_ids": [bob.id]})  # moved to another person
    assert last_at(db, ada.id) == old.happened_at == worked_out(db, ada.id)
    assert last_at(db, bob.id) == worked_out(db, bob.id)

    interactions.delete(db, new.id)
    assert last_at(db, bob.id) is None
    interactions.delete(db, old.id)
    assert last_at(db, ada.id) == worked_out(db, ada.id)
    assert last_at(db, ada.id).year == 2025


def test_logging_does_not_change_the_contacts_version(db, clock):
    """Derived data: an edit form opened before a call was logged still saves."""
    clock("2026-03-27T08:00:00+01:00")
    ada = contacts.create(db, ContactInput("Ada"))
    interactions.log(db, contact_ids=[ada.id], kind_="call", summary="Hi")
    assert contacts.get(db, ada.id).version == ada.version
    contacts.update(db, ada.id, {"job_title": "Engineer"}, expected_version=ada.version)


def test_an_import_works_last_interaction_out_again(db, clock, tmp_path):
    """An export made before revision 0003 has no last_interaction_at: the import works it out."""
    import json

    from tinycrm.services.interchange import backup
    from tinycrm.services.interchange.files import Source

    clock("2026-03-27T08:00:00+01:00")
    ada = contacts.create(db, ContactInput("Ada", cadence_days=7))
    call = interactions.log(db, contact_ids=[ada.id], kind_="call", summary="Hi", when="2026-03-01")
    dump = tmp_path / "old.json"
    backup.export_json(db, dump)
    doc = json.loads(dump.read_text())
    doc["schema_revision"] = "0002"
    for row in doc["tables"]["contacts"]:
        row.pop("last_interaction_at")
    dump.write_text(json.dumps(doc))
    backup.import_json(db, Source(str(dump), path=dump), replace=True)
    assert last_at(db, ada.id) == call.happened_at
    assert [s.id for s in due.stale_contacts(db).items] == [ada.id]


@pytest.mark.parametrize("n", [3, 17, 70_000])
def test_in_lists_of_any_length(db, n):
    """70,000 values: past PostgreSQL's 65,535 parameters, and seconds of preparing on SQLite when named."""
    import time

    from tinycrm.store.sql import placeholders

    ids = list(range(1, n + 1))
    with db.write() as tx:
        tx.executemany(
            "INSERT INTO tags (id, name, name_key) VALUES (:i, :n, :n)",
            [{"i": i, "n": f"t{i}"} for i in ids[: min(n, 500)]],
        )
    started = time.perf_counter()
    with db.read() as tx:
        marks, params = placeholders("i", ids)
        assert len(params) == (n if n <= 16 else 1)
        found = tx.column(f"SELECT id FROM tags WHERE id IN ({marks}) ORDER BY id", params)
        assert found == ids[: min(n, 500)]
        marks, params = placeholders("k", [f"t{i}" for i in ids])
        assert tx.scalar(f"SELECT count(*) FROM tags WHERE name_key IN ({marks})", params) == min(n, 500)
    assert time.perf_counter() - started < 5


def _busy_day(db, clock) -> None:
    clock("2026-03-20T08:00:00+01:00")
    for i in range(5):
        contacts.create(db, ContactInput(f"Stale {i}", cadence_days=1, birthday="--03-27"))
    clock("2026-03-27T08:00:00+01:00")
    with db.write() as tx:
        tx.execute("UPDATE stages SET idle_days = 5")
    for i in range(12):
        tasks.create(db, TaskInput(f"Overdue {i:02d}", due=f"2026-03-{i + 1:02d}"))
    for i in range(4):
        tasks.create(db, TaskInput(f"Today {i}", due="today 18:00"))
    for i in range(3):
        deals.create(
            db, DealInput(f"Deal {i}", value="1", currency="EUR", next_step="x", next_step_due="2026-03-02")
        )


def test_a_page_of_each_section_is_the_start_of_the_whole(db, clock):
    _busy_day(db, clock)
    whole = agenda.agenda(db, days=3)
    assert [len(whole.overdue), len(whole.today)] == [12 + 3 + 5, 4 + 5]
    assert whole.totals == {"overdue": 20, "today": 9, "upcoming": 0}
    for limit, offset in ((1, 0), (4, 0), (4, 4), (10, 10)):
        page = agenda.agenda(db, days=3, limit=limit, offset=offset)
        assert page.totals == whole.totals
        for section in ("overdue", "today", "upcoming"):
            want = getattr(whole, section)[offset : offset + limit]
            assert [i.key for i in getattr(page, section)] == [i.key for i in want], (section, limit, offset)


def test_status_counts_what_the_agenda_lists(db, clock):
    from tinycrm.services.status import status

    _busy_day(db, clock)
    counts = status(db, with_due=True).due
    assert counts == {
        "tasks overdue": 12,
        "tasks due today": 4,
        "people to get in touch with": 5,
        "birthdays today": 5,
        "idle deals": 3,
    }


def test_reminders_come_a_page_at_a_time(db, clock):
    _busy_day(db, clock)
    everything = remind.due_page(db, user="ann")
    assert everything.total == len(everything.items) == 12 + 3 + 4 + 5 + 5
    first = remind.due_page(db, user="ann", limit=10)
    assert first.total == everything.total and first.more and not first.estimate
    assert [i.key for i in first.items] == [i.key for i in everything.items[:10]]
    remind.mark_sent(db, first.items, "ann")
    second = remind.due_page(db, user="ann", limit=10)
    assert [i.key for i in second.items] == [i.key for i in everything.items[10:20]], "the next ten"
    assert second.total == everything.total - 10


def test_the_local_zone_is_resolved_once_per_value_of_tz(monkeypatch):
    from tinycrm.domain import clock

    monkeypatch.setenv("TZ", "Europe/Berlin")
    zone = clock.local_tz()
    assert clock.local_tz() is zone and zone.key == "Europe/Berlin"
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert clock.local_tz().key == "Asia/Tokyo", "a new TZ is honoured"


def test_stale_pages_are_slices_of_the_whole_list(db, clock):
    """A page of the stay-in-touch list is sorted from a few rows per cadence (read from the index up to the
    page's last row): every page must still be the slice of the whole list, ties of one moment included."""
    import random

    rng = random.Random(5)
    names = ["Ada", "Bob", "Cyd", "Dee", "Eve"]
    for i in range(45):
        day = 1 + rng.randrange(20)
        hour = rng.choice([8, 8, 8, 13])  # many contacts added at one moment: ties broken by name, then id
        clock(f"2026-01-{day:02d}T{hour:02d}:00:00+00:00")
        contacts.create(db, ContactInput(f"{rng.choice(names)} {i % 4}", cadence_days=rng.choice([3, 7, 12])))
    clock("2026-02-10T09:00:00+00:00")
    whole = [s.id for s in due.stale_contacts(db, limit=None).items]
    assert len(whole) == 45
    for size in (1, 4, 20):
        for offset in range(0, 48, 3):
            page = due.stale_contacts(db, limit=size, offset=offset)
            assert [s.id for s in page.items] == whole[offset : offset + size], (size, offset)
            assert page.total == 45
