"""Several people at once on one PostgreSQL database, as separate processes: nothing is lost, nothing is
duplicated, stale edits are caught, a viewer's write is refused."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from crm_testkit import _pg_admin_execute, _pg_unavailable, _pg_url_for, drop_pg_database
from tinycrm.domain.people import ContactInput
from tinycrm.services.people import contacts
from tinycrm.store.database import open_db

pytestmark = pytest.mark.slow
SRC = str(Path(__file__).resolve().parents[2] / "src")
PROCESSES = 4
ROUNDS = 25


def env_for(user: str, home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TINYCRM_USER": user,
        "TINYCRM_HOME": str(home),
        "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }


def crm(*args: str) -> list[str]:
    return [sys.executable, "-m", "tinycrm", *args]


WRITER = textwrap.dedent(
    """
    import itertools, sys
    from tinycrm.store.database import open_db
    from tinycrm.domain.people import ContactInput, Labeled
    from tinycrm.services.people import contacts, interactions

    url, me, shared, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    db = open_db(url)
    orders = list(itertools.permutations(["vip", "lead", "team"]))
    for i in range(rounds):
        # a new contact at a company nobody has created yet, with tags in a different order each time
        contacts.create(db, ContactInput(f"Person {me}-{i}", emails=[Labeled(f"p{me}-{i}@example.com")],
                                         company="Brand New Co", tags=list(orders[(me + i) % len(orders)])))
        # everyone adds to the same contact (no version given: edits apply one after another)
        contacts.update(db, shared, {"add_emails": [Labeled(f"s{me}-{i}@example.com")]})
        # and everyone logs calls with that contact
        interactions.log(db, contact_ids=[shared], kind_="call", summary=f"call {me}-{i}")
    db.close()
    """
)


def test_four_processes_writing_at_once_lose_nothing(pg_url, tmp_path):
    db = open_db(pg_url)
    shared = contacts.create(db, ContactInput("Shared Customer")).id
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), pg_url, str(me), str(shared), str(ROUNDS)],
            env=env_for(f"writer{me}", tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for me in range(PROCESSES)
    ] + [
        subprocess.Popen(
            crm(
                "--db",
                pg_url,
                "add-contact",
                f"Cli Person {n}",
                "--company",
                "Brand New Co",
                "--tag",
                "team",
                "--tag",
                "vip",
            ),
            env=env_for(f"cli{n}", tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for n in range(PROCESSES)
    ]
    said = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
        said += err.decode().splitlines()
    # whoever added the company (a writer, or one of these) did so once; a command that did says so
    assert said in ([], ["added company Brand New Co (id 1)"]), said
    try:
        with db.read() as tx:
            n = PROCESSES * ROUNDS
            assert tx.scalar("SELECT count(*) FROM contacts") == 1 + n + PROCESSES
            assert tx.column("SELECT name FROM companies") == ["Brand New Co"]  # one company, not eight
            assert sorted(tx.column("SELECT name FROM tags")) == ["lead", "team", "vip"]
            assert tx.scalar("SELECT count(*) FROM contact_emails WHERE contact_id = :c", {"c": shared}) == n
            assert tx.scalar("SELECT version FROM contacts WHERE id = :c", {"c": shared}) == 1 + n
            assert (
                tx.scalar("SELECT count(*) FROM interaction_contacts WHERE contact_id = :c", {"c": shared})
                == n
            )
            assert tx.scalar("SELECT count(*) FROM contact_search") == 1 + n + PROCESSES
            assert (
                tx.scalar(
                    "SELECT count(*) FROM audit_log WHERE action = 'create' AND record_type = 'contact'"
                )
                == 1 + n + PROCESSES
            )
            assert tx.scalar("SELECT count(*) FROM audit_log WHERE action = 'update'") == n
            users = dict(tx.all("SELECT name, role FROM users"))
            assert set(users) == {"tester"} | {f"writer{i}" for i in range(PROCESSES)} | {
                f"cli{i}" for i in range(PROCESSES)
            }
            assert [u for u, r in users.items() if r == "admin"] == ["tester"]
        shared_contact = contacts.get(db, shared)
        assert len(shared_contact.emails) == n
        assert contacts.search(db, "person", limit=None).total == n + PROCESSES
    finally:
        db.close()


def test_processes_opening_a_new_database_create_the_schema_once(tmp_path):
    reason = _pg_unavailable()
    if reason:
        pytest.skip(reason)
    name = f"tinycrm_t_{uuid.uuid4().hex[:12]}"
    _pg_admin_execute(f'CREATE DATABASE "{name}"')  # empty: no schema yet
    url = _pg_url_for(name)
    try:
        procs = [
            subprocess.Popen(
                crm("--db", url, "add-contact", f"First {i}"),
                env=env_for(f"u{i}", tmp_path),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for i in range(PROCESSES)
        ]
        for p in procs:
            _, err = p.communicate(timeout=300)
            assert p.returncode == 0, err.decode()
        db = open_db(url)
        try:
            with db.read() as tx:
                assert tx.scalar("SELECT count(*) FROM contacts") == PROCESSES
                assert tx.scalar("SELECT count(*) FROM pipelines") == 1  # the seed ran once
        finally:
            db.close()
    finally:
        drop_pg_database(name)


def test_two_processes_saving_the_same_stale_edit(pg_url, tmp_path):
    db = open_db(pg_url)
    cid = contacts.create(db, ContactInput("Contested Deal Contact")).id
    db.close()
    procs = [
        subprocess.Popen(
            crm(
                "--db",
                pg_url,
                "contact",
                "edit",
                str(cid),
                "--title",
                f"title from {who}",
                "--expect-version",
                "1",
            ),
            env=env_for(who, tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for who in ("alice", "bruno")
    ]
    results = []
    for p in procs:
        _, err = p.communicate(timeout=120)
        results.append((p.returncode, err.decode()))
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    loser = next(err for code, err in results if code == 1)
    winner = "alice" if "alice" in loser else "bruno"
    assert (
        f"was changed by {winner} at " in loser and "(job_title)" in loser and "version 2, yours 1" in loser
    )
    assert loser.count("\n") == 1


def test_a_viewer_process_is_refused_with_a_clear_message(pg_url, tmp_path):
    from crm_testkit import PASSWORD, cannot_create_roles, url_as

    if cannot_create_roles():
        pytest.skip(cannot_create_roles())

    viewer = f"t{uuid.uuid4().hex[:8]}_viewer"
    try:
        r = subprocess.run(
            crm("--db", pg_url, "team", "add-member", viewer, "--role", "viewer", "--password-env", "PW"),
            env={**env_for("tester", tmp_path), "PW": PASSWORD},
            capture_output=True,
            text=True,
        )
        assert r.returncode == 0, r.stderr
        r = subprocess.run(
            crm("--db", url_as(pg_url, viewer), "add-contact", "Grace"),
            env=env_for(viewer, tmp_path),
            capture_output=True,
            text=True,
        )
        assert r.returncode == 1
        assert r.stderr.startswith("crm: error: the database refused the change: permission denied for table")
        assert r.stderr.count("\n") == 1 and PASSWORD not in r.stderr
    finally:
        _pg_admin_execute(f'DROP ROLE IF EXISTS "{viewer}"')
