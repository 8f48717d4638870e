"""Does each command cost what it shows, or what the database holds? Times the due-item commands on databases of
growing size, as ratios to `python -c pass` measured in the same run, with peak memory and a verdict per row.

    python bench/scale.py [--sizes 10k,100k,1M] [--runs 7] [--store postgres URL] [--only NAME,...] [--fresh]

The databases (cached by their parameters in $TINYCRM_BENCH_CACHE, else /tmp/tinycrm-bench; --fresh makes
them again):

    10k   10,000 contacts,    10,000 deals,  10,000 tasks,   100,000 interactions
    100k  100,000 contacts,  100,000 deals, 100,000 tasks, 1,000,000 interactions
    1M    1,000,000 contacts, 100,000 deals, 100,000 tasks, 1,000,000 interactions

They are made with bulk inserts in one transaction (not through the services: a million contacts in about a
minute), with an email address and a phone number each (one contact in fifty is a duplicate of another,
sharing its name and often its email or phone), and with what makes things due: stay-in-touch cadences (one
contact in six), birthdays, idle stages, overdue next steps, tasks overdue, due today, snoozed and done. The
search index is left empty (no command timed here reads it). --store postgres URL (or --pg URL): the same on
PostgreSQL, one database per size on that server (the URL names a database the user may connect to and create
databases from).

Besides the due-item commands, it times the commands whose output is a whole list (``--all``, duplicates,
exports, and ``import json`` of the size's own export into a new SQLite file): their cost follows what they
print, so their verdict is linear at best; the issue's absolute targets are flagged OVER.

Each command runs --runs times, each run paired with `python -c pass`; the table shows medians, the ratio, the
peak memory of the command's process, the median of its CPU time (user and system: on a shared machine the
figure that waits for no one; the progress lines on stderr give the load average beside it), and a verdict from the smallest to the largest size: flat (grows by less
than a third of the size's growth in log terms), linear, or worse. Targets (issue 12): <= 15x at 100k,
<= 20x at 1M.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent

SIZES = {
    "10k": (10_000, 10_000, 10_000, 100_000),
    "100k": (100_000, 100_000, 100_000, 1_000_000),
    "1M": (1_000_000, 100_000, 100_000, 1_000_000),
}
#: (name, crm arguments, heavy): a heavy command (its cost follows a whole list) runs at most 3 times
COMMANDS = [
    ("crm (status)", [], False),
    ("crm remind --dry-run", ["remind", "--dry-run"], False),
    ("crm agenda", ["agenda"], False),
    ("crm stale", ["stale"], False),
    ("crm deal idle", ["deal", "idle"], False),
    ("contact list --limit 20", ["contact", "list", "--limit", "20"], False),
    ("contact list --all", ["contact", "list", "--all"], True),
    ("contact list --all --json", ["contact", "list", "--all", "--json"], True),
    ("company list --all", ["company", "list", "--all"], True),
    ("deal list --all", ["deal", "list", "--all", "--status", "all"], True),
    ("task list --all", ["task", "list", "--all"], True),
    ("duplicates --limit 20", ["duplicates", "--limit", "20"], True),
    ("duplicates --all", ["duplicates", "--all"], True),
    ("export vcard", ["export", "vcard", "-"], True),
    ("export csv", ["export", "csv", "-"], True),
    ("export json", ["export", "json", "-"], True),
    ("import json", ["import", "json", "{export}"], True),
]
TARGETS = {"100k": 15, "1M": 20}
KINDS = ["call", "email", "meeting", "message", "note"]
BATCH = 20_000


def cache_dir() -> Path:
    """Where the built databases are kept between runs: $TINYCRM_BENCH_CACHE, or a folder in the temporary
    directory (never the source tree)."""
    return Path(os.environ.get("TINYCRM_BENCH_CACHE") or Path(tempfile.gettempdir()) / "tinycrm-bench")


# --- building -------------------------------------------------------------------------------------------


def _name(size: str) -> str:
    c, d, t, i = SIZES[size]
    return f"scale-c{c}-d{d}-t{t}-i{i}"


def _insert(tx, table: str, cols: list[str], rows) -> None:  # noqa: ANN001 - a tinycrm Tx
    """Rows (tuples in ``cols`` order) in bulk: executemany on SQLite, COPY on PostgreSQL."""
    cur = tx._cur  # the bench writes below the services, on purpose
    if tx.db.is_sqlite:
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        batch: list = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                cur.executemany(sql, batch)
                batch = []
        if batch:
            cur.executemany(sql, batch)
        return
    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


_SYLLABLES = "an bel cor da el fin gar hal is jo ka lu mar nor ol pe ri sa tor ul ve wyn".split()


def _person(rnd: random.Random, i: int) -> tuple[str, str, str, int]:
    """A made-up person: given name, family name, email address and phone number (9 digits)."""
    given = (rnd.choice(_SYLLABLES) + rnd.choice(_SYLLABLES)).capitalize()
    family = "".join(rnd.choice(_SYLLABLES) for _ in range(3)).capitalize()
    return given, family, f"{given}.{family}{i}@example.org".lower(), rnd.randrange(10**9)


def _fill(db, contacts_n: int, deals_n: int, tasks_n: int, interactions_n: int) -> None:  # noqa: ANN001, PLR0915
    rnd = random.Random(12)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()

    def ago(days: float) -> datetime:
        return now - timedelta(days=days)

    with db.write() as tx:
        users = []
        for name in ("ann", "bob", "carol"):
            tx.execute(
                "INSERT INTO users (name, role, active, created_at) VALUES (:n, 'member', :a, :t) "
                "ON CONFLICT (name) DO NOTHING",
                {"n": name, "a": True, "t": now},
            )
            users.append(tx.scalar("SELECT id FROM users WHERE name = :n", {"n": name}))
        _insert(
            tx,
            "companies",
            ["id", "uid", "name", "sort_name", "created_at", "updated_at", "version"],
            ((i, f"scale-co-{i}", f"Company {i}", f"company {i:07d}", now, now, 1) for i in range(1, 1001)),
        )

        people = [_person(rnd, i) for i in range(1, contacts_n + 1)]
        for i in range(1, contacts_n + 1):  # one in fifty is a duplicate of an earlier contact
            if i > 100 and rnd.random() < 0.02:
                given, family, email, number = people[rnd.randint(1, i - 1) - 1]
                mine = people[i - 1]
                people[i - 1] = (
                    given,
                    family,
                    email if rnd.random() < 0.5 else mine[2],
                    number if rnd.random() < 0.5 else mine[3],
                )

        def contact(i: int) -> tuple:
            given, family = people[i - 1][:2]
            bday = None
            if rnd.random() < 0.6:
                bday = f"{rnd.randint(1950, 2005)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
            cadence = rnd.choice([30, 60, 90]) if rnd.random() < 1 / 6 else None
            name = f"{given} {family}"
            return (
                i, f"scale-c-{i}", given, family, name, name.casefold(), rnd.randint(1, 1000), bday, cadence,
                rnd.random() < 0.03, rnd.choice(users), ago(rnd.uniform(30, 900)), now, 1,
            )  # fmt: skip

        cols = (
            "id uid given_name family_name display_name sort_name company_id birthday cadence_days archived "
        )
        cols += "owner_id created_at updated_at version"
        _insert(tx, "contacts", cols.split(), (contact(i) for i in range(1, contacts_n + 1)))
        _insert(
            tx,
            "contact_emails",
            ["contact_id", "position", "label", "value", "value_key"],
            ((i, 0, "work", p[2], p[2].casefold()) for i, p in enumerate(people, 1)),
        )

        _insert(
            tx,
            "contact_phones",
            ["contact_id", "position", "label", "value", "digits"],
            (
                (i, 0, "mobile", f"+44 7{p[3] // 10**6:03d} {p[3] % 10**6:06d}", f"447{p[3]:09d}")
                for i, p in enumerate(people, 1)
            ),
        )
        people.clear()

        pipeline = tx.scalar("SELECT min(id) FROM pipelines")
        stages = [
            r["id"]
            for r in tx.all("SELECT id FROM stages WHERE pipeline_id = :p ORDER BY position", {"p": pipeline})
        ]
        for sid, idle in zip(stages, (14, 21, 30, 45), strict=False):
            tx.execute("UPDATE stages SET idle_days = :d WHERE id = :s", {"d": idle, "s": sid})

        def deal(i: int) -> tuple:
            status = rnd.choices(["open", "won", "lost"], [6, 2, 2])[0]
            entered = ago(rnd.uniform(0, 120))
            due = today + timedelta(days=rnd.randint(-20, 30)) if rnd.random() < 0.5 else None
            closed = entered if status != "open" else None
            return (
                i, f"scale-d-{i}", f"Deal {i}", rnd.randint(1, 500) * 10_000_000, "EUR", pipeline,
                rnd.choice(stages), status, due, rnd.randint(1, 1000), rnd.choice(users),
                entered, now, entered, closed, 1,
            )  # fmt: skip

        cols = "id uid title value_e4 currency pipeline_id stage_id status next_step_due company_id owner_id "
        cols += "created_at updated_at stage_entered_at closed_at version"
        _insert(tx, "deals", cols.split(), (deal(i) for i in range(1, deals_n + 1)))

        def task(i: int) -> tuple:
            all_day = rnd.random() < 0.5
            due = ago(rnd.uniform(-60, 60)) if rnd.random() < 0.9 else None
            if all_day and due is not None:
                due = datetime.combine(due.date(), datetime.min.time(), tzinfo=UTC)
            done = ago(rnd.uniform(0, 30)) if rnd.random() < 0.4 else None
            snoozed = now + timedelta(days=rnd.uniform(-5, 10)) if rnd.random() < 0.05 else None
            return (
                i, f"scale-t-{i}", f"Task {i}", due, all_day or due is None, rnd.randint(0, 3),
                rnd.randint(1, contacts_n), done, snoozed, rnd.choice(users), now, now, 1,
            )  # fmt: skip

        cols = "id uid title due_at all_day priority contact_id done_at snoozed_until owner_id created_at "
        cols += "updated_at version"
        _insert(tx, "tasks", cols.split(), (task(i) for i in range(1, tasks_n + 1)))

        happened = [ago(rnd.uniform(0, 400)) for _ in range(interactions_n)]
        _insert(
            tx,
            "interactions",
            [
                "id",
                "uid",
                "kind",
                "happened_at",
                "summary",
                "owner_id",
                "created_at",
                "updated_at",
                "version",
            ],
            (
                (
                    i,
                    f"scale-i-{i}",
                    rnd.choice(KINDS),
                    happened[i - 1],
                    "Talked",
                    rnd.choice(users),
                    now,
                    now,
                    1,
                )
                for i in range(1, interactions_n + 1)
            ),
        )
        _insert(
            tx,
            "interaction_contacts",
            ["interaction_id", "contact_id"],
            ((i, rnd.randint(1, contacts_n)) for i in range(1, interactions_n + 1)),
        )
        from tinycrm.store import tables

        tables.reset_sequences(tx)
        present = tx.column(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'contacts'"
            if not tx.db.is_sqlite
            else "SELECT name FROM pragma_table_info('contacts')"
        )
        if "last_interaction_at" in present:  # revision 0003 on: the column the services keep current
            tx.execute(
                "UPDATE contacts SET last_interaction_at = li.last_at FROM (SELECT ic.contact_id, "
                "max(i.happened_at) AS last_at FROM interaction_contacts ic JOIN interactions i "
                "ON i.id = ic.interaction_id GROUP BY ic.contact_id) AS li WHERE li.contact_id = contacts.id"
            )
    db.connection().execute("ANALYZE")  # the planner's statistics, as PRAGMA optimize / autovacuum give them


def build(size: str, pg: str | None, fresh: bool) -> str:
    """The database of ``size`` (made unless cached); its URL."""
    from tinycrm.store.database import open_db

    if pg:
        import psycopg

        from tinycrm.store.database import pg_conninfo

        name = _name(size).replace("-", "_")
        admin = psycopg.connect(pg_conninfo(pg), autocommit=True)
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and fresh:
            admin.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
        admin.close()
        url = pg.rsplit("/", 1)[0] + "/" + name
    else:
        path = cache_dir() / f"{_name(size)}.sqlite3"
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    db = open_db(url)
    with db.read() as tx:
        have = tx.scalar("SELECT count(*) FROM contacts")
    if not have:
        started = time.perf_counter()
        _fill(db, *SIZES[size])
        print(f"built {size} in {time.perf_counter() - started:.0f} s: {url}", file=sys.stderr)
    db.close()
    return url


# --- timing ---------------------------------------------------------------------------------------------


def _run(cmd: list[str], env: dict[str, str], fresh: Path | None = None) -> tuple[float, int, float]:
    """Wall time, peak memory (KiB, ru_maxrss of the child) and CPU time (user and system) of one process, its
    output read from a pipe and thrown away. ``fresh``: a SQLite file the command writes into, removed before
    the run. The CPU time is the figure to compare on a busy machine, where the wall time waits for a core (it
    leaves out what a database server does for the command)."""
    if fresh is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(str(fresh) + suffix).unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    while proc.stdout.read(1 << 16):
        pass
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({code}): {err.decode()[-500:]}")
    return took, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def measure(
    cmd: list[str], env: dict[str, str], runs: int, fresh: Path | None = None
) -> tuple[float, float, int, float]:
    """Medians of the command and of `python -c pass` run alternately; the command's largest peak memory
    (KiB); the median of its CPU time."""
    base, took, peaks, cpu = [], [], [], []
    for _ in range(runs):
        base.append(_run([sys.executable, "-c", "pass"], env)[0])
        t, peak, used = _run(cmd, env, fresh)
        took.append(t)
        peaks.append(peak)
        cpu.append(used)
    return statistics.median(took), statistics.median(base), max(peaks), statistics.median(cpu)


def verdict(sizes: list[str], times: list[float]) -> str:
    """flat / linear / worse, from how the time grows against how the database grows (in log terms)."""
    if len(times) < 2:
        return "-"
    grew = SIZES[sizes[-1]][0] / SIZES[sizes[0]][0] or 1
    if sizes[0] == "100k" or grew <= 1:  # 100k -> 1M grows contacts only
        grew = 10
    k = math.log(max(times[-1] / times[0], 1e-9)) / math.log(grew)
    return "flat" if k < 0.33 else ("linear" if k <= 1.15 else "worse")


#: the issue's absolute targets for the commands whose cost follows a whole list (seconds, by size)
LIMITS = {
    "contact list --all": {"100k": 3.0},
    "duplicates --all": {"100k": 10.0},
    "duplicates --limit 20": {"100k": 10.0},
    "export json": {"100k": 10.0},
}


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k", help="comma-separated: 10k, 100k, 1M")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--store",
        nargs="+",
        metavar="STORE",
        help="sqlite (the default) or: postgres URL (a server URL; one database per size is made there)",
    )
    parser.add_argument("--pg", metavar="URL", help="the same as --store postgres URL")
    parser.add_argument("--fresh", action="store_true", help="make the databases again")
    parser.add_argument("--only", help="comma-separated command names to time (default: all)")
    parser.add_argument(
        "--crm", help="how to run crm (default: the crm beside this python), e.g. 'python -m tinycrm'"
    )
    args = parser.parse_args()
    if args.store and args.store[0] in ("postgres", "postgresql"):
        if len(args.store) != 2:
            parser.error("--store postgres needs the server's URL")
        args.pg = args.store[1]
    elif args.store and args.store != ["sqlite"]:
        parser.error("--store is sqlite or: postgres URL")
    return args


def _cell(name: str, size: str, heavy: bool, t: float, b: float, peak: int, cpu: float) -> str:
    target = LIMITS.get(name, {}).get(size)
    if target is not None:
        flag = "" if t <= target else f" OVER {target:g} s"
    else:
        ratio = None if heavy else TARGETS.get(size)
        flag = "" if ratio is None or t / b <= ratio else " OVER"
    return f"{t:.2f} s {t / b:.1f}x {peak / 1024:.0f} MB cpu {cpu:.2f} s{flag}"


def main() -> None:
    args = _args()
    sys.path.append(str(HERE.parent / "src"))  # after PYTHONPATH: another checkout can be measured
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        raise SystemExit(f"unknown size {unknown[0]}; use {', '.join(SIZES)}")
    crm_cmd = (
        args.crm.split()
        if args.crm
        else [shutil.which("crm", path=str(Path(sys.executable).parent)) or "crm"]
    )
    home = Path(tempfile.mkdtemp(prefix="tinycrm-scale-"))
    env = {**os.environ, "TINYCRM_HOME": str(home), "NO_COLOR": "1", "TZ": os.environ.get("TZ", "UTC")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    commands = [c for c in COMMANDS if not args.only or c[0] in args.only.split(",")]
    results: dict[str, list[tuple[float, float, int, float]]] = {name: [] for name, _, _ in commands}
    for size in sizes:
        url = build(size, args.pg, args.fresh)
        size_env = {**env, "TINYCRM_DB": url}
        subprocess.run([*crm_cmd, "agenda"], env=size_env, check=True, capture_output=True)  # migrate, caches
        export = home / f"export-{size}.json"
        for name, argv, heavy in commands:
            cmd, fresh = [*crm_cmd, *argv], None
            if "{export}" in argv:  # import json: the size's export, into a new SQLite file each run
                if not export.exists():
                    subprocess.run([*crm_cmd, "export", "json", str(export)], env=size_env, check=True)
                fresh = home / "imported.sqlite3"
                cmd = [
                    *crm_cmd,
                    "--db",
                    f"sqlite:///{fresh}",
                    *(str(export) if a == "{export}" else a for a in argv),
                ]
            runs = max(1, args.runs // 3) if heavy else args.runs
            results[name].append(measure(cmd, size_env, runs, fresh))
            t, b, peak, cpu = results[name][-1]
            print(
                f"  {size:5} {name:26} {t * 1000:8.0f} ms {t / b:6.1f}x {peak / 1024:6.0f} MB"
                f" (cpu {cpu * 1000:.0f} ms, load {os.getloadavg()[0]:.1f})",
                file=sys.stderr,
            )
    shutil.rmtree(home, ignore_errors=True)
    store = "PostgreSQL" if args.pg else "SQLite"
    print(
        f"{store}; medians of {args.runs} runs ({max(1, args.runs // 3)} for whole lists); ratio = the command / `python -c pass` in "
        "the same run; peak memory = the largest ru_maxrss of the command's process"
    )
    print("| command | " + " | ".join(sizes) + " | verdict |")
    print("|---" * (len(sizes) + 2) + "|")
    for name, _, heavy in commands:
        cells = [_cell(name, size, heavy, *row) for size, row in zip(sizes, results[name], strict=True)]
        print(f"| `{name}` | " + " | ".join(cells) + f" | {verdict(sizes, [r[0] for r in results[name]])} |")


if __name__ == "__main__":
    main()
