"""Whole-database walking, table by table, in foreign-key order: for JSON export/import, backups that must work
on every store, and ``crm db copy``. Column types come from :mod:`tinycrm.store.schema`, so values are turned into
what the target store expects (SQLite's 0/1 into booleans, text timestamps into datetimes...)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tinycrm.store.database import Database, Tx, as_date, as_datetime

# tables that hold no user data of their own, or are rebuilt from the rest; rate_limit_hits: counts that are
# worthless minutes later (a restored database starts with no limits hit, which is right)
SKIP = {"alembic_version", "contact_search", "kb_search", "rate_limit_hits"}


def table_order() -> list[str]:
    """Every table of the schema, parents before children."""
    from tinycrm.store.schema import metadata

    return [t.name for t in metadata.sorted_tables if t.name not in SKIP]


def _converters(table: str) -> dict[str, Any]:
    import sqlalchemy as sa

    from tinycrm.store.schema import metadata

    out: dict[str, Any] = {}
    for col in metadata.tables[table].columns:
        if isinstance(col.type, sa.Boolean):
            out[col.name] = lambda v: None if v is None else bool(v)
        elif isinstance(col.type, sa.DateTime):
            out[col.name] = as_datetime
        elif isinstance(col.type, sa.Date):
            out[col.name] = as_date
        elif isinstance(col.type, sa.LargeBinary):
            out[col.name] = lambda v: None if v is None else bytes(v)
    return out


def columns(table: str) -> list[str]:
    from tinycrm.store.schema import metadata

    return [c.name for c in metadata.tables[table].columns]


def binary_columns(table: str) -> list[str]:
    """The columns holding bytes (photos): text formats such as JSON carry them as base64."""
    import sqlalchemy as sa

    from tinycrm.store.schema import metadata

    return [c.name for c in metadata.tables[table].columns if isinstance(c.type, sa.LargeBinary)]


def primary_key(table: str) -> list[str]:
    from tinycrm.store.schema import metadata

    return [c.name for c in metadata.tables[table].primary_key.columns]


def rows(tx: Tx, table: str, *, batch: int = 2000) -> Iterator[dict[str, Any]]:
    """The rows of ``table`` as dicts of Python values, in primary-key order, a batch at a time."""
    cols = columns(table)
    conv = _converters(table)
    order = ", ".join(primary_key(table))
    offset = 0
    while True:
        chunk = tx.all(
            f"SELECT {', '.join(cols)} FROM {table} ORDER BY {order} LIMIT :l OFFSET :o",
            {"l": batch, "o": offset},
        )
        for r in chunk:
            yield {c: (conv[c](r[c]) if c in conv else r[c]) for c in cols}
        if len(chunk) < batch:
            return
        offset += batch


def insert_rows(tx: Tx, table: str, items: list[dict[str, Any]]) -> None:
    """Insert rows with their ids as given (the caller restores sequences with :func:`reset_sequences`)."""
    if not items:
        return
    # a column the rows do not have (an export of an older revision) gets its default
    cols = [c for c in columns(table) if c in items[0]]
    conv = _converters(table)
    prepared = []
    for item in items:
        prepared.append({c: (conv[c](item.get(c)) if c in conv else item.get(c)) for c in cols})
    tx.executemany(
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})", prepared
    )


#: the audit log's ``record_type`` for the records of a table: the log remembers ids that are gone
AUDITED = {
    "contacts": "contact",
    "companies": "company",
    "deals": "deal",
    "tasks": "task",
    "interactions": "interaction",
    "users": "user",
    "pipelines": "pipeline",
    "stages": "stage",
    "segments": "segment",
    "campaigns": "campaign",
    "sequences": "sequence",
}


def id_tables() -> list[str]:
    """The tables whose rows get a new integer ``id`` from the store, parents before children."""
    return [t for t in table_order() if primary_key(t) == ["id"]]


def used_id(tx: Tx, table: str) -> int:
    """The largest id known to have been used in ``table``: in the table, or in the audit log."""
    used = tx.scalar(f"SELECT max(id) FROM {table}") or 0
    if table in AUDITED:
        logged = tx.scalar(
            "SELECT max(record_id) FROM audit_log WHERE record_type = :rt", {"rt": AUDITED[table]}
        )
        used = max(used, logged or 0)
    return used


def reset_sequences(tx: Tx) -> None:
    """After inserting rows with their ids, move each id counter past the largest id known to have been used
    (see :func:`used_id`), never back: a new record never gets the id of one that existed."""
    for table in id_tables():
        used = used_id(tx, table)
        if tx.db.is_sqlite:
            # AUTOINCREMENT tables keep their counter in sqlite_sequence (it has no key: update, else insert)
            params = {"t": table, "u": used}
            if tx.scalar("SELECT count(*) FROM sqlite_sequence WHERE name = :t", params):
                tx.execute("UPDATE sqlite_sequence SET seq = :u WHERE name = :t AND seq < :u", params)
            else:
                tx.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :u)", params)
            continue
        seq = tx.scalar("SELECT pg_get_serial_sequence(:t, 'id')", {"t": table})
        given = tx.scalar(f"SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {seq}")
        tx.execute("SELECT setval(:s, :n, false)", {"s": seq, "n": max(used, given) + 1})


def is_empty(tx: Tx) -> bool:
    """No user data at all (the seeded default pipeline does not count)."""
    for table in ("contacts", "companies", "interactions", "deals", "tasks"):
        if tx.scalar(f"SELECT count(*) FROM {table}"):
            return False
    return True


def counts(db: Database) -> dict[str, int]:
    with db.read() as tx:
        return {t: tx.scalar(f"SELECT count(*) FROM {t}") for t in table_order()}
