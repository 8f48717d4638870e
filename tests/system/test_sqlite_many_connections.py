"""A process with several connections to one SQLite file (the web server's pool, the app's workers) keeps its
locks when it opens another: no other process may then take the write-ahead log away from under it (which lost
every later write of the server: they went to a deleted file)."""

from __future__ import annotations

import subprocess
import sys
import threading

from tinycrm.store import pool
from tinycrm.store.pool import PooledDatabase


def other_process(url: str, code: str) -> str:
    script = f"from tinycrm.store.database import open_db\ndb = open_db({url!r})\n{code}\ndb.close()\n"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout


def test_a_new_connection_keeps_the_write_ahead_log_of_the_others(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    other_process(url, "")  # a database with the current schema
    db = PooledDatabase(url)
    try:
        with db.write() as tx:  # this thread's connection, kept open
            tx.execute("INSERT INTO tags (name, name_key) VALUES ('one', 'one')")
        worker = threading.Thread(target=pool.call, args=(db, lambda d: d.connection()))
        worker.start()  # a second connection of this process (a pool's new worker)
        worker.join()
        other_process(url, "with db.read() as tx: tx.scalar('SELECT count(*) FROM tags')")  # opens, closes
        with db.write() as tx:
            tx.execute("INSERT INTO tags (name, name_key) VALUES ('two', 'two')")
        seen = other_process(url, "with db.read() as tx: print(sorted(tx.column('SELECT name FROM tags')))")
        assert seen.strip() == "['one', 'two']"
    finally:
        db.close()
