"""Speed of ``crm ticket list`` on a large support desk, as a ratio to `python -c pass` measured in the same run.

    python bench/bench_support.py [--tickets 100000] [--runs 11] [--fresh]

Builds (and caches in bench/data/) a SQLite database of 10,000 contacts and N tickets in every status and
priority, assigned to five users, with a message each, using bulk SQL inserts in one transaction (not through
the services). Then times whole `crm ticket list` processes (the first page, open work first by SLA due time;
also `--mine` and `--breaching`), output to a pipe, median of --runs.

Target: `crm ticket list` <= 10x `python -c pass`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

STATUSES = ["new", "open", "open", "pending", "resolved", "closed", "closed", "closed"]
QUEUE = {"new": 0, "open": 0, "pending": 1, "resolved": 2, "closed": 3}
PRIORITIES = ["low", "normal", "normal", "high", "urgent"]
BATCH = 5000


def generate(n: int, fresh: bool) -> str:
    from tinycrm.store.database import open_db

    out = HERE / "data" / f"tickets-{n}.sqlite3"
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(str(out) + suffix).unlink(missing_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{out}"
    db = open_db(url)
    with db.read() as tx:
        have = tx.scalar("SELECT count(*) FROM tickets")
    if have >= n:
        db.close()
        return url
    rnd = random.Random(14)
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    with db.write() as tx:
        users = []
        for name in ("ann", "bob", "carol", "dave", "erin"):
            users.append(
                tx.insert(
                    "INSERT INTO users (name, role, active, created_at) VALUES (:n, 'member', :a, :t) RETURNING id",
                    {"n": name, "a": True, "t": now},
                )
            )
        contacts = [
            {"id": i, "uid": f"bench-{i}", "d": f"Customer {i}", "s": f"customer {i}", "t": now}
            for i in range(1, 10_001)
        ]
        tx.executemany(
            "INSERT INTO contacts (id, uid, display_name, sort_name, archived, created_at, updated_at, version) "
            "VALUES (:id, :uid, :d, :s, false, :t, :t, 1)",
            contacts,
        )
        rows, messages = [], []
        for i in range(1, n + 1):
            status = rnd.choice(STATUSES)
            created = now - timedelta(minutes=rnd.randint(0, 60 * 24 * 365))
            fr = created + timedelta(hours=rnd.choice([1, 4, 8, 24]))
            res = fr + timedelta(hours=rnd.choice([8, 16, 40, 80]))
            responded = created + timedelta(hours=1) if status != "new" else None
            due = (fr if responded is None else res) if QUEUE[status] == 0 else None
            rows.append(
                {
                    "id": i,
                    "s": f"Ticket about problem {i}",
                    "c": rnd.randint(1, 10_000),
                    "st": status,
                    "q": QUEUE[status],
                    "p": rnd.choice(PRIORITIES),
                    "a": rnd.choice(users + [None]),
                    "fr": fr,
                    "res": res,
                    "due": due,
                    "resp": responded,
                    "t": created,
                }
            )
            messages.append({"t": i, "b": f"Message of ticket {i}", "at": created})
        for start in range(0, n, BATCH):
            tx.executemany(
                "INSERT INTO tickets (id, subject, contact_id, status, queue, priority, channel, assignee_id, "
                "first_response_due, resolution_due, sla_due, first_responded_at, created_at, updated_at, version) "
                "VALUES (:id, :s, :c, :st, :q, :p, 'mail', :a, :fr, :res, :due, :resp, :t, :t, 1)",
                rows[start : start + BATCH],
            )
            tx.executemany(
                "INSERT INTO ticket_messages (ticket_id, kind, author, body, created_at) "
                "VALUES (:t, 'in', 'customer@example.com', :b, :at)",
                messages[start : start + BATCH],
            )
    with db.write() as tx:
        tx.execute("ANALYZE")
    db.close()
    print(f"built {n} tickets in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return url


def timed(args: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    url = generate(args.tickets, args.fresh)
    crm = str(Path(sys.executable).with_name("crm"))
    env = {**os.environ, "TINYCRM_DB": url, "TINYCRM_USER": "ann"}
    floor = timed([sys.executable, "-c", "pass"], args.runs, env)
    print(f"python -c pass: {floor * 1000:.0f} ms")
    for extra in ([], ["--mine"], ["--breaching"], ["--status", "closed", "--offset", "50000"]):
        seconds = timed([crm, "ticket", "list", *extra], args.runs, env)
        label = " ".join(["crm ticket list", *extra])
        print(f"{label:<50} {seconds * 1000:6.0f} ms  {seconds / floor:5.1f}x")


if __name__ == "__main__":
    main()
