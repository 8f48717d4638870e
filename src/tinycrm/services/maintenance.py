"""Care of the store itself."""

from __future__ import annotations

from tinycrm.services.people.contact_loader import reindex_all
from tinycrm.store.database import Database
from tinycrm.store.search import ArticleIndex


def reindex(db: Database) -> int:
    """Rebuild the search indexes (every contact, every knowledge-base article); give how many contacts."""
    with db.write() as tx:
        n = reindex_all(tx)
        ArticleIndex(db.dialect.name).rebuild(tx)
        return n
