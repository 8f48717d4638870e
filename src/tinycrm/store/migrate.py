"""Creating and upgrading the schema.

Opening a database reads one row (``alembic_version``) and compares it with :data:`migrations.HEAD`: when they
match, Alembic is never imported. Otherwise the upgrade runs under a lock (SQLite: ``BEGIN IMMEDIATE``;
PostgreSQL: an advisory lock) so that several processes opening a new database at once create it once.

Every pending migration runs in that one transaction: an upgrade stopped halfway (a crash, Ctrl-C, a full disk)
leaves the database as it was, and the next open tries again.

On SQLite the upgrade runs with foreign keys off, because changing a table there means rebuilding it, and
dropping the old copy with foreign keys on would delete (``ON DELETE CASCADE``) or unlink (``SET NULL``) the rows
that refer to it. So a migration cannot rely on ``ON DELETE`` actions; before the commit
``PRAGMA foreign_key_check`` must find no broken reference that was not there before, or nothing is stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tinycrm.domain.errors import StoreError
from tinycrm.store.migrations import HEAD

if TYPE_CHECKING:
    from tinycrm.store.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"
PG_LOCK_KEY = 7_243_001


def current_revision(db: Database) -> str | None:
    conn = db.connection()
    try:
        if db.is_sqlite:
            row = conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()
            if row is None:
                return None
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        else:
            row = conn.execute("SELECT to_regclass('alembic_version') AS t").fetchone()
            if row[0] is None:
                return None
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except Exception as exc:  # noqa: BLE001
        raise db.dialect.translate_error(exc) from exc
    if row is None:
        return None
    return row[0]


def known_revisions() -> list[str]:
    return sorted(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*.py"))


def ensure_current(db: Database) -> None:
    rev = current_revision(db)
    if rev == HEAD:
        return
    if rev is not None and rev not in known_revisions():
        raise StoreError(
            f"the database schema ({rev}) is newer than this tinycrm knows ({HEAD}); upgrade tinycrm"
        )
    upgrade(db)


def _config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def sa_engine(db: Database, *, foreign_keys: bool = True) -> Any:
    """A SQLAlchemy engine on the same store, with the same connection set-up as :class:`Database` (on SQLite,
    ``foreign_keys=False`` turns their enforcement off, for migrations)."""
    import sqlalchemy as sa
    from sqlalchemy import event
    from sqlalchemy.pool import NullPool

    if db.is_sqlite:
        from tinycrm.store.database import connect_sqlite

        engine = sa.create_engine("sqlite://", creator=lambda: connect_sqlite(db.path), poolclass=NullPool)

        @event.listens_for(engine, "connect")
        def _autocommit(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None
            if not foreign_keys:
                # outside any transaction: inside one SQLite ignores this pragma
                dbapi_conn.execute("PRAGMA foreign_keys = OFF")

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    from tinycrm.store.database import pg_conninfo

    url = "postgresql+psycopg://" + pg_conninfo(db.url).split("://", 1)[1]
    return sa.create_engine(url, poolclass=NullPool)


def upgrade(db: Database, revision: str = "head") -> None:
    """Run the pending migrations up to ``revision`` in one transaction (see the module's doc)."""
    from alembic import command

    engine = sa_engine(db, foreign_keys=False)
    try:
        with engine.begin() as conn:
            if not db.is_sqlite:
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK_KEY})")
            # another process may have upgraded while we waited for the lock
            from alembic.runtime.migration import MigrationContext

            if MigrationContext.configure(conn).get_current_revision() == HEAD and revision == "head":
                return
            broken_before = _broken_references(conn) if db.is_sqlite else set()
            command.upgrade(_config(conn), revision)
            if db.is_sqlite:
                broken = _broken_references(conn) - broken_before
                if broken:
                    table, rowid, parent, _ = sorted(broken)[0]
                    raise StoreError(
                        f"the schema upgrade would leave {len(broken)} broken references (the first: row "
                        f"{rowid} of {table} -> {parent}); nothing was changed: report this as a bug"
                    )
    finally:
        engine.dispose()


def _broken_references(conn: Any) -> set[tuple[Any, ...]]:
    """SQLite's ``PRAGMA foreign_key_check``: each row that refers to a row that is not there."""
    return {tuple(row) for row in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()}


def status(db: Database) -> dict[str, Any]:
    from tinycrm.domain.errors import NoDatabase

    try:
        rev = current_revision(db)
    except NoDatabase:  # a database not created yet has no schema
        rev = None
    return {"current": rev, "head": HEAD, "up_to_date": rev == HEAD, "known": known_revisions()}


def stamp_and_upgrade_from(db: Database, first: str) -> None:
    """Upgrade to ``first`` then to head, one revision at a time (used by tests of the migrations)."""
    upgrade(db, first)
    upgrade(db, "head")
