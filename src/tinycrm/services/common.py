"""Small pieces every service shares: ids, the acting user, tags, custom fields, the audit trail and versions."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from tinycrm.domain import clock
from tinycrm.domain.errors import Conflict, InvalidInput, NotFound
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.search import normalize
from tinycrm.store.sql import placeholders

T = TypeVar("T")


class _HasVersion(Protocol):
    @property
    def version(self) -> int: ...


R = TypeVar("R", bound=_HasVersion)


#: ids are 32-bit integers on PostgreSQL: a larger one names no record
MAX_ID = 2**31 - 1


def new_uid() -> str:
    import uuid  # here, not at import: a read never makes a uid (uuid loads platform)

    return str(uuid.uuid4())


def now() -> datetime:
    return clock.now()


def sort_key(text: str) -> str:
    """The list order of a name: case- and accent-insensitive. Cut to 300 characters, the shortest ``sort_name``
    column (normalising may lengthen a name: CJK characters are spaced out, ``ß`` becomes ``ss``)."""
    return (normalize(text) or text.casefold())[:300]


def actor(db: Database) -> str:
    """The name of the person acting. On PostgreSQL a team member is their database login, whatever the
    settings say (see :mod:`tinycrm.services.team.identity`); anyone else: config ``user``, ``TINYCRM_USER``,
    or the login name."""
    name = getattr(db, "actor", None)
    if name:
        return name
    from tinycrm import config
    from tinycrm.services.team.identity import team_login

    name = team_login(db) or config.get(config.Core).user
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
        raise InvalidInput(
            f"no user named {name!r}", hint=f"add one with: crm user add {name}", field="owner"
        )
    tx.lock("users")  # the first user to register becomes admin: one at a time
    tx.execute(
        "INSERT INTO users (name, role, active, created_at) VALUES (:n, :r, :a, :t) ON CONFLICT (name) DO NOTHING",
        {
            "n": who,
            "r": "admin" if not tx.scalar("SELECT count(*) FROM users") else "member",
            "a": True,
            "t": now(),
        },
    )
    return tx.scalar("SELECT id FROM users WHERE name = :n", {"n": who})


def owner_filter(tx: Tx, owner: str | None, column: str) -> tuple[str, dict[str, Any]]:
    """A condition on ``column`` (an ``owner_id``) for ``--owner NAME`` / ``--mine``; ``1=1`` without one.
    An unknown name is an error, except the acting user's own (who owns nothing before their first change)."""
    if not owner:
        return "1=1", {}
    found = tx.scalar("SELECT id FROM users WHERE name = :n", {"n": owner})
    if found is None:
        if owner != actor(tx.db):
            raise InvalidInput(
                f"no user named {owner!r}", hint="list them with: crm user list", field="owner"
            )
        return "1=0", {}
    # the id as a parameter, not a subquery: both planners then use the owner_id index
    return f"{column} = :owner_id", {"owner_id": found}


# --- lists and references -------------------------------------------------------------------------------


# --- tags -----------------------------------------------------------------------------------------------


def tag_ids(tx: Tx, names: Iterable[str]) -> list[int]:
    """Ids of these tags, creating the ones that do not exist yet (tags are unique regardless of case)."""
    names = list(names)
    found: dict[str, int] = {}
    # created in one order (by key) whatever order they were given in, so that two people tagging at once on
    # PostgreSQL wait for each other instead of deadlocking
    for tag in sorted(names, key=str.casefold):
        key = tag.casefold()
        if key in found:
            continue
        tx.execute(
            "INSERT INTO tags (name, name_key) VALUES (:n, :k) ON CONFLICT (name_key) DO NOTHING",
            {"n": tag, "k": key},
        )
        found[key] = tx.scalar("SELECT id FROM tags WHERE name_key = :k", {"k": key})
    return [found[tag.casefold()] for tag in names]


def drop_unused_tags(tx: Tx) -> None:
    tx.execute(
        "DELETE FROM tags WHERE NOT EXISTS (SELECT 1 FROM contact_tags ct WHERE ct.tag_id = tags.id) "
        "AND NOT EXISTS (SELECT 1 FROM company_tags ct WHERE ct.tag_id = tags.id) "
        "AND NOT EXISTS (SELECT 1 FROM lead_tags lt WHERE lt.tag_id = tags.id)"
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
        from tinycrm.domain.dates import to_iso

        return to_iso(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        from tinycrm.domain.people import to_json

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
    tx.execute(_AUDIT_SQL, _audit_row(now(), actor(tx.db), action, record_type, record_id, changes))


def audit_many(
    tx: Tx, action: str, record_type: str, entries: Iterable[tuple[int | None, Mapping[str, tuple[Any, Any]]]]
) -> None:
    """:func:`audit` for many records in one ``executemany``: ``entries`` are ``(record_id, changes)``."""
    at, who = now(), actor(tx.db)
    tx.executemany(
        _AUDIT_SQL, [_audit_row(at, who, action, record_type, i, changes) for i, changes in entries]
    )


_AUDIT_SQL = "INSERT INTO audit_log (at, user_name, action, record_type, record_id, changes) VALUES (:at, :u, :a, :t, :i, :c)"


def _audit_row(
    at: datetime,
    who: str,
    action: str,
    record_type: str,
    record_id: int | None,
    changes: Mapping[str, tuple[Any, Any]] | None,
) -> dict[str, Any]:
    payload = None
    if changes:
        import json

        payload = json.dumps(
            {k: [_jsonable(o), _jsonable(n)] for k, (o, n) in changes.items()},
            ensure_ascii=False,
            default=str,
        )
    return {"at": at, "u": who, "a": action, "t": record_type, "i": record_id, "c": payload}


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (old.get(k), v) for k, v in new.items() if old.get(k) != v}


def delete_record(
    db: Database, table: str, record_type: str, record_id: int, read: Callable[[Tx, int], T], label: str
) -> T:
    """Delete one record (read with ``read``) for good, audited with its ``label`` field (its title, say);
    gives the record as it was."""
    with db.write() as tx:
        tx.lock_rows(table, [record_id])
        before = read(tx, record_id)
        tx.execute(f"DELETE FROM {table} WHERE id = :i", {"i": record_id})
        audit(tx, "delete", record_type, record_id, {label: (getattr(before, label), None)})
        return before


def update_versioned(
    tx: Tx, table: str, record_type: str, record_id: int, version: int, sets: Mapping[str, Any]
) -> None:
    """``UPDATE`` a record's columns, ``updated_at`` and ``version`` -- only if it is still at ``version``, the
    one the change was computed from. Zero rows updated means someone else changed (or deleted) it since:
    :class:`Conflict` naming them, or :class:`NotFound`. Together with ``Tx.lock_rows`` this closes the race
    between reading and writing even on PostgreSQL's READ COMMITTED."""
    assignments = "".join(f"{k} = :{k}, " for k in sets)
    done = tx.execute(
        f"UPDATE {table} SET {assignments}updated_at = :w_at, version = version + 1 "
        "WHERE id = :w_id AND version = :w_version",
        {**sets, "w_at": now(), "w_id": record_id, "w_version": version},
    )
    if done != 1:
        check_version(tx, table, record_type, record_id, version)
        raise NotFound(
            f"{record_type} {record_id} was deleted by someone else meanwhile; nothing was changed"
        )


def check_version(tx: Tx, table: str, record_type: str, record_id: int, expected: int | None) -> int:
    """The stored version of a record; a :class:`Conflict` naming the last change if it is older than
    ``expected``. A version the record never had (newer than its own, or below 1) is a mistake, not a
    conflict: :class:`InvalidInput`."""
    current = tx.scalar(f"SELECT version FROM {table} WHERE id = :i", {"i": record_id})
    if expected is None or current is None or current == expected:
        return current
    if expected > current or expected < 1:
        raise InvalidInput(
            f"{record_type} {record_id} is at version {current}; version {expected} does not exist",
            field="version",
        )
    last = tx.one(
        "SELECT at, user_name, changes FROM audit_log WHERE record_type = :t AND record_id = :i "
        "ORDER BY id DESC LIMIT 1",
        {"t": record_type, "i": record_id},
    )
    who = "someone else"
    what = ""
    if last is not None:
        import json

        from tinycrm.domain.dates import show

        who = f"{last['user_name']} at {show(as_datetime(last['at']))}"
        if last["changes"]:
            what = " (" + ", ".join(json.loads(last["changes"]).keys()) + ")"
    raise Conflict(
        f"{record_type} {record_id} was changed by {who}{what} after you read it "
        f"(version {current}, yours {expected}); reload it and make your change again"
    )


# --- versioned edits ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Versioned(Generic[R]):
    """A kind of record changed with :func:`edit`: its table, its name in the audit log and in messages, and
    how to read one inside a transaction (raising :class:`NotFound` when there is none)."""

    table: str
    record_type: str
    read: Callable[[Tx, int], R]


@dataclass
class Edit(Generic[R]):
    """One change to one record being worked out (see :func:`edit`): the record as it was, the columns to
    set, the fields changed for the audit log, and the writes that go with the row's ``UPDATE``."""

    tx: Tx
    before: R
    #: column -> new value, for the record's row
    sets: dict[str, Any] = field(default_factory=dict)
    #: field -> (old, new), for the audit log; an edit that changes nothing writes nothing
    changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    #: writes made after the row's ``UPDATE`` (other tables: lists, links, history, the search index)
    then: list[Callable[[], None]] = field(default_factory=list)
    #: what the audit log calls the change (``update``, ``archive``, ``win``...)
    action: str = "update"

    def put(self, key: str, old: Any, new: Any, column: str | None = None) -> None:
        """Set ``column`` (default ``key``) to ``new`` and audit ``key``, if ``new`` differs from ``old``."""
        if old != new:
            self.sets[column or key] = new
            self.changed[key] = (old, new)


def edit(
    db: Database,
    kind: Versioned[R],
    record_id: int,
    apply: Callable[[Edit[R]], None],
    *,
    expected_version: int | None = None,
    action: str = "update",
) -> R:
    """Change one record in one transaction; give it as it is afterwards. See :func:`edit_in`."""
    with db.write() as tx:
        return edit_in(tx, kind, record_id, apply, expected_version=expected_version, action=action)


def edit_in(
    tx: Tx,
    kind: Versioned[R],
    record_id: int,
    apply: Callable[[Edit[R]], None],
    *,
    expected_version: int | None = None,
    action: str = "update",
) -> R:
    """Change one record inside an open transaction, the same way for every versioned record: lock its row,
    read it, check ``expected_version`` (:func:`check_version`), let ``apply`` work out the change on an
    :class:`Edit` (raising to refuse it), and, unless nothing changed, ``UPDATE`` the row at the version read
    (:func:`update_versioned`), make the other writes, audit ``action`` (or the one ``apply`` set) with the
    changed fields, and give the record as it is now. Nothing changed: the record as it was, no new version, no audit entry."""
    tx.lock_rows(kind.table, [record_id])  # PostgreSQL: other writers of this record wait for us
    before = kind.read(tx, record_id)
    check_version(tx, kind.table, kind.record_type, record_id, expected_version)
    change = Edit(tx, before, action=action)
    apply(change)
    if not change.changed:
        return before
    update_versioned(tx, kind.table, kind.record_type, record_id, before.version, change.sets)
    for write in change.then:
        write()
    audit(tx, change.action, kind.record_type, record_id, change.changed)
    return kind.read(tx, record_id)
