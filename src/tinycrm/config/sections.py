"""The sections of the config file, one frozen dataclass each, and :data:`SECTIONS`, the table of them.

To add a section: write its dataclass here (a ``#:`` comment above every field saying what it does, its
default, and a ``check`` for values the type alone does not rule out), then add one line to
:data:`SECTIONS`. The loader, ``crm config show|check``, the ``TINYCRM_SECTION_KEY`` environment overrides and
the error messages (file, line, what is allowed) follow from that. Document it in ``docs/config.md``.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from tinycrm.config import leads as _leads
from tinycrm.config.base import Bad, Section, setting, shown

# --- checks shared by the sections ----------------------------------------------------------------------


def allowing(allowed: str) -> Any:
    """Give a check the words for what it allows, which the type error uses too ("must be ALLOWED")."""

    def mark(check: Any) -> Any:
        check.allowed = allowed
        return check

    return mark


def between(low: int, high: int) -> Any:
    allowed = f"a whole number from {low} to {high}"

    @allowing(allowed)
    def check(value: int) -> int:
        if not low <= value <= high:
            raise ValueError(f"must be {allowed} (got {value})")
        return value

    return check


def one_line(what: str, max_len: int = 200) -> Any:
    def check(value: str) -> str:
        value = value.strip()
        if not value or "\n" in value or len(value) > max_len:
            raise ValueError(f"must be {what} on one line, at most {max_len} characters (got {shown(value)})")
        return value

    return check


def address(value: str) -> str:
    """An e-mail address, bare or with a display name (``tinycrm <crm@example.com>``)."""
    from tinycrm.domain import validation
    from tinycrm.domain.errors import InvalidInput

    match = re.fullmatch(r"\s*(?:[^<>]*<([^<>]+)>|([^<>]+))\s*", value)
    try:
        if match is None:
            raise ValueError
        validation.email(match.group(1) or match.group(2) or "")
    except (ValueError, InvalidInput):
        raise ValueError(
            f'must be an e-mail address such as "crm@example.com" or "tinycrm <crm@example.com>" '
            f"(got {shown(value)})"
        ) from None
    return value.strip()


def hostname(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._:\-\[\]]+", value.strip()):
        raise ValueError(f'must be a host name or IP address such as "mail.example.com" (got {shown(value)})')
    return value.strip()


def env_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise ValueError(
            f'must be the name of an environment variable such as "TINYCRM_SMTP_PASSWORD" (got {shown(value)})'
        )
    return value


def db_url(value: str) -> str:
    if not re.match(r"(sqlite:///.|postgres(ql)?(\+psycopg)?://.)", value.strip()):
        hidden = re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", value)  # a password in the URL is never repeated
        raise ValueError(
            f"must be a database URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB (got {shown(hidden)})"
        )
    return value.strip()


# --- the top of the file --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Core(Section):
    """Settings at the top of the file, before any ``[table]``."""

    #: the database URL (``sqlite:///PATH`` or ``postgresql+psycopg://USER@HOST/DB``); unset: the SQLite file
    #: in the data directory. ``--db`` on the command line wins over it.
    db: str | None = setting(None, check=db_url)
    #: who you are in team mode (owner of what you create, name in the audit log); unset: the login name
    user: str | None = setting(None, check=one_line("a user name", 100))
    #: how many days ahead birthdays appear in the agenda and in reminders
    birthday_lead_days: int = setting(7, check=between(0, 366))


# --- [smtp] ---------------------------------------------------------------------------------------------

DEFAULT_SENDMAIL = "/usr/sbin/sendmail"


def sendmail_program(value: bool | str) -> bool | str:
    if isinstance(value, str) and not value.strip():
        raise ValueError('must be true, false or the path of a sendmail program such as "/usr/bin/msmtp"')
    return value.strip() if isinstance(value, str) else value


def pem_file(value: str) -> str:
    """A PEM file of certificate authorities to trust (``~`` is expanded); whether it can be read is checked
    when a connection is made, so a missing file never stops a command that sends no mail."""
    import os

    value = value.strip()
    if not value or any(c in value for c in "\r\n\x00"):
        raise ValueError(
            f'must be the path of a PEM file such as "~/.config/tinycrm/ca.pem" (got {shown(value)})'
        )
    return os.path.expanduser(value)


def seconds(value: float) -> float:
    if not 0 < value <= 3600:
        raise ValueError(f"must be a number of seconds above 0, at most 3600 (got {value:g})")
    return value


@dataclass(frozen=True)
class Smtp(Section):
    """How ``crm remind --mail-to`` sends mail: an SMTP server, or a local sendmail program."""

    REFUSED: ClassVar[dict[str, str]] = {
        "password": "password does not belong in the config file; set password_env to the name of an "
        "environment variable that holds it",
    }

    #: the SMTP server
    host: str = setting("localhost", check=hostname)
    #: its port; unset: 465 with ssl, 587 with starttls, else 25
    port: int | None = setting(None, check=between(1, 65535))
    #: upgrade the connection with STARTTLS (usually port 587)
    starttls: bool = False
    #: connect with TLS from the start (usually port 465)
    ssl: bool = False
    #: the login name, if the server wants one (needs password_env)
    user: str | None = setting(None, check=one_line("a login name"))
    #: the environment variable that holds the password (the password itself is never in the file)
    password_env: str | None = setting(None, check=env_name)
    #: the sender of the mails (``from`` in the file); unset: ``tinycrm <LOGIN@HOSTNAME>``
    sender: str | None = setting(None, check=address, key="from")
    #: ``true`` to hand mails to /usr/sbin/sendmail, or the path of another sendmail program, instead of SMTP
    sendmail: bool | str = setting(False, check=sendmail_program)
    #: seconds to wait for the server
    timeout: float = setting(30.0, check=seconds)
    #: a PEM file of the certificate authorities to trust instead of the system's (a private CA)
    ca_file: str | None = setting(None, check=pem_file)
    #: check the server's certificate and name (ssl, starttls); false is insecure and warns on every use
    tls_verify: bool = True

    def validate(self) -> None:
        if self.starttls and self.ssl:
            raise Bad(
                "ssl and starttls are both true; choose one (ssl: usually port 465, starttls: 587)", "ssl"
            )
        if self.user and not self.password_env:
            raise Bad(
                "user is set but password_env is not; name the environment variable that holds the password",
                "user",
            )
        if self.port is None:
            self.fill("port", 465 if self.ssl else 587 if self.starttls else 25)

    @property
    def program(self) -> str | None:
        """The sendmail program to use instead of SMTP, or ``None``."""
        if self.sendmail is True:
            return DEFAULT_SENDMAIL
        return self.sendmail or None


# --- [sales] --------------------------------------------------------------------------------------------


def iso_currency(value: str) -> str:
    from tinycrm.domain.currencies import CURRENCIES

    code = value.strip().upper()
    if code not in CURRENCIES:
        raise ValueError(f"must be an ISO 4217 code such as EUR, USD, GBP or JPY (got {shown(value)})")
    return code


@dataclass(frozen=True)
class Sales(Section):
    """Deals and money."""

    #: the currency of a deal added without ``--currency`` (an ISO 4217 code); unset: ``--currency`` is needed
    currency: str | None = setting(None, check=iso_currency)


# --- [tui] and [keys] -----------------------------------------------------------------------------------

#: the areas the app can open on (tinycrm.tui.app.AREAS; a test keeps the two equal)
AREAS = ("contacts", "companies", "pipeline", "agenda", "dashboard", "tickets", "leads")
#: the app's own themes and their short names, and Textual's built-in themes (a test keeps them current)
THEMES = (
    *("dark", "light", "tinycrm-dark", "tinycrm-light"),
    *("ansi-dark", "ansi-light", "atom-one-dark", "atom-one-light", "catppuccin-frappe", "catppuccin-latte"),
    *("catppuccin-macchiato", "catppuccin-mocha", "dracula", "flexoki", "gruvbox", "monokai", "nord"),
    *("rose-pine", "rose-pine-dawn", "rose-pine-moon", "solarized-dark", "solarized-light", "textual-dark"),
    *("textual-light", "tokyo-night"),
)


def choice(options: tuple[str, ...]) -> Any:
    allowed = f"one of {', '.join(options)}"

    @allowing(allowed)
    def check(value: str) -> str:
        if value not in options:
            raise ValueError(f"must be {allowed} (got {shown(value)})")
        return value

    return check


@dataclass(frozen=True)
class Tui(Section):
    """The full-screen app."""

    #: the colour theme: dark, light, or a Textual theme name; unset: the last one chosen with ctrl+t
    theme: str | None = setting(None, check=choice(THEMES))
    #: the area the app opens on
    start: str = setting("contacts", check=choice(AREAS))


def keymap(table: Mapping[str, Any]) -> dict[str, str]:
    if not table:
        return {}
    from tinycrm.config import keys  # the binding ids the app declares (no Textual import)

    try:
        return keys.keymap(table)
    except keys.KeymapError as exc:
        raise Bad(exc.message, exc.binding_id) from None


@dataclass(frozen=True)
class Keys(Section):
    """Key bindings of the app: ``"binding.id" = "key"`` (several keys separated by commas, or a list)."""

    OPEN: ClassVar[bool] = True

    #: binding id -> the key(s) it answers to, in Textual's key names; the app's help screen (?) lists the ids
    bindings: Mapping[str, str] = setting(default_factory=dict, check=keymap)


# --- the table of sections ------------------------------------------------------------------------------
from tinycrm.config.hooks import Hooks  # noqa: E402 - its own module, which uses the checks above
from tinycrm.config.mail import Mail  # noqa: E402 - its module uses the checks above

#: table name -> its dataclass; "" is the top of the file. A new section is its dataclass and one line here.
from tinycrm.config.marketing import Marketing  # noqa: E402 - it uses the checks above
from tinycrm.config.portal import Portal  # noqa: E402 - it uses the checks above
from tinycrm.config.support import Sla, Support  # noqa: E402 - its checks use the ones above
from tinycrm.config.sync import Sync  # noqa: E402  (its checks come from this module)
from tinycrm.config.web import Web  # noqa: E402  (its checks come from this module)

SECTIONS: dict[str, type[Section]] = {
    "": Core,
    "smtp": Smtp,
    "sales": Sales,
    "tui": Tui,
    "keys": Keys,
    "hooks": Hooks,
    "web": Web,
    "sync": Sync,
    "leads": _leads.Leads,
    "forecast": _leads.Forecast,
    "mail": Mail,
    "marketing": Marketing,
    "support": Support,
    "portal": Portal,
    "sla": Sla,
}
