"""Delivering events: to hooks over HTTP (signed as Standard Webhooks sign) and to local hook scripts.

One delivery round (:func:`deliver_round`), run by ``crm hooks deliver`` (cron) and by a running server:

1. ``task.due``: tasks that became due since the last round get their event, once per moment they are due.
2. Routing: each new event becomes one ``hook_deliveries`` row per receiver (each hook that takes its type,
   and ``local`` when an executable ``hooks/TYPE`` exists in the config folder).
3. Claiming: due rows whose record has no older pending row for the same receiver (so events of a record
   arrive in order) are leased to this round: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, an ``UPDATE`` inside
   SQLite's write lock. A server and a cron run never send the same row at the same time.
4. Sending, then recording the outcome in its own transaction: done, or a retry after an exponential backoff,
   or, after a day (``[hooks] give_up_after_h``), failed (``crm hooks failed``). A round that dies keeps the
   lease until it runs out and the row is sent again: each event at least once; receivers de-duplicate by
   ``webhook-id``.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tinycrm.services.common import now
from tinycrm.services.hooks import outbox, signing
from tinycrm.store.database import Database, Tx, as_datetime

log = logging.getLogger("tinycrm.hooks")

LEASE = timedelta(seconds=120)
ROUTE_BATCH = 500
LOCAL = "local"
MARK_DUE = "task.due"


@dataclass(frozen=True)
class Claimed:
    """One delivery leased to this round, with what sending it needs."""

    id: int
    target: str
    url: str | None
    secret: str | None
    secret_env: str | None
    event_id: int
    event_type: str
    payload: str
    event_at: datetime
    attempts: int
    created_at: datetime
    lease_until: datetime


@dataclass(frozen=True)
class Round:
    """What one round did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0


def local_dir() -> Path:
    from tinycrm import paths

    return paths.config_dir() / "hooks"


def local_hook(event_type: str) -> Path | None:
    path = local_dir() / event_type
    return path if path.is_file() and os.access(path, os.X_OK) else None


def settings() -> Any:
    from tinycrm import config
    from tinycrm.config.hooks import Hooks

    return config.get(Hooks)


# --- task.due -------------------------------------------------------------------------------------------


def start_due_mark(tx: Tx) -> None:
    """``task.due`` events are written from now on (the first hook added sets this)."""
    tx.execute(
        "INSERT INTO hook_marks (name, at) VALUES (:n, :at) ON CONFLICT (name) DO NOTHING",
        {"n": MARK_DUE, "at": now()},
    )


def mark_due_tasks(db: Database) -> int:
    """Write ``task.due`` for each open task that became due since the last round (through the open-task
    index); give how many."""
    from tinycrm.services.work import tasks
    from tinycrm.services.work.due import DUE_AGAIN  # spelled as the open-task index is

    with db.write() as tx:
        tx.lock("hooks:due")
        since = as_datetime(tx.scalar("SELECT at FROM hook_marks WHERE name = :n", {"n": MARK_DUE}))
        if since is None:
            return 0
        moment = now()
        rows = tx.all(
            f"{tasks.select_sql()} WHERE t.done_at IS NULL AND {DUE_AGAIN} > :since AND {DUE_AGAIN} <= :now "
            f"ORDER BY {DUE_AGAIN}, t.id",
            {"since": since, "now": moment},
        )
        for task in tasks.rows_to_reads(rows, moment):
            outbox.emit(tx, "task.due", "task", task.id, task)
        tx.execute("UPDATE hook_marks SET at = :at WHERE name = :n", {"at": moment, "n": MARK_DUE})
        return len(rows)


# --- routing --------------------------------------------------------------------------------------------


def route(db: Database) -> int:
    """Make the delivery rows of new events (one per receiver); give how many events were routed."""
    total = 0
    while True:
        with db.write() as tx:
            tx.lock("hooks:route")
            events = tx.all(
                "SELECT id, type, record_kind, record_id FROM events WHERE NOT routed ORDER BY id LIMIT :n",
                {"n": ROUTE_BATCH},
            )
            if not events:
                return total
            hooks = tx.all("SELECT id, event_types, after_event_id FROM hooks ORDER BY id")
            stamp = now()
            rows = []
            for ev in events:
                for hook in hooks:
                    types = hook["event_types"].split()
                    if ev["id"] > hook["after_event_id"] and ("*" in types or ev["type"] in types):
                        rows.append(_delivery(ev, f"hook:{hook['id']}", hook["id"], stamp))
                if local_hook(ev["type"]) is not None:
                    rows.append(_delivery(ev, LOCAL, None, stamp))
            tx.executemany(
                "INSERT INTO hook_deliveries (target, hook_id, event_id, record_kind, record_id, state, attempts, "
                "next_at, created_at) VALUES (:target, :hook, :event, :kind, :rid, 'pending', 0, :at, :at) "
                "ON CONFLICT (target, event_id) DO NOTHING",
                rows,
            )
            tx.execute(
                "UPDATE events SET routed = :yes WHERE NOT routed AND id <= :last",
                {"yes": True, "last": events[-1]["id"]},
            )
            total += len(events)


def _delivery(ev: Any, target: str, hook_id: int | None, stamp: datetime) -> dict[str, Any]:
    return {
        "target": target,
        "hook": hook_id,
        "event": ev["id"],
        "kind": ev["record_kind"],
        "rid": ev["record_id"],
        "at": stamp,
    }


# --- claiming -------------------------------------------------------------------------------------------

_DUE = (
    "d.state = 'pending' AND d.next_at <= :now AND (d.lease_until IS NULL OR d.lease_until < :now) "
    "AND NOT EXISTS (SELECT 1 FROM hook_deliveries p WHERE p.target = d.target AND p.record_kind = d.record_kind "
    "AND p.record_id = d.record_id AND p.event_id < d.event_id AND p.state = 'pending')"
)


def claim(db: Database, limit: int = 10, lease: timedelta = LEASE) -> list[Claimed]:
    """Lease up to ``limit`` due deliveries to this round for ``lease``, oldest events first, at most one per
    record and receiver (the next one waits until this one is done)."""
    moment = now()
    until = moment + lease
    with db.write() as tx:
        lock = "" if db.is_sqlite else " FOR UPDATE OF d SKIP LOCKED"
        ids = tx.column(
            f"SELECT d.id FROM hook_deliveries d WHERE {_DUE} ORDER BY d.event_id LIMIT :n{lock}",
            {"now": moment, "n": limit},
        )
        if not ids:
            return []
        from tinycrm.store.sql import placeholders

        marks, params = placeholders("c", ids)
        tx.execute(
            f"UPDATE hook_deliveries SET lease_until = :until WHERE id IN ({marks})",
            {**params, "until": until},
        )
        rows = tx.all(
            "SELECT d.id, d.target, d.event_id, d.attempts, d.created_at, h.url, h.secret, h.secret_env, "
            "e.type, e.payload, e.created_at AS event_at FROM hook_deliveries d "
            "JOIN events e ON e.id = d.event_id LEFT JOIN hooks h ON h.id = d.hook_id "
            f"WHERE d.id IN ({marks}) ORDER BY d.event_id",
            params,
        )
    return [
        Claimed(
            id=r["id"],
            target=r["target"],
            url=r["url"],
            secret=r["secret"],
            secret_env=r["secret_env"],
            event_id=r["event_id"],
            event_type=r["type"],
            payload=r["payload"],
            event_at=as_datetime(r["event_at"]),  # type: ignore[arg-type]
            attempts=r["attempts"],
            created_at=as_datetime(r["created_at"]),  # type: ignore[arg-type]
            lease_until=until,
        )
        for r in rows
    ]


# --- sending --------------------------------------------------------------------------------------------


def body(c: Claimed) -> bytes:
    """The event as the receiver gets it: ``{"type", "timestamp", "data"}`` (Standard Webhooks' shape)."""
    from tinycrm.domain.dates import to_iso

    doc = {"type": c.event_type, "timestamp": to_iso(c.event_at), "data": json.loads(c.payload)}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def message_id(event_id: int) -> str:
    """The ``webhook-id`` of an event: the same for every attempt, so receivers can de-duplicate."""
    return f"msg_{event_id}"


def send(c: Claimed, timeout: float) -> str | None:
    """One attempt; ``None`` when it was delivered, else why not (one line)."""
    if c.target == LOCAL:
        return run_local(c, timeout)
    return post(c, timeout)


def post(c: Claimed, timeout: float, msg_id: str | None = None) -> str | None:
    import time
    import urllib.error
    import urllib.request

    secret = c.secret or (os.environ.get(c.secret_env) if c.secret_env else None)
    if not secret:
        return f"the environment variable {c.secret_env} that holds the signing secret is not set"
    data = body(c)
    stamp = int(time.time())
    msg_id = msg_id or message_id(c.event_id)
    headers = {
        "content-type": "application/json",
        "user-agent": "tinycrm-webhooks",
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": signing.sign(secret, msg_id, stamp, data),
    }
    request = urllib.request.Request(c.url or "", data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the hook's own URL
            response.read(65536)
            return None
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return " ".join(str(reason).split()) or type(exc).__name__


def run_local(c: Claimed, timeout: float) -> str | None:
    script = local_hook(c.event_type)
    if script is None:
        return None  # removed meanwhile: nothing to run
    try:
        done = subprocess.run(  # noqa: S603 - the user's own hook script
            [str(script)],
            input=body(c),
            capture_output=True,
            timeout=timeout,
            cwd=script.parent,
            env={**os.environ, "TINYCRM_EVENT": c.event_type, "TINYCRM_EVENT_ID": message_id(c.event_id)},
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"hooks/{c.event_type} ran longer than {timeout:g} s"
    except OSError as exc:
        return f"hooks/{c.event_type} could not run: {exc.strerror}"
    if done.returncode != 0:
        said = " ".join(done.stderr.decode("utf-8", "replace").split())[:300]
        return f"hooks/{c.event_type} exited {done.returncode}" + (f": {said}" if said else "")
    return None


# --- recording ------------------------------------------------------------------------------------------


def backoff(attempts: int, first: float) -> timedelta:
    """The wait before retry number ``attempts``: ``first`` seconds, doubling each time, at most an hour."""
    return timedelta(seconds=min(first * 2 ** max(attempts - 1, 0), 3600.0))


def record(db: Database, c: Claimed, error: str | None, *, first: float, give_up: timedelta) -> str:
    """Store the outcome of one attempt (only while this round still holds the lease); give the new state."""
    moment = now()
    attempts = c.attempts + 1
    if error is None:
        state, next_at = "done", moment
    elif moment - c.created_at >= give_up:
        state, next_at = "failed", moment
    else:
        state, next_at = "pending", moment + backoff(attempts, first)
    with db.write() as tx:
        tx.execute(
            "UPDATE hook_deliveries SET state = :s, attempts = :a, next_at = :next, lease_until = NULL, "
            "last_error = :e, done_at = :done WHERE id = :i AND lease_until = :lease",
            {
                "s": state,
                "a": attempts,
                "next": next_at,
                "e": error,
                "done": moment if state == "done" else None,
                "i": c.id,
                "lease": c.lease_until,
            },
        )
    if error is not None:
        (log.warning if state == "failed" else log.info)(
            "event %s (%s) to %s: %s; %s", c.event_id, c.event_type, _where(c), error, state
        )
    return state


def _where(c: Claimed) -> str:
    return f"hooks/{c.event_type}" if c.target == LOCAL else (c.url or c.target)


#: delivered events are kept this long (for a look with SQL), then deleted by a delivery round, once an hour
KEEP = timedelta(days=30)
PRUNE_EVERY = timedelta(hours=1)


def prune(db: Database) -> int:
    """Delete what was delivered more than :data:`KEEP` ago: done deliveries, and events that no delivery
    needs any more (failed ones stay, listed). At most once per :data:`PRUNE_EVERY`; gives how many events."""
    moment = now()
    with db.write() as tx:
        tx.lock("hooks:prune")
        last = as_datetime(tx.scalar("SELECT at FROM hook_marks WHERE name = 'prune'"))
        if last is not None and moment - last < PRUNE_EVERY:
            return 0
        tx.execute(
            "INSERT INTO hook_marks (name, at) VALUES ('prune', :t) ON CONFLICT (name) DO UPDATE SET at = :t",
            {"t": moment},
        )
        cutoff = moment - KEEP
        tx.execute("DELETE FROM hook_deliveries WHERE state = 'done' AND done_at < :c", {"c": cutoff})
        return tx.execute(
            "DELETE FROM events WHERE routed AND created_at < :c AND NOT EXISTS "
            "(SELECT 1 FROM hook_deliveries d WHERE d.event_id = events.id)",
            {"c": cutoff},
        )


def deliver_round(db: Database, *, limit: int = 10) -> Round:
    """One round: due tasks, routing, then every delivery that is due now (batch after batch). A batch is
    leased for as long as sending all of it may take, so no other round sends it meanwhile."""
    conf = settings()
    lease = timedelta(seconds=conf.timeout_s * limit + 30)
    mark_due_tasks(db)
    route(db)
    prune(db)
    counts = {"done": 0, "pending": 0, "failed": 0}
    while True:
        batch = claim(db, limit, lease)
        if not batch:
            break
        for c in batch:
            counts[
                record(
                    db,
                    c,
                    send(c, conf.timeout_s),
                    first=conf.retry_first_s,
                    give_up=timedelta(hours=conf.give_up_after_h),
                )
            ] += 1
    return Round(sent=counts["done"], retrying=counts["pending"], failed=counts["failed"])


def new_secret() -> str:
    """A signing secret as Standard Webhooks writes them: ``whsec_`` and 32 random bytes in base64."""
    import base64
    import secrets

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
