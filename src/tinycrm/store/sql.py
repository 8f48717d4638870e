"""The SQL kit: the few pieces of SQL text every service builds (IN lists, pages, LIKE patterns, WHERE lists).

Every query stays SQL written once in the service that owns it; these helpers only build its repeated parts,
in the subset of SQL that SQLite and PostgreSQL share.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from tinycrm.domain.errors import InvalidInput

if TYPE_CHECKING:
    from tinycrm.store.database import Tx


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
