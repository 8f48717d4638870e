"""What every API route shares: bearer tokens, JSON in and out, errors as JSON with the status that means what
the command line's exit code means."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tinycrm.domain.errors import (
    Conflict,
    CrmError,
    InvalidInput,
    NotFound,
    Refused,
    StoreUnavailable,
)

#: a token checked in the last seconds is not looked up again; all are forgotten when the accounts' generation
#: changes (:mod:`tinycrm.web.generation`), so a revoked token stops working within a second
TOKEN_CACHE_S = 10.0
MAX_LIMIT = 500

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    def __init__(
        self, status: int, message: str, *, field: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.headers = status, message, field, headers or {}


def status_of(exc: CrmError) -> int:
    """The HTTP status of a typed error: bad input 400, nothing there 404, a conflict 409, refused 403, the
    database unavailable 503 (exit 75), any other failed operation 500."""
    from tinycrm.store.search import NothingToSearch

    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, (InvalidInput, NothingToSearch)) or exc.exit_code == 2:
        return 400
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, Refused):
        return 403
    if isinstance(exc, StoreUnavailable) or exc.exit_code == 75:
        return 503
    return 500


def dumps(value: Any) -> str:
    from tinycrm.domain.rows import to_json

    return json.dumps(to_json(value), ensure_ascii=False)


def ok(value: Any, status: int = 200) -> web.Response:
    return web.Response(text=dumps(value), status=status, content_type="application/json")


def error_response(
    status: int, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    doc: dict[str, Any] = {"error": {"status": status, "message": message}}
    if field:
        doc["error"]["field"] = field
    return web.Response(
        text=json.dumps(doc, ensure_ascii=False),
        status=status,
        content_type="application/json",
        headers=headers,
    )


async def body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object."""
    try:
        doc = await request.json(loads=json.loads)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(
            400, "the request body is not JSON; send an object with Content-Type: application/json"
        ) from None
    if not isinstance(doc, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return doc


def int_param(request: web.Request, name: str, default: int | None = None) -> int | None:
    text = request.query.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise ApiError(400, f"{name} must be a whole number (got {text!r})", field=name) from None


def page_params(request: web.Request) -> tuple[int, int]:
    limit = int_param(request, "limit", 20)
    offset = int_param(request, "offset", 0)
    assert limit is not None and offset is not None
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, f"limit must be between 1 and {MAX_LIMIT} (got {limit})", field="limit")
    if offset < 0:
        raise ApiError(400, f"offset must not be negative (got {offset})", field="offset")
    return limit, offset


def record_id(request: web.Request) -> int:
    text = request.match_info["id"]
    try:
        value = int(text)
    except ValueError:
        raise ApiError(404, f"no record with id {text!r}: ids are whole numbers") from None
    if not 1 <= value <= 2**31 - 1:
        raise ApiError(404, f"no record with id {value}")
    return value


# --- tokens ---------------------------------------------------------------------------------------------


class Tokens:
    """Bearer tokens checked through the accounts service, remembered for :data:`TOKEN_CACHE_S`."""

    def __init__(self) -> None:
        self.seen: dict[str, tuple[float, Any, str]] = {}

    async def check(self, request: web.Request, context: Any) -> tuple[Any, str]:
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise ApiError(
                401,
                "this API needs a token: send Authorization: Bearer TOKEN (make one with crm token create)",
                headers={"WWW-Authenticate": 'Bearer realm="tinycrm"'},
            )
        from tinycrm.web import generation

        await generation.check(request)
        key = hashlib.sha256(secret.strip().encode("utf-8", "replace")).hexdigest()
        hit = self.seen.get(key)
        moment = time.monotonic()
        if hit is not None and moment - hit[0] < TOKEN_CACHE_S:
            return hit[1], hit[2]
        from tinycrm.services.team import accounts

        try:
            user, scope = await context.call(accounts.check_token, secret.strip())
        except accounts.SignInFailed as exc:
            raise ApiError(
                401, exc.message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
            ) from None
        if len(self.seen) > 1000:
            self.seen.clear()
        self.seen[key] = (moment, user, scope)
        return user, scope


def may_write(user: Any, scope: str) -> bool:
    from tinycrm.services.team import accounts

    return bool(accounts.may_write(user, scope))
