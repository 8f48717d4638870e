"""Reading the audit trail: the history of one record, and the log of everything (who, when, what).

Entries are written by :func:`tinycrm.services.common.audit` in the same transaction as the change they
describe; this module only reads them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import Page
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.sql import check_page, page_sql

#: the record types the services audit, with their table
RECORD_TYPES = {
    "contact": "contacts",
    "company": "companies",
    "deal": "deals",
    "task": "tasks",
    "interaction": "interactions",
    "user": "users",
    "pipeline": "pipelines",
    "stage": "stages",
    "reminder": "reminders_sent",
    "database": None,  # whole-database imports and restores
}
ALIASES = {
    "contacts": "contact",
    "person": "contact",
    "companies": "company",
    "org": "company",
    "deals": "deal",
    "tasks": "task",
    "interactions": "interaction",
    "users": "user",
}


@dataclass(frozen=True, slots=True)
class AuditRead:
    id: int
    at: datetime
    user: str
    action: str
    record_type: str
    record_id: int | None
    #: each changed field: [old, new]
    changes: dict[str, list[Any]] = field(default_factory=dict)

    def summary(self, width: int = 60) -> str:
        """``field: old -> new; ...`` in one line, long values cut."""
        parts = []
        for key, pair in self.changes.items():
            old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
            if old is None:
                parts.append(f"{key}: {_short(new, width)}")
            elif new is None:
                parts.append(f"{key}: {_short(old, width)} -> (none)")
            else:
                parts.append(f"{key}: {_short(old, width)} -> {_short(new, width)}")
        return "; ".join(parts)


def _short(value: Any, width: int) -> str:
    if isinstance(value, list):
        text = ", ".join(_short(v, width) for v in value)
    elif isinstance(value, dict):
        if "value" in value and len(value) <= 2:
            text = str(value["value"])
        else:
            text = ", ".join(f"{k}={v}" for k, v in value.items() if v not in (None, ""))
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def record_type(value: str) -> str:
    key = (value or "").strip().lower()
    key = ALIASES.get(key, key)
    if key not in RECORD_TYPES:
        raise InvalidInput(f"unknown record type {value!r}; use one of: {', '.join(RECORD_TYPES)}")
    return key


def record_id(db: Database, kind: str, ref: str) -> int:
    """The id of the record of type ``kind`` that ``ref`` names: an id (``12`` or ``#12``; it need not exist,
    a deleted record keeps its history), or a contact's email or name, a company's domain or name, a user's
    name."""
    ref = ref.strip()
    if ref.lstrip("#").isdecimal():
        return int(ref.lstrip("#"))
    if kind == "contact":
        from tinycrm.services.people import contacts

        return contacts.resolve(db, ref)
    if kind == "company":
        from tinycrm.services.people import companies

        return companies.resolve(db, ref)
    if kind == "user":
        from tinycrm.services.team import users

        return users.get(db, ref).id
    raise InvalidInput(f"give the {kind} by its id (crm history {kind} 12)")


def _entry(row: Any) -> AuditRead:
    changes: dict[str, list[Any]] = {}
    if row["changes"]:
        try:
            changes = json.loads(row["changes"])
        except ValueError:
            changes = {"?": [None, row["changes"]]}
    return AuditRead(
        id=row["id"],
        at=as_datetime(row["at"]),
        user=row["user_name"],
        action=row["action"],
        record_type=row["record_type"],
        record_id=row["record_id"],
        changes=changes,
    )


def _page(tx: Tx, cond: str, params: dict[str, Any], limit: int | None, offset: int) -> Page[AuditRead]:
    check_page(limit, offset)
    total = tx.scalar(f"SELECT count(*) FROM audit_log WHERE {cond}", params)
    page = page_sql(limit)
    rows = tx.all(
        f"SELECT id, at, user_name, action, record_type, record_id, changes FROM audit_log WHERE {cond} "
        f"ORDER BY at DESC, id DESC{page}",
        {**params, "limit": limit, "offset": offset},
    )
    return Page([_entry(r) for r in rows], total, limit, offset)


def history(
    db: Database, kind: str, record_id: int, *, limit: int | None = None, offset: int = 0
) -> Page[AuditRead]:
    """Every audited change of one record, newest first (also after the record was deleted)."""
    kind = record_type(kind)
    with db.read() as tx:
        return _page(tx, "record_type = :t AND record_id = :i", {"t": kind, "i": record_id}, limit, offset)


def entries(
    db: Database,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    user: str | None = None,
    action: str | None = None,
    kind: str | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> Page[AuditRead]:
    """The audit log, newest first, optionally from ``since``, up to ``until``, by ``user``, of one
    ``action`` (create, update, delete, merge, import...) or of one record type."""
    where, params = ["1=1"], {}
    if since is not None:
        where.append("at >= :since")
        params["since"] = since
    if until is not None:
        where.append("at < :until")
        params["until"] = until
    if user:
        where.append("user_name = :user")
        params["user"] = user.strip()
    if action:
        where.append("action = :action")
        params["action"] = action.strip().lower()
    if kind:
        where.append("record_type = :kind")
        params["kind"] = record_type(kind)
    with db.read() as tx:
        return _page(tx, " AND ".join(where), params, limit, offset)
