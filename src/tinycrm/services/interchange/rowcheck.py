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
from typing import Any

from tinycrm.domain import validation as v
from tinycrm.domain.errors import InvalidInput

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
        ("deal_stage_history", "status"): _one_of(DEAL_STATUSES),
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


def check_dump(tables: dict[str, list[dict[str, Any]]], source: str, order: list[str]) -> None:
    """Check every row of a JSON export's ``tables`` (in ``order``: parents first); :class:`InvalidInput` for the
    first problem, naming ``source``, the table, the row (1 for the first, and its id) and the field."""
    check = DumpCheck(source, order)
    for name in order:
        for _ in check.rows(name, tables.get(name, [])):
            pass


class DumpCheck:
    """:func:`check_dump` a table at a time, as the rows go by (parents first): :meth:`rows` gives each row
    once it is checked. It keeps the ids of each table and the values of its unique keys, not the rows."""

    def __init__(self, source: str, order: list[str]) -> None:
        self.source = source
        self.rules = _rules()
        self.ids: dict[str, set[Any]] = {name: set() for name in order}

    def rows(self, name: str, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        spec = _Table(name, self.rules)
        seen: list[set[tuple[Any, ...]]] = [set() for _ in spec.keys]
        ids = self.ids[name] = set()
        for n, row in enumerate(rows, start=1):
            where = f"{self.source}: table {name}, row {n}" + (
                f" (id {row['id']})" if type(row.get("id")) is int else ""
            )
            _check_row(spec, row, where)
            for key, done in zip(spec.keys, seen, strict=True):
                value = tuple(row.get(c) for c in key)
                if None in value:
                    continue
                if value in done:
                    shown = ", ".join(f"{c} {_shown(x)}" for c, x in zip(key, value, strict=True))
                    raise InvalidInput(f"{where}: another row has the same {shown}; keys must be unique")
                done.add(value)
            for column, parent in spec.references:
                ref = row.get(column)
                if ref is not None and ref not in self.ids.get(parent, ()):
                    raise InvalidInput(f"{where}, field {column}: {parent} has no row with id {ref}")
            if "id" in row:
                ids.add(row["id"])
            yield row


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
            raise InvalidInput(f"{where}, field {column}: {message}", field=column) from None
