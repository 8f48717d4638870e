"""Speed of the web server under load: the contact page and search, 20 clients at once.

    python bench/bench_web.py [--contacts 100000] [--clients 20] [--seconds 10] [--db URL]

Uses the database bench/generate.py builds (cached in bench/data/), copied so the run changes nothing. Starts
``crm serve`` as a real process on a free loopback port, signs in with a password (set on the copy), then runs
``--clients`` aiohttp clients, each with its own session, asking one after the other for: a contact page (a
random contact: the contact, its timeline, tasks and deals), and a search (a random name fragment, as the
search-as-you-type script asks for it). Prints the median and 99th percentile latency of each and the requests
per second.

Target (the issue): median under 20 ms and p99 under 50 ms with 100k contacts on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
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
PASSWORD = "bench horse battery staple"
FRAGMENTS = ["ann", "smi", "mar", "joh", "lee", "mül", "ros", "kim", "van", "ali", "ber", "ols"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, home: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "TINYCRM_HOME": str(home), "TINYCRM_DB": url, "TINYCRM_USER": "bench"}
    subprocess.run(
        [sys.executable, "-m", "tinycrm", "user", "password", "bench"],
        input=PASSWORD + "\n",
        env=env,
        text=True,
        check=True,
        capture_output=True,
    )
    port = free_port()
    log = open(home / "serve.log", "w")  # noqa: SIM115 - kept open for the server's life
    proc = subprocess.Popen(
        [sys.executable, "-m", "tinycrm", "serve", "--port", str(port), "--token-file", str(home / "token")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
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
    raise SystemExit("crm serve did not start: see " + str(home / "serve.log"))


async def sign_in(session, base: str) -> None:  # noqa: ANN001
    async with session.get(base + "/signin") as r:
        token = re.search(r'name="csrf" value="([^"]+)"', await r.text()).group(1)
    form = {"csrf": token, "name": "bench", "password": PASSWORD, "next": "/"}
    async with session.post(base + "/signin", data=form, allow_redirects=False) as r:
        assert r.status == 303, r.status


async def client(base: str, ids: list[int], until: float, seed: int, times: dict[str, list[float]]) -> None:
    import aiohttp

    rng = random.Random(seed)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        await sign_in(session, base)
        while time.monotonic() < until:
            if rng.random() < 0.5:
                kind, path = "contact", f"/contacts/{rng.choice(ids)}"
            else:
                kind, path = "search", f"/contacts?partial=1&q={rng.choice(FRAGMENTS)}"
            start = time.perf_counter()
            async with session.get(base + path) as r:
                await r.read()
                if r.status != 200:
                    raise SystemExit(f"{path}: {r.status}")
            times[kind].append(time.perf_counter() - start)


def contact_ids(url: str, n: int = 2000) -> list[int]:
    from tinycrm.store.database import open_db

    db = open_db(url)
    with db.read() as tx:
        return [r["id"] for r in tx.all("SELECT id FROM contacts ORDER BY id LIMIT :n", {"n": n * 50})][::50]


def report(times: dict[str, list[float]], seconds: float) -> None:
    total = sum(len(v) for v in times.values())
    for kind, values in times.items():
        values.sort()
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        print(
            f"{kind:8} n={len(values):6}  median {statistics.median(values) * 1000:6.1f} ms  p99 {p99 * 1000:6.1f} ms"
        )
    print(f"total    {total} requests in {seconds:.1f} s: {total / seconds:.0f} req/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--db", help="a database URL to use as it is (default: a copy of bench/data's)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tinycrm-bench-web-"))
    if args.db:
        url = args.db
    else:
        from generate import generate

        source = generate(args.contacts).removeprefix("sqlite:///")
        shutil.copy(source, work / "crm.sqlite3")
        url = f"sqlite:///{work / 'crm.sqlite3'}"
    ids = contact_ids(url)
    proc, base = start_server(url, work)
    try:
        times: dict[str, list[float]] = {"contact": [], "search": []}
        started = time.monotonic()
        until = started + args.seconds

        async def run() -> None:
            await asyncio.gather(*(client(base, ids, until, i, times) for i in range(args.clients)))

        asyncio.run(run())
        print(f"{len(ids)} sampled contacts of a {args.contacts}-contact database, {args.clients} clients")
        report(times, time.monotonic() - started)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
