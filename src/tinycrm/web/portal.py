"""``/portal/``: the customer portal. No password: a signed, expiring link (``/portal/?t=TOKEN``, sent in every
ticket mail or by ``crm portal link``) shows a customer their own tickets, to read, answer or close; the published
knowledge base is at ``/portal/kb`` for everyone.

The token travels in the query string (and in the forms' hidden fields), never in the path, so it reaches no
access log. A forged, expired or withdrawn link is answered 403 with a page that says what to do. Every POST
carries a form token bound to the link (:func:`tinycrm.services.support.portal.form_token`) and passes the
Origin check of every POST; replies are rate-limited per customer and per address (``[portal]
replies_per_hour``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tinycrm.domain.errors import CrmError, InvalidInput, NotFound, StoreUnavailable
from tinycrm.web import auth
from tinycrm.web.context import CONTEXT, Context
from tinycrm.web.pages import AddressLimit, form_text, render

PAGE = 20
TOKEN_MAX = 500
PER_CONTACT: web.AppKey[AddressLimit] = web.AppKey("tinycrm.portal.per_contact", AddressLimit)
PER_ADDRESS: web.AppKey[AddressLimit] = web.AppKey("tinycrm.portal.per_address", AddressLimit)
#: a page of the portal: what the handler gets after the link was checked
Handler = Callable[[web.Request, Any], Awaitable[web.StreamResponse]]


async def _call(request: web.Request, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A service for the portal, acting as the server's own user (customers are no users)."""
    return await request.app[CONTEXT].call(fn, *args, **kwargs)


def _problem_page(request: web.Request, exc: CrmError) -> web.Response:
    from tinycrm.services.support.portal import LinkRefused

    if isinstance(exc, LinkRefused):
        return render(request, "portal/denied.html", status=403, why=exc.why)
    status = 503 if isinstance(exc, StoreUnavailable) else 404 if isinstance(exc, NotFound) else 400
    return render(request, "portal/error.html", status=status, message=exc.message, t="")


def with_link(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Check the link (``t`` in the query or the form) before ``handler``; errors become friendly pages."""

    async def checked(request: web.Request) -> web.StreamResponse:
        from tinycrm.services.support import portal

        try:
            if request.method == "POST":
                form = await request.post()
                token = form_text(form, "t")
            else:
                token = request.query.get("t", "").strip()
            if not token or len(token) > TOKEN_MAX:
                return render(request, "portal/denied.html", status=403, why="missing")
            visitor = await _call(request, portal.open_link, token)
            return await handler(request, visitor)
        except CrmError as exc:
            return _problem_page(request, exc)

    return checked


def _number(request: web.Request) -> int:
    text = request.match_info["n"]
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        raise NotFound(f"you have no ticket #{text}")
    return int(text)


def _offset(request: web.Request) -> int:
    text = request.query.get("o", "0")
    return min(int(text), 100_000) if text.isascii() and text.isdigit() and len(text) < 7 else 0


async def home(request: web.Request, visitor: Any) -> web.StreamResponse:
    from tinycrm.services.support import portal

    page = await _call(request, portal.tickets, visitor.contact_id, limit=PAGE, offset=_offset(request))
    return render(request, "portal/tickets.html", visitor=visitor, page=page, t=visitor.token)


async def ticket_page(request: web.Request, visitor: Any, **extra: Any) -> web.StreamResponse:
    from tinycrm.services.support import portal

    number = _number(request)
    ticket = await _call(request, portal.ticket, visitor.contact_id, number)
    return render(
        request,
        "portal/ticket.html",
        status=extra.pop("status", 200),
        visitor=visitor,
        ticket=ticket,
        t=visitor.token,
        form_token=portal.form_token(visitor.token),
        done=request.query.get("done"),
        **extra,
    )


async def _limited(request: web.Request, visitor: Any) -> int:
    """Seconds the customer must wait before another reply or close (0: go on, and this one is counted)."""
    wait = await request.app[PER_ADDRESS].wait(request, request.remote or "-")
    return wait or await request.app[PER_CONTACT].wait(request, f"contact {visitor.contact_id}")


async def _posted(request: web.Request, visitor: Any) -> web.StreamResponse | None:
    """A refusal when the form token is wrong or the customer wrote too often; None when the post may go on."""
    from tinycrm.services.support import portal

    form = await request.post()
    if not portal.form_ok(visitor.token, form_text(form, "csrf")):
        return render(request, "portal/error.html", status=403, message=FORM_STALE, t=visitor.token)
    wait = await _limited(request, visitor)
    if wait:
        page = render(request, "portal/error.html", status=429, message=TOO_MANY, t=visitor.token)
        page.headers["Retry-After"] = str(wait)
        return page
    return None


FORM_STALE = "This page is out of date. Open the link from your mail again and send it once more."
TOO_MANY = "You have sent many messages in a short time. Please wait a while and try again."


def _back(number: int, token: str, done: str) -> web.Response:
    from urllib.parse import urlencode

    return auth.see_other(f"/portal/tickets/{number}?{urlencode({'t': token, 'done': done})}")


async def reply(request: web.Request, visitor: Any) -> web.StreamResponse:
    from tinycrm.services.support import portal

    number = _number(request)
    refused = await _posted(request, visitor)
    if refused is not None:
        return refused
    form = await request.post()
    body = form.get("body")
    text = body if isinstance(body, str) else ""
    try:
        await _call(request, portal.reply, visitor.contact_id, number, text)
    except InvalidInput as exc:
        return await ticket_page(request, visitor, status=400, problem=exc.message, body=text)
    return _back(number, visitor.token, "replied")


async def close(request: web.Request, visitor: Any) -> web.StreamResponse:
    from tinycrm.services.support import portal

    number = _number(request)
    refused = await _posted(request, visitor)
    if refused is not None:
        return refused
    await _call(request, portal.close, visitor.contact_id, number)
    return _back(number, visitor.token, "closed")


# --- the knowledge base: public, published articles only ------------------------------------------------


async def kb_list(request: web.Request) -> web.StreamResponse:
    from tinycrm.services.support import portal

    query = request.query.get("q", "").strip()[:200]
    try:
        page = await _call(request, portal.articles, query, limit=PAGE, offset=_offset(request))
    except InvalidInput as exc:
        return render(request, "portal/kb.html", q=query, page=None, problem=exc.message, t=_token(request))
    except CrmError as exc:
        return _problem_page(request, exc)
    return render(request, "portal/kb.html", q=query, page=page, t=_token(request))


async def kb_article(request: web.Request) -> web.StreamResponse:
    from markupsafe import Markup

    from tinycrm.services.mail.templating import markdown_html
    from tinycrm.services.support import portal

    try:
        article = await _call(request, portal.article, request.match_info["slug"])
    except CrmError as exc:
        return _problem_page(request, exc)
    html = Markup(markdown_html(article.body))  # noqa: S704 - markdown_html escapes raw HTML in the source
    return render(request, "portal/article.html", a=article, html=html, t=_token(request))


def _token(request: web.Request) -> str:
    """The link's token carried along to the knowledge base, so its pages can lead back (checked there)."""
    token = request.query.get("t", "").strip()
    return token if len(token) <= TOKEN_MAX else ""


async def to_slash(request: web.Request) -> web.StreamResponse:
    query = request.query_string
    return auth.see_other("/portal/" + (f"?{query}" if query else ""))


def setup(app: web.Application, context: Context) -> None:
    from tinycrm import config
    from tinycrm.config.portal import Portal

    hourly = config.get(Portal).replies_per_hour
    # counted in the database, so every server process shares them (tinycrm.services.ratelimit)
    app[PER_CONTACT] = AddressLimit("portal-contact", tries=hourly, seconds=3600)
    app[PER_ADDRESS] = AddressLimit("portal-address", tries=max(hourly * 3, 30), seconds=3600)
    r = app.router
    r.add_get("/portal/kb", kb_list, name="portal_kb")
    r.add_get("/portal/kb/{slug}", kb_article)
    r.add_get("/portal/", with_link(home), name="portal")
    r.add_get("/portal", to_slash)
    r.add_get("/portal/tickets/{n}", with_link(ticket_page))
    r.add_post("/portal/tickets/{n}/reply", with_link(reply))
    r.add_post("/portal/tickets/{n}/close", with_link(close))
