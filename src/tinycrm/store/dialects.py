"""What differs between the two stores, behind one small interface.

Services write SQL once, in the subset SQLite and PostgreSQL share, with ``:name`` parameters. A
:class:`Dialect` turns that text into what the driver takes (psycopg wants ``%(name)s``), maps driver errors to
the typed errors of :mod:`tinycrm.domain.errors`, and spells the few functions whose syntax differs
(``month()``, a case-insensitive ``LIKE``, day arithmetic, the start of a week). Full-text search differs
too much for a function or two and has its own interface in :mod:`tinycrm.store.search`.

Importing this module costs nothing beyond the standard library: psycopg is imported only when a PostgreSQL
error is translated.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from tinycrm.domain.errors import StoreError, StoreUnavailable
from tinycrm.store.sql import LIST_OF_NUMBERS, LIST_OF_TEXT, ListParam

# SQLite takes a list parameter as its JSON text, which json_each() reads back
sqlite3.register_adapter(ListParam, lambda values: json.dumps(values, ensure_ascii=False))


class Dialect:
    name = "?"

    def sql(self, text: str) -> str:
        return text

    def translate_error(self, exc: Exception) -> Exception:
        return exc

    # lists of any length as one parameter (see tinycrm.store.sql.placeholders)
    def in_list(self, column: str, param: str) -> str:
        """``column`` is one of the values of parameter ``param`` (give it :meth:`list_param`): one parameter
        whatever the number of values."""
        raise NotImplementedError

    @staticmethod
    def list_param(values: Sequence[Any]) -> ListParam:
        """The parameter of :meth:`in_list`."""
        return ListParam(values)

    # functions whose spelling differs between the stores
    def month(self, column: str) -> str:
        """``YYYY-MM`` of a stored UTC timestamp or date column."""
        raise NotImplementedError

    def like_ci(self, column: str, param: str) -> str:
        """A case-insensitive ``LIKE`` with ``\\`` as the escape character."""
        raise NotImplementedError

    def days_between(self, start: str, end: str) -> str:
        """Days (with a fraction) from timestamp ``start`` to timestamp ``end`` (columns or ``:params``)."""
        raise NotImplementedError


class SqliteDialect(Dialect):
    name = "sqlite"

    def translate_error(self, exc: Exception) -> Exception:
        if isinstance(exc, sqlite3.OperationalError):
            text = str(exc)
            if "locked" in text or "busy" in text:
                return StoreUnavailable("the database is busy (locked by another process); try again")
            if "disk I/O" in text or "unable to open" in text:
                return StoreUnavailable(f"the database cannot be reached: {text}")
        if isinstance(exc, sqlite3.IntegrityError):
            from tinycrm.domain.errors import Conflict

            return Conflict(f"the change clashes with what is stored ({exc}); nothing was changed")
        if isinstance(exc, sqlite3.DatabaseError) and "malformed" in str(exc):
            return StoreError(f"the database file is damaged: {exc}; restore it from a backup")
        return exc

    def in_list(self, column: str, param: str) -> str:
        return f"{column} IN ({LIST_OF_NUMBERS.format(param)})"

    def month(self, column: str) -> str:
        return f"substr({column}, 1, 7)"

    def like_ci(self, column: str, param: str) -> str:
        return f"{column} LIKE :{param} ESCAPE '\\'"

    def days_between(self, start: str, end: str) -> str:
        return f"(julianday({end}) - julianday({start}))"


_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
#: the long IN lists of tinycrm.store.sql.placeholders, spelled for SQLite: numbers, or text
_NUMBERS = re.compile(re.escape(LIST_OF_NUMBERS).replace(r"\{\}", r"(\w+)"))
_TEXT = re.compile(re.escape(LIST_OF_TEXT).replace(r"\{\}", r"(\w+)"))


class PostgresDialect(Dialect):
    name = "postgresql"

    def __init__(self) -> None:
        self._cache: dict[str, str] = {}

    def sql(self, text: str) -> str:
        out = self._cache.get(text)
        if out is None:
            out = text
            if "json_each(" in out:
                out = _NUMBERS.sub(r"SELECT unnest(CAST(:\1 AS bigint[]))", out)
                out = _TEXT.sub(r"SELECT unnest(CAST(:\1 AS text[]))", out)
            out = _PARAM.sub(r"%(\1)s", out.replace("%", "%%"))
            self._cache[text] = out
        return out

    def translate_error(self, exc: Exception) -> Exception:
        import psycopg
        from psycopg import errors as pg

        from tinycrm.domain.errors import Conflict, Refused

        if not isinstance(exc, psycopg.Error):
            return exc
        primary = (exc.diag.message_primary if isinstance(exc, psycopg.DatabaseError) else None) or (
            str(exc).strip().splitlines() or ["no details"]
        )[0]
        if isinstance(exc, pg.InsufficientPrivilege):
            return Refused(
                f"the database refused the change: {primary} (your database login lacks the right; "
                "a tinycrm admin can grant it with: crm team add-member NAME --role member)"
            )
        if isinstance(exc, (pg.DeadlockDetected, pg.SerializationFailure)):
            return StoreUnavailable(
                f"the database cancelled this change because of a simultaneous one ({primary}); "
                "nothing was changed: run the command again"
            )
        if isinstance(exc, (pg.LockNotAvailable, pg.QueryCanceled)):
            return StoreUnavailable(f"the database is busy ({primary}); nothing was changed: try again")
        if isinstance(exc, pg.UniqueViolation):
            return Conflict(
                f"someone stored the same thing at the same moment ({exc.diag.message_detail or primary}); "
                "nothing was changed: reload and try again"
            )
        if isinstance(exc, pg.ForeignKeyViolation):
            return Conflict(
                "a record this change refers to was deleted at the same moment by someone else; "
                "nothing was changed: reload and try again"
            )
        if isinstance(exc, pg.ReadOnlySqlTransaction):
            return Refused(f"the database refused the change: it is read-only ({primary})")
        if isinstance(exc, psycopg.DataError):
            from tinycrm.domain.errors import InvalidInput

            return InvalidInput(f"the database cannot store a value: {primary}; shorten or correct it")
        if isinstance(exc, pg.ProgramLimitExceeded):
            return StoreError(f"the database cannot store this: {primary}")
        if isinstance(exc, psycopg.OperationalError):
            return StoreUnavailable(f"the database cannot be reached: {primary}; try again later")
        return exc

    def in_list(self, column: str, param: str) -> str:
        return f"{column} = ANY(:{param})"

    def month(self, column: str) -> str:
        return f"to_char({column}, 'YYYY-MM')"

    def like_ci(self, column: str, param: str) -> str:
        return f"{column} ILIKE :{param}"

    def days_between(self, start: str, end: str) -> str:
        return f"(EXTRACT(EPOCH FROM (CAST({end} AS timestamptz) - CAST({start} AS timestamptz))) / 86400.0)"
