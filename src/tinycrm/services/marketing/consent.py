"""Consent per e-mail address, its log, and the suppression list.

An address is ``unknown`` until someone records otherwise: ``opted-in`` (with where: "web form", "import",
"asked in person"), ``opted-out`` (how: reply, link, manual) or ``bounced``. Every change is one row of the
consent log, in the transaction that makes it. An import never overrides a recorded choice: it sets consent
only where none is known. Campaigns mail only ``opted-in`` addresses (``unknown`` too when a campaign allows it),
never a suppressed one.
"""

from __future__ import annotations

from collections.abc import Sequence

from tinycrm.domain import validation as v
from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.marketing import CONSENT_STATES, AddressConsent, ConsentEntry
from tinycrm.domain.rows import Page
from tinycrm.services.common import actor, now
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.sql import check_page, page_sql, placeholders

_UPSERT = (
    "INSERT INTO consents (address_key, contact_id, status, source, changed_at, soft_bounces) "
    "VALUES (:a, :c, :s, :src, :t, 0) ON CONFLICT (address_key) DO UPDATE SET contact_id = "
    "coalesce(excluded.contact_id, consents.contact_id), status = excluded.status, source = excluded.source, "
    "changed_at = excluded.changed_at, soft_bounces = 0"
)
_LOG = (
    "INSERT INTO consent_log (address_key, contact_id, status, source, at, user_name) "
    "VALUES (:a, :c, :s, :src, :t, :u)"
)


def status(value: str) -> str:
    s = (value or "").strip().casefold().replace("_", "-")
    if s not in CONSENT_STATES:
        raise InvalidInput(f"consent {value!r} is not one of: {', '.join(CONSENT_STATES)}")
    return s


def source(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    v.line(value, "--source")
    if len(value) > 200:
        raise InvalidInput("--source is at most 200 characters")
    return value.strip()


def record(
    tx: Tx,
    address: str,
    state: str,
    src: str | None,
    contact_id: int | None = None,
    *,
    only_unknown: bool = False,
) -> bool:
    """Set the consent of one address and log it; with ``only_unknown`` only where nothing is recorded (or
    ``unknown``) and the address is not suppressed. True when it changed."""
    key = address.strip().casefold()
    current = tx.one("SELECT status, source FROM consents WHERE address_key = :a", {"a": key})
    if only_unknown:
        if current is not None and current["status"] != "unknown":
            return False
        if tx.scalar("SELECT 1 FROM suppressions WHERE address_key = :a", {"a": key}):
            return False
    if current is not None and (current["status"], current["source"]) == (state, src):
        return False
    row = {"a": key, "c": contact_id, "s": state, "src": src, "t": now(), "u": actor(tx.db)}
    tx.execute(_UPSERT, row)
    tx.execute(_LOG, row)
    return True


def addresses_of(tx: Tx, contact_id: int) -> list[str]:
    return tx.column(
        "SELECT value_key FROM contact_emails WHERE contact_id = :c ORDER BY position, id", {"c": contact_id}
    )


def set_for_contact(
    db: Database, contact_id: int, state: str, src: str | None, address: str | None = None
) -> list[AddressConsent]:
    """``crm consent CONTACT opt-in|opt-out``: every address of the contact (or the one given)."""
    state, src = status(state), source(src)
    with db.write() as tx:
        tx.lock_rows("contacts", [contact_id])
        addresses = addresses_of(tx, contact_id)
        if address is not None:
            if address.strip().casefold() not in addresses:
                raise InvalidInput(
                    f"{address} is not an address of this contact; use one of: {', '.join(addresses)}"
                )
            addresses = [address.strip().casefold()]
        if not addresses:
            raise InvalidInput(
                "this contact has no email address", hint="add one with crm contact edit --email"
            )
        for a in addresses:
            record(tx, a, state, src, contact_id)
        return _states(tx, addresses)


def for_contacts(tx: Tx, contact_ids: Sequence[int], state: str, src: str | None) -> int:
    """An import's ``--consent S --source TEXT``: each address of these contacts whose consent is not known yet;
    the number of addresses changed."""
    if not contact_ids:
        return 0
    marks, params = placeholders("ci", list(contact_ids))
    rows = tx.all(f"SELECT contact_id, value_key FROM contact_emails WHERE contact_id IN ({marks})", params)
    return sum(record(tx, r["value_key"], state, src, r["contact_id"], only_unknown=True) for r in rows)


def _states(tx: Tx, addresses: list[str]) -> list[AddressConsent]:
    if not addresses:
        return []
    marks, params = placeholders("ad", addresses)
    known = {
        r["address_key"]: r for r in tx.all(f"SELECT * FROM consents WHERE address_key IN ({marks})", params)
    }
    suppressed = set(
        tx.column(f"SELECT address_key FROM suppressions WHERE address_key IN ({marks})", params)
    )
    out = []
    for a in addresses:
        r = known.get(a)
        out.append(
            AddressConsent(
                a,
                r["status"] if r else "unknown",
                r["source"] if r else None,
                as_datetime(r["changed_at"]) if r else None,
                a in suppressed,
            )
        )
    return out


def of_contact(db: Database, contact_id: int) -> list[AddressConsent]:
    with db.read() as tx:
        return _states(tx, addresses_of(tx, contact_id))


def log(
    db: Database, contact_id: int | None = None, *, limit: int | None = 50, offset: int = 0
) -> Page[ConsentEntry]:
    """The consent log, newest first: of one contact's addresses (those it has now and those logged for it)."""
    check_page(limit, offset)
    with db.read() as tx:
        cond, params = "1=1", {}
        if contact_id is not None:
            cond = "(l.contact_id = :c OR l.address_key IN (SELECT value_key FROM contact_emails WHERE contact_id = :c))"
            params = {"c": contact_id}
        total = tx.scalar(f"SELECT count(*) FROM consent_log l WHERE {cond}", params)
        rows = tx.all(
            f"SELECT * FROM consent_log l WHERE {cond} ORDER BY l.at DESC, l.id DESC{page_sql(limit)}",
            {**params, "limit": limit, "offset": offset},
        )
    items = [
        ConsentEntry(
            r["id"],
            r["address_key"],
            r["contact_id"],
            r["status"],
            r["source"],
            as_datetime(r["at"]),  # type: ignore[arg-type]
            r["user_name"],
        )
        for r in rows
    ]
    return Page(items, total, limit, offset)


def suppress(db: Database, address: str, reason: str | None = None) -> AddressConsent:
    """Never mail ``address`` from a campaign, whether or not it belongs to a contact."""
    key = v.email(address, "address").casefold()
    with db.write() as tx:
        suppress_in(tx, key, source(reason) or "manual")
        return _states(tx, [key])[0]


def suppress_in(tx: Tx, key: str, reason: str) -> None:
    tx.execute(
        "INSERT INTO suppressions (address_key, reason, created_at) VALUES (:a, :r, :t) "
        "ON CONFLICT (address_key) DO NOTHING",
        {"a": key, "r": reason, "t": now()},
    )
    tx.execute(_LOG, {"a": key, "c": None, "s": "suppressed", "src": reason, "t": now(), "u": actor(tx.db)})
