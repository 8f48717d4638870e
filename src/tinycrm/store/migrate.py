"""Creating and upgrading the schema.

Opening a database reads one row (``alembic_version``) and compares it with :data:`migrations.HEAD`: when they
match, Alembic is never imported. Otherwise the upgrade runs under a lock (SQLite: ``BEGIN IMMEDIATE``;
PostgreSQL: an advisory lock) so that several processes opening a new database at once create it once.
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


def sa_engine(db: Database) -> Any:
    """A SQLAlchemy engine on the same store, with the same connection set-up as :class:`Database`."""
    import sqlalchemy as sa
    from sqlalchemy import event
    from sqlalchemy.pool import NullPool

    if db.is_sqlite:
        from tinycrm.store.database import connect_sqlite

        engine = sa.create_engine("sqlite://", creator=lambda: connect_sqlite(db.path), poolclass=NullPool)

        @event.listens_for(engine, "connect")
        def _autocommit(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    from tinycrm.store.database import pg_conninfo

    url = "postgresql+psycopg://" + pg_conninfo(db.url).split("://", 1)[1]
    return sa.create_engine(url, poolclass=NullPool)


def upgrade(db: Database, revision: str = "head") -> None:
    from alembic import command

    engine = sa_engine(db)
    try:
        with engine.begin() as conn:
            if not db.is_sqlite:
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK_KEY})")
            # another process may have upgraded while we waited for the lock
            from alembic.runtime.migration import MigrationContext

            if MigrationContext.configure(conn).get_current_revision() == HEAD and revision == "head":
                return
            command.upgrade(_config(conn), revision)
    finally:
        engine.dispose()


def status(db: Database) -> dict[str, Any]:
    rev = current_revision(db)
    return {"current": rev, "head": HEAD, "up_to_date": rev == HEAD, "known": known_revisions()}


def stamp_and_upgrade_from(db: Database, first: str) -> None:
    """Upgrade to ``first`` then to head, one revision at a time (used by tests of the migrations)."""
    upgrade(db, first)
    upgrade(db, "head")
