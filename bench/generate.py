"""Generate a realistic benchmark database: N contacts with companies, tags and interactions.

    python bench/generate.py --contacts 100000 [--out /tmp/tinycrm-bench/contacts-100000.sqlite3] [--db URL]

Contacts go through the same service code as `crm add-contact` (services.demo.populate), in large
transactions, so the data, the search index and the audit log look like real use. The result is cached: an
existing file is reused unless --fresh is given.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))


def default_path(n: int) -> Path:
    """The cached database of ``n`` contacts: in $TINYCRM_BENCH_CACHE, or a folder in the temporary directory
    (never the source tree)."""
    import os
    import tempfile

    cache = os.environ.get("TINYCRM_BENCH_CACHE") or Path(tempfile.gettempdir()) / "tinycrm-bench"
    return Path(cache) / f"contacts-{n}.sqlite3"


def generate(n: int, out: Path | None = None, url: str | None = None, fresh: bool = False) -> str:
    from tinycrm.services import demo
    from tinycrm.services.status import status
    from tinycrm.store.database import open_db

    if url is None:
        out = out or default_path(n)
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(str(out) + suffix).unlink(missing_ok=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{out}"
    db = open_db(url)
    have = status(db).contacts
    if have >= n:
        return url
    started = time.perf_counter()
    counts = demo.populate(db, contacts_n=n - have, interactions_per_contact=2.0, seed=11 + have)
    took = time.perf_counter() - started
    print(
        f"generated {counts['contacts']} contacts and {counts['interactions']} interactions in {took:.1f} s",
        file=sys.stderr,
    )
    if db.is_sqlite:
        with db.connection() as conn:
            conn.execute("PRAGMA optimize")
    db.close()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--db", help="a database URL instead of a file (e.g. PostgreSQL)")
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    print(generate(args.contacts, args.out, args.db, args.fresh))


if __name__ == "__main__":
    main()
