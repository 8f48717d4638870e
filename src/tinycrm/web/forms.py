"""``/f/KEY``: the public address of a web form (``crm form add``). Anyone may post to it, from any site: that
is what a website's contact form does. A GET shows the form on a page of its own.

Each post goes through :func:`tinycrm.services.forms.submit` (the form's fields only, size limits, a honeypot,
a per-address rate limit) and ends as a redirect to the form's ``--redirect`` address or a thank-you page; a
client asking for JSON (``Accept: application/json``) gets ``{"ok": true}`` or an error object instead.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tinycrm.domain.errors import CrmError, InvalidInput, NotFound
from tinycrm.web.context import CONTEXT, Context
from tinycrm.web.pages import render

MAX_BODY = 64 * 1024


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
    fields: dict[str, Any] = {k: v for k, v in data.items() if isinstance(v, str)}
    context: Context = request.app[CONTEXT]
    try:
        posted = await context.call(forms.submit, request.match_info["key"], fields, request.remote)
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
    if _wants_json(request):
        return web.json_response({"ok": True})
    if posted.redirect:
        raise web.HTTPSeeOther(posted.redirect)
    return render(request, "form_done.html", problem=None, form_name=posted.form)


def setup(app: web.Application, context: Context) -> None:
    app.router.add_get("/f/{key}", show, name="form")
    app.router.add_post("/f/{key}", post)
