"""Pairs of contacts that look alike but are two people: ``crm duplicates dismiss A B`` records the pair (the
lower id first) so that ``crm duplicates`` and the app's Duplicates view no longer list it;
``crm duplicates undismiss A B`` lists it again. A pair goes with either contact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tinycrm.domain.errors import InvalidInput, NotFound
from tinycrm.domain.rows import Page, Ref
from tinycrm.services.common import actor, audit, now
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.sql import check_page, page_sql


@dataclass(frozen=True)
class DismissedPair:
    a: Ref
    b: Ref
    user_name: str
    created_at: datetime


_SELECT = (
    "SELECT d.low_id, a.display_name AS low_name, d.high_id, b.display_name AS high_name, d.user_name, "
    "d.created_at FROM duplicate_dismissals d JOIN contacts a ON a.id = d.low_id "
    "JOIN contacts b ON b.id = d.high_id"
)


def _pair(tx: Tx, a: int, b: int) -> tuple[int, int]:
    if a == b:
        raise InvalidInput("give two different contacts")
    low, high = min(a, b), max(a, b)
    found = set(tx.column("SELECT id FROM contacts WHERE id IN (:a, :b)", {"a": low, "b": high}))
    for cid in (low, high):
        if cid not in found:
            raise NotFound(f"no contact with id {cid}", hint="find one with: crm search NAME")
    return low, high


def _read(tx: Tx, low: int, high: int) -> DismissedPair | None:
    r = tx.one(f"{_SELECT} WHERE d.low_id = :l AND d.high_id = :h", {"l": low, "h": high})
    if r is None:
        return None
    return DismissedPair(
        Ref(r["low_id"], r["low_name"]),
        Ref(r["high_id"], r["high_name"]),
        r["user_name"],
        as_datetime(r["created_at"]),  # type: ignore[arg-type]
    )


def dismiss(db: Database, a: int, b: int) -> DismissedPair:
    """Record that ``a`` and ``b`` are two people (again: nothing changes); audited as ``dismiss``."""
    with db.write() as tx:
        low, high = _pair(tx, a, b)
        known = _read(tx, low, high)
        if known is not None:
            return known
        tx.execute(
            "INSERT INTO duplicate_dismissals (low_id, high_id, user_name, created_at) VALUES (:l, :h, :u, :at)",
            {"l": low, "h": high, "u": actor(db), "at": now()},
        )
        audit(tx, "dismiss", "contact", low, {"not_duplicate_of": (None, high)})
        done = _read(tx, low, high)
        assert done is not None
        return done


def undismiss(db: Database, a: int, b: int) -> DismissedPair:
    """List the pair as possible duplicates again; give the record it had."""
    with db.write() as tx:
        low, high = _pair(tx, a, b)
        known = _read(tx, low, high)
        if known is None:
            raise NotFound(
                f"contacts {low} and {high} are not dismissed as two people",
                hint="crm duplicates --dismissed lists those",
            )
        tx.execute(
            "DELETE FROM duplicate_dismissals WHERE low_id = :l AND high_id = :h", {"l": low, "h": high}
        )
        audit(tx, "undismiss", "contact", low, {"not_duplicate_of": (high, None)})
        return known


def dismissed(db: Database, *, limit: int | None, offset: int = 0) -> Page[DismissedPair]:
    """The pairs dismissed, newest first."""
    check_page(limit, offset)
    with db.read() as tx:
        total = tx.scalar("SELECT count(*) FROM duplicate_dismissals")
        rows = tx.all(
            f"{_SELECT} ORDER BY d.created_at DESC, d.low_id, d.high_id{page_sql(limit)}",
            {"limit": limit, "offset": offset},
        )
        items = [
            DismissedPair(
                Ref(r["low_id"], r["low_name"]),
                Ref(r["high_id"], r["high_name"]),
                r["user_name"],
                as_datetime(r["created_at"]),  # type: ignore[arg-type]
            )
            for r in rows
        ]
        return Page(items, int(total), limit, offset)
