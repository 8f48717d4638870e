"""Webhooks from the outbox, against a real HTTP receiver that fails on purpose for a while: retries with
backoff, order per record, signatures, de-duplication by webhook-id, giving up, local hook scripts."""

from __future__ import annotations

import os
import stat
from datetime import timedelta

import pytest

from hook_receiver import Receiver
from tinycrm.domain import clock
from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import ContactInput
from tinycrm.domain.sales import DealInput
from tinycrm.services.hooks import delivery, registry
from tinycrm.services.people import contacts
from tinycrm.services.sales import deals


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def run_until_quiet(db, rounds: int = 30) -> None:  # noqa: ANN001
    """Delivery rounds with the clock moved past every backoff, until nothing is pending."""
    moment = clock.now()
    for _ in range(rounds):
        with clock.frozen(moment):
            delivery.deliver_round(db)
        with db.read() as tx:
            if not tx.scalar("SELECT count(*) FROM hook_deliveries WHERE state = 'pending'"):
                return
        moment += timedelta(hours=1, seconds=1)
    raise AssertionError("deliveries still pending")


def test_events_are_written_with_the_change_and_only_then(db):
    ada = contacts.create(db, ContactInput(display_name="Ada Lovelace"))
    contacts.update(db, ada.id, {"job_title": "Analyst"})
    contacts.update(db, ada.id, {"job_title": "Analyst"})  # no change: no event
    with pytest.raises(InvalidInput):
        contacts.update(db, ada.id, {"email": "not an address"})  # refused: no event either
    contacts.delete(db, ada.id)
    with db.read() as tx:
        rows = tx.all("SELECT type, record_kind, record_id, payload FROM events ORDER BY id")
    assert [(r["type"], r["record_kind"], r["record_id"]) for r in rows] == [
        ("contact.created", "contact", ada.id),
        ("contact.updated", "contact", ada.id),
        ("contact.deleted", "contact", ada.id),
    ]
    assert '"job_title": "Analyst"' in rows[1]["payload"]


def test_retries_order_signature_and_dedup(db, receiver):
    made = registry.add(db, receiver.url, ["contact.created", "contact.updated", "deal.created", "deal.won"])
    receiver.secret, receiver.fail_first = made.secret, 3
    ada = contacts.create(db, ContactInput(display_name="Ada Lovelace"))
    for title in ("One", "Two", "Three"):
        contacts.update(db, ada.id, {"job_title": title})
    deal = deals.create(db, DealInput(title="Engine", currency="EUR", contact_ids=[ada.id]))
    deals.win(db, deal.id)
    contacts.delete(db, ada.id)  # not subscribed: not sent

    delivery.deliver_round(db)  # the first attempts fail
    with db.read() as tx:
        pending = tx.one(
            "SELECT min(attempts) AS lo, max(attempts) AS hi FROM hook_deliveries WHERE state = 'pending'"
        )
    assert pending["hi"] == 1
    run_until_quiet(db)

    got = receiver.accepted()
    assert receiver.bad_signatures == 0
    types = [r.event["type"] for r in got]
    assert sorted(types) == sorted(
        ["contact.created"] + ["contact.updated"] * 3 + ["deal.created", "deal.won"]
    )
    contact_titles = [
        r.event["data"].get("job_title")
        for r in got
        if r.event["data"].get("id") == ada.id and r.event["type"].startswith("contact")
    ]
    assert contact_titles == [None, "One", "Two", "Three"]  # in order per record, despite the failures
    deal_events = [r.event["type"] for r in got if r.event["type"].startswith("deal")]
    assert deal_events == ["deal.created", "deal.won"]
    # a failed attempt is sent again with the same webhook-id: the receiver saw some twice, keeps each once
    assert len(receiver.got) > len(got) == len({r.msg_id for r in receiver.got})
    assert all(r.msg_id.startswith("msg_") for r in got)


def test_a_receiver_that_keeps_failing_is_given_up_after_a_day(db, receiver):
    registry.add(db, receiver.url, ["*"])
    receiver.fail_first = 10**6
    contacts.create(db, ContactInput(display_name="Ada Lovelace"))
    start = clock.now()
    with clock.frozen(start):
        delivery.deliver_round(db)
    with clock.frozen(start + timedelta(hours=25)):
        done = delivery.deliver_round(db)
    assert done.failed == 1
    [f] = registry.failed(db)
    assert (f.event_type, f.attempts, f.last_error) == (
        "contact.created",
        2,
        "HTTP 500 Internal Server Error",
    )
    assert registry.list_hooks(db)[0].failed == 1
    assert registry.retry_failed(db) == 1
    receiver.fail_first = 0
    delivery.deliver_round(db)
    assert [r.event["type"] for r in receiver.accepted()] == ["contact.created"]


def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_ends(db, receiver):
    registry.add(db, receiver.url, ["*"])
    contacts.create(db, ContactInput(display_name="Ada Lovelace"))
    delivery.route(db)
    first = delivery.claim(db)
    assert len(first) == 1
    assert delivery.claim(db) == []  # another round (a server, a cron run) leaves it alone
    with clock.frozen(clock.now() + delivery.LEASE + timedelta(seconds=1)):
        again = delivery.claim(db)  # the first round died: the row is sent again later
    assert [c.id for c in again] == [first[0].id]
    # the late outcome of the first round no longer counts
    assert delivery.record(db, first[0], None, first=1, give_up=timedelta(days=1)) == "done"
    with db.read() as tx:
        assert tx.scalar("SELECT state FROM hook_deliveries") == "pending"


def test_task_due_is_written_once_when_a_task_becomes_due(db, receiver):
    from tinycrm.domain.tasks import TaskInput
    from tinycrm.services.work import tasks

    registry.add(db, receiver.url, ["task.due"])
    start = clock.now()
    task = tasks.create(db, TaskInput(title="Call back", due=(start + timedelta(hours=2)).isoformat()))
    with clock.frozen(start + timedelta(hours=1)):
        delivery.deliver_round(db)
    assert receiver.accepted() == []
    for later in (3, 4):
        with clock.frozen(start + timedelta(hours=later)):
            delivery.deliver_round(db)
    [got] = receiver.accepted()
    assert (got.event["type"], got.event["data"]["id"]) == ("task.due", task.id)


def test_local_hook_scripts_get_the_event_and_their_failure_is_logged(db, tmp_path, caplog):
    from tinycrm import paths

    folder = paths.config_dir() / "hooks"
    folder.mkdir(parents=True, exist_ok=True)
    out = tmp_path / "got.json"
    script = folder / "contact.created"
    script.write_text(f"#!/bin/sh\ncat > {out}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    broken = folder / "contact.deleted"
    broken.write_text("#!/bin/sh\necho nope >&2\nexit 3\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)

    ada = contacts.create(db, ContactInput(display_name="Ada Lovelace"))
    contacts.delete(db, ada.id)
    with caplog.at_level("INFO", logger="tinycrm.hooks"):
        delivery.deliver_round(db)
    assert '"display_name":"Ada Lovelace"' in out.read_text()
    assert "hooks/contact.deleted exited 3: nope" in caplog.text
    with db.read() as tx:  # the change stands
        assert tx.scalar("SELECT count(*) FROM contacts") == 0
    assert os.access(script, os.X_OK)


def test_what_was_delivered_is_deleted_after_a_month_what_failed_stays(db, receiver):
    registry.add(db, receiver.url, ["contact.created"])
    start = clock.now()
    with clock.frozen(start):
        contacts.create(db, ContactInput(display_name="Delivered"))
        delivery.deliver_round(db)
    receiver.fail_first = 10**6
    with clock.frozen(start + timedelta(minutes=1)):
        contacts.create(db, ContactInput(display_name="Never accepted"))
        delivery.deliver_round(db)
    with clock.frozen(start + timedelta(days=2)):
        assert delivery.deliver_round(db).failed == 1
    with clock.frozen(start + timedelta(days=31)):
        delivery.deliver_round(db)
    with db.read() as tx:
        assert tx.column("SELECT payload FROM events") == [
            tx.scalar("SELECT e.payload FROM events e JOIN hook_deliveries d ON d.event_id = e.id")
        ]
        assert tx.column("SELECT state FROM hook_deliveries") == ["failed"]
    assert [f.event_type for f in registry.failed(db)] == ["contact.created"]
