"""The rows of a JSON export, checked before a restore stores any of them.

A restore writes rows as they are, ids and all, so it must not store what tinycrm itself could never have
written: every value has its column's type and size (from :mod:`tinycrm.store.schema`), text holds no control
characters, the values the services check when a person types them pass the same checks
(:mod:`tinycrm.domain.validation`, birthdays, currencies, statuses...), keys are unique and every reference
names a row of the document. The first problem found is a one-line :class:`InvalidInput` naming the table, the
row and the field; nothing is stored.

Left out on purpose: e-mail addresses and phone numbers are not checked for their form (imports keep values a
person could not type, flagged); verbatim vCard properties (``contact_extras``) keep what the card held and the
audit log what it recorded (only a NUL, which no store keeps, is refused there).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from tinycrm.domain import validation as v
from tinycrm.domain.errors import InvalidInput
from tinycrm.store.sql import placeholders

if TYPE_CHECKING:
    from tinycrm.store.database import Tx

Check = Callable[[Any], None]

#: text kept as it came: vCard properties as the card held them (the services do not check them either), and
#: the audit log, a record of what was (values that rules made since would refuse included)
VERBATIM = {("contact_extras", "value"), ("contact_extras", "params"), ("audit_log", "changes")}
INT32 = 2**31
INT64 = 2**63


def _one_of(choices: Iterable[Any]) -> Check:
    allowed = tuple(choices)

    def check(value: Any) -> None:
        if value not in allowed:
            raise InvalidInput(f"{value!r} is not one of: {', '.join(map(str, allowed))}")

    return check


def _between(low: int, high: int) -> Check:
    def check(value: Any) -> None:
        if not low <= value <= high:
            raise InvalidInput(f"{value:,} is not between {low:,} and {high:,}")

    return check


def _not_empty(value: Any) -> None:
    v.name(value, "the value", max_len=INT64)


def _passes(check: Callable[[Any], Any]) -> Check:
    """A validation function whose result is not needed: only whether it raises."""

    def run(value: Any) -> None:
        check(value)

    return run


def _birthday(value: Any) -> None:
    from tinycrm.domain.dates import parse_birthday

    if parse_birthday(value) != value:
        raise InvalidInput(f"{value!r} is not a birthday as tinycrm stores it (YYYY-MM-DD, or --MM-DD)")


def _currency(value: Any) -> None:
    from tinycrm.domain.sales import currency

    if currency(value) != value:
        raise InvalidInput(f"{value!r} is not an upper-case ISO 4217 code")


def _value_e4(value: Any) -> None:
    from tinycrm.domain.sales import MAX_VALUE

    if not 0 <= value < MAX_VALUE * 10_000:
        raise InvalidInput(f"{value:,} ten-thousandths is not a deal value (0 to {MAX_VALUE - 1:,})")


def _rules() -> dict[tuple[str, str], Check]:
    """The checks the services apply, by (table, column)."""
    from tinycrm.domain.people import INTERACTION_KINDS
    from tinycrm.domain.sales import DEAL_STATUSES
    from tinycrm.domain.tasks import PRIORITY_NAMES
    from tinycrm.services.sales.deals import CATEGORIES
    from tinycrm.services.team.users import ROLES
    from tinycrm.services.work.tasks import parse_repeat

    names = {
        ("contacts", "display_name"),
        ("companies", "name"),
        ("users", "name"),
        ("pipelines", "name"),
        ("stages", "name"),
        ("deals", "title"),
        ("tasks", "title"),
        ("interactions", "summary"),
    }
    rules: dict[tuple[str, str], Check] = dict.fromkeys(names, _not_empty)
    rules |= {
        ("contacts", "birthday"): _birthday,
        ("contacts", "cadence_days"): _between(1, 36_500),
        ("tags", "name"): _passes(v.tag),
        ("contact_fields", "key"): _passes(v.field_key),
        ("company_fields", "key"): _passes(v.field_key),
        ("contact_emails", "label"): _passes(v.label),
        ("contact_phones", "label"): _passes(v.label),
        ("contact_addresses", "label"): _passes(v.label),
        ("users", "role"): _one_of(ROLES),
        ("stages", "probability"): _between(0, 100),
        ("deals", "value_e4"): _value_e4,
        ("deals", "currency"): _currency,
        ("deals", "status"): _one_of(DEAL_STATUSES),
        ("deals", "forecast_category"): _one_of(CATEGORIES),
        ("deal_stage_history", "status"): _one_of(DEAL_STATUSES),
        ("deal_value_history", "value_e4"): _value_e4,
        ("deal_value_history", "currency"): _currency,
        ("deal_value_history", "category"): _one_of(CATEGORIES),
        ("interactions", "kind"): _one_of(INTERACTION_KINDS),
        ("tasks", "priority"): _one_of(PRIORITY_NAMES),
        ("tasks", "rrule"): _passes(parse_repeat),
    }
    return rules


# --- the column types -----------------------------------------------------------------------------------


def _integer(limit: int) -> Check:
    def check(value: Any) -> None:
        if type(value) is not int:
            raise InvalidInput(f"{_shown(value)} is not a whole number")
        if not -limit <= value < limit:
            raise InvalidInput(f"{value} is too large")

    return check


def _text(verbatim: bool) -> Check:
    def check(value: Any) -> None:
        if not isinstance(value, str):
            raise InvalidInput(f"{_shown(value)} is not text")
        if not verbatim:
            v.text(value, "the value", max_len=INT64)  # control characters, text that is not UTF-8
        elif "\x00" in value:  # no store keeps a NUL in text
            raise InvalidInput("the value contains a NUL character; remove it")

    return check


def _boolean(value: Any) -> None:
    if not isinstance(value, bool):
        raise InvalidInput(f"{_shown(value)} is not true or false")


def _day(value: Any) -> None:
    from tinycrm.domain.dates import YEARS

    try:
        day = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput(f"{_shown(value)} is not a date (YYYY-MM-DD)")
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise InvalidInput(f"the date {value} is out of range ({YEARS[0]} to {YEARS[1]})")


def _moment(value: Any) -> None:
    try:
        if not isinstance(value, str):
            raise ValueError
        datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{_shown(value)} is not a time (ISO 8601, e.g. 2026-11-22T14:00:00+00:00)"
        ) from None


def _base64(value: Any) -> None:
    try:
        if not isinstance(value, str):
            raise ValueError
        base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        raise InvalidInput("the value is not base64 text") from None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _column_check(table: str, column: Any) -> Check:
    import sqlalchemy as sa

    kind = column.type
    if isinstance(kind, sa.Boolean):
        return _boolean
    if isinstance(kind, sa.DateTime):
        return _moment
    if isinstance(kind, sa.Date):
        return _day
    if isinstance(kind, sa.LargeBinary):
        return _base64
    if isinstance(kind, sa.BigInteger):
        return _integer(INT64)
    if isinstance(kind, sa.Integer):
        return _integer(INT32)
    return _text((table, column.name) in VERBATIM)


# --- the document ---------------------------------------------------------------------------------------


class _Table:
    """What is checked in each row of one table."""

    def __init__(self, name: str, rules: dict[tuple[str, str], Check]) -> None:
        import sqlalchemy as sa

        from tinycrm.store.schema import metadata

        table = metadata.tables[name]
        self.name = name
        self.columns = [c.name for c in table.columns]
        self.required = {c.name for c in table.columns if not c.nullable}
        self.checks = [
            (c.name, _column_check(name, c), rules.get((name, c.name)), getattr(c.type, "length", None))
            for c in table.columns
        ]
        self.keys = [tuple(c.name for c in table.primary_key.columns)] + [
            tuple(c.name for c in k.columns) for k in table.constraints if isinstance(k, sa.UniqueConstraint)
        ]
        self.references = [(fk.parent.name, fk.column.table.name) for fk in table.foreign_keys]
        #: the columns a document holds as the database does (text and numbers; a date is text in it)
        self.plain = {c.name for c in table.columns if isinstance(c.type, (sa.String, sa.Integer))}


#: rows checked (and written, by the caller) at a time
BATCH = 1000


class DumpCheck:
    """The rows of a JSON export checked a table at a time (parents first), as they go by, ``BATCH`` rows at a
    time: :meth:`rows` gives each row once it is checked. The caller writes them into ``tx``'s tables (emptied
    first), at most ``BATCH`` at a time and every batch before it asks for the next row, so the database holds
    the rows checked so far: a batch's unique keys and references are looked up there (through the keys'
    indexes) and among the rows of this batch and the one before, whose values alone are kept. Memory stays the
    same whatever the number of rows."""

    def __init__(self, tx: Tx, source: str) -> None:
        self.tx = tx
        self.source = source
        self.rules = _rules()

    def rows(self, name: str, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        spec = _Table(name, self.rules)
        before: _Seen = _Seen(spec)
        done = 0
        self.highest: dict[int, int] = {}  # key -> its highest number so far, for a key of one number column
        for chunk in _chunks(rows, BATCH):
            seen = _Seen(spec)
            problem: InvalidInput | None = None
            for i, row in enumerate(chunk):  # the values first: a batch stops at its first bad row
                try:
                    _check_row(spec, row, self._where(name, done + i + 1, row))
                except InvalidInput as exc:
                    chunk, problem = chunk[:i], exc
                    break
            found = self._found(spec, chunk)
            for i, row in enumerate(chunk):
                self._related(spec, row, self._where(name, done + i + 1, row), found, seen, before)
                seen.add(row)
                yield row
            if problem is not None:
                raise problem
            done += len(chunk)
            before = seen

    def _where(self, name: str, n: int, row: dict[str, Any]) -> str:
        return f"{self.source}: table {name}, row {n}" + (
            f" (id {row['id']})" if type(row.get("id")) is int else ""
        )

    def _found(self, spec: _Table, chunk: list[dict[str, Any]]) -> _Seen:
        """The values of ``chunk``'s unique keys that rows in the database have, and those of its references
        that name a row there."""
        found = _Seen(spec)
        for n, key in enumerate(spec.keys):
            values = [
                value for value in (tuple(row.get(c) for c in key) for row in chunk) if None not in value
            ]
            if values and not self._above(n, values):
                found.keys[n].update(_present(self.tx, spec, key, values))
        for column, parent in spec.references:
            refs = list({row[column] for row in chunk if row.get(column) is not None})
            if refs:
                marks, params = placeholders("r", refs)
                found.ids[parent].update(
                    self.tx.column(f"SELECT id FROM {parent} WHERE id IN ({marks})", params)
                )
        return found

    def _above(self, n: int, values: list[tuple[Any, ...]]) -> bool:
        """Whether every value of key ``n`` (of one column) is a number above the highest one written so far
        (every row of the table went through here): then no row has any of them, nothing to look up. An
        export writes each table in key order, so its ids always are."""
        if len(values[0]) != 1 or not all(type(v[0]) is int for v in values):
            return False
        low, high = min(v[0] for v in values), max(v[0] for v in values)
        before = self.highest.get(n)
        self.highest[n] = high if before is None else max(before, high)
        return before is None or low > before

    def _related(
        self, spec: _Table, row: dict[str, Any], where: str, found: _Seen, seen: _Seen, before: _Seen
    ) -> None:
        """Refuse a row whose unique key another row has, or that names a row no table has (so far)."""
        for n, key in enumerate(spec.keys):
            value = tuple(row.get(c) for c in key)
            if None in value:
                continue
            if value in found.keys[n] or value in seen.keys[n] or value in before.keys[n]:
                shown = ", ".join(f"{c} {_shown(x)}" for c, x in zip(key, value, strict=True))
                raise InvalidInput(f"{where}: another row has the same {shown}; keys must be unique")
        for column, parent in spec.references:
            ref = row.get(column)
            if ref is None or ref in found.ids[parent]:
                continue
            if parent == spec.name and (ref in seen.ids[parent] or ref in before.ids[parent]):
                continue  # a row of this table that is not written yet
            raise InvalidInput(f"{where}, field {column}: {parent} has no row with id {ref}")


class _Seen:
    """The unique key values (one set per key of the table) and ids of some rows."""

    def __init__(self, spec: _Table) -> None:
        self.spec = spec
        self.keys: list[set[tuple[Any, ...]]] = [set() for _ in spec.keys]
        self.ids: dict[str, set[Any]] = {parent: set() for _, parent in spec.references}
        self.ids.setdefault(spec.name, set())

    def add(self, row: dict[str, Any]) -> None:
        for key, values in zip(self.spec.keys, self.keys, strict=True):
            value = tuple(row.get(c) for c in key)
            if None not in value:
                values.add(value)
        if "id" in row:
            self.ids[self.spec.name].add(row["id"])


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _present(
    tx: Tx, spec: _Table, key: tuple[str, ...], values: list[tuple[Any, ...]]
) -> set[tuple[Any, ...]]:
    """Those of ``values`` (of the columns ``key``) that a row of the table has: one query, each column
    matched against the list of its values (the key's index finds them), the pairs matched here. A column
    that is neither text nor a number (a date) is compared as text, as the document writes it."""
    exprs, conds, params = [], [], {}
    for n, column in enumerate(key):
        expr = column if column in spec.plain else f"CAST({column} AS TEXT)"
        marks, p = placeholders(f"k{n}_", list({v[n] for v in values}))
        exprs.append(expr)
        conds.append(f"{expr} IN ({marks})")
        params.update(p)
    rows = tx.all(f"SELECT {', '.join(exprs)} FROM {spec.name} WHERE {' AND '.join(conds)}", params)
    wanted = set(values)
    return {value for value in map(tuple, rows) if value in wanted}


def _check_row(spec: _Table, row: dict[str, Any], where: str) -> None:
    unknown = sorted(set(row) - set(spec.columns))
    if unknown:
        raise InvalidInput(
            f"{where}: {spec.name} has no field {unknown[0]!r}; export the data again with this tinycrm"
        )
    for column, check, rule, length in spec.checks:
        value = row.get(column)
        try:
            if value is None:
                if column in spec.required:
                    raise InvalidInput("the value is missing")
                continue
            check(value)
            if rule is not None:
                rule(value)
            if length is not None and len(value) > length:
                raise InvalidInput(f"the value is {len(value):,} characters long; at most {length:,} fit")
        except InvalidInput as exc:
            message = exc.message.removeprefix(f"{column}: ").removeprefix("birthday: ")
            raise InvalidInput(f"{where}, field {column}: {message}", field=column, hint=exc.hint) from None
