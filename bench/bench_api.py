"""Speed of the API's contact search under concurrent clients, against a real ``crm serve``.

    python bench/bench_api.py [--contacts 100000] [--clients 20] [--seconds 20] [--db URL] [--processes N]
                              [--queries words|names]

Uses a copy of the database of ``bench/generate.py`` (made and cached when missing), adds an API token,
starts ``crm serve`` on a free loopback port, and lets --clients clients (bench/webload.py: a lean keep-alive
client, so that the load generator takes little of the cores it shares with the server) search
``GET /api/v1/contacts?q=WORD&limit=20`` back to back for --seconds, each with words drawn (seeded) from the
contacts' names: one word of a name (``--queries words``, the default: each matches about 2% of the generated
contacts, the costliest kind of search) or a whole name (``--queries names``: ``Ada García``, a few dozen). Prints the median and 99th percentile latency, the requests per second, and the CPU time per
request of the server (all its processes) and of the load generator, with the load average before and after.

Target (issue 17): median under 20 ms, 99th percentile under 50 ms with 20 clients on 100k contacts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

import webload  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str) -> tuple[str, list[str], list[str]]:
    """A write token for the bench user, and what to search for: the words of the contacts' names, and the
    names."""
    from tinycrm.services.team import accounts
    from tinycrm.store.database import open_db

    db = open_db(url)
    try:
        db.actor = "bench"  # type: ignore[attr-defined]
        with db.read() as tx:
            admin = tx.scalar("SELECT name FROM users WHERE role = 'admin' ORDER BY id LIMIT 1")
            names = tx.column("SELECT display_name FROM contacts ORDER BY id LIMIT 2000")
        db.actor = admin or "bench"  # type: ignore[attr-defined]
        _, secret = accounts.create_token(db, db.actor, f"bench {time.time():.0f}", "read")  # type: ignore[attr-defined]
    finally:
        db.close()
    words = sorted({w for n in names for w in n.split() if len(w) >= 3 and w.isalpha()})
    return secret, words, sorted(set(names))


def start(url: str, home: str, processes: int = 1) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "TINYCRM_HOME": home, "TINYCRM_HOOKS_POLL_S": "60"}
    env.pop("TINYCRM_DB", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tinycrm",
            "--db",
            url,
            "serve",
            "--port",
            str(port),
            "--processes",
            str(processes),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("crm serve did not start")


def picker(words: list[str]) -> webload.NextRequest:
    def pick(rng: random.Random) -> tuple[str, str]:
        return "search", f"/api/v1/contacts?{urlencode({'q': rng.choice(words), 'limit': '20'})}"

    return pick


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--db", help="a database URL to use as it is (default: a copy of the generated one)")
    parser.add_argument(
        "--processes", type=int, default=1, help="server processes (crm serve --processes N; default 1)"
    )
    parser.add_argument(
        "--queries", choices=("words", "names"), default="words", help="search one word of a name, or a name"
    )
    args = parser.parse_args()

    from generate import generate

    with tempfile.TemporaryDirectory() as home:
        if args.db:
            url = args.db
        else:  # a copy: the token the bench adds stays out of the cached database
            shutil.copy(generate(args.contacts).removeprefix("sqlite:///"), Path(home) / "crm.sqlite3")
            url = f"sqlite:///{Path(home) / 'crm.sqlite3'}"
        token, words, names = prepare(url)
        if args.queries == "names":
            words = names
        proc, base = start(url, home, args.processes)
        before = webload.load_line("before the run")
        try:
            headers = [{"Authorization": f"Bearer {token}"}] * args.clients
            asyncio.run(webload.run(base, headers, picker(words[:50]), 2.0, None))  # warm up
            result = asyncio.run(webload.run(base, headers, picker(words), args.seconds, proc.pid))
        finally:
            proc.terminate()
            proc.wait(30)
    print(
        f"API search ({args.queries}), {args.contacts} contacts, {args.clients} clients, {args.seconds:g} s, "
        f"{args.processes} server process(es)"
    )
    webload.report(result)
    print(before)


if __name__ == "__main__":
    main()
