"""Several server processes on one database: ``crm serve --processes 2`` beside a second ``crm serve`` on the same
database and config folder, over real HTTP, on both stores. What one process counts or changes, the others see:
the sign-in limit per address, the web form limit, a session ended by a new password; webhooks are delivered
once however many processes deliver. Then the supervisor: a dead server process is replaced, SIGTERM (or the
parent's death) leaves none behind, and bad ``--processes`` values are refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import aiohttp
import pytest
from api_support import call
from web_support import PASSWORD, Served, crm, descendants, module_store, seed_admin

from hook_receiver import Receiver
from tinycrm.web.generation import EVERY

HTML = {"Accept": "text/html"}


class Pair:
    """``several``: crm serve --processes 2; ``single``: a plain crm serve; one database, one config folder."""

    def __init__(self, url: str, folder, token: str) -> None:  # noqa: ANN001
        self.url, self.folder, self.token = url, folder, token
        env = {
            "TINYCRM_HOME": str(folder / "home"),
            "TINYCRM_USER": "ada",
            "TINYCRM_WEB_TRUSTED_PROXIES": "127.0.0.1",
            "TINYCRM_HOOKS_POLL_S": "0.1",
        }
        self.several = Served(folder / "several", db_url=url, args=("--processes", "2"), env=env)
        try:
            self.single = Served(folder / "single", db_url=url, env=env)
        except BaseException:
            self.several.stop()
            raise

    @property
    def both(self) -> tuple[Served, Served]:
        return self.several, self.single

    def stop(self) -> None:
        self.several.stop()
        self.single.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp(f"pair-{request.param}")
    urls = module_store(request.param, folder)
    url = next(urls)
    served = Pair(url, folder, seed_admin(url))
    yield served
    served.stop()
    next(urls, None)  # drops the PostgreSQL database


def client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def csrf(s: aiohttp.ClientSession, server: Served) -> str:
    async with s.get(f"{server.url}/signin", headers=HTML) as r:
        return (await r.text()).split('name="csrf" value="', 1)[1].split('"', 1)[0]


async def sign_in(s: aiohttp.ClientSession, server: Served, name: str, password: str, address: str) -> int:
    form = {"csrf": await csrf(s, server), "name": name, "password": password, "next": "/"}
    headers = {"X-Forwarded-For": address}
    async with s.post(f"{server.url}/signin", data=form, headers=headers, allow_redirects=False) as r:
        return r.status


def test_the_server_processes_share_the_port_and_say_so_once(pair):
    several = pair.several
    assert len(descendants(several.proc.pid)) == 2
    assert descendants(pair.single.proc.pid) == []
    out = several.stdout()
    assert out.count("open http://") == 1, out
    assert "with 2 server processes" in several.output()
    for _ in range(20):  # new connections, answered by either process
        with urllib.request.urlopen(f"{several.url}/healthz", timeout=10) as r:
            assert r.read() == b"ok\n"


def connections(pid: int, port: int) -> int:
    """The established TCP connections to ``port`` that process ``pid`` holds (from /proc)."""
    inodes = set()
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(path) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                    inodes.add(fields[9])
    held = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        held += target.startswith("socket:[") and target[8:-1] in inodes
    return held


def test_kept_open_connections_are_spread_over_the_processes(pair):
    """Keep-alive clients arriving one after the other end up in both processes (each takes one new connection
    at a time from the shared socket)."""
    import http.client

    several = pair.several
    clients = []
    try:
        for _ in range(20):
            conn = http.client.HTTPConnection("127.0.0.1", several.port, timeout=10)
            conn.request("GET", "/healthz")
            assert conn.getresponse().read() == b"ok\n"
            clients.append(conn)
            time.sleep(0.02)
        held = [connections(pid, several.port) for pid in descendants(several.proc.pid)]
        assert sum(held) == 20 and min(held) >= 1, held
    finally:
        for conn in clients:
            conn.close()


def test_a_burst_of_new_connections_is_shared_evenly(pair):
    """Twenty clients connecting at once (a load test's, a proxy's pool) are shared about evenly: every process
    wakes for each new connection and the same one tended to win every race, so all twenty went to one process
    and the other idled. A process holding connections now lets one holding fewer take the next."""
    import socket

    several = pair.several
    socks = [socket.create_connection(("127.0.0.1", several.port), timeout=10) for _ in range(20)]
    try:
        for sock in socks:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        for sock in socks:
            assert sock.recv(4096).startswith(b"HTTP/1.1 200"), "no answer"
        held = [connections(pid, several.port) for pid in descendants(several.proc.pid)]
        assert sum(held) == 20 and min(held) >= 6, held
    finally:
        for sock in socks:
            sock.close()


@pytest.mark.slow  # 22 sign-ins, each checking a password hash on purpose slowly
async def test_the_sign_in_limit_per_address_counts_in_every_process(pair):
    """20 attempts per address in 5 minutes, wherever they land; another address is counted apart."""
    address = "192.0.2.44"
    async with client() as s:
        for n in range(20):
            server = pair.both[n % 2]
            # a new name each time: the lock-out per name never comes into it
            assert await sign_in(s, server, f"guess{n}", "wrong", address) == 401
        for server in pair.both:
            assert await sign_in(s, server, "ada", PASSWORD, address) == 429
        assert await sign_in(s, pair.single, "ada", PASSWORD, "192.0.2.45") == 303


async def test_the_form_limit_per_address_counts_in_every_process(pair):
    made = json.loads(crm(pair.url, pair.folder, "form", "add", "Flood", "--fields", "email", "--json"))
    codes = []
    async with aiohttp.ClientSession() as s:
        for n in range(7):
            server = pair.both[n % 2]
            async with s.post(
                f"{server.url}{made['path']}",
                data={"email": f"f{n}@example.com"},
                headers={"Accept": "application/json", "X-Forwarded-For": "198.51.100.9"},
            ) as r:
                codes.append(r.status)
    assert codes == [200] * 5 + [429, 429]


async def test_a_new_password_ends_the_session_in_every_process(pair):
    from tinycrm.services.team import accounts
    from tinycrm.store.database import open_db

    async with client() as s:
        assert await sign_in(s, pair.single, "ada", PASSWORD, "192.0.2.80") == 303

        async def statuses() -> set[int]:
            out = set()
            for server in (*pair.both, *pair.both):  # each request on a new connection
                async with s.get(
                    f"{server.url}/contacts", headers={**HTML, "Connection": "close"}, allow_redirects=False
                ) as r:
                    out.add(r.status)
            return out

        assert await statuses() == {200}  # the session works (and is remembered) everywhere
        db = open_db(pair.url)
        try:
            db.actor = "ada"  # type: ignore[attr-defined]
            accounts.set_password(db, "ada", PASSWORD + " again")
            changed = time.monotonic()
            import asyncio

            while await statuses() != {303}:
                assert time.monotonic() - changed < 2 * EVERY + 1, "a process still lets the old session in"
                await asyncio.sleep(0.1)
        finally:
            accounts.set_password(db, "ada", PASSWORD)
            db.close()


def test_a_revoked_token_is_refused_by_every_process(pair):
    from tinycrm.services.team import accounts
    from tinycrm.store.database import open_db

    db = open_db(pair.url)
    try:
        db.actor = "ada"  # type: ignore[attr-defined]
        token_id, secret = accounts.create_token(db, "ada", "short-lived", "read")
        servers = (*pair.both, *pair.both)
        assert {call(s.url, "GET", "/api/v1/contacts", secret).status for s in servers} == {200}
        accounts.revoke_token(db, token_id)
        revoked = time.monotonic()
        while {call(s.url, "GET", "/api/v1/contacts", secret).status for s in servers} != {401}:
            assert time.monotonic() - revoked < 2 * EVERY + 1, "a process still takes the revoked token"
            time.sleep(0.1)
    finally:
        db.close()


def test_three_delivering_processes_send_each_event_once(pair):
    """The two processes of one server and a second server all deliver: each event reaches the receiver once."""
    from tinycrm.services.hooks import registry
    from tinycrm.store.database import open_db

    receiver = Receiver()
    db = open_db(pair.url)
    try:
        db.actor = "ada"  # type: ignore[attr-defined]
        receiver.secret = registry.add(db, receiver.url, ["contact.created"]).secret
        made = []
        for n in range(30):
            server = pair.both[n % 2]
            reply = call(server.url, "POST", "/api/v1/contacts", pair.token, {"display_name": f"Hook {n}"})
            assert reply.status == 201, reply.doc
            made.append(reply.doc["id"])
        deadline = time.monotonic() + 60
        while len(receiver.got) < len(made):
            assert time.monotonic() < deadline, f"{len(receiver.got)} of {len(made)} delivered"
            time.sleep(0.1)
        time.sleep(1.0)  # time for a second delivery, if there were one
        ids = [r.msg_id for r in receiver.got]
        assert len(ids) == len(set(ids)) == len(made)
        assert sorted(r.event["data"]["id"] for r in receiver.got) == sorted(made)
        assert receiver.bad_signatures == 0
    finally:
        db.close()
        receiver.stop()


# --- the supervisor -------------------------------------------------------------------------------------


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(condition, timeout: float = 30) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def several(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    server = Served(tmp_path / "server", db_url=url, args=("--processes", "2"))
    yield server
    server.stop()


def test_a_dead_server_process_is_replaced_and_sigterm_leaves_none_behind(several):
    first = descendants(several.proc.pid)
    assert len(first) == 2
    os.kill(first[0], signal.SIGKILL)
    wait_until(
        lambda: len(descendants(several.proc.pid)) == 2 and first[0] not in descendants(several.proc.pid)
    )
    with urllib.request.urlopen(f"{several.url}/healthz", timeout=10) as r:
        assert r.status == 200
    assert "exited" in several.output() or "was killed by signal SIGKILL" in several.output()
    children = descendants(several.proc.pid)
    several.proc.send_signal(signal.SIGTERM)
    assert several.proc.wait(timeout=30) == 0
    wait_until(lambda: not any(alive(pid) for pid in children))


def test_server_processes_that_keep_dying_at_start_stop_the_server(several):
    """A replacement that cannot start (here: the cookie key damaged meanwhile) is not started forever: after
    three such deaths in a row the server stops, exit status 1, saying why."""
    (key,) = list(several.folder.rglob("web-secret"))
    key.write_text("short\n")
    children = descendants(several.proc.pid)
    os.kill(children[0], signal.SIGKILL)
    assert several.proc.wait(timeout=60) == 1
    output = several.output()
    assert "died right after starting" in output and "kept dying" in output, output
    wait_until(lambda: not any(alive(pid) for pid in children))


def test_a_killed_parent_takes_its_server_processes_along(several):
    children = descendants(several.proc.pid)
    assert len(children) == 2
    several.proc.kill()
    several.proc.wait(timeout=10)
    wait_until(lambda: not any(alive(pid) for pid in children))


@pytest.mark.parametrize("value", ["0", "65", "-1"])
def test_bad_process_counts_are_refused_in_one_line(value, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "tinycrm", "serve", "--processes", value],
        env={**os.environ, "TINYCRM_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--processes" in done.stderr and "1 to 64" in done.stderr


def test_a_bad_processes_setting_is_refused(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "tinycrm", "serve"],
        env={**os.environ, "TINYCRM_HOME": str(tmp_path), "TINYCRM_WEB_PROCESSES": "100"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "processes" in done.stderr and "Traceback" not in done.stderr
