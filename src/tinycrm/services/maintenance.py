"""Care of the store itself."""

from __future__ import annotations

from tinycrm.store.database import Database


def reindex(db: Database) -> int:
    """Rebuild the search index of every contact; give how many were indexed."""
    with db.write() as tx:
        return db.search.rebuild(tx)
