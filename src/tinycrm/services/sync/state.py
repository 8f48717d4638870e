"""The sync state of vdir folders (store/schema_sync.py): read and written inside the caller's transaction."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tinycrm.store.database import Tx
from tinycrm.store.sql import placeholders


@dataclass(frozen=True)
class Item:
    record_id: int
    uid: str
    etag: str
    mtime_ns: int
    size: int
    record_version: int


def folder_id(tx: Tx, folder: Path) -> int | None:
    found = tx.scalar("SELECT id FROM sync_folders WHERE path = :p", {"p": str(folder)})
    return None if found is None else int(found)


def add_folder(tx: Tx, folder: Path, kind: str = "contacts") -> int:
    tx.execute("INSERT INTO sync_folders (path, kind) VALUES (:p, :k)", {"p": str(folder), "k": kind})
    found = folder_id(tx, folder)
    assert found is not None
    return found


def touch_folder(tx: Tx, fid: int | None, when: datetime) -> None:
    tx.execute("UPDATE sync_folders SET synced_at = :w WHERE id = :f", {"w": when, "f": fid})


def items(tx: Tx, fid: int, record_type: str = "contact") -> dict[str, Item]:
    rows = tx.all(
        "SELECT file_name, record_id, uid, etag, mtime_ns, size, record_version FROM sync_items "
        "WHERE folder_id = :f AND record_type = :t",
        {"f": fid, "t": record_type},
    )
    return {
        r["file_name"]: Item(
            r["record_id"], r["uid"], r["etag"], int(r["mtime_ns"]), int(r["size"]), r["record_version"]
        )
        for r in rows
    }


def contacts_in_scope(tx: Tx, tag: str | None) -> dict[int, str]:
    """The contacts a folder holds, id -> UID: every one not archived, or those tagged ``tag``."""
    if not tag:
        rows = tx.all("SELECT id, uid FROM contacts WHERE NOT archived")
    else:
        rows = tx.all(
            "SELECT c.id, c.uid FROM contacts c WHERE NOT c.archived AND EXISTS (SELECT 1 FROM contact_tags ct "
            "JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id = c.id AND t.name_key = :tag)",
            {"tag": tag.casefold()},
        )
    return {r["id"]: r["uid"] for r in rows}


def versions(tx: Tx, ids: Sequence[int]) -> dict[int, int]:
    """The current version of each of these contacts that still exists."""
    if not ids:
        return {}
    marks, params = placeholders("i", list(ids))
    return {
        r["id"]: r["version"]
        for r in tx.all(f"SELECT id, version FROM contacts WHERE id IN ({marks})", params)
    }


def conflicted(tx: Tx, fid: int) -> set[int]:
    return set(tx.column("SELECT contact_id FROM sync_conflicts WHERE folder_id = :f", {"f": fid}))


def save(
    tx: Tx,
    fid: int | None,
    name: str,
    cid: int,
    uid: str,
    etag: str,
    st: os.stat_result,
    version: int,
    *,
    record_type: str = "contact",
) -> None:
    """Record that the file ``name`` holds record ``cid`` at ``version`` with these bytes and stat."""
    params = {"f": fid, "n": name, "c": cid, "t": record_type}
    tx.execute(
        "DELETE FROM sync_items WHERE folder_id = :f AND (file_name = :n OR "
        "(record_type = :t AND record_id = :c))",
        params,
    )
    tx.execute(
        "INSERT INTO sync_items (folder_id, file_name, record_type, record_id, uid, etag, mtime_ns, size, "
        "record_version) VALUES (:f, :n, :t, :c, :u, :e, :m, :s, :v)",
        {**params, "u": uid[:500], "e": etag, "m": st.st_mtime_ns, "s": st.st_size, "v": version},
    )


def forget(tx: Tx, fid: int | None, name: str) -> None:
    tx.execute("DELETE FROM sync_items WHERE folder_id = :f AND file_name = :n", {"f": fid, "n": name})


def add_conflict(
    tx: Tx, fid: int | None, cid: int, name: str, data: bytes, etag: str, when: datetime
) -> None:
    tx.execute("DELETE FROM sync_conflicts WHERE folder_id = :f AND contact_id = :c", {"f": fid, "c": cid})
    tx.execute(
        "INSERT INTO sync_conflicts (folder_id, contact_id, file_name, card, etag, found_at) "
        "VALUES (:f, :c, :n, :d, :e, :w)",
        {"f": fid, "c": cid, "n": name, "d": data, "e": etag, "w": when},
    )


def drop_conflict(tx: Tx, fid: int | None, cid: int) -> None:
    tx.execute("DELETE FROM sync_conflicts WHERE folder_id = :f AND contact_id = :c", {"f": fid, "c": cid})


def set_archived(tx: Tx, cid: int, archived: bool) -> None:
    """Archive or bring back a contact as ``crm contact archive`` does (versioned, audited), inside ``tx``."""
    from tinycrm.services.common import edit_in
    from tinycrm.services.people.contacts import CONTACT

    def apply(e: object) -> None:
        before = e.before  # type: ignore[attr-defined]
        if before.archived != archived:
            e.put("archived", before.archived, archived)  # type: ignore[attr-defined]

    edit_in(tx, CONTACT, cid, apply, action="archive" if archived else "unarchive")
