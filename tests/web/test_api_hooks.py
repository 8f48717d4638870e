"""Webhooks delivered by a running ``crm serve`` to a real receiver that fails on purpose for a while, and the
outbox surviving a server killed with SIGKILL: ``crm hooks deliver`` afterwards delivers every event."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from api_support import call, seed_accounts
from web_support import Served

from hook_receiver import Receiver

FAST = {
    "TINYCRM_USER": "ada",
    "TINYCRM_HOOKS_POLL_S": "0.2",
    "TINYCRM_HOOKS_RETRY_FIRST_S": "0.2",
    "TINYCRM_HOOKS_TIMEOUT_S": "5",
}


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def add_hook(db_url: str, url: str, events: list[str]) -> str:
    from tinycrm.services.hooks import registry
    from tinycrm.store.database import open_db

    db = open_db(db_url)
    try:
        db.actor = "ada"  # type: ignore[attr-defined]
        made = registry.add(db, url, events)
        assert made.secret
        return made.secret
    finally:
        db.close()


def event_ids(db_url: str) -> list[int]:
    from tinycrm.store.database import open_db

    db = open_db(db_url)
    try:
        with db.read() as tx:
            return tx.column("SELECT id FROM events ORDER BY id")
    finally:
        db.close()


def wait_for(condition, timeout: float = 60) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def changes_through_the_api(base: str, token: str) -> int:
    """Contacts and a deal changed over HTTP; gives the contact's id."""
    ada = call(base, "POST", "/api/v1/contacts", token, {"display_name": "Ada Lovelace"}).doc
    version = ada["version"]
    for title in ("One", "Two", "Three"):
        changed = call(
            base, "PATCH", f"/api/v1/contacts/{ada['id']}", token, {"job_title": title, "version": version}
        )
        assert changed.status == 200, changed.doc
        version = changed.doc["version"]
    deal = call(
        base,
        "POST",
        "/api/v1/deals",
        token,
        {"title": "Engine", "currency": "EUR", "contact_ids": [ada["id"]]},
    ).doc
    assert (
        call(
            base, "PATCH", f"/api/v1/deals/{deal['id']}", token, {"status": "won", "version": deal["version"]}
        ).status
        == 200
    )
    return ada["id"]


def test_the_server_delivers_with_retries_in_order_and_signed(store_url, tmp_path, receiver):
    tokens = seed_accounts(store_url)
    receiver.secret = add_hook(
        store_url, receiver.url, ["contact.created", "contact.updated", "deal.created", "deal.won"]
    )
    receiver.fail_first = 3
    server = Served(tmp_path / "srv", db_url=store_url, env=FAST)
    try:
        ada = changes_through_the_api(server.url, tokens.write)
        wait_for(lambda: len(receiver.accepted()) == 6)
    finally:
        server.stop()
    got = receiver.accepted()
    assert receiver.bad_signatures == 0
    assert len(receiver.got) > len(got)  # it failed, and was retried
    titles = [r.event["data"]["job_title"] for r in got if r.event["type"].startswith("contact")]
    assert titles == [None, "One", "Two", "Three"]
    assert [r.event["type"] for r in got if r.event["type"].startswith("deal")] == [
        "deal.created",
        "deal.won",
    ]
    assert all(r.event["data"]["id"] == ada for r in got if r.event["type"].startswith("contact"))


@pytest.mark.slow
def test_no_event_is_lost_when_the_server_is_killed(store_url, tmp_path, receiver):
    tokens = seed_accounts(store_url)
    receiver.secret = add_hook(store_url, receiver.url, ["*"])
    receiver.fail_first = 4  # the server is mid-retry (rows leased, attempts counted) when it dies
    server = Served(tmp_path / "srv", db_url=store_url, env=FAST)
    changes_through_the_api(server.url, tokens.write)
    for n in range(10):
        assert (
            call(server.url, "POST", "/api/v1/contacts", tokens.write, {"display_name": f"Person {n}"}).status
            == 201
        )
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(30)
    written = event_ids(store_url)
    assert len(written) == 16  # 6 from the changes, 10 contacts

    # cron, later: the dead server's leases have run out
    env = {**os.environ, "TINYCRM_HOME": str(tmp_path / "cron"), "TINYCRM_HOOKS_TIMEOUT_S": "5"}
    env.pop("TINYCRM_DB", None)
    later = datetime.now(UTC)
    for _ in range(10):
        later += timedelta(hours=1)
        run = subprocess.run(
            [sys.executable, "-m", "tinycrm", "--db", store_url, "hooks", "deliver"],
            env={**env, "TINYCRM_NOW": later.isoformat()},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        assert run.stdout == ""  # cron: nothing to say
        if len(receiver.accepted()) == len(written):
            break
    assert sorted(int(r.msg_id.removeprefix("msg_")) for r in receiver.accepted()) == written
    assert receiver.bad_signatures == 0
