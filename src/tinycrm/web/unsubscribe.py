"""``/unsubscribe/TOKEN``: the one-click unsubscribe link of campaign mail (RFC 8058).

A GET shows a page with one button (link scanners and previews follow links: a GET never opts anyone out); a
POST opts the address out, whether it comes from that button or from the mail client's own one-click request
(``List-Unsubscribe=One-Click``). No sign-in: the token is the capability.
"""

from __future__ import annotations

from aiohttp import web

from tinycrm.web.context import CONTEXT, Context
from tinycrm.web.pages import render


async def show(request: web.Request) -> web.StreamResponse:
    from tinycrm.services.marketing.unsubscribe import look_up

    found = await request.app[CONTEXT].call(look_up, request.match_info["token"])
    if found is None:
        return render(request, "unsubscribe.html", status=404, found=None, done=False, token="")
    return render(
        request, "unsubscribe.html", found=found, done=found.opted_out, token=request.match_info["token"]
    )


async def post(request: web.Request) -> web.StreamResponse:
    from tinycrm.services.marketing.unsubscribe import unsubscribe

    done = await request.app[CONTEXT].call(unsubscribe, request.match_info["token"])
    if done is None:
        return render(request, "unsubscribe.html", status=404, found=None, done=False, token="")
    return render(request, "unsubscribe.html", found=done, done=True, token="")


def setup(app: web.Application, context: Context) -> None:
    app.router.add_get("/unsubscribe/{token}", show, name="unsubscribe")
    app.router.add_post("/unsubscribe/{token}", post)
