"""Conflicts of vdir sync: a card changed in a folder while its contact changed in tinycrm. Listed, shown on the
contact, and resolved by taking one side: the file's card (``file``) or tinycrm's contact (``crm``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tinycrm.domain.errors import InvalidInput, NotFound
from tinycrm.services.sync import cards
from tinycrm.store.database import Database, Tx, as_datetime


@dataclass(frozen=True)
class SyncConflict:
    contact_id: int
    display_name: str
    folder: str
    file_name: str
    found_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "contact_id": self.contact_id,
            "display_name": self.display_name,
            "folder": self.folder,
            "file": self.file_name,
            "found_at": self.found_at.isoformat() if self.found_at else None,
        }


_SELECT = (
    "SELECT sc.contact_id, c.display_name, f.path, sc.file_name, sc.found_at FROM sync_conflicts sc "
    "JOIN contacts c ON c.id = sc.contact_id JOIN sync_folders f ON f.id = sc.folder_id"
)


def _rows(tx: Tx, where: str = "", params: dict[str, Any] | None = None) -> list[SyncConflict]:
    rows = tx.all(f"{_SELECT} {where} ORDER BY sc.found_at, sc.id", params or {})
    return [
        SyncConflict(
            r["contact_id"], r["display_name"], r["path"], r["file_name"], as_datetime(r["found_at"])
        )
        for r in rows
    ]


def list_conflicts(db: Database) -> list[SyncConflict]:
    with db.read() as tx:
        return _rows(tx)


def for_contact(db: Database, contact_id: int) -> list[SyncConflict]:
    """The contact's unresolved sync conflicts (``crm contact show`` lists them)."""
    with db.read() as tx:
        return _rows(tx, "WHERE sc.contact_id = :c", {"c": contact_id})


def resolve(db: Database, contact_id: int, use: str) -> int:
    """Settle the contact's conflicts: ``file`` applies the folder's card to the contact, ``crm`` keeps the
    contact (its file is written again by the next sync). Gives how many were settled."""
    if use not in ("crm", "file"):
        raise InvalidInput(f"--use must be crm or file (got {use!r})")
    with db.write() as tx:
        rows = tx.all(
            "SELECT id, folder_id, file_name, card, etag FROM sync_conflicts WHERE contact_id = :c ORDER BY id",
            {"c": contact_id},
        )
        if not rows:
            raise NotFound(f"contact {contact_id} has no sync conflict", hint="crm sync conflicts lists them")
        for r in rows:
            if use == "file":
                card = cards.read_card(bytes(r["card"]), r["file_name"])
                cards.apply(tx, contact_id, card)
                version = cards.version_of(tx, contact_id)
            else:
                version = None  # left as it was: the contact counts as changed, so its file is written
            tx.execute(
                "UPDATE sync_items SET etag = :e, mtime_ns = 0, size = -1"
                + (", record_version = :v" if version is not None else "")
                + " WHERE folder_id = :f AND record_type = 'contact' AND record_id = :c",
                {"e": r["etag"], "v": version, "f": r["folder_id"], "c": contact_id},
            )
            tx.execute("DELETE FROM sync_conflicts WHERE id = :i", {"i": r["id"]})
        return len(rows)
