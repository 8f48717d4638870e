"""`crm search --all` and `crm timeline --all` write the whole list as they read it: every row once, in the order
of the pages put together (relevance, or by name for one word or a search matching thousands), from --offset on, across the
batches the store is read in; a reader that goes away early ends the command quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crm_testkit import Cli, _empty_pg, _pg_for_module  # noqa: F401 - one PostgreSQL database per module

CRM = str(Path(sys.executable).with_name("crm"))
N = 1203  # more than two batches of the contact loader (500) and of the cursor (1000)
KINDS = ("call", "email", "meeting")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def many(request, tmp_path_factory, _pg_for_module):  # noqa: F811 - the fixture imported above
    """On each store, once for the module (the tests only read): N contacts named Person NNNN (every other one
    also 'Pat'), and N interactions with the first of them, two at each time (so the id decides the order)."""
    from tinycrm.domain.people import ContactInput, Labeled
    from tinycrm.services.people import contacts, interactions
    from tinycrm.store.database import open_db

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('whole') / 'crm.sqlite3'}"
    else:
        url, reason = _pg_for_module
        if reason:
            pytest.skip(reason)
        _empty_pg(url)
    db = open_db(url)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    try:
        with db.write() as tx:
            ids = [
                contacts.insert(
                    tx,
                    ContactInput(
                        f"Person {i:04d}" + (" Pat" if i % 2 else ""),
                        emails=[Labeled(f"p{i}@example.com")],
                        notes="regular" if i % 3 else "regular special",
                    ),
                )
                for i in range(N)
            ]
            for i in range(N):
                interactions.insert(
                    tx,
                    contact_ids=[ids[0]],
                    kind=KINDS[i % 3],
                    summary=f"talk {i}",
                    happened_at=start + timedelta(hours=i // 2),
                )
    finally:
        db.close()
    return Cli(url)


def _pages(cli, args: tuple[str, ...], size: int = 500) -> list[dict]:
    rows: list[dict] = []
    offset = 0
    while True:
        r = cli(*args, "--limit", str(size), "--offset", str(offset), "--json")
        assert r.exit_code == 0, r.stderr
        rows += r.json
        if len(r.json) < size:
            return rows
        offset += size


SEARCHES = [
    ("search", "person"),  # matches thousands: by name
    ("search", "special regular"),  # several words matching a few hundred: by relevance
    ("search", "special"),  # one word: by name
    ("search", "pat", "has:email"),  # a word and a filter
    ("search", "has:email"),  # a filter alone: the list's order
]


def test_search_all_is_the_pages_put_together(many, monkeypatch):
    from tinycrm.services.people import contact_search

    monkeypatch.setattr(
        contact_search, "BROAD_MATCH", 700
    )  # "person" by name, "special regular" (401) by relevance
    cli = many
    for args in SEARCHES:
        pages = _pages(cli, args)
        r = cli(*args, "--all", "--json")
        assert r.exit_code == 0 and r.stderr == "", args
        assert r.json == pages, args
        assert len({c["id"] for c in pages}) == len(pages) > 400, "every match once"
        r = cli(*args, "--all")
        assert [line.split("\t")[0] for line in r.stdout.splitlines()] == [str(c["id"]) for c in pages]
        r = cli(*args, "--all", "--offset", "350", "--json")
        assert r.json == pages[350:], args
        assert r.stderr == f"351-{len(pages)} of {len(pages)} matches\n"
    r = cli("search", "colour:red", "--all", "--json")
    assert r.exit_code == 2 and r.stdout == "" and "colour" in r.stderr


def test_timeline_all_is_the_pages_put_together(many):
    cli = many
    pages = _pages(cli, ("timeline", "1"))
    assert len(pages) == N and len({i["id"] for i in pages}) == N
    whens = [(i["happened_at"], i["id"]) for i in pages]
    assert whens == sorted(whens, reverse=True), "newest first, then the higher id"
    r = cli("timeline", "1", "--all", "--json")
    assert r.exit_code == 0 and r.stderr == ""
    assert r.json == pages
    r = cli("timeline", "1", "--all", "--kind", "email", "--offset", "5", "--json")
    emails = [i for i in pages if i["kind"] == "email"]
    assert r.json == emails[5:]
    assert r.stderr == f"6-{len(emails)} of {len(emails)} interactions\n"
    r = cli("timeline", "1", "--all")
    assert [line.split("\t")[0] for line in r.stdout.splitlines()] == [str(i["id"]) for i in pages]
    r = cli("timeline", "2", "--all", "--json")
    assert r.exit_code == 0 and r.stdout == "[]\n" and r.stderr == ""
    r = cli("timeline", "999999", "--all", "--json")
    assert r.exit_code == 2 and r.stdout == "" and "no contact" in r.stderr


def test_a_reader_that_goes_away_early(many, tmp_path):
    env = {**os.environ, "TINYCRM_DB": many.url, "TINYCRM_HOME": str(tmp_path)}
    for args in ("search person --all", "search person --all --json", "timeline 1 --all --json"):
        out = subprocess.run(
            f"'{CRM}' {args} | head -2; echo \"rc=${{PIPESTATUS[0]}}\"",
            shell=True,
            executable="/bin/bash",
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        lines = out.stdout.splitlines()
        assert len(lines) == 3 and lines[-1] == "rc=0", (args, out.stdout[-300:], out.stderr)
        assert out.stderr == "", out.stderr
