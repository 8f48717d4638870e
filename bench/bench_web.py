"""Speed of the web server under load: the contact page and search, 20 clients at once.

    python bench/bench_web.py [--contacts 100000] [--clients 20] [--seconds 10] [--db URL] [--processes N]

Uses the database bench/generate.py builds (and caches), copied so the run changes nothing. Starts
``crm serve`` as a real process on a free loopback port, signs in with a password (set on the copy), then runs
``--clients`` clients (bench/webload.py: one keep-alive connection each, a lean client so that the load
generator takes little of the cores it shares with the server), each with its own session, asking one after
the other for: a contact page (a random contact: the contact, its timeline, tasks and deals), and a search (a
random name fragment, as the search-as-you-type script asks for it). After a second of warm-up, prints the
median and 99th percentile latency of each, the requests per second, and the CPU time per request of the
server (all its processes) and of the load generator, with the load average before and after.

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
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

import webload  # noqa: E402

PASSWORD = "bench horse battery staple"
FRAGMENTS = ["ann", "smi", "mar", "joh", "lee", "mül", "ros", "kim", "van", "ali", "ber", "ols"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, home: Path, user: str, processes: int = 1) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "TINYCRM_HOME": str(home), "TINYCRM_DB": url, "TINYCRM_USER": user}
    subprocess.run(
        [sys.executable, "-m", "tinycrm", "user", "password", user],
        input=PASSWORD + "\n",
        env=env,
        text=True,
        check=True,
        capture_output=True,
    )
    port = free_port()
    log = open(home / "serve.log", "w")  # noqa: SIM115 - kept open for the server's life
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tinycrm",
            "serve",
            "--port",
            str(port),
            "--token-file",
            str(home / "token"),
            "--processes",
            str(processes),
        ],
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


async def sign_in(session, base: str, user: str) -> None:  # noqa: ANN001
    async with session.get(base + "/signin") as r:
        token = re.search(r'name="csrf" value="([^"]+)"', await r.text()).group(1)
    form = {"csrf": token, "name": user, "password": PASSWORD, "next": "/"}
    async with session.post(base + "/signin", data=form, allow_redirects=False) as r:
        assert r.status == 303, r.status


def picker(ids: list[int]) -> webload.NextRequest:
    def pick(rng: random.Random) -> tuple[str, str]:
        if rng.random() < 0.5:
            return "contact", f"/contacts/{rng.choice(ids)}"
        return "search", f"/contacts?partial=1&q={quote(rng.choice(FRAGMENTS))}"

    return pick


async def cookies(base: str, user: str, clients: int) -> list[dict[str, str]]:
    """Sign ``clients`` browsers in; the Cookie header of each."""
    import aiohttp
    from yarl import URL

    out = []
    for _ in range(clients):
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            await sign_in(session, base, user)
            jar = session.cookie_jar.filter_cookies(URL(base))
            out.append({"Cookie": "; ".join(f"{k}={m.value}" for k, m in jar.items())})
    return out


async def load(
    base: str, user: str, ids: list[int], clients: int, seconds: float, pid: int
) -> webload.Result:
    """Sign ``clients`` browsers in, warm up for a second, then run them all for ``seconds``."""
    headers = await cookies(base, user, clients)
    await webload.run(base, headers, picker(ids), 1.0, None)
    return await webload.run(base, headers, picker(ids), seconds, pid)


def sample(url: str, n: int = 2000) -> tuple[list[int], str]:
    """Every 50th contact id (``n`` of them) and an admin's name (the bench signs in as them)."""
    from tinycrm.store.database import open_db

    db = open_db(url)
    with db.read() as tx:
        ids = [r["id"] for r in tx.all("SELECT id FROM contacts ORDER BY id LIMIT :n", {"n": n * 50})][::50]
        admin = tx.scalar("SELECT name FROM users WHERE role = 'admin' AND active ORDER BY id LIMIT 1")
    db.close()
    return ids, admin or "bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--db", help="a database URL to use as it is (default: a copy of the generated one)")
    parser.add_argument(
        "--processes", type=int, default=1, help="server processes (crm serve --processes N; default 1)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tinycrm-bench-web-"))
    if args.db:
        url = args.db
    else:
        from generate import generate

        source = generate(args.contacts).removeprefix("sqlite:///")
        shutil.copy(source, work / "crm.sqlite3")
        url = f"sqlite:///{work / 'crm.sqlite3'}"
    ids, user = sample(url)
    proc, base = start_server(url, work, user, args.processes)
    try:
        before = webload.load_line("before the run")
        result = asyncio.run(load(base, user, ids, args.clients, args.seconds, proc.pid))
        print(
            f"{len(ids)} sampled contacts of a {args.contacts}-contact database, {args.clients} clients, "
            f"{args.processes} server process(es)"
        )
        webload.report(result)
        print(before)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
