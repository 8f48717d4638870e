"""Start-up and read-path figures of `crm`, as ratios to `python -c pass` measured in the same run.

    python bench/run.py [--contacts 100000] [--runs 15] [--db URL]

Targets: `crm --help` <= 6x; `crm search NAME`, `crm contact list --limit 20` and `crm search NAME --format
mutt` (a mail client's address-book query) on a 100k-contact database <= 5x; `crm add-contact` <= 40x.

Whole-process times, output to a pipe, median of --runs. The commands run in turns (pass, then each command,
then pass again...), so a machine that gets busier halfway slows every column alike. Two figures per command:
wall time (what the user waits; the targets) and CPU time (user + system of the process: steadier when other
work shares the machine, as it does when the load average is above the number of cores). "floor" is the least a
search from a fresh process can cost: a Python script that opens the SQLite file and runs the FTS query.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

#: the floor: open the file, run the FTS query of `crm search ada`, print the page (no tinycrm import)
FLOOR = """
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = c.execute(
    "SELECT c.id, c.display_name FROM (SELECT rowid AS contact_id, rank AS score FROM contact_search "
    "WHERE contact_search MATCH ?) m CROSS JOIN contacts c WHERE c.id = m.contact_id AND NOT c.archived "
    "ORDER BY m.score LIMIT 20",
    ('"ada" *',),
).fetchall()
sys.stdout.write("".join(f"{r[0]}\\t{r[1]}\\n" for r in rows))
"""

#: (name, command, environment, target ratio or None, exit codes that are success)
Case = tuple[str, list[str], dict[str, str], "float | None", tuple[int, ...]]


def run_once(cmd: list[str], env: dict[str, str], ok: tuple[int, ...]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


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

    py = sys.executable
    cases: list[Case] = [
        ("python -c pass", [py, "-c", "pass"], env, None, (0,)),
        ("crm --help", [crm, "--help"], env, 6, (0,)),
        ("crm search ada", [crm, "search", "ada"], env, 5, (0,)),
        ("crm search tag:vip müll", [crm, "search", "tag:vip", "müll"], env, 5, (0,)),
        ("crm contact list --limit 20", [crm, "contact", "list", "--limit", "20"], env, 5, (0,)),
        ("crm search ada --format mutt", [crm, "search", "--format", "mutt", "ada"], env, 5, (0,)),
        (
            "crm add-contact",
            [crm, "add-contact", "Bench Person", "--email", "bench@example.com", "--tag", "bench"],
            {**env, "TINYCRM_DB": write_url},
            40,
            (0,),
        ),
    ]
    if url.startswith("sqlite:///"):
        cases.insert(
            1,
            (
                "floor (sqlite3 + FTS query)",
                [py, "-c", FLOOR, url.removeprefix("sqlite:///")],
                env,
                None,
                (0,),
            ),
        )

    samples: dict[str, list[tuple[float, float]]] = {name: [] for name, *_ in cases}
    for _ in range(args.runs):
        for name, cmd, case_env, _target, ok in cases:
            samples[name].append(run_once(cmd, case_env, ok))
    shutil.rmtree(home, ignore_errors=True)
    print(f"database: {url}")
    report(cases, samples, args.runs)


def report(cases: list[Case], samples: dict[str, list[tuple[float, float]]], runs: int) -> None:
    """The table: median wall and CPU time of each command, their ratios to ``python -c pass``, the verdict."""
    wall = {name: statistics.median(w for w, _ in s) for name, s in samples.items()}
    cpu = {name: statistics.median(c for _, c in s) for name, s in samples.items()}
    base_wall, base_cpu = wall["python -c pass"], cpu["python -c pass"]
    floor = "floor (sqlite3 + FTS query)"
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    busy = (
        f"; the machine is busy (load {load:.1f} on {cores} cores): trust the CPU column"
        if load > cores
        else ""
    )
    print(f"median of {runs} runs, in turns{busy}")
    print(f"{'command':34} {'wall ms':>8} {'ratio':>7} {'cpu ms':>8} {'ratio':>7} {'target':>7}")
    for name, _cmd, _env, target, _ok in cases:
        w, c = wall[name], cpu[name]
        verdict = "" if target is None else ("ok" if w / base_wall <= target else "OVER")
        shown = "" if target is None else f"<={target:g}x"
        print(
            f"{name:34} {w * 1000:8.1f} {w / base_wall:6.1f}x {c * 1000:8.1f} {c / base_cpu:6.1f}x "
            f"{shown:>7} {verdict}"
        )
    if floor in wall:
        print(
            f"crm search ada / floor: {wall['crm search ada'] / wall[floor]:.1f}x wall, "
            f"{cpu['crm search ada'] / cpu[floor]:.1f}x CPU (target: within 3x)"
        )


if __name__ == "__main__":
    main()
