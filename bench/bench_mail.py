"""``crm mail ingest --mbox`` of N generated messages (default 10,000): messages per second (target >= 500/s).

A quarter of the messages are from or to one of 1,000 contacts (they become interactions), the rest from
strangers (ignored); a tenth are multipart/alternative, a tenth HTML only, some quoted-printable in
windows-1252. The generation is seeded. Then the same mbox again: every message a duplicate.

    .venv/bin/python bench/bench_mail.py [--messages 10000] [--pg URL]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

CRM = str(Path(sys.executable).parent / "crm")
WORDS = "offer quote invoice meeting project delivery contract question thanks follow-up update".split()


def _message(rng: random.Random, i: int, contacts: int) -> bytes:
    msg = EmailMessage()
    known = rng.random() < 0.25
    sender = f"person{rng.randrange(contacts)}@clients.example" if known else f"stranger{i}@else.example"
    if known and rng.random() < 0.3:  # mail we sent to the contact
        msg["From"], msg["To"] = "me@tinycrm.test", sender
    else:
        msg["From"], msg["To"] = f"Person {i} <{sender}>", "me@tinycrm.test"
    msg["Subject"] = f"{rng.choice(WORDS).title()} {i}: " + " ".join(rng.choices(WORDS, k=5))
    msg["Date"] = format_datetime(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i))
    msg["Message-ID"] = f"<bench-{i}@mail.example>"
    body = "\n\n".join(" ".join(rng.choices(WORDS, k=rng.randint(8, 40))) for _ in range(rng.randint(1, 5)))
    kind = rng.random()
    if kind < 0.1:
        msg.set_content(body)
        msg.add_alternative(f"<html><body><p>{body}</p></body></html>", subtype="html")
    elif kind < 0.2:
        msg.set_content(f"<html><body><p>{body}</p><ul><li>one</li></ul></body></html>", subtype="html")
    elif kind < 0.3:
        msg.set_content(body + "\nCafé – 10 €", charset="cp1252", cte="quoted-printable")
    else:
        msg.set_content(body)
    return bytes(msg)


def _mbox(path: Path, n: int, contacts: int) -> None:
    rng = random.Random(14)
    with path.open("wb") as fh:
        for i in range(n):
            fh.write(b"From bench@example Thu Jan  1 00:00:00 2026\n")
            fh.write(_message(rng, i, contacts).replace(b"\r\n", b"\n").replace(b"\nFrom ", b"\n>From "))
            fh.write(b"\n")


def _contacts(url: str, n: int, env: dict) -> None:
    rows = "\n".join(f"Person {i},person{i}@clients.example" for i in range(n))
    csv = Path(tempfile.mkstemp(suffix=".csv")[1])
    csv.write_text("name,email\n" + rows + "\n")
    subprocess.run([CRM, "--db", url, "import", "csv", str(csv)], check=True, env=env, capture_output=True)
    csv.unlink()


def _ingest(url: str, mbox: Path, env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [CRM, "--db", url, "mail", "ingest", "--quiet", "--json", "--mbox", str(mbox)],
        env=env,
        capture_output=True,
        text=True,
    )
    took = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"crm mail ingest failed ({done.returncode}): {done.stderr[-500:]}")
    import json

    return took, json.dumps(json.loads(done.stdout)["summary"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--contacts", type=int, default=1_000)
    parser.add_argument("--pg", help="a PostgreSQL URL of an empty database (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TINYCRM_HOME": tmp, "TINYCRM_USER": "bench"}
        url = args.pg or f"sqlite:///{tmp}/crm.sqlite3"
        mbox = Path(tmp) / "bench.mbox"
        _mbox(mbox, args.messages, args.contacts)
        _contacts(url, args.contacts, env)
        size = mbox.stat().st_size / 1e6
        took, summary = _ingest(url, mbox, env)
        print(f"{args.messages} messages ({size:.1f} MB mbox) in {took:.2f} s: {args.messages / took:.0f}/s")
        print(f"  {summary}")
        took, summary = _ingest(url, mbox, env)
        print(f"again (all duplicates) in {took:.2f} s: {args.messages / took:.0f}/s")
        print(f"  {summary}")


if __name__ == "__main__":
    main()
