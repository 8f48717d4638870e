"""Leads from a CSV file (``crm import csv --as leads``): the rows are read as the contacts import reads them
(presets, ``--map``, encodings), each becomes a lead with source ``import``. The columns mapped to
``field:value``, ``field:currency`` and ``field:source`` give the lead's value, currency and source. A row that
cannot be a lead (no name or address, a bad address) is skipped and reported; the rest go in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tinycrm.domain.errors import CrmError
from tinycrm.domain.leads import LeadInput
from tinycrm.store.database import Database


@dataclass
class LeadImport:
    source: str
    added: list[int] = field(default_factory=list)
    #: (where, why) of each row skipped
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: ids of the added leads whose address a contact or another open lead has
    duplicates: list[int] = field(default_factory=list)


def _lead(contact: Any, source_name: str) -> LeadInput:
    fields = dict(contact.fields)
    name = contact.display_name or " ".join(p for p in (contact.given_name, contact.family_name) if p) or None
    return LeadInput(
        name=name,
        email=contact.emails[0].value if contact.emails else None,
        phone=contact.phones[0].value if contact.phones else None,
        company=contact.company,
        title=contact.job_title,
        notes=contact.notes,
        tags=list(contact.tags),
        value=fields.pop("value", None),
        currency=fields.pop("currency", None),
        source=fields.pop("source", None) or "import",
        source_detail=f"import {source_name}"[:500],
        fields=fields,
    )


def import_csv(db: Database, file: Any, *, read: dict[str, Any]) -> LeadImport:
    from tinycrm.formats.csvio import CsvReader
    from tinycrm.services.leads.records import _duplicates, insert

    with file.open() as fh:
        reader = CsvReader(fh, file.name, **read)
        report = LeadImport(file.name)
        with db.write() as tx:
            for item in reader:
                if item.record is None:
                    report.skipped.append((item.where, item.error or "unreadable"))
                    continue
                try:
                    report.added.append(insert(tx, _lead(item.record.contact, file.name), announce=False))
                except CrmError as exc:
                    report.skipped.append((item.where, str(exc)))
            if report.added:
                rows = tx.all(
                    "SELECT id, email_key, status FROM leads WHERE id >= :a AND id <= :b",
                    {"a": min(report.added), "b": max(report.added)},
                )
                report.duplicates = sorted(_duplicates(tx, rows))
                _announce(tx, report)
    return report


def _announce(tx: Any, report: LeadImport) -> None:
    """The import's one ``import.completed`` event, in its transaction."""
    from tinycrm.services.hooks import outbox

    outbox.import_completed(
        tx,
        "leads",
        report.source,
        report,
        created=len(report.added),
        skipped=len(report.skipped),
        lead_ids=[min(report.added), max(report.added)],
    )
