"""The web app's pages, support side: the ticket queue and a ticket (its thread, reply with a canned reply,
internal note, status, priority, assignee).

Viewers read; members and admins write (:func:`tinycrm.web.pages.need_writer`). A reply is sent by mail
through the same service as ``crm ticket reply``: a reply the mail server did not take is stored nowhere, and
the page comes back with the text still in the box.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tinycrm.domain.errors import CrmError, InvalidInput
from tinycrm.domain.support import PRIORITIES, STATUSES
from tinycrm.web import auth
from tinycrm.web.context import call
from tinycrm.web.pages import form_text, int_arg, need_writer, render

PAGE = 25
#: what the queue shows: a status, or a group of them ("" is the open work, the default)
SHOWS = (
    ("", "Open work"),
    ("new", "New"),
    ("open", "Open"),
    ("pending", "Pending"),
    ("resolved", "Resolved"),
    ("closed", "Closed"),
    ("all", "All"),
)
#: the assignee choice for the tickets nobody is assigned to (no user name has a colon)
NOBODY = ":unassigned"
#: what a reply may leave the ticket as
AFTER_REPLY = (("", "Keep status"), ("pending", "Pending"), ("resolved", "Resolved"))


def queue_view(db: Any, show: str, assignee: str, breaching: bool, offset: int) -> dict[str, Any]:
    from tinycrm.services.support import tickets
    from tinycrm.services.team import users

    statuses: tuple[str, ...] = STATUSES if show == "all" else (show,) if show else ()
    nobody = assignee == NOBODY
    page = tickets.list_page(
        db,
        statuses=statuses,
        owner=None if nobody else assignee or None,
        unassigned=nobody,
        breaching=breaching,
        limit=PAGE,
        offset=offset,
    )
    return {"page": page, "users": [u.name for u in users.list_users(db, include_inactive=False)]}


async def queue(request: web.Request) -> web.StreamResponse:
    show = request.query.get("status", "")
    if show not in dict(SHOWS):
        raise InvalidInput(f"show one of: {', '.join(label for _, label in SHOWS)}")
    assignee = request.query.get("assignee", "").strip()[:100]
    if assignee == "me":
        assignee = request[auth.USER].name
    breaching = request.query.get("breaching") == "1"
    offset_text = request.query.get("o", "0")
    offset = (
        int(offset_text) if offset_text.isascii() and offset_text.isdigit() and len(offset_text) < 7 else 0
    )
    view = await call(request, queue_view, show, assignee, breaching, offset)
    return render(
        request,
        "tickets.html",
        shows=SHOWS,
        show=show,
        assignee=assignee,
        nobody=NOBODY,
        breaching=breaching,
        more_query=_query(show, assignee, breaching, offset + PAGE),
        **view,
    )


def _query(show: str, assignee: str, breaching: bool, offset: int) -> str:
    from urllib.parse import urlencode

    values = {"status": show, "assignee": assignee, "breaching": "1" if breaching else "", "o": str(offset)}
    return urlencode({k: v for k, v in values.items() if v})


def ticket_view(db: Any, number: int, template: str | None) -> dict[str, Any]:
    """What a ticket's page shows, read in one worker call and one snapshot (see ``pages.contact_view``);
    ``template`` fills the reply box."""
    from tinycrm.services.support import replies, tickets
    from tinycrm.services.team import users

    tickets.wake(db)  # a write: before the snapshot, not in it
    with db.read():
        ticket = tickets.get(db, number)
        view: dict[str, Any] = {
            "t": ticket,
            "templates": replies.templates(),
            "users": [u.name for u in users.list_users(db, include_inactive=False)],
            "chosen": template or "",
        }
        if template:
            try:
                view["body"] = replies.render_template(db, ticket, template)
            except CrmError as exc:
                view["problem"] = exc.message
    return view


async def ticket_page(request: web.Request, *, status: int = 200, **extra: Any) -> web.StreamResponse:
    number = int_arg(request.match_info["id"], "ticket")
    template = request.query.get("template", "").strip()[:100] or None
    view = await call(request, ticket_view, number, template)
    view.update(extra)
    return render(
        request,
        "ticket.html",
        status=status,
        statuses=[s for s in STATUSES if s != "new"],
        priorities=PRIORITIES,
        after_reply=AFTER_REPLY,
        done=request.query.get("done"),
        **view,
    )


def _done(number: int, what: str) -> web.Response:
    return auth.see_other(f"/tickets/{number}?done={what}")


async def ticket_reply(request: web.Request) -> web.StreamResponse:
    from tinycrm.domain.errors import StoreUnavailable
    from tinycrm.services.mail.mailer import MailUnavailable
    from tinycrm.services.support import replies

    need_writer(request)
    number = int_arg(request.match_info["id"], "ticket")
    form = await request.post()
    raw = form.get("body")
    body = raw if isinstance(raw, str) and raw.strip() else None
    template = form_text(form, "template") or None
    after = form_text(form, "after")
    if after not in dict(AFTER_REPLY):
        raise InvalidInput("after the reply, the ticket is pending or resolved, or keeps its status")
    try:
        await call(
            request,
            replies.reply,
            number,
            body=body,
            template=None if body else template,
            new_status=after or None,
        )
    except (InvalidInput, MailUnavailable, StoreUnavailable) as exc:
        code = 400 if isinstance(exc, InvalidInput) else 503
        return await ticket_page(request, status=code, problem=exc.message, body=body or "", chosen=template)
    return _done(number, "replied")


async def ticket_note(request: web.Request) -> web.StreamResponse:
    from tinycrm.services.support import thread

    need_writer(request)
    number = int_arg(request.match_info["id"], "ticket")
    form = await request.post()
    await call(request, thread.note, number, form_text(form, "note"))
    return _done(number, "noted")


async def ticket_change(request: web.Request) -> web.StreamResponse:
    """Status, priority and assignee: one form, each field changed only when it differs."""
    from tinycrm.services.support import tickets

    need_writer(request)
    number = int_arg(request.match_info["id"], "ticket")
    form = await request.post()
    before = await call(request, tickets.get, number)
    status, priority = form_text(form, "status"), form_text(form, "priority")
    assignee = form_text(form, "assignee")
    if status and status != before.status:
        until = form_text(form, "until") or None
        await call(request, tickets.set_status, number, status, until=until)
    if priority and priority != before.priority:
        await call(request, tickets.set_priority, number, priority)
    if "assignee" in form and assignee != (before.assignee or ""):
        await call(request, tickets.assign, number, assignee or None)
    return _done(number, "changed")


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/tickets", queue, name="tickets")
    r.add_get("/tickets/{id}", ticket_page, name="ticket")
    r.add_post("/tickets/{id}/reply", ticket_reply)
    r.add_post("/tickets/{id}/note", ticket_note)
    r.add_post("/tickets/{id}/change", ticket_change)
