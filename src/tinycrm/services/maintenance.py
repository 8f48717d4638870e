"""Care of the store itself."""

from __future__ import annotations

from tinycrm.services.people.contact_loader import reindex_all
from tinycrm.store.database import Database


def reindex(db: Database) -> int:
    """Rebuild the search index of every contact; give how many were indexed."""
    with db.write() as tx:
        return reindex_all(tx)
