"""Read-path figures of `crm` on PostgreSQL next to the same figures on SQLite, on the same 100k contacts.

    python bench/bench_pg.py [--contacts 100000] [--runs 15] [--pg postgresql+psycopg://USER:PASS@HOST/postgres]

The SQLite database comes from bench/generate.py (cached in /tmp/tinycrm-bench/); the PostgreSQL one is made from it
with `crm db copy` (bulk inserts, one transaction, verified by counts and checksums), into a database named
tinycrm_bench_N on the server (kept for the next run; --fresh rebuilds it). Whole-process wall time, median of
--runs, output to a pipe, as ratios to `python -c pass` measured in the same run. The import of psycopg,
which only PostgreSQL pays, is measured on its own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))


def timed(cmd: list[str], env: dict[str, str], runs: int) -> float:
    """The median wall time of ``runs`` runs (the minimum is kept in ``BEST`` for busy machines)."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        samples.append(time.perf_counter() - started)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode()[-500:]}")
    BEST[" ".join(cmd)] = min(samples)
    return statistics.median(samples)


BEST: dict[str, float] = {}


def pg_database(admin_url: str, sqlite_url: str, n: int, fresh: bool) -> str:
    """The PostgreSQL copy of the SQLite benchmark database (made once, then reused)."""
    import psycopg

    from tinycrm.services.interchange import dbcopy
    from tinycrm.store.database import open_db, pg_conninfo

    name = f"tinycrm_bench_{n}"
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(pg_conninfo(admin_url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    target = open_db(url)
    with target.read() as tx:
        have = tx.scalar("SELECT count(*) FROM contacts")
    if have >= n:
        target.close()
        return url
    if have:
        raise SystemExit(f"{name} holds {have} contacts, fewer than {n}: run again with --fresh")
    source = open_db(sqlite_url)
    started = time.perf_counter()
    report = dbcopy.copy(source, target)
    took = time.perf_counter() - started
    rate = report.rows / took
    print(
        f"crm db copy: {report.rows} rows into PostgreSQL in {took:.1f} s ({rate:,.0f} rows/s), verified, "
        f"{report.indexed} contacts indexed",
        file=sys.stderr,
    )
    with psycopg.connect(pg_conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    source.close()
    target.close()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--pg",
        default=os.environ.get("TINYCRM_BENCH_PG") or os.environ.get("TINYCRM_TEST_PG"),
        help="an admin URL on the PostgreSQL server (default: TINYCRM_BENCH_PG, TINYCRM_TEST_PG)",
    )
    parser.add_argument("--fresh", action="store_true", help="rebuild the PostgreSQL copy")
    args = parser.parse_args()
    if not args.pg:
        raise SystemExit(
            "give --pg postgresql+psycopg://USER:PASS@HOST:5432/postgres (or set TINYCRM_BENCH_PG)"
        )

    from generate import generate

    cached = generate(args.contacts)
    home = tempfile.mkdtemp(prefix="tinycrm-bench-pg-")
    # work on a copy of the cached file: opening it must never change the cache
    scratch = Path(home) / "bench.sqlite3"
    shutil.copy(cached.removeprefix("sqlite:///"), scratch)
    sqlite_url = f"sqlite:///{scratch}"
    pg_url = pg_database(args.pg, sqlite_url, args.contacts, args.fresh)

    crm = shutil.which("crm", path=str(Path(sys.executable).parent)) or "crm"
    env = {**os.environ, "TINYCRM_HOME": home, "NO_COLOR": "1", "TINYCRM_USER": "bench"}
    env.pop("TINYCRM_DB", None)
    for url in (sqlite_url, pg_url):  # warm the caches (and open each once)
        subprocess.run(
            [crm, "--db", url, "contact", "list", "--limit", "1"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    base = timed([sys.executable, "-c", "pass"], env, args.runs)
    base_min = BEST[f"{sys.executable} -c pass"]
    opening = "from tinycrm.store.database import open_db; open_db({!r}).connection()"
    alone = [
        ("python -c 'import psycopg'", [sys.executable, "-c", "import psycopg"]),
        ("python -c 'import sqlite3'", [sys.executable, "-c", "import sqlite3"]),
        ("open the SQLite database", [sys.executable, "-c", opening.format(sqlite_url)]),
        ("open the PostgreSQL database", [sys.executable, "-c", opening.format(pg_url)]),
    ]
    cases = [
        ("crm search ada", ["search", "ada"]),
        ("crm search tag:vip müll", ["search", "tag:vip", "müll"]),
        ("crm search <rare name>", ["search", "zyx"]),
        ("crm contact list --limit 20", ["contact", "list", "--limit", "20"]),
        ("crm contact list --mine", ["contact", "list", "--mine"]),
    ]
    print(f"SQLite:     {scratch} ({args.contacts} contacts)")
    print(f"PostgreSQL: {pg_url.split('@')[-1]}")
    print(f"python -c pass: median {base * 1000:.1f} ms, best {base_min * 1000:.1f} ms ({args.runs} runs)")
    print("ms: median (best); ratio: median / median of python -c pass")
    for name, cmd in alone:
        t = timed(cmd, env, args.runs)
        best = BEST[" ".join(cmd)]
        extra = (best - base_min) * 1000
        print(f"{name:34} {t * 1000:7.1f} ({best * 1000:5.1f}) ms {t / base:5.1f}x  (+{extra:.1f} ms)")
    print(f"\n{'command':30} {'SQLite ms':>17} {'ratio':>6} {'PostgreSQL ms':>17} {'ratio':>6}  target")
    for name, argv in cases:
        row = []
        for url in (sqlite_url, pg_url):
            cmd = [crm, "--db", url, *argv]
            t = timed(cmd, env, args.runs)
            row.append((t, BEST[" ".join(cmd)], t / base))
        (ts, bs, rs), (tp, bp, rp) = row
        print(
            f"{name:30} {ts * 1000:8.1f} ({bs * 1000:5.1f}) {rs:5.1f}x {tp * 1000:8.1f} ({bp * 1000:5.1f}) "
            f"{rp:5.1f}x  <=10x {'ok' if max(rs, rp) <= 10 else 'OVER'}"
        )
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
