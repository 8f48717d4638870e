"""Speed of the forecasts learned from history, as ratios to `python -c pass` measured in the same run.

    python bench/bench_forecast.py [--deals 100000] [--history 500000] [--runs 7] [--db URL] [--fresh]

Builds (and caches in bench/data/) the database of bench_deals.py (N deals over two pipelines, open, won and
lost, each with its stage history), then tops the stage history up to --history rows with earlier moves back and
forth between stages (each before the deal's own last row, so every deal's state stays what it is), adds a
close-date change to one deal in five and a value change to one in ten (``deal_value_history``: what the
backtests read a deal's value on a past day from). Then times whole `crm` processes, output to a pipe, median of --runs.

Targets: `crm report conversion` and `crm report forecast --method blend` <= 15x `python -c pass`;
`crm report accuracy --quarters 4` <= 30x.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import bench_deals  # noqa: E402


def top_up(url: str, history_n: int) -> None:
    from tinycrm.store.database import as_date, as_datetime, open_db

    db = open_db(url)
    with db.read() as tx:
        have = int(tx.scalar("SELECT count(*) FROM deal_stage_history"))
        slips = int(tx.scalar("SELECT count(*) FROM deal_close_history"))
        values = int(tx.scalar("SELECT count(*) FROM deal_value_history"))
    if have >= history_n and slips and values:
        db.close()
        return
    started = time.perf_counter()
    rnd = random.Random(11)
    with db.write() as tx:
        deals = tx.all(
            "SELECT d.id, d.pipeline_id, d.created_at, d.expected_close, min(h.changed_at) AS first_at "
            "FROM deals d JOIN deal_stage_history h ON h.deal_id = d.id GROUP BY d.id, d.pipeline_id, d.created_at, "
            "d.expected_close ORDER BY d.id"
        )
        stages: dict[int, list[int]] = {}
        for r in tx.all("SELECT id, pipeline_id FROM stages ORDER BY pipeline_id, position"):
            stages.setdefault(r["pipeline_id"], []).append(r["id"])
        extra = []
        while have + len(extra) < history_n:
            d = rnd.choice(deals)
            first = as_datetime(d["first_at"])
            assert first is not None
            # a move at the very start of the deal's life (before its last row): its state today is unchanged
            at = first + timedelta(seconds=rnd.randrange(1, 59))
            path = stages[d["pipeline_id"]]
            extra.append({"d": d["id"], "f": rnd.choice(path), "t": rnd.choice(path), "s": "open", "at": at})
        for chunk in bench_deals._chunks(extra):
            tx.executemany(
                "INSERT INTO deal_stage_history (deal_id, from_stage_id, to_stage_id, status, changed_at) "
                "VALUES (:d, :f, :t, :s, :at)",
                chunk,
            )
        changes = []
        for d in deals[::5] if not slips else []:
            close = as_date(d["expected_close"])
            if close is None:
                continue
            created = as_datetime(d["created_at"])
            assert created is not None
            changes.append({"d": d["id"], "o": close - timedelta(days=rnd.randrange(1, 60)), "n": close,
                            "at": created + timedelta(days=1)})  # fmt: skip
        for chunk in bench_deals._chunks(changes):
            tx.executemany(
                "INSERT INTO deal_close_history (deal_id, old_close, new_close, changed_at) VALUES (:d, :o, :n, :at)",
                chunk,
            )
        # one deal in ten was worth a fifth less until two days after it was created (same currency, category)
        olds = []
        for d in deals[3::10] if not values else []:
            created = as_datetime(d["created_at"])
            assert created is not None
            olds.append({"d": d["id"], "at": created + timedelta(days=2)})
        for chunk in bench_deals._chunks(olds):
            tx.executemany(
                "INSERT INTO deal_value_history (deal_id, value_e4, currency, category, changed_at) "
                "SELECT id, value_e4 * 4 / 5, currency, forecast_category, :at FROM deals WHERE id = :d",
                chunk,
            )
        if not tx.db.is_sqlite:
            tx.execute("ANALYZE")
    if db.is_sqlite:
        with db.write() as tx:
            tx.execute("ANALYZE")
    db.close()
    print(f"added {len(extra)} stage changes, {len(changes)} close-date changes, {len(olds)} value changes in "
          f"{time.perf_counter() - started:.0f} s", file=sys.stderr)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=500_000)
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", help="benchmark this database URL (filled first if it has fewer deals)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached SQLite file")
    args = parser.parse_args()

    url = bench_deals.generate(args.deals, args.contacts, args.db, args.fresh)
    top_up(url, args.history)
    crm = shutil.which("crm", path=str(Path(sys.executable).parent)) or "crm"
    home = tempfile.mkdtemp(prefix="tinycrm-bench-")
    env = {**os.environ, "TINYCRM_HOME": home, "TINYCRM_DB": url, "NO_COLOR": "1", "TINYCRM_USER": "ann"}
    env.pop("TINYCRM_NOW", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    bare = [sys.executable, "-c", "pass"]
    base = statistics.median(bench_deals._run(bare, env) for _ in range(args.runs))
    cases = [
        ("crm report conversion", [crm, "report", "conversion"], 15),
        ("crm report forecast --method blend", [crm, "report", "forecast", "--method", "blend"], 15),
        ("crm report accuracy --quarters 4", [crm, "report", "accuracy", "--quarters", "4"], 30),
        (
            "crm report conversion --as-of (90 days ago)",
            [crm, "report", "conversion", "--as-of", "90 days ago"],
            None,
        ),
        (
            "crm report forecast --method blend --as-of",
            [crm, "report", "forecast", "--method", "blend", "--as-of", "90 days ago"],
            None,
        ),  # fmt: skip
        ("crm report kpis", [crm, "report", "kpis"], None),
    ]
    for _, cmd, _ in cases:  # warm up: the schema check, the byte code, the file cache
        bench_deals._run(cmd, env)
    print(f"database: {url}")
    print(f"python -c pass: {base * 1000:.1f} ms (median of {args.runs}; measured again beside each command)")
    print(f"{'command':46} {'ms':>8} {'pass ms':>8} {'ratio':>7} {'cpu ms':>8} {'ratio':>7} {'target':>7}")
    failed = False
    for name, cmd, target in cases:
        t, b, c, cb = bench_deals.timed(cmd, bare, env, args.runs)
        ratio = t / b
        verdict = ""
        if target is not None:
            verdict = "ok" if ratio <= target else "OVER"
            failed = failed or ratio > target
        shown = f"<={target}x" if target else ""
        print(
            f"{name:46} {t * 1000:8.1f} {b * 1000:8.1f} {ratio:6.1f}x {c * 1000:8.1f} {c / cb:6.1f}x {shown:>7} {verdict}"
        )
    shutil.rmtree(home, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
