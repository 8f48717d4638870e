"""Speed of campaigns: freezing a large segment, and handing mail to a local SMTP server.

    python bench/bench_marketing.py [--contacts 100000] [--send 2000] [--db URL]

Builds a database of N contacts, each with one opted-in address (bulk SQL inserts), then times:

* freezing a campaign to a segment of all of them (one INSERT ... SELECT): target under 2 s for 100k;
* ``crm campaign send`` of a campaign to --send of them through an aiosmtpd server in its own process, with
  --rate unlimited: target at least 200 messages a second (rendering, the two commits per recipient, SMTP).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

SERVER = """
import sys, time
from aiosmtpd.controller import Controller
class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
c = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
time.sleep(3600)
"""


def populate(url: str, n: int) -> None:
    from tinycrm.store.database import open_db

    db = open_db(url)
    now = datetime.now(UTC)
    with db.write() as tx:
        have = tx.scalar("SELECT count(*) FROM contacts")
        for start in range(have, n, 5000):
            ids = range(start, min(n, start + 5000))
            tx.executemany(
                "INSERT INTO contacts (id, uid, display_name, given_name, sort_name, archived, created_at, "
                "updated_at, version) VALUES (:i, :u, :n, :g, :s, false, :t, :t, 1)",
                [
                    {
                        "i": i + 1,
                        "u": f"bench-{i}",
                        "n": f"Person {i}",
                        "g": "Person",
                        "s": f"person {i:07d}",
                        "t": now,
                    }
                    for i in ids
                ],
            )
            tx.executemany(
                "INSERT INTO contact_emails (contact_id, position, value, value_key) VALUES (:c, 0, :v, :v)",
                [{"c": i + 1, "v": f"p{i}@example.com"} for i in ids],
            )
            tx.executemany(
                "INSERT INTO consents (address_key, contact_id, status, source, changed_at, soft_bounces) "
                "VALUES (:v, :c, 'opted-in', 'bench', :t, 0)",
                [{"c": i + 1, "v": f"p{i}@example.com", "t": now} for i in ids],
            )
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--send", type=int, default=2000)
    parser.add_argument("--db", help="a database URL (default: a new SQLite file)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-marketing-"))
    url = args.db or f"sqlite:///{work / 'crm.sqlite3'}"
    os.environ["TINYCRM_HOME"] = str(work)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (work / "config.toml").write_text(
        textwrap.dedent(
            f"""\
            [smtp]
            host = "127.0.0.1"
            port = {port}
            from = "news@example.com"
            [marketing]
            unsubscribe_address = "leave@example.com"
            """
        )
    )
    started = time.perf_counter()
    populate(url, args.contacts)
    print(f"populated {args.contacts} contacts in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    from tinycrm.services.marketing import campaigns, segments, sending
    from tinycrm.store.database import open_db

    db = open_db(url)
    segments.add(db, f"all-{time.time_ns()}", "has:email")
    seg = segments.list_segments(db)[-1].name
    big = f"big-{time.time_ns()}"
    campaigns.add(
        db,
        big,
        segment=seg,
        subject="Hello {{ contact.given_name }}",
        template="Hi **{{ contact.display_name }}**",
    )
    started = time.perf_counter()
    frozen = sending.freeze(db, big)
    took = time.perf_counter() - started
    print(f"freeze: {frozen} recipients in {took:.2f} s (target < 2 s)")

    segments.add(db, f"some-{time.time_ns()}", "has:email created:>2000-01-01")
    small_seg = segments.list_segments(db)[-1].name
    with db.write() as tx:
        tx.execute("UPDATE consents SET status = 'opted-out' WHERE contact_id > :n", {"n": args.send})
    small = f"small-{time.time_ns()}"
    campaigns.add(
        db,
        small,
        segment=small_seg,
        subject="Hello {{ contact.given_name }}",
        template="Hi **{{ contact.display_name }}**",
    )
    db.close()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().startswith("ready")
        env = {**os.environ, "TINYCRM_DB": url}
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from tinycrm.cli import main; sys.exit(main())",
                "campaign",
                "send",
                small,
                "--yes",
            ],
            env=env,
            check=True,
        )
        took = time.perf_counter() - started
    finally:
        server.kill()
        server.wait()
    print(
        f"send: {args.send} messages in {took:.2f} s = {args.send / took:.0f} msg/s (target >= 200), process start included"
    )


if __name__ == "__main__":
    main()
