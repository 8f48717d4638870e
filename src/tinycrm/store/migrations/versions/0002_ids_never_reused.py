"""ids are never reused

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

SQLite hands out max(id) + 1 for a new row, so once the record with the largest id is deleted its id comes back
for the next one, and the audit log, ``crm history`` and anything that noted the id then mix two records.
``AUTOINCREMENT`` makes SQLite remember the largest id ever given (in ``sqlite_sequence``) and never go below.

SQLite cannot add ``AUTOINCREMENT`` to a table in place, so every table with an integer ``id`` is rebuilt the
way SQLite documents (https://www.sqlite.org/lang_altertable.html#otheralter): a new table made from the stored
definition with the id column changed, every row copied with its id, the old table dropped, the new one renamed,
its indexes created again. Foreign keys are off for the rebuild (:func:`tinycrm.store.migrate.upgrade` does that
before the transaction starts and checks ``PRAGMA foreign_key_check`` before it commits), so dropping a table
deletes nothing else. The search index (``contact_search``, keyed by contact id) needs nothing: ids are kept.

Each id counter then starts past the largest id known to have been used: the largest id in the table, or in the
audit log for the records it names (a contact deleted while it had the largest id is still in the audit log).

Everything runs in the one transaction of the upgrade: stopped halfway, the database is as it was.

PostgreSQL hands ids out from sequences, which never go back: nothing to do there.
"""

import re

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: the tables with an integer ``id`` at this revision, parents before children, and the ``record_type`` the audit
#: log gives their records
TABLES = {
    "audit_log": None,
    "pipelines": "pipeline",
    "tags": None,
    "users": "user",
    "companies": "company",
    "stages": "stage",
    "contacts": "contact",
    "deals": "deal",
    "contact_addresses": None,
    "contact_emails": None,
    "contact_extras": None,
    "contact_phones": None,
    "deal_stage_history": None,
    "interactions": "interaction",
    "tasks": "task",
}

_ID_COLUMN = re.compile(r'(\(\s*"?id"?\s+INTEGER\s+NOT\s+NULL)(\s*,)', re.IGNORECASE)
_PK_CONSTRAINT = re.compile(r',\s*(CONSTRAINT\s+"?\w+"?\s+)?PRIMARY\s+KEY\s*\(\s*"?id"?\s*\)', re.IGNORECASE)


def autoincrement_sql(table: str, sql: str, new_name: str) -> str:
    """The stored ``CREATE TABLE`` of ``table`` under ``new_name``, its id ``PRIMARY KEY AUTOINCREMENT``."""
    head = re.match(rf'\s*CREATE\s+TABLE\s+"?{table}"?\s*\(', sql, re.IGNORECASE)
    out, ids = _ID_COLUMN.subn(r"\1 PRIMARY KEY AUTOINCREMENT\2", sql, count=1)
    out, pks = _PK_CONSTRAINT.subn("", out, count=1)
    if head is None or ids != 1 or pks != 1:
        raise RuntimeError(f"unexpected definition of table {table}, not changed: {sql}")
    return f'CREATE TABLE "{new_name}" (' + out[head.end() :]


def rebuild(bind, table: str) -> None:  # noqa: ANN001 - a SQLAlchemy connection
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    if re.search(r"\bAUTOINCREMENT\b", sql, re.IGNORECASE):
        return
    indexes = (
        bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
            (table,),
        )
        .scalars()
        .all()
    )
    columns = ", ".join(
        f'"{row[1]}"' for row in bind.exec_driver_sql(f'PRAGMA table_info("{table}")').fetchall()
    )
    stats = _planner_statistics(bind, table)
    new = f"{table}__0002"
    bind.exec_driver_sql(autoincrement_sql(table, sql, new))
    bind.exec_driver_sql(f'INSERT INTO "{new}" ({columns}) SELECT {columns} FROM "{table}" ORDER BY id')
    bind.exec_driver_sql(f'DROP TABLE "{table}"')
    bind.exec_driver_sql(f'ALTER TABLE "{new}" RENAME TO "{table}"')  # its UNIQUE indexes get the old names
    for index in indexes:
        bind.exec_driver_sql(index)
    _restore_planner_statistics(bind, table, stats)


def _planner_statistics(bind, table: str) -> dict[str, list[tuple]]:  # noqa: ANN001
    """What ANALYZE stored about ``table`` (dropping the table drops it; without it, plans can be 10x slower)."""
    present = bind.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('sqlite_stat1', 'sqlite_stat4')"
    ).scalars()
    return {
        stat: [tuple(r) for r in bind.exec_driver_sql(f"SELECT * FROM {stat} WHERE tbl = ?", (table,))]
        for stat in present
    }


def _restore_planner_statistics(bind, table: str, stats: dict[str, list[tuple]]) -> None:  # noqa: ANN001
    indexes = set(
        bind.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,)
        ).scalars()
    )
    for stat, rows in stats.items():
        for row in rows:
            if row[1] is None or row[1] in indexes:
                marks = ", ".join("?" * len(row))
                bind.exec_driver_sql(f"INSERT INTO {stat} VALUES ({marks})", row)


def prime(bind, table: str, record_type: str | None) -> None:  # noqa: ANN001
    """Start the id counter of ``table`` past the largest id known to have been used."""
    used = bind.exec_driver_sql(f'SELECT max(id) FROM "{table}"').scalar() or 0
    if record_type is not None:
        logged = bind.exec_driver_sql(
            "SELECT max(record_id) FROM audit_log WHERE record_type = ?", (record_type,)
        ).scalar()
        used = max(used, logged or 0)
    # the copy set the counter to the largest id copied; never lower it
    bind.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = ? AND seq < ?", (table, used))
    if not bind.exec_driver_sql("SELECT 1 FROM sqlite_sequence WHERE name = ?", (table,)).scalar():
        bind.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, used))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError(
            "this migration rebuilds tables: run it with foreign keys off (tinycrm.store.migrate)"
        )
    for table, record_type in TABLES.items():
        rebuild(bind, table)
        prime(bind, table, record_type)


def downgrade() -> None:
    # AUTOINCREMENT does no harm to a database at 0001: leave the tables as they are
    pass
