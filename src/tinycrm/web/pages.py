"""The web app's pages, people side: signing in and out, search, a contact, adding one, logging a call.

Server-rendered (Jinja2, autoescaped everywhere). Every page works without JavaScript: a search is a form GET,
every change a form POST carrying the CSRF token. ``static/app.js`` only adds search as you type (it asks for
``/contacts?q=...&partial=1`` and swaps the list in). Handlers parse input, call services through
:func:`tinycrm.web.context.call` and render; a viewer's change is answered 403 (:func:`need_writer`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from tinycrm.domain.errors import CrmError, InvalidInput, NotFound, Refused, StoreUnavailable
from tinycrm.web import auth
from tinycrm.web.context import call

HERE = Path(__file__).parent
TEMPLATES: web.AppKey[jinja2.Environment] = web.AppKey("tinycrm.web.templates", jinja2.Environment)
WRITERS = ("admin", "member")
LOG_KINDS = (("call", "Call"), ("meeting", "Meeting"), ("note", "Note"))
SEARCH_PAGE = 30

#: the page policy: our own scripts, styles and images only; nothing inline, no framing
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def environment() -> jinja2.Environment:
    from markupsafe import Markup

    from tinycrm.domain.dates import show

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its name
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # the templates change with the package only: no stat() of them on every page
    )
    # a time kept on one line: a phone would break '2026-12-05' after its first hyphen
    env.filters["when"] = lambda value: Markup('<span class="when">%s</span>') % show(value) if value else ""
    env.filters["money"] = money
    return env


def money(value: Any, currency: str | None = None) -> str:
    if value is None:
        return ""
    text = f"{value:,.2f}".removesuffix(".00")
    return f"{text} {currency}" if currency else text


def render(request: web.Request, template: str, *, status: int = 200, **values: Any) -> web.Response:
    session = request.get(auth.SESSION) or {}
    user = request.get(auth.USER)
    body = (
        request.app[TEMPLATES]
        .get_template(template)
        .render(
            csrf=session.get("c", ""),
            user=user,
            writer=user is not None and user.role in WRITERS,
            path=request.path,
            **values,
        )
    )
    response = web.Response(status=status, text=body, content_type="text/html")
    response.headers["Content-Security-Policy"] = CSP
    return response


def need_writer(request: web.Request) -> None:
    user = request[auth.USER]
    if user is None or user.role not in WRITERS:
        raise Refused(f"{user.name if user else 'you'} may only read: changes need a member or an admin")


STATUS = ((StoreUnavailable, 503), (NotFound, 404), (InvalidInput, 400), (Refused, 403))


@web.middleware
async def errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """A service's error is a page saying what was wrong, with the status that means it."""
    try:
        return await handler(request)
    except CrmError as exc:
        if request.path.startswith(auth.NO_CSRF_PREFIXES):
            raise
        status = next((code for kind, code in STATUS if isinstance(exc, kind)), 409)
        return render(request, "error.html", status=status, message=exc.message)


def form_text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def int_arg(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise NotFound(f"no {what} {text!r}") from None


# --- signing in and out --------------------------------------------------------------------------------


async def signin_form(request: web.Request) -> web.StreamResponse:
    target = auth.local_path(request.query.get("next"), request.app[auth.HOME])
    return render(request, "signin.html", next=target)


class AddressLimit:
    """At most ``tries`` attempts per client address (or other key) within ``seconds``, counted in the database
    under ``bucket`` (:mod:`tinycrm.services.ratelimit`), so every server process of ``crm serve --processes N``
    counts the same attempts. For sign-in: on top of the lock-out per name, which a guesser trying many names
    would not meet."""

    def __init__(self, bucket: str = "signin", tries: int = 20, seconds: int = 300) -> None:
        from tinycrm.services.ratelimit import Limit

        self.limit = Limit(bucket, tries, seconds)

    async def wait(self, request: web.Request, key: str) -> int:
        """Seconds until ``key`` may try again (0: now, and this attempt is counted)."""
        from tinycrm.services import ratelimit
        from tinycrm.web.context import CONTEXT

        return await request.app[CONTEXT].call(ratelimit.hit, self.limit, key)


ADDRESS_LIMIT: web.AppKey[AddressLimit] = web.AppKey("tinycrm.web.address_limit", AddressLimit)


async def signin_post(request: web.Request) -> web.StreamResponse:
    from tinycrm import config
    from tinycrm.config.web import Web
    from tinycrm.services.team import accounts

    form = await request.post()
    target = auth.local_path(form_text(form, "next"), request.app[auth.HOME])
    name, password = form_text(form, "name"), form.get("password")
    wait = await request.app[ADDRESS_LIMIT].wait(request, request.remote or "-")
    if wait:
        problem = "too many sign-in attempts from your address: try again in a few minutes"
        page = render(request, "signin.html", status=429, problem=problem, next=target, name=name)
        page.headers["Retry-After"] = str(wait)
        return page
    settings = config.get(Web)
    try:
        user = await call(
            request,
            accounts.check_password,
            name,
            password if isinstance(password, str) else "",
            max_failures=settings.max_failures,
            window=_minutes(settings.lockout_minutes),
            lockout=_minutes(settings.lockout_minutes),
        )
    except accounts.LockedOut as exc:
        page = render(request, "signin.html", status=429, problem=exc.message, next=target, name=name)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    except accounts.SignInFailed as exc:
        return render(request, "signin.html", status=401, problem=exc.message, next=target, name=name)
    stamp = await call(request, accounts.session_stamp, user.name)
    auth.start(request, {"u": user.name, "s": stamp})
    return auth.see_other(target)


def _minutes(n: int) -> Any:
    from datetime import timedelta

    return timedelta(minutes=n)


async def signout(request: web.Request) -> web.StreamResponse:
    auth.start(request, {})
    return auth.see_other(auth.SIGNIN_PATH)


# --- contacts ------------------------------------------------------------------------------------------


async def search(request: web.Request) -> web.StreamResponse:
    from tinycrm.services.people import contact_search

    query = request.query.get("q", "").strip()[:200]
    partial = request.query.get("partial") == "1"
    try:
        page = await call(
            request, contact_search.search, query, limit=SEARCH_PAGE, exact_total=not partial and bool(query)
        )
    except InvalidInput as exc:  # a query of nothing searchable
        return render(request, "search.html", q=query, page=None, problem=exc.message)
    template = "_results.html" if partial else "search.html"
    return render(request, template, q=query, page=page)


def contact_view(db: Any, cid: int) -> dict[str, Any]:
    """What a contact's page shows, read in one worker call (one trip to the thread pool, one connection) and
    one snapshot: the services' reads join this one (on PostgreSQL, ten round trips fewer than each opening
    and closing its own)."""
    from tinycrm.services.people import contact_loader, interactions
    from tinycrm.services.sales import deal_reads
    from tinycrm.services.support import tickets
    from tinycrm.services.work import tasks

    tickets.wake(db)  # a write: before the snapshot, not in it
    with db.read():
        return {
            "c": contact_loader.get(db, cid),
            "timeline": interactions.timeline(db, cid, limit=20),
            "tasks": tasks.list_tasks(db, contact_id=cid, limit=20),
            "deals": deal_reads.list_deals(db, contact_id=cid, status=None, limit=20),
            "tickets": tickets.list_page(db, statuses=tickets.STATUSES, contact_id=cid, limit=10),
        }


async def contact_page(request: web.Request) -> web.StreamResponse:
    cid = int_arg(request.match_info["id"], "contact")
    view = await call(request, contact_view, cid)
    return render(request, "contact.html", kinds=LOG_KINDS, logged=request.query.get("logged"), **view)


async def contact_vcard(request: web.Request) -> web.StreamResponse:
    """The contact as a vCard file: a phone offers to add it to its address book."""
    from tinycrm.services.interchange import exporting
    from tinycrm.web.guard import content_disposition

    cid = int_arg(request.match_info["id"], "contact")
    name, card = await call(request, exporting.contact_card, cid)
    headers = {"Content-Disposition": content_disposition("download", name), "Cache-Control": "no-store"}
    return web.Response(
        body=card.encode("utf-8"), content_type="text/vcard", charset="utf-8", headers=headers
    )


async def log_interaction(request: web.Request) -> web.StreamResponse:
    from tinycrm.services.people import interactions

    need_writer(request)
    cid = int_arg(request.match_info["id"], "contact")
    form = await request.post()
    kind = form_text(form, "kind")
    labels = dict(LOG_KINDS)
    if kind not in labels:
        raise InvalidInput(f"log a {', '.join(labels)}: {kind!r} is not one of them")
    summary = form_text(form, "summary") or labels[kind]
    await call(request, interactions.log, contact_ids=[cid], kind_=kind, summary=summary)
    return auth.see_other(f"/contacts/{cid}?logged={kind}")


async def new_contact_form(request: web.Request) -> web.StreamResponse:
    need_writer(request)
    return render(request, "contact_new.html", values={})


async def new_contact_post(request: web.Request) -> web.StreamResponse:
    from tinycrm.domain.people import ContactInput
    from tinycrm.domain.rows import Labeled
    from tinycrm.services.people import contacts

    need_writer(request)
    form = await request.post()
    values = {k: form_text(form, k) for k in ("name", "email", "phone", "company", "notes")}
    data = ContactInput(
        display_name=values["name"],
        emails=[Labeled(values["email"])] if values["email"] else [],
        phones=[Labeled(values["phone"])] if values["phone"] else [],
        company=values["company"] or None,
        notes=values["notes"] or None,
    )
    try:
        created = await call(request, contacts.create, data)
    except InvalidInput as exc:
        return render(request, "contact_new.html", status=400, values=values, problem=exc.message)
    return auth.see_other(f"/contacts/{created.id}")


# --- the app's own files -------------------------------------------------------------------------------


async def manifest(request: web.Request) -> web.StreamResponse:
    import json

    body = {
        "name": "tinycrm",
        "short_name": "tinycrm",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#2557a7",
        "icons": [
            {"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml"},
            {"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png"},
        ],
    }
    return web.Response(text=json.dumps(body), content_type="application/manifest+json")


async def favicon(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(HERE / "static" / "icon.svg", headers={"Content-Type": "image/svg+xml"})


def add_routes(app: web.Application) -> None:
    from tinycrm.web import pages_sales, pages_support

    app[TEMPLATES] = environment()
    app[ADDRESS_LIMIT] = AddressLimit()
    r = app.router
    r.add_get(auth.SIGNIN_PATH, signin_form, name="signin")
    r.add_post(auth.SIGNIN_PATH, signin_post)
    r.add_post(auth.SIGNOUT_PATH, signout, name="signout")
    r.add_get("/", search, name="home")
    r.add_get("/contacts", search, name="search")
    r.add_get("/contacts/new", new_contact_form)
    r.add_post("/contacts", new_contact_post)
    r.add_get("/contacts/{id}", contact_page, name="contact")
    r.add_post("/contacts/{id}/log", log_interaction)
    r.add_get("/contacts/{id}/vcard", contact_vcard)
    r.add_get("/manifest.webmanifest", manifest)
    r.add_get("/favicon.ico", favicon)
    r.add_static("/static", HERE / "static", name="static")
    pages_sales.add_routes(app)
    pages_support.add_routes(app)
