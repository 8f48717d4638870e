"""Whole-database walking, table by table, in foreign-key order: for JSON export/import, backups that must work
on every store, and ``crm db copy``. Column types come from :mod:`tinycrm.store.schema`, so values are turned into
what the target store expects (SQLite's 0/1 into booleans, text timestamps into datetimes...)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tinycrm.store.database import Database, Tx, as_date, as_datetime

# tables that hold no user data of their own, or are rebuilt from the rest
SKIP = {"alembic_version", "contact_search"}


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
    cols = columns(table)
    conv = _converters(table)
    prepared = []
    for item in items:
        prepared.append({c: (conv[c](item.get(c)) if c in conv else item.get(c)) for c in cols})
    tx.executemany(
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})", prepared
    )


def reset_sequences(tx: Tx) -> None:
    """After inserting explicit ids on PostgreSQL, move each id sequence past the largest id."""
    if tx.db.is_sqlite:
        return
    for table in table_order():
        if "id" in primary_key(table) and len(primary_key(table)) == 1:
            tx.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            )


def is_empty(tx: Tx) -> bool:
    """No user data at all (the seeded default pipeline does not count)."""
    for table in ("contacts", "companies", "interactions", "deals", "tasks"):
        if tx.scalar(f"SELECT count(*) FROM {table}"):
            return False
    return True


def counts(db: Database) -> dict[str, int]:
    with db.read() as tx:
        return {t: tx.scalar(f"SELECT count(*) FROM {t}") for t in table_order()}
