"""What ``crm serve`` was asked for, checked once at start: the address, the public URL, the host names the
server answers to, the token and the limits. Plain standard library: nothing here opens a socket."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field

from tinycrm.domain.errors import InvalidInput

#: the host names that always mean "this machine"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
#: bind addresses that listen on every interface
WILDCARDS = frozenset({"0.0.0.0", "::"})

#: how many app sessions may run at once unless --max-sessions says otherwise
DEFAULT_MAX_SESSIONS = 4
#: the terminal size a browser may ask for (columns, rows): larger ones are cut to these bounds
WIDTH_RANGE = (20, 500)
HEIGHT_RANGE = (10, 200)


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    """``host`` (a bind address or host name) reaches this machine only."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clamp(value: object, bounds: tuple[int, int], default: int) -> int:
    """``value`` as a whole number within ``bounds``; ``default`` when it is not a number."""
    try:
        number = int(str(value))
    except ValueError:
        number = default
    return max(bounds[0], min(bounds[1], number))


@dataclass(frozen=True)
class Origin:
    """A web origin: scheme, host name (lower case, IPv6 without brackets) and port."""

    scheme: str
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> Origin | None:
        """The origin of ``url`` (``scheme://host[:port]...``); ``None`` when it is not an http(s) URL."""
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            return None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
            return None
        secure = scheme in ("https", "wss")
        return cls("https" if secure else "http", parts.hostname.lower(), port or (443 if secure else 80))

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")


def split_host(value: str) -> tuple[str, int | None]:
    """A ``Host`` header's name (lower case, IPv6 without brackets) and port (``None`` when absent).
    Raises ValueError for a malformed one."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            raise ValueError(value)
        name, rest = value[1:end], value[end + 1 :]
        if not is_ip(name):
            raise ValueError(value)
    else:
        name, _, port_text = value.partition(":")
        rest = f":{port_text}" if _ else ""
    if not name or any(c.isspace() or c in "/\\@?#" for c in name):
        raise ValueError(value)
    if not rest:
        return name, None
    if not rest.startswith(":") or not rest[1:].isdigit() or not 0 < int(rest[1:]) < 65536:
        raise ValueError(value)
    return name, int(rest[1:])


@dataclass(frozen=True)
class ServeOptions:
    """Everything the web server needs to start; built by :meth:`make` from the command's options."""

    host: str
    port: int
    token: str
    public: Origin | None = None
    max_sessions: int = DEFAULT_MAX_SESSIONS
    db_url: str | None = None
    #: the host names (lower case) a request's ``Host`` may carry besides IP addresses on a wildcard bind
    host_names: frozenset[str] = field(default_factory=frozenset)
    #: ``--public``: listening beyond this machine was asked for (cookies are then Secure)
    exposed: bool = False

    @classmethod
    def make(
        cls,
        *,
        host: str,
        port: int,
        token: str,
        public_url: str | None = None,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        db_url: str | None = None,
        exposed: bool = False,
    ) -> ServeOptions:
        host = host.strip()
        bare = host.strip("[]").lower()
        if not bare:
            raise InvalidInput("--host is empty: give an address such as 127.0.0.1")
        if not is_loopback(bare) and not exposed:
            raise InvalidInput(
                f"--host {host} listens beyond this machine: add --public to mean it (users then need a "
                "password: crm user password NAME; put a TLS reverse proxy in front, see docs/web.md)"
            )
        public = None
        if public_url:
            public = Origin.parse(public_url)
            from urllib.parse import urlsplit

            rest = urlsplit(public_url.strip())
            if public is None or public.scheme not in ("http", "https"):
                raise InvalidInput(
                    f"--public-url {public_url!r} is not an http:// or https:// URL "
                    "(example: https://crm.example.com)"
                )
            if rest.path not in ("", "/") or rest.query or rest.fragment or rest.username:
                raise InvalidInput(
                    f"--public-url {public_url!r} has more than a scheme, a host and a port: the app is served "
                    f"at the root of its host, so give {public.url}"
                )
        if not token:
            # until accounts exist the token is the only way in: never serve beyond this machine without it
            if not is_loopback(bare):
                raise InvalidInput(f"--host {host}: serving beyond this machine needs a sign-in token")
        names: set[str] = set()
        if bare in WILDCARDS:
            names |= LOOPBACK_NAMES | machine_names()
        elif is_loopback(bare):
            names |= LOOPBACK_NAMES | {bare}
        else:
            names.add(bare)
        if public is not None:
            names.add(public.host)
        return cls(
            host=bare,
            port=port,
            token=token,
            public=public,
            max_sessions=max_sessions,
            db_url=db_url,
            host_names=frozenset(names),
            exposed=exposed,
        )

    @property
    def wildcard(self) -> bool:
        return self.host in WILDCARDS

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    def host_allowed(self, name: str) -> bool:
        """A request whose ``Host`` names ``name`` is for this server.

        A name must be one of :attr:`host_names`; on a wildcard bind any IP address is accepted too (a browser
        that sends an IP address as the Host went to that address itself, so it cannot be a rebound name)."""
        return name in self.host_names or (self.wildcard and is_ip(name))

    def shown_url(self) -> str:
        """The address to print at start: the public URL, else the bind address (this machine's name for a
        wildcard bind)."""
        if self.public is not None:
            return self.public.url
        if self.wildcard:
            return Origin("http", socket.gethostname().lower(), self.port).url
        return Origin("http", self.host, self.port).url


def machine_names() -> set[str]:
    """This machine's own names (short and fully qualified), for a server that listens everywhere."""
    names = set()
    for name in (socket.gethostname(), socket.getfqdn()):
        if name:
            names.add(name.lower())
            names.add(f"{name.lower()}.local")
    return names
