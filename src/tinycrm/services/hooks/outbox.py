"""The transactional outbox: a service that makes a change worth telling other programs about writes an event
row in the same transaction (:func:`emit`), so the event is stored exactly when the change is. Delivery reads
them later (:mod:`tinycrm.services.hooks.delivery`).

Event types: ``contact.created|updated|deleted``, ``deal.created|stage_changed|won|lost``, ``task.due``,
``lead.created|converted``, ``ticket.created|replied``, and one ``import.completed`` per import (a summary, not
one event per row; a restore of a JSON export or a backup is one too, ``"as": "database"``). Archiving a contact, bringing it back and changing its tags are ``contact.updated``.
"""

from __future__ import annotations

import json
from typing import Any

from tinycrm.store.database import Tx

EVENT_TYPES = (
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "deal.created",
    "deal.stage_changed",
    "deal.won",
    "deal.lost",
    "task.due",
    "lead.created",
    "lead.converted",
    "ticket.created",
    "ticket.replied",
    "import.completed",
)
#: what an ``import.completed`` event says of the import's report
IMPORT_COUNTS = ("created", "updated", "unchanged", "failed", "skipped")


def emit(tx: Tx, type: str, kind: str, id: int, payload: Any) -> None:  # noqa: A002 - the event's own words
    """Write event ``type`` about record ``kind`` ``id`` (its read model, or any JSON-ready value) in ``tx``."""
    from tinycrm.domain.rows import to_json
    from tinycrm.services.common import now

    tx.execute(
        "INSERT INTO events (type, record_kind, record_id, payload, created_at, routed) "
        "VALUES (:t, :k, :i, :p, :at, :r)",
        {
            "t": type,
            "k": kind,
            "i": id,
            "p": json.dumps(to_json(payload), ensure_ascii=False),
            "at": now(),
            "r": False,
        },
    )


def import_completed(tx: Tx, as_: str, source: str, report: Any, **more: Any) -> None:
    """The one ``import.completed`` event of an import (``as_`` contacts or leads, from ``source``), with the
    counts of its report. Imports have no id of their own: record ``import`` 0 keeps them in order."""
    counts = {k: getattr(report, k) for k in IMPORT_COUNTS if isinstance(getattr(report, k, None), int)}
    duplicates = getattr(report, "duplicates", [])
    emit(
        tx,
        "import.completed",
        "import",
        0,
        {"as": as_, "source": source, **counts, "duplicates": len(duplicates), **more},
    )


def restore_completed(tx: Tx, source: str, rows: dict[str, int], *, replaced: bool) -> None:
    """The ``import.completed`` event of a restore (every restore: it rewrites every table): the whole database
    from ``source`` (``json``, ``sqlite backup``) with ``rows`` written per table; ``replaced``: the database held
    data before. The counts are those of every import (every row ``created``), plus ``replaced`` and the
    ``contacts`` among them. Written after the restored rows (the events and hooks among them), so the restored hooks are
    told of it, after the events the restore brought back."""
    written = sum(rows.values())
    emit(
        tx,
        "import.completed",
        "import",
        0,
        {
            "as": "database",
            "source": source,
            "created": written,
            "updated": 0,
            "unchanged": 0,
            "failed": 0,
            "duplicates": 0,
            "replaced": replaced,
            "contacts": rows.get("contacts", 0),
        },
    )
