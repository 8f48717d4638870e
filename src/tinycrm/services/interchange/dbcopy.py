"""``crm db copy``: move a whole database to another store (a personal SQLite file into an empty team
PostgreSQL database, and back), then prove the copy is whole.

Every table of :mod:`tinycrm.store.schema` is copied in foreign-key order with its ids, inside one transaction on
the target: all of it lands, or none of it. Before that transaction commits, each table is compared on both
sides by its row count and a checksum over *normalised* values (timestamps as UTC ISO text, booleans as
booleans, binary as hex...), so the figures mean the same thing on SQLite and PostgreSQL. The search index is
rebuilt on the target and PostgreSQL's id sequences are moved past the copied ids.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tinycrm.domain.errors import InvalidInput, Refused, StoreError
from tinycrm.services.people.contact_loader import reindex_all
from tinycrm.store import tables
from tinycrm.store.database import Database, Tx, as_datetime, redact
from tinycrm.store.search import ArticleIndex

BATCH = 1000
#: tables a freshly created database already fills (the default pipeline): replaced by the source's
SEEDED = ("stages", "pipelines")


@dataclass(frozen=True, slots=True)
class TableCheck:
    table: str
    rows: int
    checksum: str


@dataclass(frozen=True, slots=True)
class CopyReport:
    source: str
    target: str
    tables: list[TableCheck]
    rows: int
    indexed: int
    seconds: float
    verified: bool = True


def _norm(value: Any) -> Any:
    """A value in the same form whichever store it came from (``tables`` conversions gave it its column's
    Python type; this makes the remaining differences -- time zone objects, memoryviews -- vanish)."""
    if isinstance(value, datetime):
        return as_datetime(value).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "hex:" + bytes(value).hex()
    if isinstance(value, Decimal):
        return str(value)
    return value


def stream(tx: Tx, table: str) -> Iterator[list[Any]]:
    """Every row of ``table`` (values in column order, converted like :func:`tables.rows`), read with one
    query on the transaction's snapshot: no OFFSET paging, so a million rows cost what they cost."""
    cols = tables.columns(table)
    conv = tables._converters(table)  # noqa: SLF001 - the same conversions as the table walker
    fix = [(i, conv[c]) for i, c in enumerate(cols) if c in conv]
    query = f"SELECT {', '.join(cols)} FROM {table} ORDER BY {', '.join(tables.primary_key(table))}"
    conn = tx.db.connection()
    if tx.db.is_sqlite:
        cur = conn.cursor()  # the same connection, so the same open read transaction
    else:
        cur = conn.cursor(name=f"tinycrm_copy_{table}")  # server side: rows arrive a few thousand at a time
        cur.itersize = 5000
    try:
        cur.execute(query)
        for row in cur:
            values = list(row)
            for i, f in fix:
                values[i] = f(values[i])
            yield values
    except Exception as exc:  # noqa: BLE001 - store errors as user-facing errors
        mapped = tx.db.dialect.translate_error(exc)
        if mapped is exc:
            raise
        raise mapped from exc
    finally:
        cur.close()


def table_checksum(tx: Tx, table: str) -> TableCheck:
    """Row count and checksum of ``table``, independent of row order (text keys sort differently per
    store): the sum, modulo 2**256, of the SHA-256 digests of the rows' normalised values."""
    special = [i for i, c in enumerate(tables.columns(table)) if c in tables._converters(table)]  # noqa: SLF001
    total = 0
    n = 0
    sha = hashlib.sha256
    for values in stream(tx, table):
        for i in special:
            values[i] = _norm(values[i])
        total += int.from_bytes(sha(repr(values).encode("utf-8")).digest(), "big")
        n += 1
    return TableCheck(table, n, f"{total % (1 << 256):064x}")


def checksums(tx: Tx) -> list[TableCheck]:
    return [table_checksum(tx, t) for t in tables.table_order()]


def describe(db: Database) -> list[TableCheck]:
    """Counts and checksums of every table of ``db`` (``crm db copy --check-only`` style reports, tests)."""
    with db.read() as tx:
        return checksums(tx)


def _refuse_non_empty(tx: Tx, url: str) -> None:
    busy = []
    for table in tables.table_order():
        if table in SEEDED:
            continue
        n = tx.scalar(f"SELECT count(*) FROM {table}")
        if n:
            busy.append(f"{table}: {n}")
    if busy:
        raise Refused(
            f"the target database {redact(url)} is not empty ({', '.join(busy[:4])}"
            f"{', ...' if len(busy) > 4 else ''}); copy only into a new, empty database"
        )


def _insert_batches(src: Tx, dst: Tx, table: str) -> int:
    cols = tables.columns(table)
    batch: list[dict[str, Any]] = []
    n = 0
    for values in stream(src, table):
        batch.append(dict(zip(cols, values, strict=True)))
        if len(batch) >= BATCH:
            tables.insert_rows(dst, table, batch)
            n += len(batch)
            batch = []
    tables.insert_rows(dst, table, batch)
    return n + len(batch)


def _copy_in(src: Tx, dst: Tx, table: str) -> int:
    """PostgreSQL's COPY: the rows stream in, several times faster than INSERTs. Each value already has its
    column's Python type, which psycopg turns into PostgreSQL's text form."""
    import psycopg
    from psycopg import sql

    cols = tables.columns(table)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in cols)
    )
    n = 0
    try:
        with dst.db.connection().cursor() as cur, cur.copy(statement) as copy:
            for values in stream(src, table):
                copy.write_row(values)
                n += 1
    except psycopg.Error as exc:
        mapped = dst.db.dialect.translate_error(exc)
        if mapped is exc:
            raise
        raise mapped from exc
    return n


def _same(a: Database, b: Database) -> bool:
    """One database under two names (``..``, a symbolic link, a hard link: the same file)."""
    if a.is_sqlite and b.is_sqlite:
        from tinycrm.services.interchange.files import same_file

        return same_file(a.path, b.path)
    return a.url == b.url


def copy(
    source: Database, target: Database, *, progress: Callable[[str, int], None] | None = None
) -> CopyReport:
    """Copy everything from ``source`` into the empty ``target`` and verify it (see the module's doc)."""
    if _same(source, target):
        raise InvalidInput("the target is the database being copied; give another --to URL")
    started = time.perf_counter()
    copied = 0
    with source.read() as src, target.write() as dst:
        _refuse_non_empty(dst, target.url)
        for table in SEEDED:
            dst.execute(f"DELETE FROM {table}")
        for table in tables.table_order():
            if target.is_sqlite:
                n = _insert_batches(src, dst, table)
            else:
                n = _copy_in(src, dst, table)
            copied += n
            if progress:
                progress(table, n)
        tables.reset_sequences(dst)
        indexed = reindex_all(dst)
        ArticleIndex(dst.db.dialect.name).rebuild(dst)
        # verified before the commit: a mismatch leaves the target as it was
        want = checksums(src)
        got = checksums(dst)
        for w, g in zip(want, got, strict=True):
            if (w.rows, w.checksum) != (g.rows, g.checksum):
                raise StoreError(
                    f"the copy of table {w.table} does not match ({w.rows} rows -> {g.rows}, checksum "
                    f"{w.checksum[:12]} -> {g.checksum[:12]}); nothing was stored in the target"
                )
    return CopyReport(
        source=redact(source.url),
        target=redact(target.url),
        tables=got,
        rows=copied,
        indexed=indexed,
        seconds=time.perf_counter() - started,
    )
