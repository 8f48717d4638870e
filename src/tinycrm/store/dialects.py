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

import re
import sqlite3

from tinycrm.domain.errors import StoreError, StoreUnavailable


class Dialect:
    name = "?"

    def sql(self, text: str) -> str:
        return text

    def translate_error(self, exc: Exception) -> Exception:
        return exc

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

    def week_start(self, column: str) -> str:
        """The Monday starting the week of a stored UTC timestamp, as ``YYYY-MM-DD`` text."""
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

    def month(self, column: str) -> str:
        return f"substr({column}, 1, 7)"

    def like_ci(self, column: str, param: str) -> str:
        return f"{column} LIKE :{param} ESCAPE '\\'"

    def days_between(self, start: str, end: str) -> str:
        return f"(julianday({end}) - julianday({start}))"

    def week_start(self, column: str) -> str:
        return f"date({column}, 'weekday 0', '-6 days')"


_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class PostgresDialect(Dialect):
    name = "postgresql"

    def __init__(self) -> None:
        self._cache: dict[str, str] = {}

    def sql(self, text: str) -> str:
        out = self._cache.get(text)
        if out is None:
            out = _PARAM.sub(r"%(\1)s", text.replace("%", "%%"))
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

    def month(self, column: str) -> str:
        return f"to_char({column}, 'YYYY-MM')"

    def like_ci(self, column: str, param: str) -> str:
        return f"{column} ILIKE :{param}"

    def days_between(self, start: str, end: str) -> str:
        return f"(EXTRACT(EPOCH FROM (CAST({end} AS timestamptz) - CAST({start} AS timestamptz))) / 86400.0)"

    def week_start(self, column: str) -> str:
        return f"to_char(date_trunc('week', {column}), 'YYYY-MM-DD')"
