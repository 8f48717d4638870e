"""The rows of a table as the JSON export writes them (see :mod:`tinycrm.formats.jsonio`).

Each row is one JSON object, its columns in the schema's order: timestamps ISO 8601 in UTC with their offset
(``datetime.isoformat``: no fraction when it is zero), dates ``YYYY-MM-DD``, booleans ``true``/``false``, bytes
base64 text, the rest as stored.

The store writes each row's JSON text itself (SQLite: ``json_object``, :func:`tinycrm.store.sql.json_row_sql`;
PostgreSQL: ``row_to_json``, :func:`tinycrm.store.sql.pg_json_rows_sql`): Python only reads one string per row.
A value that SQL cannot write exactly as the Python code below does (on SQLite a timestamp not in the stored
form, a number with a fraction...; on PostgreSQL a timestamp beyond Python's) marks its row, and that row is
written by the Python code: the text is the same either way, byte for byte. Tables holding bytes (photos) and
tables keyed by anything but plain columns are written by Python.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC
from typing import Any

from tinycrm.store import tables
from tinycrm.store.database import Tx, as_date, as_datetime
from tinycrm.store.sql import JSON_ROW_REDO, batches, json_row_sql, pg_json_rows_sql, placeholders

#: a timestamp as SQLite stores it (UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``), or a date: the JSON text is made
#: from the stored text, without parsing it into a datetime and formatting that again
_STORED_TIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d{6})?")
_STORED_DATE = re.compile(r"\d{4}-\d\d-\d\d")
#: rows per batch read from the store
BATCH = 2000


def json_time(value: Any) -> Any:
    """A stored timestamp as the JSON export writes it: ISO 8601 in UTC with its offset
    (``datetime.isoformat``: no fraction when it is zero)."""
    if isinstance(value, str):
        if len(value) == 26 and value[10] == " " and value[19] == ".":  # as SQLite stores it: slices only
            return f"{value[:10]}T{value[11:19]}{'' if value.endswith('.000000') else value[19:]}+00:00"
        m = _STORED_TIME.fullmatch(value)
        if m is None:
            value = as_datetime(value)
        else:
            fraction = m.group(1)
            keep = len(value) - 7 if fraction == ".000000" else len(value)
            return f"{value[:10]}T{value[11:keep]}+00:00"
    if value is None:
        return None
    return (value if value.tzinfo is UTC else as_datetime(value)).isoformat()  # type: ignore[union-attr]


def json_date(value: Any) -> Any:
    if value is None or (isinstance(value, str) and _STORED_DATE.fullmatch(value)):
        return value
    return as_date(value).isoformat()  # type: ignore[union-attr]


def _kinds(table: str) -> dict[str, str]:
    """The kind of each column of ``table`` (``bool``, ``time``, ``date``, ``bytes``, else ``plain``)."""
    import sqlalchemy as sa

    from tinycrm.store.schema import metadata

    out: dict[str, str] = {}
    for col in metadata.tables[table].columns:
        if isinstance(col.type, sa.Boolean):
            out[col.name] = "bool"
        elif isinstance(col.type, sa.DateTime):
            out[col.name] = "time"
        elif isinstance(col.type, sa.Date):
            out[col.name] = "date"
        elif isinstance(col.type, sa.LargeBinary):
            out[col.name] = "bytes"
        else:
            out[col.name] = "plain"
    return out


def _bytes(value: Any) -> Any:
    import base64

    return None if value is None else base64.b64encode(bytes(value)).decode("ascii")


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "bool": lambda v: None if v is None else bool(v),
    "time": json_time,
    "date": json_date,
    "bytes": _bytes,
}


def _converters(table: str) -> list[tuple[str, Callable[[Any], Any]]]:
    """How each column of ``table`` that needs it becomes a JSON value (the rest go as they are)."""
    return [(c, _CONVERT[k]) for c, k in _kinds(table).items() if k in _CONVERT]


def json_rows(tx: Tx, table: str) -> Iterator[dict[str, Any] | str]:
    """The rows of ``table`` as the JSON export writes them, in primary-key order, through one cursor (never
    ``OFFSET``, which walks again every row it skips): on SQLite each row's JSON text (a ``str``) made by the
    store, elsewhere (and for a table holding bytes) a dict of JSON values, each value converted once."""
    kinds = _kinds(table)
    if "bytes" in kinds.values() or any(kinds[k] != "plain" for k in tables.primary_key(table)):
        return _python_rows(tx, table)
    if tx.db.is_sqlite:
        return _sqlite_rows(tx, table, _sqlite_kinds(tx, table, kinds))
    return _pg_rows(tx, table, kinds)


def _sqlite_kinds(tx: Tx, table: str, kinds: dict[str, str]) -> dict[str, str]:
    """``kinds`` told apart further by what SQLite may hold in each column, from the table as the database
    declares it: an INTEGER PRIMARY KEY (``rowid``) holds whole numbers only; a column of TEXT affinity
    (``text``) text, bytes or NULL."""
    declared = {
        r["name"]: r for r in tx.all("SELECT name, type, pk FROM pragma_table_info(:t)", {"t": table})
    }
    rowid = [r["name"] for r in declared.values() if r["pk"]]
    out = dict(kinds)
    for name, kind in kinds.items():
        if kind != "plain" or name not in declared:
            continue
        affinity = str(declared[name]["type"]).upper()
        if rowid == [name] and affinity == "INTEGER":
            out[name] = "rowid"
        elif "INT" not in affinity and any(t in affinity for t in ("CHAR", "CLOB", "TEXT")):
            out[name] = "text"
    return out


def _python_rows(tx: Tx, table: str, where: str = "", params: dict[str, Any] | None = None) -> Iterator[Any]:
    cols = tables.columns(table)
    conv = _converters(table)
    order = ", ".join(tables.primary_key(table))
    sql = f"SELECT {', '.join(cols)} FROM {table}{where} ORDER BY {order}"
    for rows in batches(tx, sql, params, size=BATCH, plain=True):
        for r in rows:
            row = dict(zip(cols, r, strict=True))
            for c, f in conv:
                row[c] = f(row[c])
            yield row


def _sqlite_rows(tx: Tx, table: str, kinds: dict[str, str]) -> Iterator[Any]:
    """The rows' JSON text as SQLite writes it; a row it marks (:data:`JSON_ROW_REDO`) read again, with the
    others so marked in its batch, and written by :func:`_python_rows`."""
    order = ", ".join(tables.primary_key(table))
    sql = f"SELECT {json_row_sql(list(kinds.items()))}, rowid FROM {table} ORDER BY {order}"
    for rows in batches(tx, sql, size=BATCH, plain=True):
        redo = [rowid for text, rowid in rows if JSON_ROW_REDO in text]
        if not redo:
            yield from (text for text, _ in rows)
            continue
        marks, params = placeholders("r", redo)
        again = dict(zip(redo, _python_rows(tx, table, f" WHERE rowid IN ({marks})", params), strict=True))
        for text, rowid in rows:
            yield again[rowid] if rowid in again else text


def _pg_rows(tx: Tx, table: str, kinds: dict[str, str]) -> Iterator[Any]:
    """The rows' JSON text as PostgreSQL writes it (``row_to_json``); a row it marks (a timestamp beyond
    Python's) read again by its key and written by :func:`_python_rows`."""
    import json

    key = tables.primary_key(table)
    sql = pg_json_rows_sql(table, list(kinds.items()), key)
    for rows in batches(tx, sql, size=BATCH, plain=True):
        for (text,) in rows:
            if JSON_ROW_REDO not in text:
                yield text
                continue
            row = json.loads(text)
            where = " WHERE " + " AND ".join(f"{k} = :k{i}" for i, k in enumerate(key))
            yield from _python_rows(tx, table, where, {f"k{i}": row[k] for i, k in enumerate(key)})
