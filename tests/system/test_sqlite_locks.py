"""A process with a SQLite connection open (the web server's pool, the full-screen app's workers) that opens
another connection to the same file keeps its locks: another process closing the database must not delete the
write-ahead log under the open connection, or what that connection writes afterwards reaches nobody."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tinycrm.store.database import connect_sqlite

WRITE = (
    "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('INSERT INTO t VALUES (2)'); c.commit()"
)
READ = "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT x FROM t ORDER BY x').fetchall())"


def test_a_second_connection_keeps_the_first_ones_locks(tmp_path: Path):
    path = tmp_path / "crm.sqlite3"
    first = connect_sqlite(path)
    first.execute("CREATE TABLE t (x INTEGER)")
    first.execute("INSERT INTO t VALUES (1)")
    assert first.execute("SELECT count(*) FROM t").fetchone()[0] == 1
    connect_sqlite(path).close()  # a pooled connection opened and closed while the first one is open
    subprocess.run([sys.executable, "-c", WRITE, str(path)], check=True, timeout=60)
    assert Path(f"{path}-wal").exists(), "another process deleted the write-ahead log of an open connection"
    first.execute("INSERT INTO t VALUES (3)")
    seen = subprocess.run([sys.executable, "-c", READ, str(path)], capture_output=True, text=True, timeout=60)
    assert seen.stdout.strip() == "[(1,), (2,), (3,)]"
    first.close()
