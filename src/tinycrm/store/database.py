"""The store: one database behind a thin DB-API layer.

Why not SQLAlchemy sessions at run time? Importing SQLAlchemy costs ~20x an empty interpreter, more than the
whole budget of ``crm search``. So every query is SQL text written once, in the service that owns it, and run
through :class:`Database` on the standard library's ``sqlite3`` or on ``psycopg``. The SQL sticks to what both
SQLite and PostgreSQL understand; the few things that differ (full-text search, a handful of functions) live
in :mod:`tinycrm.store.dialects`. The schema itself is declared once, as SQLModel tables in :mod:`tinycrm.store.schema`,
and Alembic migrations built from it create and upgrade every database.

Parameters are written ``:name`` everywhere; for psycopg they are rewritten to ``%(name)s`` once per statement.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tinycrm.domain.errors import InvalidInput, NoDatabase, StoreError, StoreUnavailable
from tinycrm.store.dialects import Dialect, PostgresDialect, SqliteDialect
from tinycrm.store.sql import placeholders

BUSY_TIMEOUT_S = 60.0

Row = Mapping[str, Any]


# --- values ---------------------------------------------------------------------------------------------


def _adapt_datetime(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(sep=" ", timespec="microseconds")


sqlite3.register_adapter(datetime, _adapt_datetime)
sqlite3.register_adapter(date, lambda d: d.isoformat())


def as_datetime(value: Any) -> datetime | None:
    """A stored timestamp (text from SQLite, a datetime from PostgreSQL) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


def value_error(exc: Exception) -> Exception | None:
    """A parameter no store can take (text that is not UTF-8, a number beyond 64 bits) as bad input."""
    from tinycrm.domain.errors import InvalidInput

    if isinstance(exc, UnicodeEncodeError):
        return InvalidInput("a value contains bytes that are not UTF-8 text; re-encode it as UTF-8")
    if isinstance(exc, OverflowError):
        return InvalidInput("a number is too large")
    return None


# --- transactions ---------------------------------------------------------------------------------------


class Tx:
    """One transaction (or one consistent read) on one connection."""

    def __init__(self, db: Database, cursor: Any) -> None:
        self.db = db
        self._cur = cursor

    def _run(self, sql: str, params: Mapping[str, Any] | None) -> Any:
        try:
            self._cur.execute(self.db.dialect.sql(sql), params or {})
        except Exception as exc:  # noqa: BLE001 - mapped to user-facing errors, others re-raised
            raise value_error(exc) or self.db.dialect.translate_error(exc) from exc
        return self._cur

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        return self._run(sql, params).fetchall()

    def one(self, sql: str, params: Mapping[str, Any] | None = None) -> Row | None:
        return self._run(sql, params).fetchone()

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        row = self._run(sql, params).fetchone()
        return None if row is None else row[0]

    def column(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        return [r[0] for r in self._run(sql, params).fetchall()]

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        return self._run(sql, params).rowcount

    def insert(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run an ``INSERT ... RETURNING id`` and give the new id."""
        value = self.scalar(sql, params)
        assert value is not None, "insert() needs INSERT ... RETURNING id"
        return int(value)

    def executemany(self, sql: str, rows: Iterable[Mapping[str, Any]]) -> None:
        rows = list(rows)
        if not rows:
            return
        try:
            self._cur.executemany(self.db.dialect.sql(sql), rows)
        except Exception as exc:  # noqa: BLE001
            raise value_error(exc) or self.db.dialect.translate_error(exc) from exc

    # Locks for read-modify-write on PostgreSQL, where writers run side by side (READ COMMITTED). On SQLite a
    # write transaction already holds the whole file (BEGIN IMMEDIATE), so both are no-ops there.
    def lock_rows(self, table: str, ids: Iterable[int]) -> None:
        """Hold these records against other writers until this transaction ends. Take it *before* reading what
        the change is based on (the version, the current tags...). Ids are locked in order: no deadlocks."""
        if self.db.is_sqlite:
            return
        wanted = sorted(set(ids))
        if wanted:
            marks, params = placeholders("lk", wanted)
            self.execute(
                f"SELECT id FROM {table} WHERE id IN ({marks}) ORDER BY id FOR NO KEY UPDATE", params
            )

    def lock(self, name: str) -> None:
        """Hold a named lock until this transaction ends, e.g. ``company:acme`` around find-or-create, so two
        people adding the same new company at once get one company, not two."""
        if not self.db.is_sqlite:
            self.execute("SELECT pg_advisory_xact_lock(7243002, hashtext(:lock_name))", {"lock_name": name})


# --- the database ---------------------------------------------------------------------------------------


class Database:
    """A database URL, its dialect, its search index, and one connection per thread.

    ``create=False``: a SQLite file that does not exist is :class:`NoDatabase`, and neither it nor its folder is
    created (a command that only reads never leaves an empty database behind a typo in ``--db``). A PostgreSQL
    database is made on the server, never by tinycrm, so the flag changes nothing there.
    """

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        self.create = create
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        if url.startswith("sqlite"):
            self.dialect: Dialect = SqliteDialect()
            self.path = sqlite_path(url)
        elif url.startswith(("postgresql", "postgres")):
            self.dialect = PostgresDialect()
            self.path = None
        else:
            raise StoreError(
                f"unsupported database URL {redact(url)!r}: use sqlite:///PATH or postgresql+psycopg://..."
            )
        from tinycrm.store.search import index_for

        self.search = index_for(self.dialect.name)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect.name == "sqlite"

    # connections
    def connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is not None and getattr(conn, "closed", False):
            # a PostgreSQL server restarted or dropped an idle connection: a long-running face (the TUI)
            # reconnects instead of failing until it is restarted
            conn = None
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _connect(self) -> Any:
        if self.is_sqlite:
            return connect_sqlite(self.path, create=self.create)
        return connect_postgres(self.url)

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                try:
                    conn.close()
                except Exception:  # noqa: BLE001 - closing is best effort
                    pass
            self._all.clear()
        self._local = threading.local()

    # transactions
    def in_transaction(self) -> bool:
        """This thread is inside a read or a write of this database (a write begun now would be nested in it:
        refused by SQLite, and on PostgreSQL undone with the read that holds it)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(conn, "closed", False):
            return False
        if self.is_sqlite:
            return bool(conn.in_transaction)
        from psycopg import pq

        return bool(conn.info.transaction_status != pq.TransactionStatus.IDLE)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """One write transaction: all of it is stored, or none of it."""
        conn = self.connection()
        if self.is_sqlite:
            cur = conn.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise self.dialect.translate_error(exc) from exc
            try:
                yield Tx(self, cur)
            except BaseException:
                conn.rollback()
                raise
            else:
                conn.commit()
            finally:
                cur.close()
        else:
            # READ COMMITTED: each statement sees what others committed before it; records are guarded by
            # Tx.lock_rows() and ``UPDATE ... WHERE version = :v`` (see services.common.update_versioned)
            conn, tx = self._pg_begin("READ_COMMITTED")
            cur = conn.cursor()
            try:
                yield Tx(self, cur)
            except BaseException as exc:
                tx.__exit__(type(exc), exc, exc.__traceback__)
                raise
            else:
                try:
                    tx.__exit__(None, None, None)
                except Exception as exc:  # noqa: BLE001
                    raise self.dialect.translate_error(exc) from exc
            finally:
                cur.close()

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A consistent read: every query inside sees the same snapshot."""
        conn = self.connection()
        reading: Any = getattr(self._local, "reading", None)
        if self.is_sqlite and conn.in_transaction:
            # a read inside a write of this thread: it is part of the write (and sees what it changed)
            cur = conn.cursor()
            try:
                yield Tx(self, cur)
            finally:
                cur.close()
        elif self.is_sqlite:
            cur = conn.cursor()
            cur.execute("BEGIN")
            try:
                yield Tx(self, cur)
            finally:
                conn.rollback()
                cur.close()
        elif reading is not None and reading is conn:
            # a read inside a read of this thread (a page made of several services' reads): the same snapshot,
            # without a savepoint's two round trips (nothing is written, so there is nothing to undo)
            cur = conn.cursor()
            try:
                yield Tx(self, cur)
            finally:
                cur.close()
        else:
            # REPEATABLE READ: one snapshot for the whole read (a count and its page agree), as on SQLite
            import psycopg

            conn, tx = self._pg_begin("REPEATABLE_READ", force_rollback=True)
            outer = getattr(self._local, "reading", None)
            self._local.reading = conn if outer is None and not getattr(tx, "savepoint_name", None) else outer
            cur = conn.cursor()
            try:
                yield Tx(self, cur)
            except BaseException as exc:
                tx.__exit__(type(exc), exc, exc.__traceback__)
                raise
            else:
                try:
                    tx.__exit__(None, None, None)
                except psycopg.Error as exc:
                    raise self.dialect.translate_error(exc) from exc
            finally:
                self._local.reading = outer
                cur.close()

    def _pg_begin(self, level: str, **options: Any) -> tuple[Any, Any]:
        """Open a PostgreSQL transaction (a savepoint inside one already open). A connection the server
        dropped while it sat idle (restart, idle timeout) is replaced once: nothing had been sent on it yet."""
        import psycopg
        from psycopg import pq

        for attempt in (1, 2):
            conn = self.connection()
            idle = conn.info.transaction_status == pq.TransactionStatus.IDLE
            try:
                _pg_isolation(conn, level)
                tx = conn.transaction(**options)
                tx.__enter__()
                return conn, tx
            except psycopg.Error as exc:
                if attempt == 1 and idle and conn.closed:
                    continue
                raise self.dialect.translate_error(exc) from exc
        raise AssertionError("unreachable")


def _pg_isolation(conn: Any, level: str) -> None:
    """Set the isolation level of the next transaction (not of one already open: a read nested in a write
    runs as a savepoint of the write)."""
    from psycopg import IsolationLevel, pq

    wanted = IsolationLevel[level]
    if conn.isolation_level != wanted and conn.info.transaction_status == pq.TransactionStatus.IDLE:
        conn.isolation_level = wanted


def sqlite_path(url: str) -> Path:
    """The file a ``sqlite:///PATH`` URL names, exactly (``%XX`` escapes decoded: see
    :func:`tinycrm.paths.sqlite_url`, which builds such URLs)."""
    from tinycrm.paths import sqlite_url_path

    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == prefix:
        raise StoreError(f"a SQLite URL names a file: sqlite:///PATH (got {url!r})")
    return sqlite_url_path(url)


def redact(url: str) -> str:
    """The URL without its password (``user:PASSWORD@`` or ``?password=``), for messages."""
    return re.sub(r"(?i)([?&]password=)[^&#]*", r"\1***", re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", url))


def create_private_file(path: Path) -> None:
    """Create ``path`` with mode 0600 (and its folder with 0700) unless it exists."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


#: the database files this process has checked (or opened) already: a pool's later connections skip the probe
_CHECKED: set[str] = set()


def check_sqlite_file(path: Path) -> None:
    """Refuse a path that holds something other than a SQLite database (a device such as ``/dev/null``, a
    folder, a text file): :class:`InvalidInput` naming it, before SQLite gives an I/O error or, worse, writes.

    The file is read through SQLite (read-only), never opened and closed by hand: closing any descriptor of a
    file drops every POSIX lock the process holds on it, so a process with other connections open (a server's
    pool) would let another process delete the write-ahead log under them, and their later writes were lost."""
    try:
        if not path.exists():
            return
        key = str(path.resolve())
        if key in _CHECKED:
            return
        if not path.is_file():
            raise InvalidInput(f"{path} is not a regular file; --db must name a SQLite database file")
        if path.stat().st_size == 0:
            return
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    probe = None
    try:
        probe = sqlite3.connect(path.absolute().as_uri() + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
        probe.execute("PRAGMA schema_version")
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc) or "malformed" in str(exc):
            raise InvalidInput(
                f"{path} is not a SQLite database; --db must name a tinycrm database file"
            ) from None
    finally:
        if probe is not None:
            probe.close()


def connect_sqlite(path: Path, *, create: bool = True) -> sqlite3.Connection:
    """A connection with the pragmas every tinycrm connection needs; with ``create=False``, only to a file that
    exists (else :class:`NoDatabase`, and nothing is created)."""
    check_sqlite_file(path)
    try:
        if create:
            create_private_file(path)
            target: str | Path = path
        elif not path.exists():
            raise NoDatabase(
                f"no database at {path}: start one with crm add-contact NAME (or try tinycrm on a demo "
                "database: crm demo)",
                path=str(path),
            )
        else:
            target = path.absolute().as_uri() + "?mode=rw"  # never created, even if it vanishes meanwhile
        conn = sqlite3.connect(
            target, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False, uri=not create
        )
    except (OSError, sqlite3.OperationalError) as exc:
        raise StoreUnavailable(f"cannot open the database {path}: {exc}") from None
    conn.row_factory = sqlite3.Row
    _CHECKED.add(str(path.resolve()))  # open now: never read it again behind SQLite's back
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise SqliteDialect().translate_error(exc) from None
    return conn


def pg_conninfo(url: str) -> str:
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)


class PgRow(tuple):
    """A PostgreSQL row that, like ``sqlite3.Row``, answers both ``row[0]`` and ``row["name"]``."""

    __slots__ = ()
    _index: dict[str, int] = {}

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _pg_row_factory(cursor: Any) -> Any:
    desc = cursor.description
    if desc is None:
        return tuple
    index = {d.name: i for i, d in enumerate(desc)}
    cls = type("Row", (PgRow,), {"__slots__": (), "_index": index})
    return cls


def connect_postgres(url: str) -> Any:
    import psycopg

    try:
        info = psycopg.conninfo.conninfo_to_dict(pg_conninfo(url))
        # sent with the connection request (no extra round trip): times in UTC; and the planner told that
        # index look-ups are cheap, as they are for a CRM's few, hot gigabytes at most (without it, a search's
        # count(*) scans every contact). PGOPTIONS and options in the URL come after these, so they win.
        extra = f"{os.environ.get('PGOPTIONS', '')} {info.get('options', '')}"
        info["options"] = f"-c TimeZone=UTC -c random_page_cost=1.1 {extra}".strip()
        info.setdefault("connect_timeout", 10)
        info.setdefault("application_name", "tinycrm")
        try:
            conn = psycopg.connect(**info, autocommit=True, row_factory=_pg_row_factory)
        except psycopg.OperationalError as exc:
            if "startup parameter" not in str(exc):
                raise
            # a connection pooler (pgbouncer) that takes no options: set what matters afterwards
            info["options"] = extra.strip()
            if not info["options"]:
                del info["options"]
            conn = psycopg.connect(**info, autocommit=True, row_factory=_pg_row_factory)
            conn.execute("SET TIME ZONE 'UTC'")
    except psycopg.OperationalError as exc:
        raise connect_failure(url, exc) from None
    except psycopg.ProgrammingError as exc:  # a malformed URL (unknown option...)
        raise StoreError(f"the database URL {redact(url)} is not valid: {str(exc).strip()}") from None
    return conn


def connect_failure(url: str, exc: Exception) -> Exception:
    """A one-line message, with what to do, for a PostgreSQL server that cannot be reached or refuses us.

    Only a server that is down, unreachable or busy is "try again later" (:class:`StoreUnavailable`, exit 75):
    retrying cannot fix a wrong password, an unknown user or database, or missing rights (exit 1), nor a bad
    option in the URL (exit 2). The message never shows the password."""
    from tinycrm.domain.errors import InvalidInput

    text = str(exc).strip()
    fatal = re.search(r"FATAL:\s+([^\n]*)", text)
    if fatal:
        reason = fatal.group(1).strip()
    else:
        first = text.splitlines()[0] if text else "connection failed"
        prefix = r'^connection failed: (connection to server at "[^"]*", port \d+ failed: )?'
        reason = re.sub(prefix, "", first)
    reason = re.sub(r"^connection is bad:\s*", "", reason)
    # the URL and the reason without the password: user:PASSWORD@ (up to the last @), ?password=, and the
    # password itself wherever the server or libpq repeated it
    shown = re.sub(r"^([a-z][\w+.-]*://[^:/@?#]*:).*@", r"\1***@", url, flags=re.I)
    shown = re.sub(r"(?i)([?&]password=)[^&]*", r"\1***", shown)
    secrets = re.findall(r"^[a-z][\w+.-]*://[^:/@?#]*:(.*)@", url, flags=re.I)
    secrets += re.findall(r"(?i)[?&]password=([^&]*)", url)
    for secret in {s for s in secrets if len(s) >= 3}:
        reason = reason.replace(secret, "***")
    low = reason.lower()
    if "invalid" in low and ("option" in low or "value" in low):
        return InvalidInput(f"the database URL {shown} is not valid: {reason}")
    if "password" in low or "authentication failed" in low:
        hint = "check the user name and password in the database URL (or PGPASSWORD, ~/.pgpass)"
    elif "does not exist" in low and low.startswith("database"):
        hint = "create it (createdb NAME) or fix the database name in the URL"
    elif "does not exist" in low and low.startswith("role"):
        hint = "check the user name in the URL, or ask a tinycrm admin: crm team add-member NAME"
    elif "permission denied for database" in low:
        hint = "ask a tinycrm admin to add you: crm team add-member NAME"
    elif "pg_hba.conf" in low:
        hint = "the server does not accept this user from this host; ask its administrator (pg_hba.conf)"
    else:
        hint = "is the PostgreSQL server running and reachable from here? try again later"
        return StoreUnavailable(f"cannot connect to the database {shown}: {reason}; {hint}")
    return StoreError(f"cannot connect to the database {shown}: {reason}; {hint}")


# --- opening --------------------------------------------------------------------------------------------


def resolve_url(url: str | None = None) -> str:
    """The database URL: an explicit one, else ``TINYCRM_DB`` / the config file, else the default file.

    A URL tinycrm cannot open (another scheme, no file, a malformed PostgreSQL URL) is bad input: raise
    :class:`InvalidInput` (exit 2) naming it without its password."""
    origin = ""
    if not url:
        from tinycrm import config, paths

        configured = config.get(config.Core).db
        if not configured:
            return paths.sqlite_url(paths.default_db_path())
        url, origin = configured, " (the db setting of the config file)"
    from tinycrm.domain.errors import InvalidInput

    shown = re.sub(r"^([a-z][\w+.-]*://[^:/@?#]*:).*@", r"\1***@", url, flags=re.I)
    shown = re.sub(r"(?i)([?&]password=)[^&]*", r"\1***", shown)
    if url.startswith("sqlite"):
        if not url.startswith("sqlite:///") or not url[len("sqlite:///") :].split("?", 1)[0]:
            raise InvalidInput(
                f"the database URL {shown}{origin} names no file: write sqlite:///PATH "
                "(sqlite:////abs/path.sqlite3 for an absolute path)"
            )
        return url
    if not re.match(r"^postgres(ql)?(\+\w+)?://", url):
        raise InvalidInput(
            f"the database URL {shown}{origin} is not one tinycrm opens: use sqlite:///PATH or "
            "postgresql+psycopg://USER[:PASSWORD]@HOST[:PORT]/DB"
        )
    import psycopg

    try:
        info = psycopg.conninfo.conninfo_to_dict(pg_conninfo(url))
    except psycopg.ProgrammingError as exc:
        reason = str(exc).strip().splitlines()[0].split(" in URI:")[0]
        raise InvalidInput(f"the database URL {shown}{origin} is not valid: {reason}") from None
    if "@" in str(info.get("host", "")) or "@" in str(info.get("dbname", "")):
        raise InvalidInput(
            f"the database URL {shown}{origin} has an @ in its user name or password: write it as %40"
        )
    return url


def open_db(url: str | None = None, *, migrate: bool = True, create: bool = True) -> Database:
    """Open the database, creating or upgrading its schema first when needed. ``create=False`` (commands that
    only read): a SQLite file that does not exist is :class:`NoDatabase`, and nothing is created."""
    db = Database(resolve_url(url), create=create)
    if migrate:
        from tinycrm.store import migrate as migrations

        migrations.ensure_current(db)
    return db
