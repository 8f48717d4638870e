"""What the root command's options set for every command: the database URL, opened on first use."""

from __future__ import annotations

from typing import Any

_url: str | None = None
_db: Any = None


def set_url(url: str | None) -> None:
    global _url, _db
    _url, _db = url, None


def db() -> Any:
    """The opened database (created or upgraded on first use)."""
    global _db
    if _db is None:
        from tinycrm.store.database import open_db

        _db = open_db(_url)
    return _db


def url() -> str | None:
    return _url
