"""A lean HTTP load generator for the web benchmarks (bench_web.py, bench_api.py).

The benchmarks run on the same cores as the server they measure, so the client must cost little: each simulated
client holds one keep-alive HTTP/1.1 connection over plain asyncio streams and sends GETs back to back (no
aiohttp client, whose per-request cost is several times this one's). :func:`run` reports every latency by kind;
:func:`cpu_seconds` reads a process's CPU time, so a benchmark can say what a request costs the server and what
share of the machine the load generator took.
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

#: the next request of one client: (kind, path) from its seeded random generator
NextRequest = Callable[[random.Random], tuple[str, str]]


class Connection:
    """One keep-alive connection: :meth:`get` sends a request and reads the whole answer."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.head = f"Host: {parts.netloc}\r\n{extra}\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(b"GET " + path.encode() + b" HTTP/1.1\r\n" + self.head)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise SystemExit(f"{path}: the answer has no Content-Length")
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@dataclass
class Result:
    times: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    client_cpu: float = 0.0  # CPU seconds the load generator used
    server_cpu: float | None = None  # CPU seconds the server process used, when its pid was given


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rpartition(")")[2].split()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (all its threads) and of the processes it started (the server
    processes of ``crm serve --processes N``), from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(_stat(int(entry))[1])
            except (OSError, IndexError, ValueError):
                continue
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = _stat(current)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
        todo += [child for child, parent in parents.items() if parent == current]
    return total / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _client(conn: Connection, pick: NextRequest, seed: int, until: float, result: Result) -> None:
    rng = random.Random(seed)
    while time.monotonic() < until:
        kind, path = pick(rng)
        began = time.perf_counter()
        status, _ = await conn.get(path)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
        result.times.setdefault(kind, []).append(time.perf_counter() - began)


async def run(
    base: str, client_headers: list[dict[str, str]], pick: NextRequest, seconds: float, server_pid: int | None
) -> Result:
    """One client per entry of ``client_headers`` (its cookie or token), all asking ``pick``'s requests for
    ``seconds``; the latencies, and the CPU time the generator and the server took meanwhile."""
    conns = [Connection(base, headers) for headers in client_headers]
    result = Result()
    try:
        cpu0, server0 = _own_cpu(), cpu_seconds(server_pid) if server_pid else None
        began = time.monotonic()
        until = began + seconds
        await asyncio.gather(*(_client(c, pick, i, until, result) for i, c in enumerate(conns)))
        result.seconds = time.monotonic() - began
        result.client_cpu = _own_cpu() - cpu0
        if server_pid and server0 is not None:
            result.server_cpu = cpu_seconds(server_pid) - server0
    finally:
        for conn in conns:
            conn.close()
    return result


def report(result: Result) -> None:
    total = sum(len(v) for v in result.times.values())
    for kind, values in result.times.items():
        values.sort()
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        print(
            f"{kind:8} n={len(values):6}  median {statistics.median(values) * 1000:6.1f} ms  "
            f"p99 {p99 * 1000:6.1f} ms"
        )
    print(f"total    {total} requests in {result.seconds:.1f} s: {total / result.seconds:.0f} req/s")
    cores = os.cpu_count() or 1
    line = (
        f"cpu      load generator {result.client_cpu / total * 1000:.2f} ms/request "
        f"({result.client_cpu / result.seconds / cores:.0%} of {cores} cores)"
    )
    if result.server_cpu is not None:
        line += (
            f", server {result.server_cpu / total * 1000:.2f} ms/request "
            f"({result.server_cpu / result.seconds / cores:.0%} of {cores} cores)"
        )
    print(line)
    print(f"load     {os.getloadavg()[0]:.2f} (1-minute load average at the end: others' work skews the run)")


def load_line(when: str) -> str:
    one, five, _ = os.getloadavg()
    return f"load     {one:.2f} (1 min), {five:.2f} (5 min) {when}"
