"""Undoing a merge (``crm merge undo``, ``u`` after a merge in the app).

A merge records, in its own transaction, every row that refers to either contact (``contacts`` itself and each
table with a foreign key to it: emails, phones, tags, links to interactions and deals, tasks, tickets, leads,
consents...) as it was before, and the same rows as the merge left them, plus the tags OTHER had (a tag only
OTHER used may be dropped). The tables are found from the schema, so a table added later is carried too.

Undoing checks that every row the merge left is still as it left it (KEEP itself included): a row edited or
deleted since, KEEP deleted, or a row back in the way, and the undo is refused, naming what changed; nothing is
guessed. Otherwise, in one transaction, the rows the merge made are deleted, those it changed get their old
values back (an update, so nothing hanging off them is touched), OTHER and its rows come back with their ids,
and the search index follows. Rows added to KEEP since the merge stay with KEEP.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tinycrm.domain.errors import NotFound, Refused
from tinycrm.domain.rows import Page
from tinycrm.services.common import actor, audit, now
from tinycrm.services.people.contact_loader import reindex
from tinycrm.store.database import Database, Tx, as_date, as_datetime
from tinycrm.store.sql import check_page, page_sql, placeholders

#: tables never recorded: the merge log itself, and what is rebuilt from the rest
UNRECORDED = {"contact_merges", "contact_search", "kb_search", "alembic_version"}

#: rows of one table by primary key (the key's values as a JSON list), each a dict of JSON values
Rows = dict[str, dict[str, Any]]
State = dict[str, Rows]


@dataclass(frozen=True)
class MergeRecord:
    """One merge, as ``crm merge --list`` shows it."""

    id: int
    keep_id: int
    keep_name: str
    other_id: int
    other_name: str
    user_name: str
    merged_at: datetime
    undone_at: datetime | None = None
    undone_by: str | None = None


# --- the tables and their values -----------------------------------------------------------------------


def _refs() -> list[tuple[str, list[str]]]:
    """Each table referring to ``contacts`` with the columns that do, parents before children."""
    from tinycrm.store.schema import metadata

    out = []
    for t in metadata.sorted_tables:
        cols = sorted({fk.parent.name for fk in t.foreign_keys if fk.column.table.name == "contacts"})
        if cols and t.name not in UNRECORDED:
            out.append((t.name, cols))
    return out


def _kinds(table: str) -> dict[str, str]:
    """The columns of ``table`` and how their values are written in JSON."""
    import sqlalchemy as sa

    from tinycrm.store.schema import metadata

    out = {}
    for col in metadata.tables[table].columns:
        kind = "plain"
        if isinstance(col.type, sa.Boolean):
            kind = "bool"
        elif isinstance(col.type, sa.DateTime):
            kind = "datetime"
        elif isinstance(col.type, sa.Date):
            kind = "date"
        elif isinstance(col.type, sa.LargeBinary):
            kind = "bytes"
        elif isinstance(col.type, sa.Numeric) and not isinstance(col.type, sa.Float):
            kind = "decimal"
        out[col.name] = kind
    return out


def _pk(table: str) -> list[str]:
    from tinycrm.store.schema import metadata

    return [c.name for c in metadata.tables[table].primary_key.columns]


def _encode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "bool":
        return bool(value)
    if kind == "datetime":
        return as_datetime(value).isoformat()  # type: ignore[union-attr]
    if kind == "date":
        return as_date(value).isoformat()  # type: ignore[union-attr]
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "decimal":
        return str(value)
    return value


def _decode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return as_datetime(value)
    if kind == "date":
        return as_date(value)
    if kind == "bytes":
        return base64.b64decode(value)
    if kind == "decimal":
        from decimal import Decimal

        return Decimal(value)
    return value


def _read(tx: Tx, table: str, where: str, params: Mapping[str, Any]) -> Rows:
    kinds = _kinds(table)
    key = _pk(table)
    out: Rows = {}
    for r in tx.all(f"SELECT {', '.join(kinds)} FROM {table} WHERE {where}", params):
        row = {c: _encode(k, r[c]) for c, k in kinds.items()}
        out[json.dumps([row[c] for c in key])] = row
    return out


def _by_key(table: str, key: str) -> tuple[str, dict[str, Any]]:
    """The WHERE clause finding the row of ``key`` (see :data:`Rows`)."""
    values = json.loads(key)
    cols = _pk(table)
    return " AND ".join(f"{c} = :k{i}" for i, c in enumerate(cols)), {
        f"k{i}": v for i, v in enumerate(values)
    }


def _collect(tx: Tx, ids: list[int], also: Mapping[str, Iterable[str]]) -> State:
    """The rows of ``contacts`` and of every table referring to it that refer to ``ids``, and the rows of
    ``also`` (by key) wherever they are now."""
    marks, params = placeholders("c", ids)
    state: State = {"contacts": _read(tx, "contacts", f"id IN ({marks})", params)}
    for table, cols in _refs():
        where = " OR ".join(f"{c} IN ({marks})" for c in cols)
        state[table] = _read(tx, table, where, params)
    for table, keys in also.items():
        found = state.setdefault(table, {})
        for key in keys:
            if key not in found:
                found.update(_read(tx, table, *_by_key(table, key)))
    return state


def _tags(tx: Tx, links: Rows) -> Rows:
    ids = sorted({row["tag_id"] for row in links.values()})
    if not ids:
        return {}
    marks, params = placeholders("t", ids)
    return _read(tx, "tags", f"id IN ({marks})", params)


# --- recording a merge ---------------------------------------------------------------------------------


def before(tx: Tx, keep_id: int, other_id: int) -> State:
    """The rows of both contacts, taken inside the merge's transaction before it changes anything."""
    state = _collect(tx, [keep_id, other_id], {})
    state["tags"] = _tags(tx, state.get("contact_tags", {}))
    return state


def record(tx: Tx, keep_id: int, other_id: int, names: tuple[str, str], was: State) -> int:
    """After the merge, in its transaction: store what it changed; give the merge's id."""
    also = {table: list(rows) for table, rows in was.items()}
    after = _collect(tx, [keep_id, other_id], also)
    return tx.insert(
        "INSERT INTO contact_merges (keep_id, other_id, keep_name, other_name, user_name, merged_at, state) "
        "VALUES (:k, :o, :kn, :on, :u, :at, :s) RETURNING id",
        {
            "k": keep_id,
            "o": other_id,
            "kn": names[0][:300],
            "on": names[1][:300],
            "u": actor(tx.db),
            "at": now(),
            "s": json.dumps({"before": was, "after": after}, separators=(",", ":")),
        },
    )


# --- listing and undoing -------------------------------------------------------------------------------

_COLUMNS = "id, keep_id, keep_name, other_id, other_name, user_name, merged_at, undone_at, undone_by"


def _record_of(r: Any) -> MergeRecord:
    return MergeRecord(
        r["id"],
        r["keep_id"],
        r["keep_name"],
        r["other_id"],
        r["other_name"],
        r["user_name"],
        as_datetime(r["merged_at"]),  # type: ignore[arg-type]
        as_datetime(r["undone_at"]),
        r["undone_by"],
    )


def recent(db: Database, *, limit: int | None = 20, offset: int = 0) -> Page[MergeRecord]:
    """The merges, newest first."""
    check_page(limit, offset)
    with db.read() as tx:
        total = tx.scalar("SELECT count(*) FROM contact_merges")
        rows = tx.all(
            f"SELECT {_COLUMNS} FROM contact_merges ORDER BY id DESC{page_sql(limit)}",
            {"limit": limit, "offset": offset},
        )
        return Page([_record_of(r) for r in rows], int(total), limit, offset)


def _which(tx: Tx, merge_id: int | None) -> Any:
    if merge_id is None:
        row = tx.one(
            f"SELECT {_COLUMNS}, state FROM contact_merges WHERE undone_at IS NULL ORDER BY id DESC LIMIT 1"
        )
        if row is None:
            raise NotFound("no merge to undo", hint="crm merge --list shows the merges")
        return row
    row = tx.one(f"SELECT {_COLUMNS}, state FROM contact_merges WHERE id = :i", {"i": merge_id})
    if row is None:
        raise NotFound(f"no merge with id {merge_id}", hint="crm merge --list shows the merges")
    if row["undone_at"] is not None:
        raise Refused(f"merge {merge_id} was undone already")
    return row


def _what(table: str, key: str) -> str:
    values = json.loads(key)
    return f"{table} row {values[0] if len(values) == 1 else tuple(values)}"


def _check(rec: Any, was: State, left: State, current: State) -> None:
    """Refuse when a row the merge left is not as it left it, or a row to bring back is in the way."""
    head = f"cannot undo merge {rec['id']}"
    keep_key = json.dumps([rec["keep_id"]])
    if keep_key not in current["contacts"]:
        raise Refused(f"{head}: contact {rec['keep_id']} ({rec['keep_name']}) was deleted since")
    for table, rows in left.items():
        if table == "tags":
            continue
        now_rows = current.get(table, {})
        for key, row in rows.items():
            if now_rows.get(key) != row:
                what = (
                    f"contact {rec['keep_id']} ({rec['keep_name']})"
                    if table == "contacts"
                    else _what(table, key)
                )
                gone = "deleted" if key not in now_rows else "changed"
                raise Refused(f"{head}: {what} was {gone} since; undo the change, or merge no further")
        for key in was.get(table, {}):
            if key in now_rows and key not in rows:
                raise Refused(f"{head}: {_what(table, key)} is in the way (added since)")


def _restore_tags(tx: Tx, tags: Rows) -> None:
    for row in tags.values():
        if tx.scalar("SELECT count(*) FROM tags WHERE id = :i", {"i": row["id"]}):
            continue
        taken = tx.scalar("SELECT id FROM tags WHERE name_key = :n", {"n": row["name_key"]})
        if taken is not None:
            raise Refused(
                f"cannot undo: tag {row['name']} was made again since (id {taken}); nothing changed"
            )
        _insert(tx, "tags", [row])


def _insert(tx: Tx, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    kinds = _kinds(table)
    cols = list(kinds)
    tx.executemany(
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})",
        [{c: _decode(kinds[c], row.get(c)) for c in cols} for row in rows],
    )


def _update(tx: Tx, table: str, key: str, row: dict[str, Any]) -> None:
    kinds = _kinds(table)
    where, params = _by_key(table, key)
    cols = [c for c in kinds if c not in _pk(table)]
    params.update({f"v_{c}": _decode(kinds[c], row.get(c)) for c in cols})
    tx.execute(f"UPDATE {table} SET {', '.join(f'{c} = :v_{c}' for c in cols)} WHERE {where}", params)


def _put_back(tx: Tx, was: State, left: State) -> None:
    """Delete what the merge made, give back the old values of what it changed, add what it deleted."""
    order = ["contacts"] + [t for t, _ in _refs()]
    for table in reversed(order):
        for key in left.get(table, {}):
            if key not in was.get(table, {}):
                tx.execute(f"DELETE FROM {table} WHERE {_by_key(table, key)[0]}", _by_key(table, key)[1])
    _restore_tags(tx, was.get("tags", {}))
    for table in order:
        added = []
        for key, row in was.get(table, {}).items():
            if key not in left.get(table, {}):
                added.append(row)
            elif left[table][key] != row:
                _update(tx, table, key, row)
        _insert(tx, table, added)


def undo(db: Database, merge_id: int | None = None) -> MergeRecord:
    """Undo merge ``merge_id`` (None: the newest one not undone) in one transaction; refuse when anything it
    left has changed since (see the module's description)."""
    with db.write() as tx:
        rec = _which(tx, merge_id)
        keep_id, other_id = rec["keep_id"], rec["other_id"]
        tx.lock_rows("contacts", [keep_id, other_id])
        state = json.loads(rec["state"])
        was, left = state["before"], state["after"]
        keys = {t: set(was.get(t, {})) | set(left.get(t, {})) for t in set(was) | set(left) if t != "tags"}
        current = _collect(tx, [keep_id, other_id], keys)
        if json.dumps([other_id]) in current["contacts"]:
            raise Refused(f"cannot undo merge {rec['id']}: contact id {other_id} is in use again")
        _check(rec, was, left, current)
        _put_back(tx, was, left)
        reindex(tx, [keep_id, other_id])
        at, who = now(), actor(db)
        tx.execute(
            "UPDATE contact_merges SET undone_at = :at, undone_by = :u WHERE id = :i",
            {"at": at, "u": who, "i": rec["id"]},
        )
        audit(tx, "unmerge", "contact", keep_id, {"unmerged": (other_id, None), "merge": (rec["id"], None)})
        audit(tx, "unmerge", "contact", other_id, {"restored": (None, other_id), "merge": (rec["id"], None)})
        done = {c: rec[c] for c in _COLUMNS.split(", ")}
        done.update(undone_at=at, undone_by=who)
        return _record_of(done)
