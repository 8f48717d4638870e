"""A campaign send killed with SIGKILL at random moments (seeded), then resumed: in the end the mailbox of the
real SMTP server holds every recipient's mail, one message (one Message-ID) each.

The one window SMTP leaves open (killed after the server took a message, before the run recorded it) makes the
resumed run hand the server the same message again, with the same Message-ID: a mail store keeps it once. So
the test counts distinct Message-IDs per recipient, and allows at most one extra delivery per kill."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections import defaultdict
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "cli"))
from mail_server import Server  # noqa: E402

RECIPIENTS = 60
TRIALS = 4


def child(url: str, home: Path) -> subprocess.Popen:
    env = {**os.environ, "TINYCRM_HOME": str(home), "TINYCRM_DB": url}
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from tinycrm.cli import main; sys.exit(main())",
            "campaign",
            "send",
            "news",
            "--yes",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_sigkill_at_random_points_then_resume(cli, store_url, _isolated_home, tmp_path, seed):
    rng = random.Random(seed)
    with Server(delay=0.01) as server:
        (_isolated_home / "config.toml").write_text(
            textwrap.dedent(
                f"""\
                [smtp]
                host = "127.0.0.1"
                port = {server.port}
                from = "news@acme.example"
                [marketing]
                unsubscribe_address = "leave@acme.example"
                """
            )
        )
        rows = "\n".join(f"Person {i},p{i}@example.com" for i in range(RECIPIENTS))
        (tmp_path / "people.csv").write_text("Name,E-mail Address\n" + rows + "\n")
        assert cli("import", "csv", str(tmp_path / "people.csv"), "--consent", "opted-in").exit_code == 0
        assert cli("segment", "add", "all", "--query", "has:email").exit_code == 0
        (tmp_path / "t.md").write_text("Hello {{ contact.display_name }}")
        assert (
            cli(
                "campaign",
                "add",
                "news",
                "--segment",
                "all",
                "--subject",
                "Hi",
                "--template",
                str(tmp_path / "t.md"),
            ).exit_code
            == 0
        )

        kills, progress = 0, []
        for _ in range(TRIALS):
            # a random moment of the run: after a random number of further deliveries, plus a random instant
            before, more = len(server.box.messages), rng.randint(1, RECIPIENTS // TRIALS)
            proc = child(store_url, _isolated_home)
            deadline = time.monotonic() + 60
            while (
                len(server.box.messages) < before + more
                and proc.poll() is None
                and time.monotonic() < deadline
            ):
                time.sleep(0.001)
            time.sleep(rng.uniform(0, 0.015))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                kills += 1
            proc.wait(timeout=60)
            proc.stderr.close()
            progress.append(len(server.box.messages))
        # the kills landed while mail was going out: some before the end, not all before the start
        assert kills == TRIALS and 0 < progress[0] < progress[-1] < RECIPIENTS, progress
        final = child(store_url, _isolated_home)
        _, err = final.communicate(timeout=120)
        assert final.returncode == 0, err

        ids: dict[str, set[str]] = defaultdict(set)
        for _, rcpts, message in server.box.messages:
            ids[rcpts[0]].add(message["Message-ID"])
        assert sorted(ids) == sorted(f"p{i}@example.com" for i in range(RECIPIENTS))
        assert all(len(found) == 1 for found in ids.values()), {a: m for a, m in ids.items() if len(m) > 1}
        assert len(server.box.messages) <= RECIPIENTS + kills
        show = cli("campaign", "show", "news", "--json").json
        assert show["counts"] == {"sent": RECIPIENTS} and show["state"] == "done"
        timeline_total = sum(
            len(cli("timeline", f"p{i}@example.com", "--json").json) for i in range(0, RECIPIENTS, 7)
        )
        assert timeline_total == len(range(0, RECIPIENTS, 7)), "one email interaction per recipient"
