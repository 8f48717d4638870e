"""Leads from a web form: ``capture(tx_or_db, fields, *, form, remote_addr)``, called by the web server.

Only the fields of :data:`ALLOWED` are taken (anything else a form posts is dropped, never stored), each
within its size limit; a filled honeypot field (:data:`HONEYPOTS`, invisible to people, filled by bots) makes
the submission a silent no-op: ``None``, nothing stored, so that the bot learns nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.leads import LeadInput
from tinycrm.store.database import Database, Tx

#: form field -> the longest value accepted
ALLOWED = {
    "name": 400,
    "email": 320,
    "phone": 100,
    "company": 300,
    "title": 300,
    "message": 10_000,
    "value": 30,
    "currency": 3,
}
#: fields a person never sees: a value in one means a bot filled the form
HONEYPOTS = ("website_url", "hp", "honeypot", "_gotcha")
MAX_FIELDS = 50


def _one(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return "" if value is None else str(value)


def clean_fields(fields: Mapping[str, Any], *, form: str) -> LeadInput | None:
    """The lead a submission describes; None for a bot (a honeypot filled). Bad values: :class:`InvalidInput`."""
    if len(fields) > MAX_FIELDS:
        raise InvalidInput(f"the form sent {len(fields)} fields; at most {MAX_FIELDS} are read")
    if any(_one(fields.get(h)).strip() for h in HONEYPOTS):
        return None
    taken: dict[str, str] = {}
    for key, limit in ALLOWED.items():
        text = _one(fields.get(key)).strip()
        if len(text) > limit:
            raise InvalidInput(f"{key} is too long: at most {limit} characters", field=key)
        if text:
            taken[key] = text
    if not taken.get("name") and not taken.get("email"):
        raise InvalidInput("the form needs a name or an email address", field="email")
    form_name = (form or "web form").strip()[:200]
    return LeadInput(
        name=taken.get("name"),
        email=taken.get("email"),
        phone=taken.get("phone"),
        company=taken.get("company"),
        title=taken.get("title"),
        notes=taken.get("message"),
        value=taken.get("value"),
        currency=taken.get("currency"),
        source="web",
        source_detail=f"form {form_name}",
    )


def capture(
    tx_or_db: Tx | Database, fields: Mapping[str, Any], *, form: str, remote_addr: str | None
) -> int | None:
    """Store a web form submission as a new lead; give its id (None for a bot). Inside the caller's
    transaction when given a :class:`Tx`, else in one of its own."""
    from tinycrm.services.leads.records import insert

    data = clean_fields(fields, form=form)
    if data is None:
        return None
    if remote_addr:
        data.fields = {"remote_addr": str(remote_addr)[:100]}
    if isinstance(tx_or_db, Tx):
        return insert(tx_or_db, data)
    with tx_or_db.write() as tx:
        return insert(tx, data)
