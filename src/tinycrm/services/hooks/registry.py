"""Adding, listing, testing and removing hooks; the deliveries given up."""

from __future__ import annotations

import re
from typing import Any

from tinycrm.domain.errors import InvalidInput, NotFound
from tinycrm.domain.hooks import FailedDelivery, HookRead, NewHook, TestResult
from tinycrm.services.common import audit, now
from tinycrm.services.hooks import delivery
from tinycrm.services.hooks.outbox import EVENT_TYPES
from tinycrm.store.database import Database, Tx, as_datetime


def check_events(events: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(e.strip() for e in events if e.strip()))
    if not wanted:
        raise InvalidInput(
            f"give at least one --event: {', '.join(EVENT_TYPES)} (or * for all)", field="event"
        )
    for e in wanted:
        if e != "*" and e not in EVENT_TYPES:
            raise InvalidInput(
                f"unknown event {e!r}; choose from {', '.join(EVENT_TYPES)} (or * for all)", field="event"
            )
    return wanted


def check_url(url: str) -> str:
    url = url.strip()
    if not re.fullmatch(r"https?://[^\s/?#]+[^\s]*", url) or len(url) > 2000:
        raise InvalidInput(f"{url!r} is not an http:// or https:// URL", field="url")
    return url


def _read(tx: Tx, hook_id: int) -> HookRead:
    row = tx.one(
        "SELECT h.*, (SELECT count(*) FROM hook_deliveries d WHERE d.hook_id = h.id AND d.state = 'pending') AS pending, "
        "(SELECT count(*) FROM hook_deliveries d WHERE d.hook_id = h.id AND d.state = 'failed') AS failed "
        "FROM hooks h WHERE h.id = :i",
        {"i": hook_id},
    )
    if row is None:
        raise NotFound(f"no hook with id {hook_id}", hint="list them with: crm hook list")
    return _hook(row)


def _hook(row: Any) -> HookRead:
    return HookRead(
        id=row["id"],
        url=row["url"],
        events=row["event_types"].split(),
        secret=f"env:{row['secret_env']}" if row["secret_env"] else "stored",
        created_at=as_datetime(row["created_at"]),  # type: ignore[arg-type]
        pending=int(row["pending"]),
        failed=int(row["failed"]),
    )


def add(db: Database, url: str, events: list[str], *, secret_env: str | None = None) -> NewHook:
    """Add a hook for ``events``; it receives the events made from now on. Without ``secret_env`` a secret is
    made, stored, and given back this once."""
    url, events = check_url(url), check_events(events)
    if secret_env is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", secret_env):
        raise InvalidInput(f"{secret_env!r} is not the name of an environment variable", field="secret_env")
    secret = None if secret_env else delivery.new_secret()
    with db.write() as tx:
        last = tx.scalar("SELECT max(id) FROM events") or 0
        hid = tx.insert(
            "INSERT INTO hooks (url, event_types, secret, secret_env, after_event_id, created_at) "
            "VALUES (:u, :e, :s, :env, :last, :t) RETURNING id",
            {"u": url, "e": " ".join(events), "s": secret, "env": secret_env, "last": last, "t": now()},
        )
        delivery.start_due_mark(tx)
        audit(tx, "create", "hook", hid, {"url": (None, url), "events": (None, events)})
        return NewHook(_read(tx, hid), secret)


def list_hooks(db: Database) -> list[HookRead]:
    with db.read() as tx:
        ids = tx.column("SELECT id FROM hooks ORDER BY id")
        return [_read(tx, i) for i in ids]


def remove(db: Database, hook_id: int) -> HookRead:
    """Remove a hook and what was still to be delivered to it."""
    with db.write() as tx:
        tx.lock_rows("hooks", [hook_id])
        before = _read(tx, hook_id)
        tx.execute("DELETE FROM hook_deliveries WHERE hook_id = :i", {"i": hook_id})
        tx.execute("DELETE FROM hooks WHERE id = :i", {"i": hook_id})
        audit(tx, "delete", "hook", hook_id, {"url": (before.url, None)})
        return before


def test(db: Database, hook_id: int) -> TestResult:
    """Send a ``hook.test`` event to a hook now (not through the outbox) and say how it went."""
    import json
    import secrets

    with db.read() as tx:
        row = tx.one("SELECT * FROM hooks WHERE id = :i", {"i": hook_id})
    if row is None:
        raise NotFound(f"no hook with id {hook_id}", hint="list them with: crm hook list")
    moment = now()
    c = delivery.Claimed(
        id=0,
        target=f"hook:{hook_id}",
        url=row["url"],
        secret=row["secret"],
        secret_env=row["secret_env"],
        event_id=0,
        event_type="hook.test",
        payload=json.dumps({"hook_id": hook_id}),
        event_at=moment,
        attempts=0,
        created_at=moment,
        lease_until=moment,
    )
    error = delivery.post(c, delivery.settings().timeout_s, msg_id=f"msg_test_{secrets.token_hex(8)}")
    return TestResult(hook_id=hook_id, url=row["url"], ok=error is None, error=error)


def failed(db: Database, *, limit: int | None = 100, offset: int = 0) -> list[FailedDelivery]:
    """The deliveries given up, newest first."""
    from tinycrm.store.sql import check_page

    check_page(limit, offset)
    with db.read() as tx:
        rows = tx.all(
            "SELECT d.id, d.target, d.event_id, e.type, d.record_kind, d.record_id, d.attempts, d.last_error, "
            "d.created_at, d.next_at FROM hook_deliveries d JOIN events e ON e.id = d.event_id "
            "WHERE d.state = 'failed' ORDER BY d.event_id DESC LIMIT :n OFFSET :o",
            {"n": -1 if limit is None and db.is_sqlite else limit, "o": offset},
        )
    return [
        FailedDelivery(
            id=r["id"],
            target=r["target"],
            event_id=r["event_id"],
            event_type=r["type"],
            record_kind=r["record_kind"],
            record_id=r["record_id"],
            attempts=r["attempts"],
            last_error=r["last_error"],
            created_at=as_datetime(r["created_at"]),  # type: ignore[arg-type]
            given_up_at=as_datetime(r["next_at"]),
        )
        for r in rows
    ]


def retry_failed(db: Database) -> int:
    """Put every given-up delivery back in the queue, to be sent at once; give how many."""
    with db.write() as tx:
        return tx.execute(
            "UPDATE hook_deliveries SET state = 'pending', next_at = :t, created_at = :t WHERE state = 'failed'",
            {"t": now()},
        )
