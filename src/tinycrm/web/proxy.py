"""``X-Forwarded-For``, ``-Proto`` and ``-Host``: believed only from the reverse proxies in ``[web]
trusted_proxies``. From anyone else they are ignored (a client could otherwise pick its own address, dodge
the sign-in rate limit by address, or claim https)."""

from __future__ import annotations

import ipaddress
from typing import Any

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
TRUSTED: web.AppKey[list[Network]] = web.AppKey("tinycrm.web.trusted_proxies", list)


def _trusted(address: str | None, networks: list[Network]) -> bool:
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(remote: str | None, forwarded_for: str, networks: list[Network]) -> str | None:
    """The client's address: walking ``X-Forwarded-For`` from the right, the first hop that is not a trusted
    proxy (the left-most entries are whatever the client wrote)."""
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    address = remote
    while hops and _trusted(address, networks):
        address = hops.pop()
    return address


@web.middleware
async def forwarded(request: web.Request, handler: Any) -> web.StreamResponse:
    networks = request.app[TRUSTED]
    if not _trusted(request.remote, networks):
        return await handler(request)
    changes: dict[str, Any] = {}
    hops = request.headers.get("X-Forwarded-For")
    if hops:
        changes["remote"] = client_address(request.remote, hops, networks)
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    if proto in ("http", "https"):
        changes["scheme"] = proto
    host = request.headers.get("X-Forwarded-Host", "").split(",")[0].strip()
    if host:
        changes["host"] = host
        headers = request.headers.copy()
        headers["Host"] = host
        changes["headers"] = headers
    return await handler(request.clone(**changes) if changes else request)
