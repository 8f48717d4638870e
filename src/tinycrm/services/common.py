"""Small pieces every service shares: ids, the acting user, tags, custom fields, the audit trail and versions."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from tinycrm import clock
from tinycrm.db import Database, Tx, as_datetime, placeholders
from tinycrm.errors import Conflict, InvalidInput
from tinycrm.search import normalize


def new_uid() -> str:
    return str(uuid.uuid4())


def now() -> datetime:
    return clock.now()


def sort_key(text: str) -> str:
    """The list order of a name: case- and accent-insensitive."""
    return normalize(text) or text.casefold()


def actor(db: Database) -> str:
    """The name of the person acting: config ``user``, ``TINYCRM_USER``, or the login name."""
    name = getattr(db, "actor", None)
    if name:
        return name
    from tinycrm import config

    name = config.load().user
    if not name:
        try:
            import getpass

            name = getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name in some containers
            name = os.environ.get("USER") or "me"
    db.actor = name  # type: ignore[attr-defined]
    return name


def user_id(tx: Tx, name: str | None = None, *, create: bool = True) -> int | None:
    """The id of user ``name`` (default: the actor), registering the actor on first use."""
    who = name or actor(tx.db)
    found = tx.scalar("SELECT id FROM users WHERE name = :n", {"n": who})
    if found is not None or not create:
        return found
    if name is not None and name != actor(tx.db):
        raise InvalidInput(f"no user named {name!r}; add one with: crm user add {name}", field="owner")
    tx.execute(
        "INSERT INTO users (name, role, active, created_at) VALUES (:n, :r, :a, :t) ON CONFLICT (name) DO NOTHING",
        {"n": who, "r": "admin" if not tx.scalar("SELECT count(*) FROM users") else "member", "a": True,
         "t": now()},
    )  # fmt: skip
    return tx.scalar("SELECT id FROM users WHERE name = :n", {"n": who})


# --- tags -----------------------------------------------------------------------------------------------


def tag_ids(tx: Tx, names: Iterable[str]) -> list[int]:
    """Ids of these tags, creating the ones that do not exist yet (tags are unique regardless of case)."""
    ids = []
    for tag in names:
        key = tag.casefold()
        tx.execute(
            "INSERT INTO tags (name, name_key) VALUES (:n, :k) ON CONFLICT (name_key) DO NOTHING",
            {"n": tag, "k": key},
        )
        ids.append(tx.scalar("SELECT id FROM tags WHERE name_key = :k", {"k": key}))
    return ids


def drop_unused_tags(tx: Tx) -> None:
    tx.execute(
        "DELETE FROM tags WHERE NOT EXISTS (SELECT 1 FROM contact_tags ct WHERE ct.tag_id = tags.id) "
        "AND NOT EXISTS (SELECT 1 FROM company_tags ct WHERE ct.tag_id = tags.id)"
    )


def tags_of(tx: Tx, link_table: str, key: str, ids: list[int]) -> dict[int, list[str]]:
    if not ids:
        return {}
    marks, params = placeholders("i", ids)
    out: dict[int, list[str]] = {i: [] for i in ids}
    rows = tx.all(
        f"SELECT l.{key} AS owner, t.name FROM {link_table} l JOIN tags t ON t.id = l.tag_id "
        f"WHERE l.{key} IN ({marks}) ORDER BY t.name_key",
        params,
    )
    for row in rows:
        out[row["owner"]].append(row["name"])
    return out


# --- audit ----------------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        from tinycrm.dates import to_iso

        return to_iso(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        from tinycrm.schemas import to_json

        return to_json(value)
    return value


def audit(
    tx: Tx,
    action: str,
    record_type: str,
    record_id: int | None,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
) -> None:
    """Record who did what: ``changes`` maps each changed field to ``(old, new)``."""
    payload = None
    if changes:
        payload = json.dumps(
            {k: [_jsonable(o), _jsonable(n)] for k, (o, n) in changes.items()}, ensure_ascii=False, default=str
        )
    tx.execute(
        "INSERT INTO audit_log (at, user_name, action, record_type, record_id, changes) "
        "VALUES (:at, :u, :a, :t, :i, :c)",
        {"at": now(), "u": actor(tx.db), "a": action, "t": record_type, "i": record_id, "c": payload},
    )


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (old.get(k), v) for k, v in new.items() if old.get(k) != v}


def check_version(tx: Tx, table: str, record_type: str, record_id: int, expected: int | None) -> int:
    """The stored version of a record; a :class:`Conflict` naming the last change if it is not ``expected``."""
    current = tx.scalar(f"SELECT version FROM {table} WHERE id = :i", {"i": record_id})
    if expected is None or current is None or current == expected:
        return current
    last = tx.one(
        "SELECT at, user_name, changes FROM audit_log WHERE record_type = :t AND record_id = :i "
        "ORDER BY id DESC LIMIT 1",
        {"t": record_type, "i": record_id},
    )
    who = "someone else"
    what = ""
    if last is not None:
        from tinycrm.dates import show

        who = f"{last['user_name']} at {show(as_datetime(last['at']))}"
        if last["changes"]:
            what = " (" + ", ".join(json.loads(last["changes"]).keys()) + ")"
    raise Conflict(
        f"{record_type} {record_id} was changed by {who}{what} after you read it "
        f"(version {current}, yours {expected}); reload it and make your change again"
    )
