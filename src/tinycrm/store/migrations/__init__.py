"""Alembic migrations. ``HEAD`` is the newest revision, read on every open to skip Alembic when the schema is
current (a test checks it against the scripts)."""

HEAD = "0001"
