"""Speed of the API's contact search under concurrent clients, against a real ``crm serve``.

    python bench/bench_api.py [--contacts 100000] [--clients 20] [--seconds 20] [--db URL]

Uses the database of ``bench/generate.py`` (made, and cached in bench/data/, when missing), adds an API token,
starts ``crm serve`` on a free loopback port, and lets --clients aiohttp clients search
``GET /api/v1/contacts?q=WORD&limit=20`` back to back for --seconds, each with words drawn (seeded) from the
contacts' names. Prints the median and 99th percentile latency and the requests per second.

Target (issue 17): median under 20 ms, 99th percentile under 50 ms with 20 clients on 100k contacts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str) -> tuple[str, list[str]]:
    """A write token for the bench user, and words to search for (from the contacts' names)."""
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
    return secret, words


def start(url: str, home: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "TINYCRM_HOME": home, "TINYCRM_HOOKS_POLL_S": "60"}
    env.pop("TINYCRM_DB", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tinycrm", "--db", url, "serve", "--port", str(port)],
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


async def client(
    base: str,
    token: str,
    words: list[str],
    rng: random.Random,
    until: float,
    out: list[float],
    errors: list[int],
) -> None:
    import aiohttp

    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        while time.monotonic() < until:
            word = rng.choice(words)
            began = time.perf_counter()
            async with session.get(f"{base}/api/v1/contacts", params={"q": word, "limit": "20"}) as resp:
                await resp.read()
                if resp.status != 200:
                    errors.append(resp.status)
            out.append(time.perf_counter() - began)


async def load(
    base: str, token: str, words: list[str], clients: int, seconds: float
) -> tuple[list[float], list[int], float]:
    until = time.monotonic() + seconds
    out: list[float] = []
    errors: list[int] = []
    began = time.monotonic()
    await asyncio.gather(
        *(client(base, token, words, random.Random(i), until, out, errors) for i in range(clients))
    )
    return out, errors, time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--db", help="a database URL (default: the generated SQLite file)")
    args = parser.parse_args()

    from generate import generate

    url = args.db or generate(args.contacts)
    token, words = prepare(url)
    with tempfile.TemporaryDirectory() as home:
        proc, base = start(url, home)
        try:
            asyncio.run(load(base, token, words[:50], args.clients, 2.0))  # warm up
            times, errors, took = asyncio.run(load(base, token, words, args.clients, args.seconds))
        finally:
            proc.terminate()
            proc.wait(30)
    ms = sorted(t * 1000 for t in times)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(
        f"API search, {args.contacts} contacts, {args.clients} clients, {args.seconds:g} s: {len(ms)} requests"
    )
    print(
        f"median {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, {len(ms) / took:.0f} requests/s, errors {len(errors)}"
    )


if __name__ == "__main__":
    main()
