"""The ``[web]`` section: the web server of ``crm serve``."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from tinycrm.config.base import Section, setting, shown
from tinycrm.config.sections import allowing, between

#: the most server processes crm serve runs (--processes, [web] processes)
MAX_PROCESSES = 64


def networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The addresses and networks of a ``trusted_proxies`` value (commas or spaces between them)."""
    return [ipaddress.ip_network(part, strict=False) for part in text.replace(",", " ").split()]


@allowing('IP addresses or networks separated by commas, such as "127.0.0.1, 10.0.0.0/8"')
def proxy_list(value: str) -> str:
    try:
        networks(value)
    except ValueError:
        raise ValueError(
            f'must be IP addresses or networks separated by commas, such as "127.0.0.1, 10.0.0.0/8" '
            f"(got {shown(value)})"
        ) from None
    return value


@allowing('an http(s) address such as "https://crm.example.com"')
def web_url(value: str) -> str:
    import re

    value = value.strip().rstrip("/")
    if not re.fullmatch(r"https?://[A-Za-z0-9.\-]+(:\d{1,5})?(/[\w\-./~%]*)?", value):
        raise ValueError(f'must be an http(s) address such as "https://crm.example.com" (got {shown(value)})')
    return value


@dataclass(frozen=True)
class Web(Section):
    """The web server (crm serve)."""

    #: the reverse proxies whose X-Forwarded-For/-Proto/-Host headers are believed (addresses or networks,
    #: separated by commas); unset: none, the headers are ignored
    trusted_proxies: str = setting("", check=proxy_list)
    #: failed sign-ins in a row (within lockout_minutes) that lock a user name out
    max_failures: int = setting(5, check=between(2, 100))
    #: how long a locked-out name waits, in minutes
    lockout_minutes: int = setting(15, check=between(1, 1440))
    #: how many days a signed-in browser stays signed in
    session_days: int = setting(14, check=between(1, 365))
    #: threads that run database work for requests (each holds at most one database connection). Few: Python
    #: runs one thread at a time, and more threads only take turns (20 clients on 2 processes: 8 threads each
    #: gave a 99th percentile of 64 ms, 3 gave 43 ms and a few more answers a second, on SQLite as on PostgreSQL)
    workers: int = setting(3, check=between(1, 64))
    #: server processes sharing the port (crm serve --processes): each runs Python on a core of its own, with
    #: its own workers and database connections (Linux)
    processes: int = setting(1, check=between(1, MAX_PROCESSES))
    #: where people reach this server (https://crm.example.com behind a proxy): the customer portal's links
    #: in ticket mails start with it; unset: the mails carry no portal link
    base_url: str | None = setting(None, check=web_url)
