"""The whole database out and back in: the JSON export, backups and restores.

* ``export_json`` writes every table (users, companies, contacts, interactions, deals, tasks, audit log...)
  through the table walker of :mod:`tinycrm.store.tables`, in one consistent read; ``import_json`` restores
  such a document into an empty database, ids and all, so that the copy is identical.
* ``backup`` on SQLite uses SQLite's online backup API: a consistent copy of the file even while other
  processes write to it. On PostgreSQL it writes the JSON export (for server-side backups use ``pg_dump``).
* ``restore`` takes either kind of backup (a SQLite file or a JSON export) into any store.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from tinycrm.domain.errors import InvalidInput, StoreError
from tinycrm.services.common import audit
from tinycrm.services.interchange.files import (
    Source,
    atomic_file,
    atomic_path,
    clean_stale,
    database_files,
    free_path,
    refuse_database,
    same_file,
)
from tinycrm.services.interchange.jsonrows import json_rows
from tinycrm.services.people.contact_loader import reindex_all
from tinycrm.store import tables
from tinycrm.store.database import Database, Tx
from tinycrm.store.search import ArticleIndex

SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass
class DumpReport:
    target: str
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


@dataclass
class BackupReport:
    path: str
    #: ``sqlite`` (a copy of the database file) or ``json`` (a JSON export, on PostgreSQL)
    kind: str
    size: int


def _head_revision() -> str:
    from tinycrm.store.migrations import HEAD

    return HEAD


def _summary(db: Database) -> str:
    with db.read() as tx:
        counts = {
            t: tx.scalar(f"SELECT count(*) FROM {t}")
            for t in ("contacts", "companies", "interactions", "deals", "tasks")
        }
    return ", ".join(f"{n} {t}" for t, n in counts.items() if n)


# --- JSON -----------------------------------------------------------------------------------------------


def export_json(db: Database, target: str | Path | TextIO, *, force: bool = False) -> DumpReport:
    """Write everything as one JSON document (see :mod:`tinycrm.formats.jsonio`)."""
    from tinycrm import __version__
    from tinycrm.domain.dates import to_iso
    from tinycrm.formats.jsonio import write_dump
    from tinycrm.services.common import now

    def write(out: Any, tx: Tx) -> dict[str, int]:
        walk = ((t, json_rows(tx, t)) for t in tables.table_order())
        return write_dump(
            out,
            walk,
            schema_revision=_head_revision(),
            exported_at=to_iso(now()) or "",
            app_version=__version__,
            ready=True,
        )

    if isinstance(target, (str, Path)):
        refuse_database(db, target, "give another file name for the export")
    with db.read() as tx:
        if isinstance(target, (str, Path)):
            with atomic_file(target, force=force, binary=False, keep=database_files(db)) as fh:
                counts = write(fh, tx)
        else:
            counts = write(target, tx)
            target.flush()
    name = str(target) if isinstance(target, (str, Path)) else "-"
    from tinycrm.services.interchange.exporting import audit_export

    audit_export(db, "json", counts.get("contacts", 0), name)
    return DumpReport(name, counts)


def _replace_all(
    tx: Tx, rows_of: Callable[[str], Iterable[dict[str, Any]]], source: dict[str, Any]
) -> dict[str, int]:
    """Replace every row of every table with ``rows_of(table)`` (ids and all), in batches (each written before
    the next row is asked for: a :class:`~tinycrm.services.interchange.rowcheck.DumpCheck` looks the rows
    before up in the tables); then restart the id sequences, rebuild the search index and audit the import of
    ``source`` (``{"format": ..., ...}``). Gives the rows written per table."""
    from tinycrm.services.interchange.rowcheck import BATCH

    replaced = not tables.is_empty(tx)
    for table in reversed(tables.table_order()):  # children first; the schema stays
        tx.execute(f"DELETE FROM {table}")
    counts: dict[str, int] = {}
    for table in tables.table_order():
        batch: list[dict[str, Any]] = []
        counts[table] = 0
        for row in rows_of(table):
            batch.append(row)
            if len(batch) >= BATCH:
                tables.insert_rows(tx, table, batch)
                counts[table] += len(batch)
                batch = []
        tables.insert_rows(tx, table, batch)
        counts[table] += len(batch)
    tables.reset_sequences(tx)
    reindex_all(tx)
    ArticleIndex(tx.db.dialect.name).rebuild(
        tx
    )  # the knowledge base's index, which exports do not carry either
    from tinycrm.services.people.interactions import refresh_last_interaction

    refresh_last_interaction(tx)  # derived data: an export made before revision 0003 does not carry it
    if source.get("rows") is None:  # read as it was written: counted on the way
        source = {**source, "rows": sum(counts.values())}
    audit(tx, "import", "database", None, {k: (None, val) for k, val in source.items()})
    from tinycrm.services.hooks import outbox

    outbox.restore_completed(tx, str(source["format"]), counts, replaced=replaced)
    return counts


def _refuse_unless_empty(db: Database, replace: bool, what: str) -> None:
    with db.read() as tx:
        empty = tables.is_empty(tx)
    if not empty and not replace:
        # like every "needs --yes": bad usage, exit 2
        raise InvalidInput(f"the database is not empty ({_summary(db)}); {what}")


def import_json(db: Database, file: Source, *, replace: bool = False) -> DumpReport:
    """Restore a JSON export into an empty database (with ``replace``, into any: everything in it goes). The
    file is read as it is written into the database, a row at a time, in one transaction: a problem found on
    the way (a bad row, a table this tinycrm does not know) leaves the database as it was."""
    from tinycrm.formats.jsonio import DumpReader, check_head
    from tinycrm.store.migrations import SAME_DATA_AS_HEAD

    with file.open() as fh:
        reader = DumpReader(fh, source=file.name)
        head = reader.head()
        check_head(head, file.name)
        revision = str(head.get("schema_revision"))
        if revision not in SAME_DATA_AS_HEAD:
            raise InvalidInput(
                f"{file.name} was exported from schema revision {revision}; this tinycrm has "
                f"{_head_revision()}: import it with the tinycrm version that made it, then upgrade"
            )
        _refuse_unless_empty(
            db,
            replace,
            "import a JSON export only into an empty database, e.g. "
            "crm --db sqlite:///new.sqlite3 import json FILE (or crm restore FILE --yes to replace everything)",
        )
        with db.write() as tx:
            rows_of, finish = _tables_in_order(tx, reader, file.name)
            counts = _replace_all(tx, rows_of, {"format": "json", "source": file.name, "rows": None})
            finish()
            if revision < "0017" and counts.get("deals") and not counts.get("deal_value_history"):
                # an export from before the value history: worked out from the audit log, as the upgrade did
                from tinycrm.services.sales.value_history import fill_from_audit

                fill_from_audit(tx)
    return DumpReport(file.name, counts)


def _tables_in_order(
    tx: Tx, reader: Any, source: str
) -> tuple[Callable[[str], Iterable[dict[str, Any]]], Callable[[], None]]:
    """``rows_of(table)`` for :func:`_replace_all`, which asks for the tables parents first and writes them
    into ``tx``: each table's rows checked (:class:`~tinycrm.services.interchange.rowcheck.DumpCheck`, against
    the rows written before them) and ready to insert, streamed from
    the file when it comes in that order (as ``crm export json`` writes it); a table that comes early is
    kept in memory until its turn. ``finish()`` reads the rest of the file (a table this tinycrm does not
    know is an error)."""
    from tinycrm.formats.jsonio import decode_row
    from tinycrm.services.interchange.rowcheck import DumpCheck

    known = tables.table_order()
    check = DumpCheck(tx, source)
    coming = reader.tables()
    early: dict[str, list[dict[str, Any]]] = {}

    def raw(table: str) -> Iterator[dict[str, Any]]:
        if table in early:
            yield from early.pop(table)
            return
        for name, rows in coming:
            if name not in known:
                raise InvalidInput(f"{source} has tables this tinycrm does not know: {name}")
            if name == table:
                yield from rows
                return
            early[name] = list(rows)

    def rows_of(table: str) -> Iterator[dict[str, Any]]:
        binary = tables.binary_columns(table)
        return (decode_row(r, binary) for r in check.rows(table, raw(table)))

    def finish() -> None:
        for name, _ in coming:
            if name not in known:
                raise InvalidInput(f"{source} has tables this tinycrm does not know: {name}")

    return rows_of, finish


# --- backups --------------------------------------------------------------------------------------------


def default_path(db: Database) -> Path:
    """``backups/tinycrm-YYYYMMDD-HHMMSS.sqlite3`` (``.json`` on PostgreSQL) in the data directory."""
    from tinycrm import paths
    from tinycrm.domain import clock

    stamp = clock.local_now().strftime("%Y%m%d-%H%M%S")
    suffix = "sqlite3" if db.is_sqlite else "json"
    paths.private_dir(paths.data_dir())
    folder = paths.private_dir(paths.data_dir() / "backups")
    # what interrupted backups left (each has its own time-stamped name, so none is cleaned by its successor)
    clean_stale(folder, r"tinycrm-\d{8}-\d{6}(?:-\d+)?\.(?:sqlite3|json)", keep=database_files(db))
    return free_path(folder, f"tinycrm-{stamp}", suffix)  # two backups within a second: -2


def backup(db: Database, path: str | Path | None = None, *, force: bool = False) -> BackupReport:
    """A consistent copy of the database at ``path`` (default: :func:`default_path`)."""
    target = Path(path) if path else default_path(db)
    if not db.is_sqlite:
        export_json(db, target, force=force)
        return BackupReport(str(target), "json", target.stat().st_size)
    assert db.path is not None
    refuse_database(db, target, "a backup cannot replace it: give another file name")
    with atomic_path(target, force=force, keep=database_files(db)) as tmp:
        _sqlite_copy(Path(db.path), tmp)
    from tinycrm.services.interchange.exporting import audit_export

    with db.read() as tx:
        people = tx.scalar("SELECT count(*) FROM contacts")
    audit_export(db, "sqlite backup", people, str(target))
    return BackupReport(str(target), "sqlite", target.stat().st_size)


def read_only_uri(path: str | Path) -> str:
    """The SQLite URI that opens ``path`` read-only: the path percent-encoded, so that ``#``, ``?`` or ``%``
    in a name open that very file."""
    return f"{Path(path).absolute().as_uri()}?mode=ro"


def _sqlite_copy(source: Path, dest: Path) -> None:
    """SQLite's online backup: one read transaction on ``source``, so the copy is consistent even while other
    processes write; then checked, and made a single self-contained file (no write-ahead log)."""
    from tinycrm.store.database import BUSY_TIMEOUT_S

    src = sqlite3.connect(read_only_uri(source), uri=True, timeout=BUSY_TIMEOUT_S)
    dst = sqlite3.connect(dest, timeout=BUSY_TIMEOUT_S)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise StoreError(f"the backup copy does not check out ({check}); the database may be damaged")
        dst.commit()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot back up {source}: {exc}") from None
    finally:
        dst.close()
        src.close()


@dataclass
class RestoreReport:
    source: str
    kind: str
    rows: dict[str, int]


def _check_sqlite_backup(path: Path) -> str:
    """The schema revision of a tinycrm SQLite file; :class:`InvalidInput` when it is not one."""
    from tinycrm.store import migrate

    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise InvalidInput(f"{path} is damaged (PRAGMA quick_check fails); choose another backup")
            row = conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone() if row else None
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{path} is not a readable SQLite database: {exc}") from None
    if revision is None:
        raise InvalidInput(f"{path} is a SQLite file but not a tinycrm database")
    if revision[0] not in migrate.known_revisions():
        raise InvalidInput(
            f"{path} has schema revision {revision[0]}, newer than this tinycrm: upgrade tinycrm"
        )
    return revision[0]


def restore(db: Database, path: str | Path, *, yes: bool = False) -> RestoreReport:
    """Replace the database's content with a backup: a SQLite file made by ``crm backup`` or a JSON export.
    Refuses a database that holds data unless ``yes``."""
    from tinycrm.store import migrate

    source = Path(path)
    if not source.is_file():
        raise InvalidInput(f"{path}: no such file")
    with open(source, "rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head != SQLITE_MAGIC:
        report = import_json(db, Source(str(path), path=source), replace=yes)
        return RestoreReport(str(path), "json", report.rows)
    _check_sqlite_backup(source)
    _refuse_unless_empty(db, yes, "add --yes to replace everything in it with the backup")
    with db.read() as tx:
        had_data = not tables.is_empty(tx)
    if db.is_sqlite:
        assert db.path is not None
        if same_file(source, db.path):
            raise InvalidInput(f"{path} is the database itself; restore another backup into it")
        db.close()
        src = sqlite3.connect(read_only_uri(source), uri=True)
        from tinycrm.store.database import connect_sqlite

        dst = connect_sqlite(Path(db.path))
        try:
            src.backup(dst)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot restore into {db.path}: {exc}") from None
        finally:
            dst.close()
            src.close()
        migrate.ensure_current(db)
        with db.write() as tx:
            audit(
                tx,
                "import",
                "database",
                None,
                {"format": (None, "sqlite backup"), "source": (None, str(path))},
            )
            from tinycrm.services.hooks import outbox

            counts = {t: int(tx.scalar(f"SELECT count(*) FROM {t}")) for t in tables.table_order()}
            outbox.restore_completed(tx, "sqlite backup", counts, replaced=had_data)
        return RestoreReport(str(path), "sqlite", counts)
    # a SQLite backup into PostgreSQL: upgrade a scratch copy, then copy the tables over
    from tinycrm.store.database import open_db

    with tempfile.TemporaryDirectory(prefix="tinycrm-restore-") as scratch:
        copy = Path(scratch) / "backup.sqlite3"
        src = sqlite3.connect(read_only_uri(source), uri=True)
        dst = sqlite3.connect(copy)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        os.chmod(copy, 0o600)
        from tinycrm.paths import sqlite_url

        old = open_db(sqlite_url(copy))
        try:
            with old.read() as rtx, db.write() as tx:
                counts = _replace_all(
                    tx,
                    lambda table: tables.rows(rtx, table),
                    {"format": "sqlite backup", "source": str(path)},
                )
        finally:
            old.close()
    return RestoreReport(str(path), "sqlite", counts)
