"""``/f/KEY``: the public address of a web form (``crm form add``). Anyone may post to it, from any site: that
is what a website's contact form does. A GET shows the form on a page of its own.

Each post goes through :func:`tinycrm.services.forms.submit` (the form's fields only, size limits, a honeypot,
a per-address rate limit) and ends as a redirect to the form's ``--redirect`` address or a thank-you page; a
client asking for JSON (``Accept: application/json``) gets ``{"ok": true}`` or an error object instead.

A double opt-in form's post waits for its confirmation: the server sends the confirmation mail right after the
post (and every :data:`SEND_EVERY` seconds, for retries and for posts another process stored), through
:func:`tinycrm.services.form_optin.send_due`. ``/f/confirm/TOKEN`` shows a button (a GET changes nothing: mail
scanners follow links) whose POST confirms: the lead is made and the consent recorded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from tinycrm.domain.errors import CrmError, InvalidInput, NotFound
from tinycrm.web.context import CONTEXT, Context
from tinycrm.web.pages import render

MAX_BODY = 64 * 1024
SEND_EVERY = 60.0
log = logging.getLogger("tinycrm.web.forms")
#: the sending runs the server started, kept until they end
SENDING: web.AppKey[set[asyncio.Task[Any]]] = web.AppKey("tinycrm.web.forms.sending", set)


def _wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _fail(request: web.Request, status: int, message: str) -> web.Response:
    if _wants_json(request):
        return web.json_response({"ok": False, "error": message}, status=status)
    return render(request, "form_done.html", status=status, problem=message, form_name=None)


async def show(request: web.Request) -> web.StreamResponse:
    from tinycrm.services import forms

    try:
        form = await request.app[CONTEXT].call(forms.form_by_key, request.match_info["key"])
    except NotFound as exc:
        return _fail(request, 404, exc.message)
    return render(request, "form.html", form=form, labels=forms.FIELD_LABELS)


async def post(request: web.Request) -> web.StreamResponse:
    from tinycrm.services import forms

    if request.content_length is not None and request.content_length > MAX_BODY:
        return _fail(request, 413, f"the form is larger than {MAX_BODY // 1024} kB")
    try:
        data = await request.post()
    except ValueError:
        return _fail(request, 400, "the form could not be read")
    from tinycrm.web.guard import request_origin

    fields: dict[str, Any] = {k: v for k, v in data.items() if isinstance(v, str)}
    context: Context = request.app[CONTEXT]
    origin = request_origin(request)
    try:
        posted = await context.call(
            forms.submit, request.match_info["key"], fields, request.remote, origin.url if origin else ""
        )
    except forms.TooManyPosts as exc:
        response = _fail(request, 429, exc.message)
        response.headers["Retry-After"] = str(int(forms.WINDOW.total_seconds()))
        return response
    except NotFound as exc:
        return _fail(request, 404, exc.message)
    except InvalidInput as exc:
        return _fail(request, 400, exc.message)
    except CrmError as exc:
        return _fail(request, 503 if exc.exit_code == 75 else 409, exc.message)
    if posted.optin_id is not None:
        _send_soon(request.app, context)
    if _wants_json(request):
        return web.json_response({"ok": True, "confirm": posted.optin_id is not None})
    if posted.redirect:
        raise web.HTTPSeeOther(posted.redirect)
    return render(
        request, "form_done.html", problem=None, form_name=posted.form, confirm=posted.optin_id is not None
    )


async def _send(context: Context) -> None:
    from tinycrm.services import form_optin

    try:
        done = await context.call(form_optin.send_due)
    except CrmError as exc:
        log.warning("sending form confirmations: %s", exc.message)
        return
    if done.error:
        log.warning("a form confirmation was not sent: %s", done.error)


def _send_soon(app: web.Application, context: Context) -> None:
    """Send the confirmation now, without keeping the poster waiting for the mail server."""
    task = asyncio.create_task(_send(context))
    app[SENDING].add(task)
    task.add_done_callback(app[SENDING].discard)


async def confirm_page(request: web.Request) -> web.StreamResponse:
    from tinycrm.services import form_optin

    token = request.match_info["token"]
    found = await request.app[CONTEXT].call(form_optin.look_up, token)
    status = 404 if found is None else (410 if found.expired else 200)
    return render(request, "form_confirm.html", status=status, found=found, token=token)


async def confirm(request: web.Request) -> web.StreamResponse:
    from tinycrm.services import form_optin

    found = await request.app[CONTEXT].call(form_optin.confirm, request.match_info["token"])
    status = 404 if found is None else (410 if found.expired else 200)
    if _wants_json(request):
        ok = found is not None and found.confirmed
        return web.json_response({"ok": ok, "lead_id": found.lead_id if found else None}, status=status)
    return render(request, "form_confirm.html", status=status, found=found, token="")


def setup(app: web.Application, context: Context) -> None:
    app.router.add_get("/f/confirm/{token}", confirm_page, name="form_confirm")
    app.router.add_post("/f/confirm/{token}", confirm)
    app.router.add_get("/f/{key}", show, name="form")
    app.router.add_post("/f/{key}", post)
    app[SENDING] = set()

    async def sending(_app: web.Application) -> AsyncIterator[None]:
        async def every() -> None:
            while True:
                await _send(context)
                await asyncio.sleep(SEND_EVERY)

        task = asyncio.create_task(every())
        yield
        task.cancel()
        for running in (task, *app[SENDING]):
            try:
                await running
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                pass

    app.cleanup_ctx.append(sending)
