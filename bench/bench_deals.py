"""Speed of the sales read paths on a large database, as ratios to `python -c pass` measured in the same run.

    python bench/bench_deals.py [--deals 100000] [--contacts 100000] [--runs 11] [--db URL] [--fresh]

Builds (and caches in bench/data/) a database of N contacts at 1,000 companies and N deals spread over two
pipelines, four currencies, three years of expected close dates, open/won/lost, each with its stage history,
plus N/2 interactions, using bulk SQL inserts in one transaction (fast, not through the services). Then times
whole `crm` processes, output to a pipe, median of --runs.

Targets: `crm report forecast` and `crm pipeline` <= 15x `python -c pass`.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

CURRENCIES = ["EUR", "EUR", "EUR", "USD", "USD", "GBP", "JPY"]
KINDS = ["call", "email", "meeting", "message", "note"]
REASONS = ["price", "timing", "competitor", "no budget", "no decision", "went silent"]
BATCH = 5000


def default_path(deals: int, contacts: int) -> Path:
    return HERE / "data" / f"deals-{deals}-contacts-{contacts}.sqlite3"


def _chunks(rows: list, size: int = BATCH):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def generate(deals_n: int, contacts_n: int, url: str | None = None, fresh: bool = False) -> str:
    from tinycrm.store.database import open_db

    if url is None:
        out = default_path(deals_n, contacts_n)
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(str(out) + suffix).unlink(missing_ok=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{out}"
    db = open_db(url)
    with db.read() as tx:
        have = tx.scalar("SELECT count(*) FROM deals")
    if have >= deals_n:
        db.close()
        return url
    started = time.perf_counter()
    rnd = random.Random(7)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    with db.write() as tx:
        users = []
        for name in ("ann", "bob", "carol", "dave", "erin"):
            tx.execute(
                "INSERT INTO users (name, role, active, created_at) VALUES (:n, 'member', :a, :t) "
                "ON CONFLICT (name) DO NOTHING",
                {"n": name, "a": True, "t": now},
            )
            users.append(tx.scalar("SELECT id FROM users WHERE name = :n", {"n": name}))
        base_co = tx.scalar("SELECT coalesce(max(id), 0) FROM companies")
        companies = [
            {
                "id": base_co + i,
                "uid": f"bench-co-{base_co + i}",
                "name": f"Company {base_co + i}",
                "sort": f"company {base_co + i:07d}",
                "t": now,
            }
            for i in range(1, 1001)
        ]
        for chunk in _chunks(companies):
            tx.executemany(
                "INSERT INTO companies (id, uid, name, sort_name, created_at, updated_at, version) "
                "VALUES (:id, :uid, :name, :sort, :t, :t, 1)",
                chunk,
            )
        base_c = tx.scalar("SELECT coalesce(max(id), 0) FROM contacts")
        contacts = []
        for i in range(1, contacts_n + 1):
            cid = base_c + i
            name = f"Person {cid}"
            contacts.append(
                {
                    "id": cid,
                    "uid": f"bench-c-{cid}",
                    "g": "Person",
                    "f": str(cid),
                    "d": name,
                    "s": f"person {cid:07d}",
                    "co": rnd.choice(companies)["id"],
                    "t": now,
                }
            )
        for chunk in _chunks(contacts):
            tx.executemany(
                "INSERT INTO contacts (id, uid, given_name, family_name, display_name, sort_name, company_id, "
                "archived, created_at, updated_at, version) VALUES (:id, :uid, :g, :f, :d, :s, :co, false, :t, :t, 1)",
                chunk,
            )
        # a second pipeline, so the board and the reports pick one among several
        if tx.scalar("SELECT count(*) FROM pipelines") < 2:
            pid = tx.insert(
                "INSERT INTO pipelines (name, position, created_at) VALUES ('Partners', 1, :t) RETURNING id",
                {"t": now},
            )
            for k, (n, p) in enumerate([("Contacted", 10), ("Pilot", 40), ("Contract", 80)]):
                tx.execute(
                    "INSERT INTO stages (pipeline_id, name, position, probability, idle_days) "
                    "VALUES (:p, :n, :k, :pr, 30)",
                    {"p": pid, "n": n, "k": k, "pr": p},
                )
        stages: dict[int, list[int]] = {}
        for r in tx.all("SELECT id, pipeline_id FROM stages ORDER BY pipeline_id, position"):
            stages.setdefault(r["pipeline_id"], []).append(r["id"])
        pipeline_ids = sorted(stages)
        base_d = tx.scalar("SELECT coalesce(max(id), 0) FROM deals")
        deals, links, history = [], [], []
        for i in range(1, deals_n + 1):
            did = base_d + i
            pid = pipeline_ids[0] if rnd.random() < 0.8 else pipeline_ids[-1]
            path = stages[pid]
            reached = rnd.randrange(len(path))
            status = rnd.choices(["open", "won", "lost"], [60, 20, 20])[0]
            created = now - timedelta(days=rnd.randrange(1, 900), minutes=rnd.randrange(1440))
            entered = created + (now - created) * rnd.random() * 0.5
            closed = entered + (now - entered) * rnd.random() if status != "open" else None
            close = today + timedelta(days=rnd.randrange(-120, 900)) if rnd.random() < 0.9 else None
            deals.append(
                {
                    "id": did,
                    "uid": f"bench-d-{did}",
                    "title": f"Deal {did}",
                    "v": rnd.randrange(1, 5000) * 10000 * rnd.choice([1, 10, 100])
                    + rnd.choice([0, 5000, 2500]),
                    "c": rnd.choice(CURRENCIES),
                    "p": pid,
                    "s": path[reached],
                    "st": status,
                    "lr": rnd.choice(REASONS) if status == "lost" else None,
                    "close": close,
                    "co": rnd.choice(companies)["id"],
                    "o": rnd.choice(users),
                    "ct": created,
                    "se": entered,
                    "cl": closed,
                    "ns": "Call" if rnd.random() < 0.3 else None,
                    "nd": today + timedelta(days=rnd.randrange(-30, 30)) if rnd.random() < 0.2 else None,
                }
            )
            if deals[-1]["nd"] is not None and deals[-1]["ns"] is None:
                deals[-1]["ns"] = "Follow up"
            links.append({"d": did, "c": rnd.choice(contacts)["id"]})
            previous = None
            for k in range(reached + 1):
                history.append(
                    {
                        "d": did,
                        "f": previous,
                        "t": path[k],
                        "s": "open",
                        "at": created if k == 0 else entered,
                        "u": deals[-1]["o"],
                    }
                )
                previous = path[k]
            if closed is not None:
                history.append(
                    {
                        "d": did,
                        "f": path[reached],
                        "t": path[reached],
                        "s": status,
                        "at": closed,
                        "u": deals[-1]["o"],
                    }
                )
        for chunk in _chunks(deals):
            tx.executemany(
                "INSERT INTO deals (id, uid, title, value_e4, currency, pipeline_id, stage_id, status, lost_reason, "
                "expected_close, next_step, next_step_due, company_id, owner_id, created_at, updated_at, "
                "stage_entered_at, closed_at, version) VALUES (:id, :uid, :title, :v, :c, :p, :s, :st, :lr, :close, "
                ":ns, :nd, :co, :o, :ct, :ct, :se, :cl, 1)",
                chunk,
            )
        for chunk in _chunks(links):
            tx.executemany("INSERT INTO deal_contacts (deal_id, contact_id) VALUES (:d, :c)", chunk)
        for chunk in _chunks(history):
            tx.executemany(
                "INSERT INTO deal_stage_history (deal_id, from_stage_id, to_stage_id, status, changed_at, user_id) "
                "VALUES (:d, :f, :t, :s, :at, :u)",
                chunk,
            )
        base_i = tx.scalar("SELECT coalesce(max(id), 0) FROM interactions")
        acts, people = [], []
        for i in range(1, deals_n // 2 + 1):
            iid = base_i + i
            when = now - timedelta(minutes=rnd.randrange(0, 60 * 24 * 200))
            acts.append(
                {
                    "id": iid,
                    "uid": f"bench-i-{iid}",
                    "k": rnd.choice(KINDS),
                    "h": when,
                    "s": "Talked",
                    "d": base_d + rnd.randrange(1, deals_n + 1),
                    "o": rnd.choice(users),
                    "t": when,
                }
            )
            people.append({"i": iid, "c": rnd.choice(contacts)["id"]})
        for chunk in _chunks(acts):
            tx.executemany(
                "INSERT INTO interactions (id, uid, kind, happened_at, summary, deal_id, owner_id, created_at, "
                "updated_at, version) VALUES (:id, :uid, :k, :h, :s, :d, :o, :t, :t, 1)",
                chunk,
            )
        for chunk in _chunks(people):
            tx.executemany(
                "INSERT INTO interaction_contacts (interaction_id, contact_id) VALUES (:i, :c)", chunk
            )
        if not db.is_sqlite:
            from tinycrm.store.tables import reset_sequences

            reset_sequences(tx)
        from tinycrm.services.people import contact_loader

        contact_loader.reindex_all(tx)
    if not db.is_sqlite:
        db.connection().execute(
            "ANALYZE"
        )  # autovacuum would soon; SQLite files get no statistics, as in real use
    print(
        f"generated {contacts_n} contacts, {deals_n} deals ({len(history)} stage changes), "
        f"{len(acts)} interactions in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    db.close()
    return url


def _run(cmd: list[str], env: dict[str, str], cpu: list[float] | None = None) -> float:
    """Wall time of one run; its CPU time (user + system) is appended to ``cpu``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode()[-500:]}")
    if cpu is not None:
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return took


def timed(
    cmd: list[str], base: list[str], env: dict[str, str], runs: int
) -> tuple[float, float, float, float]:
    """Medians of wall and CPU time of ``cmd`` and of ``base``, run alternately so that both see the same load
    on a busy machine (CPU time is the steadier figure there)."""
    samples, bases, cpu, cpu_base = [], [], [], []
    for _ in range(runs):
        bases.append(_run(base, env, cpu_base))
        samples.append(_run(cmd, env, cpu))
    med = statistics.median
    return med(samples), med(bases), med(cpu), med(cpu_base)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--db", help="benchmark this database URL (filled first if it has fewer deals)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached SQLite file")
    args = parser.parse_args()

    url = generate(args.deals, args.contacts, args.db, args.fresh)
    crm = shutil.which("crm", path=str(Path(sys.executable).parent)) or "crm"
    home = tempfile.mkdtemp(prefix="tinycrm-bench-")
    env = {**os.environ, "TINYCRM_HOME": home, "TINYCRM_DB": url, "NO_COLOR": "1", "TINYCRM_USER": "ann"}
    env.pop("TINYCRM_NOW", None)
    # as installed: byte code cached (a shell with PYTHONDONTWRITEBYTECODE would recompile tinycrm on every run)
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    bare = [sys.executable, "-c", "pass"]
    base = statistics.median(_run(bare, env) for _ in range(args.runs))
    cases = [
        ("crm report forecast", [crm, "report", "forecast"], 15),
        ("crm pipeline", [crm, "pipeline"], 15),
        ("crm pipeline --json (8 deals/stage)", [crm, "pipeline", "--json"], None),
        (
            "crm report forecast --months 12 --mine",
            [crm, "report", "forecast", "--months", "12", "--mine"],
            None,
        ),
        ("crm report pipeline", [crm, "report", "pipeline"], None),
        ("crm report wins", [crm, "report", "wins"], None),
        ("crm report activity", [crm, "report", "activity"], None),
        ("crm deal list", [crm, "deal", "list"], None),
        ("crm deal idle", [crm, "deal", "idle"], None),
        ("crm deal show 4242", [crm, "deal", "show", "4242"], None),
    ]
    for _, cmd, _ in cases:  # warm up: the schema check, the byte code, the file cache
        _run(cmd, env)
    print(f"database: {url}")
    print(f"python -c pass: {base * 1000:.1f} ms (median of {args.runs}; measured again beside each command)")
    print(f"{'command':42} {'ms':>8} {'pass ms':>8} {'ratio':>7} {'cpu ms':>8} {'ratio':>7} {'target':>7}")
    failed = False
    for name, cmd, target in cases:
        t, b, c, cb = timed(cmd, bare, env, args.runs)
        ratio = t / b
        verdict = ""
        if target is not None:
            verdict = "ok" if ratio <= target else "OVER"
            failed = failed or ratio > target
        shown = f"<={target}x" if target else ""
        print(
            f"{name:42} {t * 1000:8.1f} {b * 1000:8.1f} {ratio:6.1f}x {c * 1000:8.1f} {c / cb:6.1f}x {shown:>7} "
            f"{verdict}"
        )
    shutil.rmtree(home, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
