"""Several processes on one database at once: four writers adding 100 contacts each while another process
searches, and several processes opening a new database at the same moment. On SQLite and PostgreSQL."""

import json
import subprocess
import sys
import time

import pytest

WRITER = r"""
import json, sys
from tinycrm.store.database import open_db
from tinycrm.domain.people import ContactInput, Labeled
from tinycrm.services.people import contacts
url, worker, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
db = open_db(url)
for i in range(n):
    contacts.create(db, ContactInput(
        f"Worker{worker} Person{i:03d}", emails=[Labeled(f"w{worker}.p{i}@example.com", "work")],
        phones=[Labeled(f"+1 555 {worker:03d} {i:04d}")], tags=["load", f"worker{worker}"],
        company="Shared Co" if i % 2 else f"Company {worker}"))
print(json.dumps({"worker": worker, "done": n}))
"""

SEARCHER = r"""
import json, os, sys, time
from tinycrm.store.database import open_db
from tinycrm.services.people import contacts
url, stop_file = sys.argv[1], sys.argv[2]
db = open_db(url)
searches, seen = 0, 0
while not os.path.exists(stop_file) or searches < 5:
    page = contacts.search(db, "person", limit=5)
    assert page.total >= seen, (page.total, seen)  # committed contacts never disappear
    seen = page.total
    contacts.search(db, "tag:load worker1")
    contacts.list_contacts(db, limit=5)
    searches += 1
print(json.dumps({"searches": searches, "last_total": seen}))
"""

OPENER = r"""
import sys
from tinycrm.store.database import open_db
from tinycrm.domain.people import ContactInput
from tinycrm.services.people import contacts
db = open_db(sys.argv[1])
contacts.create(db, ContactInput(f"Opener {sys.argv[2]}", tags=["first"]))
print("ok")
"""


def spawn(code: str, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen, timeout: float = 120) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "error" not in err.lower(), err
    return out


@pytest.mark.slow
def test_four_writers_and_a_searcher(db, tmp_path):
    from tinycrm.services.people import companies, contacts

    url = db.url
    n = 100
    stop = tmp_path / "stop"
    searcher = spawn(SEARCHER, url, stop)
    writers = [spawn(WRITER, url, w, n) for w in range(4)]
    started = time.monotonic()
    results = [json.loads(finish(w)) for w in writers]
    stop.touch()
    searched = json.loads(finish(searcher))
    assert time.monotonic() - started < 120
    assert [r["done"] for r in results] == [n] * 4
    assert searched["searches"] >= 5

    page = contacts.list_contacts(db, limit=None)
    names = {c.display_name for c in page.items}
    assert page.total == 4 * n and names == {f"Worker{w} Person{i:03d}" for w in range(4) for i in range(n)}
    with db.read() as tx:
        assert tx.scalar("SELECT count(*) FROM contact_emails") == 4 * n
        assert tx.scalar("SELECT count(DISTINCT value_key) FROM contact_emails") == 4 * n
        assert tx.scalar("SELECT count(*) FROM contact_search") == 4 * n
        assert (
            tx.scalar("SELECT count(*) FROM audit_log WHERE action = 'create' AND record_type = 'contact'")
            == 4 * n
        )
        assert tx.scalar("SELECT count(*) FROM users") == 1
    assert contacts.search(db, "person", limit=None).total == 4 * n
    assert contacts.search(db, "tag:worker2", limit=None).total == n
    assert contacts.search(db, "w3.p99@example.com").total == 1
    assert {t.name: t.contacts for t in contacts.list_tags(db)} == {
        "load": 4 * n,
        **{f"worker{w}": n for w in range(4)},
    }
    # a company named by several processes at once exists once
    shared = [c for c in companies.list_companies(db, limit=None).items if c.name == "Shared Co"]
    assert len(shared) == 1 and shared[0].contacts == 4 * (n // 2)
    assert companies.list_companies(db, limit=None).total == 5


@pytest.fixture(params=["sqlite", "postgresql"])
def new_url(request, tmp_path):
    """A database that exists but is empty: no schema yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'new.sqlite3'}"
        return
    import uuid

    import crm_testkit

    reason = crm_testkit._pg_unavailable()
    if reason:
        pytest.skip(reason)
    name = f"tinycrm_c_{uuid.uuid4().hex[:12]}"
    crm_testkit._pg_admin_execute(f'CREATE DATABASE "{name}"')
    yield crm_testkit._pg_url_for(name)
    crm_testkit.drop_pg_database(name)


@pytest.mark.slow
def test_processes_opening_a_new_database_at_once(new_url):
    store_url = new_url
    from tinycrm.services.people import contacts
    from tinycrm.store import migrate
    from tinycrm.store.database import Database
    from tinycrm.store.migrations import HEAD

    openers = [spawn(OPENER, store_url, i) for i in range(4)]
    assert all(finish(p).strip() == "ok" for p in openers)
    db = Database(store_url)
    assert migrate.current_revision(db) == HEAD
    assert contacts.list_contacts(db).total == 4
    with db.read() as tx:
        assert tx.column("SELECT version_num FROM alembic_version") == [HEAD]
        assert tx.scalar("SELECT count(*) FROM pipelines") == 1, "the schema and its seed data were made once"
        assert tx.scalar("SELECT count(*) FROM tags") == 1
    db.close()
