"""``crm serve --processes N``: N server processes on one listening socket, so that every core serves (Linux).

One ``crm serve`` process runs Python on one core at a time, however many worker threads it has. With
``--processes N`` the parent checks that the server may start, binds the address once, prints the startup lines
once, then forks N server processes that accept from that same socket (the kernel hands each new connection to
one of them). Each process has its own event loop, worker threads and database connections (a SQLite pool per
process). What they must agree on lives in the database: sessions and tokens are checked there (the accounts'
generation, read at most every second by each process), rate limits are counted there
(:mod:`tinycrm.services.ratelimit`), webhook deliveries are leased there
(:mod:`tinycrm.services.hooks.delivery`). ``--max-sessions`` counts the full-screen app sessions of each
process.

The parent only supervises:

- SIGTERM or SIGINT: every server process is asked to stop (SIGTERM: open requests finish, full-screen sessions
  close); one still running after :data:`STOP_WAIT` seconds is killed. Then the parent exits 0.
- A server process that dies is reported on stderr and replaced by a new one, as a supervisor such as systemd
  would restart a lone server. A process that dies within :data:`EARLY` seconds of its start counts as a
  failed start; after :data:`MAX_EARLY_DEATHS` failed starts in a row the whole server stops, exit status 1
  (something is wrong that another try will not mend: read the log).
- Each server process asks Linux to send it SIGTERM when the parent dies (``PR_SET_PDEATHSIG``), so none is
  left behind even when the parent is killed with SIGKILL.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from tinycrm.config.web import MAX_PROCESSES as MAX_PROCESSES
from tinycrm.domain.errors import CrmError, Refused
from tinycrm.web.settings import ServeOptions

log = logging.getLogger("tinycrm.web")

#: seconds the parent waits for its server processes to stop before killing them
STOP_WAIT = 20.0
#: a server process that dies this soon after its start did not start
EARLY = 5.0
#: failed starts in a row after which the server stops
MAX_EARLY_DEATHS = 3
#: how often the parent looks at its server processes (seconds)
TICK = 0.2
#: seconds a server process waits, per connection it holds open, before it accepts a new one (see shared_site)
ACCEPT_STEP = 0.0005
#: ... and at most
ACCEPT_WAIT = 0.01
#: the signals that stop the server
SIGNALS = (signal.SIGTERM, signal.SIGINT)


def bind(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for ``host`` (every address it resolves to, as aiohttp binds them) and ``port``."""
    import errno

    try:
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE | socket.AI_ADDRCONFIG
        )
    except socket.gaierror as exc:
        raise Refused(f"cannot listen on {host}: {exc.strerror}; choose another --host") from None
    socks: list[socket.socket] = []
    seen = set()
    try:
        for family, kind, proto, _, address in infos:
            if (family, address) in seen:
                continue
            seen.add((family, address))
            sock = socket.socket(family, kind, proto)
            socks.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(1024)
            sock.set_inheritable(True)
    except OSError as exc:
        for sock in socks:
            sock.close()
        why = "the port is in use" if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc)
        raise Refused(
            f"cannot listen on {host} port {port}: {why}; choose another --port or --host"
        ) from None
    return socks


def shared_site(runner: Any, sock: socket.socket) -> Any:
    """An aiohttp site that takes connections from ``sock``, shared with the other server processes, one at a
    time.

    asyncio's own server accepts up to its backlog (128) connections each time the socket is ready, so the first
    process to wake takes a whole burst of new connections (twenty clients connecting at once all went to one
    process, the other idled). Each process accepts one per wake-up; and since every process wakes for each new
    connection and the same one tends to win the race, a process holding open connections waits
    :data:`ACCEPT_STEP` per connection (at most :data:`ACCEPT_WAIT`) before it tries: the process with the fewest
    connections takes the next one, so keep-alive clients (a proxy's, a load's) spread evenly."""
    import asyncio

    from aiohttp import web

    class SharedSite(web.BaseSite):
        @property
        def name(self) -> str:
            host, port = sock.getsockname()[:2]
            return f"http://{host}:{port}"

        stopped = False

        async def start(self) -> None:
            await super().start()
            loop = asyncio.get_running_loop()
            sock.setblocking(False)
            loop.add_reader(sock.fileno(), self._ready, loop)

        def _ready(self, loop: asyncio.AbstractEventLoop) -> None:
            server = self._runner.server
            assert server is not None
            wait = min(len(server.connections) * ACCEPT_STEP, ACCEPT_WAIT)
            if not wait:
                self._accept(loop)
                return
            loop.remove_reader(sock.fileno())  # no wake-ups while waiting: the next try looks again
            loop.call_later(wait, self._accept, loop)

        def _accept(self, loop: asyncio.AbstractEventLoop) -> None:
            if self.stopped:
                return
            loop.add_reader(sock.fileno(), self._ready, loop)
            try:
                conn, _ = sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return  # another process took it
            except OSError as exc:  # out of file descriptors, say: the connection waits in the queue
                log.warning("cannot accept a connection: %s", exc.strerror or exc)
                return
            conn.setblocking(False)
            server = self._runner.server
            assert server is not None
            loop.create_task(loop.connect_accepted_socket(server, conn))

        async def stop(self) -> None:
            self.stopped = True
            asyncio.get_running_loop().remove_reader(sock.fileno())
            await super().stop()

    return SharedSite(runner)


def _die_with_parent() -> None:
    """Ask Linux for SIGTERM when the parent process ends (best effort: other systems have no such call)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _child(options: ServeOptions, socks: list[socket.socket], parent: int) -> int:
    """The life of one server process: serve on ``socks`` until SIGTERM or SIGINT; its exit status."""
    import asyncio

    from tinycrm.web import server

    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
    _die_with_parent()
    if os.getppid() != parent:  # the parent ended before the request above took effect
        return 0
    try:
        asyncio.run(server.serve_sockets(options, socks))
    except CrmError as exc:  # a damaged key file, a database gone: what to mend, without a traceback
        log.error("server process %s stopped: %s", os.getpid(), exc.message)
        return 1
    except Exception:
        log.exception("server process %s failed", os.getpid())
        return 1
    return 0


class Supervisor:
    """The parent: starts the server processes, replaces one that dies, stops them all on a signal."""

    def __init__(self, options: ServeOptions, count: int, socks: list[socket.socket]) -> None:
        self.options, self.count, self.socks = options, count, socks
        self.children: dict[int, float] = {}  # pid -> when it started
        self.stopping = False
        self.early_deaths = 0

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.stopping = True

    def start_one(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        parent = os.getpid()
        # a signal that comes during the fork waits until each side has the handlers it should have
        signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
        try:
            pid = os.fork()
            if pid == 0:  # the server process
                code = 1
                try:
                    code = _child(self.options, self.socks, parent)
                finally:
                    logging.shutdown()
                    os._exit(code)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
        self.children[pid] = time.monotonic()

    def run(self, on_listening: Callable[[], None]) -> int:
        """Start the server processes, call ``on_listening``, supervise until a signal (give 0) or too many
        failed starts (give 1)."""
        for sig in SIGNALS:
            signal.signal(sig, self._on_signal)
        for _ in range(self.count):
            self.start_one()
        on_listening()
        code = 0
        while not self.stopping:
            if not self._reap():
                code = 1
                break
            time.sleep(TICK)
        self.stop()
        return code

    def _reap(self) -> bool:
        """Take note of server processes that ended and start others; False when the server must stop."""
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return True
            if pid == 0:
                return True
            began = self.children.pop(pid, None)
            if began is None or self.stopping:
                continue
            how = (
                f"was killed by signal {signal.Signals(-code).name}"
                if (code := os.waitstatus_to_exitcode(status)) < 0
                else f"exited with status {code}"
            )
            early = time.monotonic() - began < EARLY
            self.early_deaths = self.early_deaths + 1 if early else 0
            if self.early_deaths >= MAX_EARLY_DEATHS:
                log.error(
                    "server process %s %s; %s in a row died right after starting: stopping the server",
                    pid,
                    how,
                    self.early_deaths,
                )
                return False
            log.warning("server process %s %s; starting another", pid, how)
            self.start_one()
        return True

    def stop(self) -> None:
        """Ask every server process to stop; kill the ones still running after :data:`STOP_WAIT` seconds."""
        self.stopping = True
        for pid in self.children:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT
        while self.children and time.monotonic() < deadline:
            for pid in list(self.children):
                try:
                    done, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    done = pid
                if done:
                    self.children.pop(pid)
            time.sleep(0.05)
        for pid in list(self.children):
            log.warning("server process %s did not stop within %s s: killing it", pid, STOP_WAIT)
            _signal(pid, signal.SIGKILL)
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
            self.children.pop(pid)
        for sock in self.socks:
            sock.close()


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def serve(options: ServeOptions, count: int, on_listening: Callable[[], None]) -> None:
    """Bind, start ``count`` server processes, call ``on_listening`` once, supervise until stopped."""
    supervisor = Supervisor(options, count, bind(options.host, options.port))
    if supervisor.run(on_listening):
        raise Refused("the server processes kept dying right after starting (see the messages above)")
