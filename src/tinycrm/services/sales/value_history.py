"""A deal's value, currency and forecast category before each change (``deal_value_history``), worked out again
from the audit log, which has recorded every such change as ``[old, new]``.

Migration 0017 filled the table this way on upgrade; a JSON export made before it carries no value history, so an
import of one fills it the same way (:func:`services.interchange.backup`), and the backtests of a restored
database read the values the original's did.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from tinycrm.store.database import Tx

FIELDS = ("value", "currency", "category")


def _e4(text: object, fallback: int) -> int:
    try:
        return int(Decimal(str(text)) * 10000)
    except (InvalidOperation, ValueError):
        return fallback


def _changes(text: Any) -> dict[str, Any] | None:
    try:
        changes = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return None
    return changes if isinstance(changes, dict) else None


def fill_from_audit(tx: Tx) -> int:
    """Write the value history of every deal from its audited changes, walking each deal's changes back from its
    values today (the table is expected empty). Gives the rows written."""
    audited = tx.all(
        "SELECT a.record_id, a.at, a.changes, a.id FROM audit_log a JOIN deals d ON d.id = a.record_id "
        "WHERE a.record_type = 'deal' AND a.changes IS NOT NULL AND (a.changes LIKE '%\"value\"%' "
        "OR a.changes LIKE '%\"currency\"%' OR a.changes LIKE '%\"category\"%') "
        "ORDER BY a.record_id, a.at DESC, a.id DESC"
    )
    changed = {a["record_id"] for a in audited}
    now = {
        r["id"]: (int(r["value_e4"]), r["currency"], r["forecast_category"])
        for r in tx.all("SELECT id, value_e4, currency, forecast_category FROM deals")
        if r["id"] in changed
    }
    rows = []
    for a in audited:
        changes = _changes(a["changes"])
        if changes is None:
            continue
        value, code, category = now[a["record_id"]]  # the values after this change; before it, the old ones
        olds = [f for f in FIELDS if isinstance(changes.get(f), list) and len(changes[f]) == 2]
        if not [f for f in olds if changes[f][0] is not None]:
            continue  # a creation: nothing was before it
        for key in olds:
            old = changes[key][0]
            if old is None:
                continue
            if key == "value":
                value = _e4(old, value)
            elif key == "currency":
                code = str(old)[:3]
            else:
                category = str(old)[:20]
        now[a["record_id"]] = (value, code, category)
        rows.append({"d": a["record_id"], "v": value, "c": code, "k": category, "at": a["at"], "i": a["id"]})
    rows.sort(key=lambda r: r["i"])  # in the order of the changes, as the deal service writes them
    for r in rows:
        del r["i"]
    if rows:
        tx.executemany(
            "INSERT INTO deal_value_history (deal_id, value_e4, currency, category, changed_at) "
            "VALUES (:d, :v, :c, :k, :at)",
            rows,
        )
    return len(rows)
