"""the SQLite search index keeps the first one and two letters of every word

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05

Search as you type asks for every word that begins with what was typed; for one or two letters FTS5 read and
merged the lists of every word so beginning (``a``: the tens of thousands of words of a million contacts), the
slowest key of a search. With ``prefix='1 2'`` it reads one list. The index is built again with the option (its
rows copied as they are) under the same name. PostgreSQL's index is untouched.
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

FIELDS = "name, email, phone, company, notes, tags"


def _rebuild(options: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # what ANALYZE knew of the index's own tables goes with them when they are dropped: kept and put back
    analyzed = bind.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
    ).first()
    stats = (
        bind.exec_driver_sql(
            "SELECT tbl, idx, stat FROM sqlite_stat1 WHERE tbl LIKE 'contact\\_search%' ESCAPE '\\'"
        ).all()
        if analyzed
        else []
    )
    op.execute(
        f"CREATE VIRTUAL TABLE contact_search_new USING fts5({FIELDS}, "
        f"tokenize = 'unicode61 remove_diacritics 2'{options})"
    )
    op.execute(f"INSERT INTO contact_search_new (rowid, {FIELDS}) SELECT rowid, {FIELDS} FROM contact_search")
    op.execute("DROP TABLE contact_search")
    op.execute("ALTER TABLE contact_search_new RENAME TO contact_search")
    if stats:
        bind.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl LIKE 'contact\\_search%' ESCAPE '\\'")
        for tbl, idx, stat in stats:
            bind.exec_driver_sql(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", (tbl, idx, stat)
            )


def upgrade() -> None:
    _rebuild(", prefix = '1 2'")


def downgrade() -> None:
    _rebuild("")
