"""Start-up and read-path figures of `crm`, as ratios to `python -c pass` measured in the same run.

    python bench/run.py [--contacts 100000] [--runs 15]

Targets: `crm --help` <= 6x; `crm search NAME` and `crm contact list --limit 20` on a 100k-contact database
<= 10x; `crm add-contact` <= 40x. Whole-process wall time, median of --runs, output to a pipe.
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


def timed(cmd: list[str], env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        samples.append(time.perf_counter() - started)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode()[-500:]}")
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--db", help="benchmark this database URL instead of a generated SQLite file")
    args = parser.parse_args()

    from generate import generate

    url = args.db or generate(args.contacts)
    crm = shutil.which("crm", path=str(Path(sys.executable).parent)) or "crm"
    home = tempfile.mkdtemp(prefix="tinycrm-bench-")
    env = {**os.environ, "TINYCRM_HOME": home, "TINYCRM_DB": url, "NO_COLOR": "1"}
    # measure what users get: byte-code cached after the first run
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not args.db:
        scratch = Path(home) / "scratch.sqlite3"
        shutil.copy(url.removeprefix("sqlite:///"), scratch)
        write_url = f"sqlite:///{scratch}"
    else:
        write_url = url
    subprocess.run([crm, "contact", "list", "--limit", "1"], env=env, check=True, stdout=subprocess.DEVNULL)

    base = timed([sys.executable, "-c", "pass"], env, args.runs)
    cases = [
        ("crm --help", [crm, "--help"], env, 6),
        ("crm search ada", [crm, "search", "ada"], env, 10),
        ("crm search tag:vip müll", [crm, "search", "tag:vip", "müll"], env, 10),
        ("crm contact list --limit 20", [crm, "contact", "list", "--limit", "20"], env, 10),
        (
            "crm add-contact",
            [crm, "add-contact", "Bench Person", "--email", "bench@example.com", "--tag", "bench"],
            {**env, "TINYCRM_DB": write_url},
            40,
        ),
    ]
    print(f"database: {url}")
    print(f"python -c pass: {base * 1000:.1f} ms (median of {args.runs})")
    print(f"{'command':34} {'ms':>8} {'ratio':>7} {'target':>7}")
    worst = True
    for name, cmd, case_env, target in cases:
        t = timed(cmd, case_env, args.runs)
        ratio = t / base
        ok = ratio <= target
        worst = worst and ok
        print(
            f"{name:34} {t * 1000:8.1f} {ratio:6.1f}x {'<=' + str(target) + 'x':>7} {'ok' if ok else 'OVER'}"
        )
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
