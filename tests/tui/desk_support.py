"""Tickets and leads on top of the app's sample data (``tui_support``), built through the services on the
sample's fixed clock, for the Tickets, Leads and dashboard tests."""

from __future__ import annotations

from typing import Any

from tui_support import clock_at

#: the tickets are written an hour and a half before the app's clock (2 March 2026 09:00 UTC)
DESK_TIME = "2026-03-02T07:30:00+00:00"


def build_desk(url: str, ids: dict[str, int]) -> dict[str, int]:
    """Three tickets (Ada's urgent one and a note on it, Grace's, Alan's pending one) and four leads (one
    hot referral, one web, one event lead whose email is a contact's, one disqualified); their ids."""
    from tinycrm.domain.leads import LeadInput
    from tinycrm.services.leads import records
    from tinycrm.services.support import thread, tickets
    from tinycrm.store.database import open_db

    db = open_db(url)
    out: dict[str, int] = {}
    try:
        with clock_at(DESK_TIME):
            t = tickets.create(
                db,
                subject_="Cannot log in since the update",
                contact_id=ids["ada"],
                priority_="urgent",
                body="Since this morning the login page says my password is wrong.",
            )
            out["ticket_login"] = t.id
            thread.note(db, t.id, "Asked ops to look at the auth logs.")
            out["ticket_invoice"] = tickets.create(
                db, subject_="Invoice shows the old address", contact_id=ids["grace"], body="Please fix it."
            ).id
            out["ticket_export"] = tickets.create(
                db, subject_="How do I export my data?", contact_id=ids["alan"], priority_="low"
            ).id
            tickets.set_status(db, out["ticket_export"], "pending")
            leads = [
                ("nora", LeadInput(name="Nora Webb", email="nora@brightline.example", company="Brightline",
                                   title="CEO", source="referral", value="12000", currency="EUR")),
                ("priya", LeadInput(name="Priya Nair", email="priya@example.com", source="web")),
                ("omar", LeadInput(name="Omar Haddad", email="omar@kestrel.example", company="Kestrel",
                                   source="event", value="8000", currency="EUR")),
                ("mei", LeadInput(name="Mei Tanaka", email="mei@sakura.example", source="import")),
            ]  # fmt: skip
            for key, data in leads:
                out[f"lead_{key}"] = records.create(db, data).id
            records.set_status(db, out["lead_mei"], "disqualified", reason="no budget")
    finally:
        db.close()
    return out


def messages(db: Any, ticket_id: int) -> list[tuple[str, str]]:
    from tinycrm.services.support import tickets

    return [(m.kind, m.body) for m in tickets.get(db, ticket_id).messages]


def shown(widget: Any) -> str:
    """What a Static shows, as plain text (Rich renderables rendered on a wide console)."""
    import io

    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(widget.content)
    return out.getvalue()
