"""Two-way vdir sync at 10,000 contacts: the first run, a run with nothing changed, a run after 100 phone edits.

    python bench/bench_sync.py [--contacts 10000] [--edits 100]

Each figure is a whole `crm sync vdir` process (what cron runs), median of --runs, beside `python -c pass`.
Targets (docs/sync.md): nothing changed < 1 s, 100 edits < 2 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    from generate import generate

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--contacts", type=int, default=10_000)
    ap.add_argument("--edits", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="tinycrm-bench-sync-"))
    source = Path(generate(args.contacts).removeprefix("sqlite:///"))
    shutil.copy(source, work / "crm.sqlite3")
    env = {
        **os.environ,
        "TINYCRM_DB": f"sqlite:///{work / 'crm.sqlite3'}",
        "TINYCRM_HOME": str(work / "home"),
    }
    crm = [sys.executable, "-m", "tinycrm", "sync", "vdir", str(work / "cards")]
    floor = statistics.median(timed([sys.executable, "-c", "pass"], env) for _ in range(args.runs))
    first = timed(crm, env)
    quiet = statistics.median(timed(crm, env) for _ in range(args.runs))

    def edit_some() -> None:
        for path in sorted((work / "cards").glob("*.vcf"))[: args.edits]:
            data = path.read_bytes()
            path.write_bytes(data.replace(b"\r\nEND:VCARD", b"\r\nNOTE:edited on the phone\r\nEND:VCARD"))
            os.utime(path, ns=(0, path.stat().st_mtime_ns + 10**9))

    after_edits = []
    for _ in range(args.runs):
        edit_some()
        after_edits.append(timed(crm, env))
        timed(crm, env)  # settle
    shutil.rmtree(work)
    print(f"{args.contacts} contacts, python -c pass {floor * 1000:.0f} ms")
    print(f"first run (writes every card)   {first:6.2f} s")
    print(
        f"nothing changed                 {quiet:6.2f} s  ({quiet / floor:.0f}x python -c pass; target < 1 s)"
    )
    print(f"after {args.edits} phone edits           {statistics.median(after_edits):6.2f} s  (target < 2 s)")


if __name__ == "__main__":
    main()
