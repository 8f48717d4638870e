"""The leads and tickets of the API: lists, one record, new ones, changes at a version, and a ticket's reply.

Like :mod:`.resources`, every function runs in a worker thread with the database first and only parses and
calls services (``tinycrm.services.leads``, ``tinycrm.services.support``).
"""

from __future__ import annotations

from typing import Any

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.rows import Page
from tinycrm.web.api.resources import Query, _flag, _int, _no_query, _page, build

# --- leads ----------------------------------------------------------------------------------------------


def list_leads(db: Any, q: Query, limit: int, offset: int) -> Page[Any]:
    from tinycrm.services.leads import records

    _no_query(q, "leads")
    return records.list_leads(
        db,
        status=q.get("status") or "open",
        source=q.get("source") or None,
        owner=q.get("owner") or None,
        sort=q.get("sort") or "score",
        limit=limit,
        offset=offset,
    )


def get_lead(db: Any, record_id: int) -> Any:
    from tinycrm.services.leads import records

    return records.get(db, record_id, explain=True)


def create_lead(db: Any, doc: dict[str, Any]) -> Any:
    from tinycrm.domain.leads import LeadInput
    from tinycrm.services.leads import records

    return records.create(db, build(LeadInput, doc, {"value": str}))


#: what converting takes, besides ``"status": "converted"`` (as ``crm lead convert``)
CONVERT = {"deal": "deal_title", "pipeline": "pipeline", "stage": "stage", "no_deal": "no_deal"}


def update_lead(db: Any, record_id: int, doc: dict[str, Any], version: int | None) -> Any:
    """Fields as ``crm lead edit`` takes them; or ``status`` alone (with ``reason`` to disqualify), as
    ``crm lead status``; or ``"status": "converted"`` (with ``deal``, ``pipeline``, ``stage`` or ``no_deal``),
    as ``crm lead convert``."""
    from tinycrm.services.leads import convert, records

    if "status" not in doc:
        if "value" in doc and doc["value"] is not None:
            doc = {**doc, "value": str(doc["value"])}
        return records.update(db, record_id, doc, expected_version=version)
    status = str(doc["status"] or "")
    allowed = {"status", *CONVERT} if status == "converted" else {"status", "reason"}
    rest = sorted(set(doc) - allowed)
    if rest:
        raise InvalidInput(f"change a lead's status on its own, not with {rest[0]}", field=rest[0])
    records.update(db, record_id, {}, expected_version=version)  # a conflict is said before anything changes
    if status != "converted":
        return records.set_status(db, record_id, status, reason=doc.get("reason"))
    args = {CONVERT[k]: doc[k] for k in CONVERT if doc.get(k) is not None}
    convert.convert(db, record_id, **args)
    return records.get(db, record_id)


def delete_lead(db: Any, record_id: int) -> Any:
    from tinycrm.services.leads import records

    return records.delete(db, record_id)


# --- tickets --------------------------------------------------------------------------------------------


def list_tickets(db: Any, q: Query, limit: int, offset: int) -> Page[Any]:
    from tinycrm.services.support import tickets

    _no_query(q, "tickets")
    statuses = [s for s in (q.get("status") or "").split(",") if s.strip()]
    return _page(
        tickets.list_page(
            db,
            statuses=statuses,
            owner=q.get("owner") or None,
            breaching=bool(_flag(q, "breaching")),
            contact_id=_int(q, "contact"),
            unassigned=bool(_flag(q, "unassigned")),
            limit=limit,
            offset=offset,
        )
    )


def get_ticket(db: Any, record_id: int) -> Any:
    from tinycrm.services.support import tickets

    return tickets.get(db, record_id)


TICKET_FIELDS = {"subject", "contact_id", "priority", "body", "assignee", "tags", "channel"}


def create_ticket(db: Any, doc: dict[str, Any]) -> Any:
    """``{"subject", "contact_id", "priority", "body", "assignee", "tags", "channel"}``, as ``crm ticket add``."""
    from tinycrm.services.support import tickets

    unknown = sorted(set(doc) - TICKET_FIELDS)
    if unknown:
        raise InvalidInput(
            f"unknown field {unknown[0]!r}; a ticket takes: {', '.join(sorted(TICKET_FIELDS))}",
            field=unknown[0],
        )
    contact = doc.get("contact_id")
    if not isinstance(contact, int) or isinstance(contact, bool):
        raise InvalidInput("a ticket needs contact_id, the customer's contact id", field="contact_id")
    tags = doc.get("tags") or []
    if not isinstance(tags, list):
        raise InvalidInput("tags is a list of strings", field="tags")
    return tickets.create(
        db,
        subject_=str(doc.get("subject") or ""),
        contact_id=contact,
        priority_=doc.get("priority"),
        body=doc.get("body"),
        assignee=doc.get("assignee"),
        tags=[str(t) for t in tags],
        channel=str(doc.get("channel") or "manual"),
    )


def update_ticket(db: Any, record_id: int, doc: dict[str, Any], version: int | None) -> Any:
    from tinycrm.services.support import tickets

    return tickets.update(db, record_id, doc, expected_version=version)


def reply_ticket(db: Any, record_id: int, doc: dict[str, Any]) -> Any:
    """A reply by mail to the ticket's customer, as ``crm ticket reply``: ``body`` or ``template``, and the
    ``status`` to leave it in."""
    from tinycrm.services.support import replies

    unknown = sorted(set(doc) - set(REPLY_FIELDS))
    if unknown:
        raise InvalidInput(
            f"unknown field {unknown[0]!r}; a reply takes: body, template, status", field=unknown[0]
        )
    if doc.get("body") is None and doc.get("template") is None:
        raise InvalidInput("a reply needs a body (or a template)", field="body")
    result = replies.reply(
        db, record_id, body=doc.get("body"), template=doc.get("template"), new_status=doc.get("status")
    )
    return result.ticket


REPLY_FIELDS = {
    "body": ("string", "the reply's text"),
    "template": ("string", "a canned reply's name (crm ticket templates), instead of body"),
    "status": ("string", "then leave the ticket open, pending or resolved"),
}
