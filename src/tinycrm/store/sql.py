"""The SQL kit: the few pieces of SQL text every service builds (IN lists, pages, LIKE patterns, WHERE lists).

Every query stays SQL written once in the service that owns it; these helpers only build its repeated parts,
in the subset of SQL that SQLite and PostgreSQL share.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from tinycrm.domain.errors import InvalidInput

if TYPE_CHECKING:
    from tinycrm.domain.rows import Stream
    from tinycrm.store.database import Database, Tx

T = TypeVar("T")


#: lists up to this long are written ``:p0, :p1, ...``; longer ones travel as one parameter
SMALL_LIST = 16


class ListParam(list):  # type: ignore[type-arg]
    """The values of an ``IN`` list bound as one parameter: SQLite receives it as a JSON array (read back by
    ``json_each``, see :mod:`tinycrm.store.dialects`), PostgreSQL as an array."""


#: what :func:`placeholders` writes for a long list of numbers, and of text (SQLite's own spelling; the
#: PostgreSQL dialect turns it into ``unnest`` of a ``bigint[]`` / ``text[]``)
LIST_OF_NUMBERS = "SELECT value FROM json_each(:{})"
LIST_OF_TEXT = "SELECT CAST(value AS TEXT) FROM json_each(:{})"


def placeholders(prefix: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """What goes inside ``IN (...)`` for ``values``, and its parameters.

    A short list is ``:p0, :p1, ...``. A longer one is a sub-query over a single parameter holding every value
    (``SELECT value FROM json_each(:p)``): its cost grows with the number of values, never with the number of
    parameter names (SQLite looks each named parameter up by a linear search, so 40,000 of them take seconds
    to prepare; PostgreSQL refuses more than 65,535 parameters). Numbers, or text: not a mix of both."""
    if len(values) > SMALL_LIST:
        template = LIST_OF_TEXT if any(isinstance(x, str) for x in values) else LIST_OF_NUMBERS
        return template.format(prefix), {prefix: ListParam(values)}
    names = [f"{prefix}{i}" for i in range(len(values))]
    return ", ".join(":" + n for n in names), dict(zip(names, values, strict=True))


def check_page(limit: int | None, offset: int) -> None:
    """Refuse a page size (``--limit``) or start (``--offset``) a list cannot have."""
    if limit is not None and not 1 <= limit <= 1_000_000:
        raise InvalidInput(f"--limit must be between 1 and 1000000 (got {limit})")
    if offset < 0:
        raise InvalidInput(f"--offset must not be negative (got {offset})")


def page_sql(limit: int | None) -> str:
    """The ``LIMIT :limit OFFSET :offset`` of a page; nothing for the whole list (``limit`` None)."""
    return "" if limit is None else " LIMIT :limit OFFSET :offset"


def reverse_order(order: str) -> str:
    """An ``ORDER BY`` list backwards: each term's direction turned (``a, b DESC`` -> ``a DESC, b``). NULLs
    follow, since both stores put them at one end of an ascending order and at the other of a descending one."""
    terms, depth, start = [], 0, 0
    for i, ch in enumerate(order):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            terms.append(order[start:i].strip())
            start = i + 1
    terms.append(order[start:].strip())
    flipped = []
    for term in terms:
        upper = term.upper()
        if upper.endswith(" DESC"):
            flipped.append(term[:-5].rstrip())
        elif upper.endswith(" ASC"):
            flipped.append(term[:-4].rstrip() + " DESC")
        else:
            flipped.append(term + " DESC")
    return ", ".join(flipped)


def page_ids(
    tx: Tx, select: str, order: str, params: dict[str, Any], *, total: int, limit: int | None, offset: int
) -> list[Any]:
    """The first column of one page of ``select`` (a SELECT without ORDER BY) in ``order``, the list being
    ``total`` rows long. A page in the back half is read from the end, in the reverse order: OFFSET walks every
    row it skips, so the last page of a million contacts would cost seconds where the first costs nothing."""
    if limit is None:
        return tx.column(f"{select} ORDER BY {order}", params)
    if offset >= total:
        return []
    if 2 * offset + limit <= total:
        forward = {**params, "limit": limit, "offset": offset}
        return tx.column(f"{select} ORDER BY {order} LIMIT :limit OFFSET :offset", forward)
    size = min(limit, total - offset)
    backward = {**params, "limit": size, "offset": total - offset - size}
    return tx.column(f"{select} ORDER BY {reverse_order(order)} LIMIT :limit OFFSET :offset", backward)[::-1]


def missing_ids(tx: Tx, table: str, ids: Sequence[int]) -> list[int]:
    """Those of ``ids`` that no row of ``table`` has, in the order given."""
    if not ids:
        return []
    marks, params = placeholders("c", ids)
    found = set(tx.column(f"SELECT id FROM {table} WHERE id IN ({marks})", params))
    return [i for i in ids if i not in found]


def escape_like(text: str) -> str:
    """``text`` matched literally by ``LIKE ... ESCAPE '\\'``: its ``\\``, ``%`` and ``_`` escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def where(conditions: Iterable[str]) -> str:
    """The conditions joined by ``AND``; ``1=1`` when there are none."""
    return " AND ".join(conditions) or "1=1"


#: the split of :func:`exact_sum`: each part of a value stays far below 2**63 however many rows are summed
_SPLIT = 100_000_000


def exact_sum(expr: str, alias: str) -> str:
    """``sum(expr)`` of non-negative integers as two sums (``alias_hi``, ``alias_lo``) that cannot overflow
    SQLite's 64-bit integers (923 deals at the largest value did); :func:`summed` joins them exactly."""
    return f"sum({expr} / {_SPLIT}) AS {alias}_hi, sum({expr} % {_SPLIT}) AS {alias}_lo"


def summed(row: Any, alias: str) -> int:
    """The exact total of an :func:`exact_sum` column pair of ``row`` (0 for no rows)."""
    return int(row[f"{alias}_hi"] or 0) * _SPLIT + int(row[f"{alias}_lo"] or 0)


#: rows per batch of :func:`batches`
BATCH = 1000

_cursors = itertools.count(1)


def batches(
    tx: Tx, sql: str, params: Mapping[str, Any] | None = None, *, size: int = BATCH, plain: bool = False
) -> Iterator[list[Any]]:
    """The rows of a query, ``size`` at a time, read from the store as they are asked for: a cursor of its own
    on SQLite, a server-side (named) cursor on PostgreSQL. The whole result never sits in memory, nothing is
    read twice (no ``OFFSET`` walk), and other queries of the same transaction may run between two batches
    (to load what each row of the batch shows). ``plain``: rows as tuples (no access by column name; faster on
    SQLite)."""
    conn = tx._cur.connection  # noqa: SLF001 - the kit reads through the transaction's own connection
    text = tx.db.dialect.sql(sql)
    cur = conn.cursor() if tx.db.is_sqlite else conn.cursor(name=f"tinycrm_rows_{next(_cursors)}")
    if plain and tx.db.is_sqlite:
        cur.row_factory = None
    try:
        try:
            cur.execute(text, params or {})
        except Exception as exc:  # noqa: BLE001 - mapped as Tx maps them
            from tinycrm.store.database import value_error

            raise value_error(exc) or tx.db.dialect.translate_error(exc) from exc
        while rows := cur.fetchmany(size):
            yield rows
    finally:
        cur.close()


def column_batches(
    tx: Tx, sql: str, params: Mapping[str, Any] | None = None, *, size: int = BATCH
) -> Iterator[list[Any]]:
    """The first column of :func:`batches`."""
    for rows in batches(tx, sql, params, size=size):
        yield [r[0] for r in rows]


def from_offset(offset: int) -> str:
    """The ``LIMIT ... OFFSET`` of a whole list read from ``offset`` on (nothing from the start)."""
    return f" LIMIT {2**62} OFFSET {int(offset)}" if offset else ""


def streamed(db: Database, offset: int, prepare: Callable[[Tx], tuple[int | None, Iterable[T]]]) -> Stream[T]:
    """A whole list as a :class:`Stream`: ``prepare(tx)`` runs at once in a read transaction (so bad options
    fail before anything is written) and gives the list's length (or None) and its items, which are then read
    as they are shown, in that same transaction, closed once the last one is read."""
    from contextlib import ExitStack

    from tinycrm.domain.rows import Stream

    stack = ExitStack()
    tx = stack.enter_context(db.read())
    try:
        total, items = prepare(tx)
    except BaseException:
        stack.close()
        raise

    def walk() -> Iterator[T]:
        with stack:
            yield from items

    return Stream(walk(), offset, total)


#: what :func:`json_row_sql` writes into a row whose JSON text SQL cannot make as Python does (the JSON
#: escape of the character U+0000): such a row (or one holding that character) is to be written again by Python
JSON_ROW_REDO = "\\u0000"
_REDO = "char(0)"


def _json_value_sql(column: str, kind: str) -> str:
    """A column's value in SQLite's ``json_object``: as Python's ``json`` module writes its JSON value, or
    :data:`_REDO`."""
    c = column
    if kind == "time":  # 'YYYY-MM-DD HH:MM:SS.ffffff' -> 'YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00'; NULL -> null
        stored = "____-__-__ __:__:__."
        return (
            f"CASE WHEN typeof({c}) <> 'text' THEN CASE WHEN {c} IS NULL THEN NULL ELSE {_REDO} END "
            f"WHEN {c} LIKE '{stored}000000' THEN substr({c}, 1, 10) || 'T' || substr({c}, 12, 8) || '+00:00' "
            f"WHEN {c} LIKE '{stored}______' THEN substr({c}, 1, 10) || 'T' || substr({c}, 12) || '+00:00' "
            f"ELSE {_REDO} END"
        )
    if kind == "date":
        return (
            f"CASE WHEN typeof({c}) = 'text' AND {c} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' "
            f"THEN {c} WHEN {c} IS NULL THEN NULL ELSE {_REDO} END"
        )
    if kind == "bool":
        return (
            f"CASE typeof({c}) WHEN 'integer' THEN json(CASE WHEN {c} THEN 'true' ELSE 'false' END) "
            f"WHEN 'null' THEN NULL ELSE {_REDO} END"
        )
    if kind == "rowid":  # an INTEGER PRIMARY KEY: always a whole number
        return c
    if kind == "text":  # a column of TEXT affinity holds text, bytes or NULL (SQLite makes numbers text)
        return f"CASE WHEN typeof({c}) = 'blob' THEN {_REDO} ELSE {c} END"
    if kind == "plain":  # text, whole numbers and NULL as they are; a number with a fraction, or bytes: redo
        return f"CASE WHEN typeof({c}) IN ('real', 'blob') THEN {_REDO} ELSE {c} END"
    raise ValueError(f"no JSON of a {kind} column in SQL")


def json_row_sql(columns: Sequence[tuple[str, str]]) -> str:
    """SQLite: the JSON text of a row as Python's ``json`` module writes the dict of its JSON values (keys in
    the order given, ``","`` and ``":"`` between them, text not escaped beyond what JSON needs), from
    ``(column, kind)`` pairs: ``plain`` (any value), ``text`` (a column of TEXT affinity), ``rowid`` (an
    INTEGER PRIMARY KEY), ``bool``, ``time`` (a timestamp, written in ``datetime.isoformat`` form with its
    UTC offset; stored as ``YYYY-MM-DD HH:MM:SS.ffffff``) or ``date``. A row holding a value SQL cannot write so holds
    :data:`JSON_ROW_REDO`. Keys are column names (nothing to escape)."""
    return "json_object(" + ", ".join(f"'{c}', {_json_value_sql(c, k)}" for c, k in columns) + ")"


def _pg_json_value_sql(column: str, kind: str) -> str:
    """PostgreSQL: a column as ``row_to_json`` is to write it: as Python's ``json`` module writes its JSON
    value, or (a timestamp or date beyond Python's, ``infinity``) text holding :data:`JSON_ROW_REDO`."""
    c = column
    redo = "'\\u0000'"  # a backslash and 'u0000': written as JSON it holds JSON_ROW_REDO
    if kind == "time":
        stamp = "'YYYY-MM-DD\"T\"HH24:MI:SS'"
        return (
            f"CASE WHEN {c} IS NULL THEN NULL WHEN NOT isfinite({c}) THEN {redo} "
            f"WHEN date_trunc('second', {c}) = {c} THEN to_char({c} AT TIME ZONE 'UTC', {stamp}) || '+00:00' "
            f"ELSE to_char({c} AT TIME ZONE 'UTC', {stamp[:-1]}.US') || '+00:00' END"
        )
    if kind == "date":
        return (
            f"CASE WHEN {c} IS NULL THEN NULL WHEN NOT isfinite({c}) THEN {redo} "
            f"ELSE to_char({c}, 'YYYY-MM-DD') END"
        )
    if kind in ("plain", "bool"):  # numbers, text, booleans: row_to_json writes them as Python does
        return c
    raise ValueError(f"no JSON of a {kind} column in SQL")


def pg_json_rows_sql(table: str, columns: Sequence[tuple[str, str]], key: Sequence[str]) -> str:
    """PostgreSQL: each row's JSON text as Python's ``json`` module writes the dict of its JSON values (see
    :func:`json_row_sql`), in ``key`` order (plain columns): ``row_to_json`` of the converted columns."""
    values = ", ".join(f"{_pg_json_value_sql(c, k)} AS {c}" for c, k in columns)
    order = ", ".join(f"r.{k}" for k in key)
    return f"SELECT row_to_json(r)::text FROM (SELECT {values} FROM {table}) r ORDER BY {order}"
