"""The short status ``crm`` prints with no arguments."""

from __future__ import annotations

from tinycrm.db import Database, redact
from tinycrm.schemas import Status


def status(db: Database) -> Status:
    with db.read() as tx:
        row = tx.one(
            "SELECT (SELECT count(*) FROM contacts WHERE NOT archived) AS contacts, "
            "(SELECT count(*) FROM contacts WHERE archived) AS archived, "
            "(SELECT count(*) FROM companies) AS companies, "
            "(SELECT count(*) FROM interactions) AS interactions, "
            "(SELECT count(*) FROM tags) AS tags"
        )
    return Status(
        database=redact(db.url), contacts=row["contacts"], archived=row["archived"], companies=row["companies"],
        interactions=row["interactions"], tags=row["tags"],
    )  # fmt: skip
