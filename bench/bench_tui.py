"""How fast the full-screen app is on 100 000 contacts, headless (App.run_test).

    python bench/bench_tui.py               # builds bench/data/tui-100k.sqlite3 once (a minute), measures
    python bench/bench_tui.py --contacts 20000
    python bench/bench_tui.py --scale 1M    # on bench/scale.py's 1M-contact database

Measures, each in a fresh process (as a user starting ``crm`` would):

- first paint: from the moment the process is started to the first page of contacts on screen (target <= 1 s);
- peak memory of that process after it has visited every area (max RSS, target <= 120 MB);
- the cursor: ``down`` within the first page, ``down`` on its last row (the next page), ``ctrl+end`` (the last
  page) and ``ctrl+home`` (the first), from the key reaching the app to the frame that shows it;
- search as you type: from a key press in the search box to the list showing the matches of the new text
  (target <= 50 ms), for each letter of a few queries;
- the first visit of every other area (agenda, pipeline, companies, dashboard, tickets, leads): from the key
  reaching the app to the last frame it draws before it is quiet with its data on screen (target <= 300 ms). ``--scale`` runs on bench/scale.py's 100k database (100k contacts, deals and
  tasks, 1M interactions), where the agenda has tens of thousands of due items.

The cursor keys and the visits are timed from frames, not with ``pilot.press``/``pilot.pause``: those sleep
at least 40 and 20 ms whatever the app does (Textual's ``wait_for_idle``), which once made a row move look
like 88 ms. The app draws what it would send a terminal; the bench stamps each frame (:class:`Paints`).

The generated database is cached under bench/data/ (git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
QUERIES = ["ada", "lovelace", "müller", "tag:vip"]
TARGETS = {"first_paint_s": 1.0, "peak_rss_mb": 120.0, "keystroke_ms": 50.0, "first_visit_ms": 300.0}


def build(path: Path, n: int) -> None:
    from tinycrm.services import demo
    from tinycrm.store.database import open_db

    tmp = path.with_suffix(".part")
    for suffix in ("", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    started = time.perf_counter()
    db = open_db(f"sqlite:///{tmp}")
    counts = demo.populate(db, contacts_n=n, interactions_per_contact=0.1)
    db.close()
    tmp.rename(path)
    print(f"built {path.name}: {counts} in {time.perf_counter() - started:.0f} s", file=sys.stderr)


class Paints:
    """Stamps every frame the app computes (headless, the frame is composed and then dropped, as a terminal
    would be sent it)."""

    def __init__(self, app) -> None:
        self.times: list[float] = []
        #: the process's CPU time (all threads) at each frame: on a busy machine, what the app itself spent
        self.cpu: list[float] = []
        #: the UI thread's own CPU time at each frame (no worker's, less of the other processes' noise)
        self.ui: list[float] = []
        #: how many workers the app has started: a visit is over once the ones it started have finished
        self.workers = 0
        original = app._display
        manager = app.workers
        original_add = manager.add_worker

        def add_worker(worker, start: bool = True, exclusive: bool = True) -> None:
            self.workers += 1
            original_add(worker, start=start, exclusive=exclusive)

        manager.add_worker = add_worker

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if renderable is not None:
                self.times.append(time.perf_counter())
                self.cpu.append(time.process_time())
                self.ui.append(time.thread_time())

        app._display = display


async def key_to_paint(
    app,
    paints: Paints,
    key: str,
    ready,
    quiet: float = 0.15,
    timeout: float = 30.0,
    cpu: list | None = None,
    loads: bool = False,
) -> float:
    """Ms from the key reaching the app to the last frame it drew before it went quiet (no worker running,
    ``ready()`` true, no new frame for ``quiet`` s): what a user waits for, without Pilot's own pauses (a
    ``pilot.press`` sleeps at least 40 ms, ``pilot.pause`` 20 ms more, whatever the app does). ``cpu`` gets
    the CPU time the process spent meanwhile, then the UI thread's; with ``loads``, the key must start at least
    one worker (the screen reads its data) and the time runs until that is done and drawn."""
    from textual import events

    began, cpu_began, ui_began = time.perf_counter(), time.process_time(), time.thread_time()
    workers = paints.workers
    app._driver.send_message(events.Key(key, key if len(key) == 1 else None))
    while time.perf_counter() - began < timeout:
        await asyncio.sleep(0.002)
        if any(not w.is_finished for w in app.workers) or not ready():
            continue
        if not (app._message_queue.empty() and app.screen._message_queue.empty()):
            continue
        if loads and paints.workers == workers:
            continue
        last = paints.times[-1] if paints.times else began
        if last >= began and time.perf_counter() - last >= quiet:
            if cpu is not None:
                cpu.append((paints.cpu[-1] - cpu_began) * 1000)
                cpu.append((paints.ui[-1] - ui_began) * 1000)
            return (last - began) * 1000
    return timeout * 1000


async def child(url: str, t0: float) -> dict:
    """Runs in the measured process: start the app, wait for the first page, type the queries."""
    from tinycrm.tui.app import make_app

    app = make_app(url, testing=True)
    result: dict = {}
    async with app.run_test(size=(120, 40)) as pilot:
        from tinycrm.tui.screens.contacts import ContactsScreen

        paints = Paints(app)
        screen = None
        while True:
            screen = app.screen
            if isinstance(screen, ContactsScreen) and screen.shown is not None:
                break
            await asyncio.sleep(0.002)
        await pilot.pause()
        result["first_paint_s"] = time.time() - t0
        result["first_paint_cpu_s"] = time.process_time()  # since the process started (all its threads)
        result["total"] = screen.shown.total
        result["cursor_ms"] = await _cursor_keys(pilot, screen, paints)
        latencies: list[float] = []
        services: list[float] = []
        shown_at: list[float] = []
        original_show = screen._show

        def stamped_show(page, request):  # the moment the new rows are in the table
            original_show(page, request)
            shown_at.append(time.perf_counter())

        screen._show = stamped_show
        from tinycrm.services.people import contacts

        original_search = contacts.search

        def timed_search(*a, **k):
            began = time.perf_counter()
            try:
                return original_search(*a, **k)
            finally:
                services.append((time.perf_counter() - began) * 1000)

        contacts.search = timed_search
        await pilot.press("slash")
        for query in QUERIES:
            search = screen.query_one("#search")
            search.value = ""
            await _shown(pilot, screen)
            for ch in query:
                started = time.perf_counter()
                await pilot.press(ch)
                await _shown(pilot, screen)
                latencies.append((shown_at[-1] - started) * 1000)
        result["keystrokes"] = len(latencies)
        result["keystroke_ms_median"] = statistics.median(latencies)
        result["keystroke_ms_p90"] = sorted(latencies)[int(len(latencies) * 0.9) - 1]
        result["keystroke_ms_max"] = max(latencies)
        result["keystroke_ms"] = latencies
        result["search_service_ms_median"] = statistics.median(services) if services else 0
        contacts.search = original_search
        await pilot.press("escape", "escape")  # clear the search, back to the list
        await _settled(pilot)
        result["first_visit_ms"] = {}
        result["first_visit_cpu_ms"] = {}
        result["first_visit_ui_ms"] = {}
        for key, area in AREAS:
            cpu: list[float] = []
            result["first_visit_ms"][area] = await key_to_paint(
                app,
                paints,
                key,
                lambda area=area: _shows(app, area),
                cpu=cpu,
                loads=area != "dashboard",  # its cards are read in threads of their own, not workers
            )
            result["first_visit_cpu_ms"][area] = cpu[0] if cpu else 0.0
            result["first_visit_ui_ms"][area] = cpu[1] if cpu else 0.0
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def peak_rss_mb() -> float:
    """This process's peak resident memory: ``VmHWM``, of its own address space. Not ``ru_maxrss``: Linux
    carries that over ``exec`` from the process that started it (the bench, after a schema upgrade of the
    scale database had brought it to 122 MB, made the app's 88 MB look like 122)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


#: the areas visited after the contact list, in this order, with their keys
AREAS = [
    ("4", "agenda"),
    ("3", "pipeline"),
    ("2", "companies"),
    ("5", "dashboard"),
    ("6", "tickets"),
    ("7", "leads"),
]


def _shows(app, area: str) -> bool:
    """The app shows ``area`` (the dashboard: with all its cards' reports in; the board: with its columns
    mounted and composed, which on a loaded machine can take longer than the bench's quiet spell)."""
    screen = app.screen
    if getattr(screen, "AREA", "") != area:
        return False
    if area == "dashboard":
        from tinycrm.tui.screens.dashboard import CARDS

        return len(screen.reports) == len(CARDS)
    if area == "pipeline":
        from textual.widgets import OptionList

        from tinycrm.tui.screens.pipeline import StageColumn

        columns = list(screen.query(StageColumn))
        board = screen.board
        return (
            board is not None
            and len(columns) == len(board.columns)
            and all(c.query(OptionList) for c in columns)
        )
    return True


async def _cursor_keys(pilot, screen, paints: Paints) -> dict:
    """Key to screen for the cursor in the contact list: ``down`` within the page (median of the rows of the
    first page), ``down`` on its last row (the next page is read), then ``ctrl+end`` (the last page) and
    ``ctrl+home`` (back to the first)."""
    from tinycrm.tui.widgets.paged_table import PagedTable

    table = screen.query_one(PagedTable)
    table.focus()
    await _settled(pilot)

    def listed() -> bool:
        return not screen.inflight and screen.pending is None and screen.shown is not None

    within: list[float] = []
    for _ in range(len(table.keys) - 1):
        within.append(await key_to_paint(pilot.app, paints, "down", listed, quiet=0.05))
    out = {"down": statistics.median(within) if within else 0.0}
    for name, key in (("down, next page", "down"), ("last page", "ctrl+end"), ("first page", "ctrl+home")):
        out[name] = await key_to_paint(pilot.app, paints, key, listed, quiet=0.05)
    return out


async def _settled(pilot) -> None:
    """Until the screen's workers are done and their results drawn."""
    app = pilot.app
    await pilot.pause()
    while any(not w.is_finished for w in app.workers):
        await asyncio.sleep(0.001)
    await pilot.pause()


async def _shown(pilot, screen) -> None:
    """Until the list shows what the search box says."""
    while screen.inflight or screen.pending is not None or screen.shown is None:
        await asyncio.sleep(0.0005)
    await pilot.pause()


def _indexed(path: Path) -> None:
    """scale.py leaves the search index empty (nothing it times reads it): fill it once (minutes at 1M)."""
    from tinycrm.store.database import open_db

    db = open_db(f"sqlite:///{path}")
    try:
        with db.read() as tx:
            empty = tx.scalar("SELECT count(*) FROM contact_search") == 0
    finally:
        db.close()
    if empty:
        crm = Path(sys.executable).with_name("crm")
        subprocess.run([str(crm), "--db", f"sqlite:///{path}", "db", "reindex"], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=300, help="give up after this many seconds")
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--t0", type=float, help=argparse.SUPPRESS)
    parser.add_argument(
        "--scale",
        nargs="?",
        const="100k",
        choices=["100k", "1M"],
        help="on a database of bench/scale.py: 100k (100k contacts, deals and tasks, 1M interactions: the "
        "agenda), or 1M (1M contacts, 100k deals and tasks); its search index is filled first",
    )
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.child, args.t0))))
        return
    DATA.mkdir(exist_ok=True)
    if args.scale:
        import scale

        path = Path(scale.build(args.scale, None, False).removeprefix("sqlite:///"))
        _indexed(path)
    else:
        path = DATA / f"tui-{args.contacts // 1000}k.sqlite3"
        if not path.exists():
            build(path, args.contacts)
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "TINYCRM_HOME": home}
        env.pop("TINYCRM_NOW", None)
        t0 = time.time()
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--child", f"sqlite:///{path}", "--t0", str(t0)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=args.timeout,
            )
        except subprocess.TimeoutExpired:
            sys.exit(f"MISSED: the app did not finish the run within {args.timeout} s (a search query hung?)")
    if out.returncode:
        sys.exit(out.stderr)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    load = os.getloadavg()[0]
    print(f"contacts:            {r['total']:,}   (load average {load:.1f} on {os.cpu_count()} cores)")
    rows = [
        (
            "first paint",
            f"{r['first_paint_s']:.2f} s (CPU {r['first_paint_cpu_s']:.2f} s)",
            r["first_paint_s"] <= TARGETS["first_paint_s"],
            "<= 1 s",
        ),
        (
            "peak memory",
            f"{r['peak_rss_mb']:.0f} MB",
            r["peak_rss_mb"] <= TARGETS["peak_rss_mb"],
            "<= 120 MB",
        ),
        (
            "keystroke → list",
            f"median {r['keystroke_ms_median']:.0f} ms, p90 {r['keystroke_ms_p90']:.0f} ms, "
            f"max {r['keystroke_ms_max']:.0f} ms ({r['keystrokes']} keys)",
            r["keystroke_ms_p90"] <= TARGETS["keystroke_ms"],
            "<= 50 ms",
        ),
    ]
    for key, ms in r["cursor_ms"].items():
        rows.append((f"key {key}", f"{ms:.0f} ms", ms <= TARGETS["keystroke_ms"], "<= 50 ms"))
    for area, ms in r["first_visit_ms"].items():
        cpu, ui = r["first_visit_cpu_ms"][area], r["first_visit_ui_ms"][area]
        value = f"{ms:.0f} ms (CPU {cpu:.0f} ms, UI thread {ui:.0f} ms)"
        rows.append((f"first visit: {area}", value, ms <= TARGETS["first_visit_ms"], "<= 300 ms"))
    for name, value, ok, target in rows:
        print(f"{name + ':':<20} {value:<55} {'ok' if ok else 'MISSED'} (target {target})")
    print(f"{'of which the search service:':<20} median {r['search_service_ms_median']:.0f} ms")
    per = ", ".join(f"{ms:.0f}" for ms in r["keystroke_ms"])
    print(f"per key (ms):        {per}  [{' | '.join(QUERIES)}]")


if __name__ == "__main__":
    main()
