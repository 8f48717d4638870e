"""A writer killed with SIGKILL leaves a sound database holding whole records only: every contact with its
emails, phones, tags, fields, search row and audit entry, no orphans, and batches stored all or nothing."""

import random
import subprocess
import sys
import time

import pytest

from crm_testkit import kill, wait_for

BATCH = 5
SEED = 1729  # the kill moment is drawn from a seeded generator, so a failing run can be repeated

CHILD = r"""
import sys, time
from tinycrm.store.database import open_db
from tinycrm.domain.people import ContactInput, Labeled
from tinycrm.services.people import contacts
url, hold_after = sys.argv[1], int(sys.argv[2])
BATCH = int(sys.argv[3])
db = open_db(url)
batch = 0
while True:
    with db.write() as tx:
        last = batch == hold_after
        for i in range(BATCH * (4 if last else 1)):
            n = batch * 1000 + i
            contacts.insert(tx, ContactInput(
                f"Crash {n:06d}", emails=[Labeled(f"c{n}@example.com", "work"), Labeled(f"c{n}@home.example.org"),
                                          Labeled(f"c{n}@third.example.net")],
                phones=[Labeled(f"+1 555 {n:07d}"), Labeled(f"+44 20 {n:07d}")], tags=["crash", f"batch{batch}"],
                fields={"batch": str(batch), "i": str(i)}, notes=("n" * 200_000) if last else "short",
                company=f"Company {batch % 3}"))
        if last:
            print("inside", flush=True)  # the batch is written, not committed: now kill me
            time.sleep(60)
    batch += 1
    if batch % 5 == 0:
        print(f"committed {batch}", flush=True)
"""


def run_child(url: str, hold_after: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(hold_after), str(BATCH)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def check_whole_records(db) -> int:
    """Every stored contact is whole and nothing is left over; give the number of contacts."""
    sid = "rowid" if db.is_sqlite else "contact_id"
    with db.read() as tx:
        n = tx.scalar("SELECT count(*) FROM contacts")
        bad = tx.all(
            "SELECT c.id, (SELECT count(*) FROM contact_emails e WHERE e.contact_id = c.id) AS emails, "
            "(SELECT count(*) FROM contact_phones p WHERE p.contact_id = c.id) AS phones, "
            "(SELECT count(*) FROM contact_tags t WHERE t.contact_id = c.id) AS tags, "
            "(SELECT count(*) FROM contact_fields f WHERE f.contact_id = c.id) AS fields, "
            f"(SELECT count(*) FROM contact_search s WHERE s.{sid} = c.id) AS indexed, "
            "(SELECT count(*) FROM audit_log a WHERE a.record_type = 'contact' AND a.record_id = c.id) AS audited "
            "FROM contacts c"
        )
        wrong = [tuple(r) for r in bad if tuple(r)[1:] != (3, 2, 2, 2, 1, 1)]
        assert wrong == [], f"incomplete contacts: {wrong[:5]}"
        orphans = {
            t: tx.scalar(f"SELECT count(*) FROM {t} WHERE contact_id NOT IN (SELECT id FROM contacts)")
            for t in ("contact_emails", "contact_phones", "contact_tags", "contact_fields")
        }
        orphans["search"] = tx.scalar(
            f"SELECT count(*) FROM contact_search WHERE {sid} NOT IN (SELECT id FROM contacts)"
        )
        orphans["audit"] = tx.scalar(
            "SELECT count(*) FROM audit_log WHERE record_type = 'contact' AND "
            "record_id NOT IN (SELECT id FROM contacts)"
        )
        orphans["tags"] = tx.scalar(
            "SELECT count(*) FROM tags WHERE id NOT IN (SELECT tag_id FROM contact_tags)"
        )
        orphans["companies"] = tx.scalar(
            "SELECT count(*) FROM companies WHERE id NOT IN "
            "(SELECT company_id FROM contacts WHERE company_id IS NOT NULL)"
        )
        assert set(orphans.values()) == {0}, orphans
        per_batch = tx.all(
            "SELECT value, count(*) AS n FROM contact_fields WHERE key = 'batch' GROUP BY value"
        )
        assert all(r["n"] == BATCH for r in per_batch), "a batch is stored whole or not at all"
    return n


def check_sqlite_file(db) -> None:
    import sqlite3

    conn = sqlite3.connect(db.path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.execute("INSERT INTO contact_search(contact_search) VALUES ('integrity-check')")
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_in_the_middle_of_a_write(db):
    from tinycrm.domain.people import ContactInput
    from tinycrm.services.people import contacts

    child = run_child(db.url, hold_after=8)
    wait_for(child, "inside")
    kill(child)
    if db.is_sqlite:
        check_sqlite_file(db)
    assert check_whole_records(db) == 8 * BATCH
    # the database goes on working, and the killed batch left nothing behind
    assert contacts.search(db, "crash", limit=None).total == 8 * BATCH
    assert contacts.search(db, "tag:batch8").total == 0
    assert contacts.create(db, ContactInput("After the crash")).id
    assert contacts.search(db, "after crash").total == 1


@pytest.mark.slow
def test_sigkill_at_a_random_moment(db):
    delay = random.Random(SEED).uniform(0.05, 0.4)
    child = run_child(db.url, hold_after=10**9)
    wait_for(child, "committed 5")
    time.sleep(delay)
    kill(child)
    if db.is_sqlite:
        check_sqlite_file(db)
    n = check_whole_records(db)
    assert n >= 5 * BATCH and n % BATCH == 0, f"{n} contacts after a kill {delay:.3f} s after batch 5"
