"""Alembic migrations. ``HEAD`` is the newest revision, read on every open to skip Alembic when the schema is
current (a test checks it against the scripts)."""

HEAD = "0002"

#: the revisions whose tables and columns are those of ``HEAD``: a JSON export made at any of them imports as it
#: is (0002 changed only how SQLite hands out ids). A migration that changes a table or a column starts it anew.
SAME_DATA_AS_HEAD = frozenset({"0001", "0002"})
