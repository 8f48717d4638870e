"""The JSON API at ``/api/v1/`` (docs/api.md), and the delivery of webhooks while the server runs.

:func:`setup` adds the routes of every resource in :mod:`.resources` to the server's application, with the
OpenAPI document made from the same table (:mod:`.openapi`), and starts the background task that delivers
webhooks and local hooks (:mod:`tinycrm.services.hooks.delivery`) every ``[hooks] poll_s`` seconds.

Every route needs ``Authorization: Bearer TOKEN`` (``crm token create``): 401 without a valid one; a write
needs a token of scope ``write`` whose user is a member or admin, else 403. Handlers call services in the
server's worker threads, acting as the token's user (the audit log names them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from tinycrm.domain.errors import CrmError
from tinycrm.web.api import http
from tinycrm.web.api.http import ApiError
from tinycrm.web.api.openapi import PREFIX
from tinycrm.web.api.resources import Action, Resource

log = logging.getLogger("tinycrm.web.api")

API: web.AppKey[Api] = web.AppKey("tinycrm.web.api", object)  # type: ignore[arg-type]


class Api:
    """The API's share of the server: its context (database, workers), the token checks, the route table."""

    def __init__(self, context: Any, table: list[Resource]) -> None:
        self.context = context
        self.tokens = http.Tokens()
        self.table = table
        self._document: dict[str, Any] | None = None

    def document(self) -> dict[str, Any]:
        if self._document is None:
            from tinycrm.web.api.openapi import document

            self._document = document(self.table)
        return self._document

    async def run(self, request: web.Request, fn: Any, *args: Any, write: bool = False) -> Any:
        """Check the token, then ``fn(db, *args)`` in a worker thread acting as the token's user."""
        user, scope = await self.tokens.check(request, self.context)
        if write and not http.may_write(user, scope):
            why = "a read-only token" if scope != "write" else f"{user.name} is a {user.role}"
            raise ApiError(403, f"{why} cannot change records; use a write token of a member or admin")
        return await self.context.call(fn, *args, as_user=user.name)


@web.middleware
async def errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """API errors as JSON: typed service errors with their status, anything else a 500 (logged)."""
    if not request.path.startswith(PREFIX + "/") and request.path != PREFIX:
        return await handler(request)
    try:
        return await handler(request)
    except ApiError as exc:
        return http.error_response(exc.status, exc.message, exc.field, exc.headers)
    except CrmError as exc:
        return http.error_response(http.status_of(exc), exc.message, exc.field)
    except web.HTTPException as exc:
        if exc.status == 404:
            return http.error_response(404, f"no such API route: {request.method} {request.path}")
        if exc.status == 405:
            return http.error_response(405, f"{request.method} is not allowed on {request.path}")
        raise
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return http.error_response(500, "the server failed to answer; see its log")


def _version(doc: dict[str, Any], request: web.Request, r: Resource) -> int | None:
    value = doc.pop("version", None)
    if value is None and request.headers.get("If-Match"):
        value = request.headers["If-Match"].strip('W/"')
    if value is None:
        if r.versioned:
            raise ApiError(
                400, 'give the record\'s version you read ("version": N) to change it', field="version"
            )
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"version must be a whole number (got {value!r})", field="version") from None


def handlers(api: Api, r: Resource) -> dict[str, Any]:
    async def listing(request: web.Request) -> web.Response:
        limit, offset = http.page_params(request)
        page = await api.run(request, r.list, dict(request.query), limit, offset)
        body = {
            "items": page.items,
            "total": page.total,
            "limit": page.limit,
            "offset": page.offset,
            "more": page.more,
            "estimate": page.estimate,
        }
        if page.order:  # a search: how its items come
            body["order"] = page.order
        return http.ok(body)

    async def get(request: web.Request) -> web.Response:
        return http.ok(await api.run(request, r.get, http.record_id(request)))

    async def create(request: web.Request) -> web.Response:
        await api.tokens.check(request, api.context)
        doc = await http.body(request)
        made = await api.run(request, r.create, doc, write=True)
        response = http.ok(made, status=201)
        response.headers["Location"] = f"{PREFIX}/{r.name}/{made.id}"
        return response

    async def update(request: web.Request) -> web.Response:
        await api.tokens.check(request, api.context)
        rid, doc = http.record_id(request), await http.body(request)
        version = _version(doc, request, r)
        return http.ok(await api.run(request, r.update, rid, doc, version, write=True))

    async def delete(request: web.Request) -> web.Response:
        return http.ok(await api.run(request, r.delete, http.record_id(request), write=True))

    return {"list": listing, "get": get, "create": create, "update": update, "delete": delete}


def action_handler(api: Api, a: Action) -> Any:
    async def act(request: web.Request) -> web.Response:
        await api.tokens.check(request, api.context)
        rid, doc = http.record_id(request), await http.body(request)
        return http.ok(await api.run(request, a.run, rid, doc, write=True), status=201)

    return act


def add_routes(app: web.Application, api: Api) -> None:
    for r in api.table:
        h = handlers(api, r)
        for a in r.actions:
            app.router.add_post(f"{PREFIX}/{r.name}/{{id}}/{a.name}", action_handler(api, a))
        app.router.add_get(f"{PREFIX}/{r.name}", h["list"])
        if r.create:
            app.router.add_post(f"{PREFIX}/{r.name}", h["create"])
        if r.get:
            app.router.add_get(f"{PREFIX}/{r.name}/{{id}}", h["get"])
        if r.update:
            app.router.add_patch(f"{PREFIX}/{r.name}/{{id}}", h["update"])
        if r.delete:
            app.router.add_delete(f"{PREFIX}/{r.name}/{{id}}", h["delete"])

    async def openapi(request: web.Request) -> web.Response:
        await api.tokens.check(request, api.context)
        return http.ok(api.document())

    async def unknown(request: web.Request) -> web.Response:
        await api.tokens.check(request, api.context)
        raise ApiError(404, f"no such API route: {request.method} {request.path}")

    app.router.add_get(f"{PREFIX}/openapi.json", openapi)
    app.router.add_route("*", PREFIX + "/{rest:.*}", unknown)


async def deliver_hooks(context: Any) -> None:
    """Deliver webhooks and local hooks every ``[hooks] poll_s`` seconds while the server runs, in a thread of
    its own (a slow receiver never holds up a request)."""
    from concurrent.futures import ThreadPoolExecutor

    from tinycrm.services.hooks import delivery
    from tinycrm.store import pool

    pause = delivery.settings().poll_s
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tinycrm-hooks") as worker:
        while True:
            try:
                await loop.run_in_executor(worker, pool.call, context.db, delivery.deliver_round)
            except CrmError as exc:
                log.warning("delivering hooks: %s", exc.message)
            except Exception:
                log.exception("delivering hooks failed; trying again in %s s", pause)
            await asyncio.sleep(pause)


def setup(app: web.Application, context: Any) -> None:
    """Mount the API at ``/api/v1/`` and start delivering hooks while ``app`` runs."""
    from tinycrm.web.api.table import table
    from tinycrm.web.generation import WATCH

    api = Api(context, table())
    app[API] = api
    if WATCH in app:
        app[WATCH].caches.append(api.tokens.seen)
    app.middlewares.append(errors)
    add_routes(app, api)

    async def delivering(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(deliver_hooks(context))
        yield
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass

    app.cleanup_ctx.append(delivering)
