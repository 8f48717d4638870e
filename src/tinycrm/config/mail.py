"""``[mail]``: mail coming in, through ``crm mail ingest`` (files, stdin, a Maildir, an mbox) and ``crm mail
fetch`` (an IMAP mailbox).

::

    [mail]
    max_attachment_mb = 10
    host = "imap.example.com"        # crm mail fetch
    security = "tls"                 # tls (port 993), starttls (143) or plain (loopback only)
    user = "ada"
    password_env = "TINYCRM_IMAP_PASSWORD"
    folder = "INBOX"
    after = "seen"                   # or "move:Archive"
    # ca_file = "~/.config/tinycrm/company-ca.pem"   # a private CA to trust instead of the system's

    [mail.accounts.support]          # more mailboxes: keys not given are taken from [mail]
    user = "support@example.com"
    password_env = "TINYCRM_SUPPORT_PASSWORD"

The password is never a setting: ``password_env`` names the environment variable that holds it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from tinycrm.config.base import Bad, Section, setting, shown
from tinycrm.config.sections import allowing, between, choice, env_name, hostname, one_line, pem_file, seconds

SECURITY = ("tls", "starttls", "plain")
LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")
PASSWORD_REFUSED = (
    "password does not belong in the config file; set password_env to the name of an environment variable "
    "that holds it"
)
#: the keys an account under ``[mail.accounts.NAME]`` may set (the rest come from ``[mail]``)
ACCOUNT_KEYS = (
    *("host", "port", "security", "user", "password_env", "folder", "after", "timeout", "ca_file"),
    "tls_verify",
)


def megabytes(value: float) -> float:
    if not 0 <= value <= 1024:
        raise ValueError(f"must be a number of megabytes from 0 to 1024 (got {value:g})")
    return value


@allowing('"seen" or "move:FOLDER"')
def after_fetch(value: str) -> str:
    value = value.strip()
    if value == "seen" or re.fullmatch(r"move:[^\r\n\x00]{1,200}", value) and value[5:].strip():
        return value
    raise ValueError(f'must be "seen" or "move:FOLDER" such as "move:Archive" (got {shown(value)})')


def folder_name(value: str) -> str:
    if not value.strip() or len(value) > 200 or any(c in value for c in "\r\n\x00"):
        raise ValueError(f'must be a mailbox folder name such as "INBOX" (got {shown(value)})')
    return value


def is_loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")


@dataclass(frozen=True)
class ImapAccount(Section):
    """One IMAP mailbox ``crm mail fetch`` reads: ``[mail]`` itself, or ``[mail.accounts.NAME]``."""

    REFUSED: ClassVar[dict[str, str]] = {"password": PASSWORD_REFUSED}

    #: the IMAP server
    host: str | None = setting(None, check=hostname)
    #: its port; unset: 993 with tls, else 143
    port: int | None = setting(None, check=between(1, 65535))
    #: tls (from the start), starttls (upgrade), plain (no encryption: only to this machine, for tests)
    security: str = setting("tls", check=choice(SECURITY))
    #: the login name
    user: str | None = setting(None, check=one_line("a login name"))
    #: the environment variable that holds the password (the password itself is never in the file)
    password_env: str | None = setting(None, check=env_name)
    #: the folder to read
    folder: str = setting("INBOX", check=folder_name)
    #: what to do with a message once handled: mark it seen, or move it to a folder ("move:Archive")
    after: str = setting("seen", check=after_fetch)
    #: seconds to wait for the server
    timeout: float = setting(30.0, check=seconds)
    #: a PEM file of the certificate authorities to trust instead of the system's (a private CA)
    ca_file: str | None = setting(None, check=pem_file)
    #: check the server's certificate and name; false is insecure and warns on every fetch
    tls_verify: bool = True

    def validate(self) -> None:
        if self.security == "plain" and self.host and not is_loopback(self.host):
            raise Bad(
                f'security = "plain" would send the password unencrypted to {self.host}; use "tls" or '
                '"starttls" (plain is only for a server on this machine)',
                "security",
            )
        if self.port is None:
            self.fill("port", 993 if self.security == "tls" else 143)


def _accounts(table: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``[mail.accounts.NAME]`` tables: each checked for its keys and types (the values are merged with
    ``[mail]`` when used)."""
    out: dict[str, dict[str, Any]] = {}
    for name, keys in table.items():
        if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,50}", name):
            raise Bad(f"accounts: {shown(name)} is not an account name (letters, digits, - _ .)", "accounts")
        if not isinstance(keys, Mapping):
            raise Bad(f"accounts.{name} must be a table: write [mail.accounts.{name}]", "accounts")
        for key in keys:
            if key == "password":
                raise Bad(f"accounts.{name}: {PASSWORD_REFUSED}", "accounts")
            if key not in ACCOUNT_KEYS:
                raise Bad(
                    f"accounts.{name}: {key} is not a setting; settings: {', '.join(ACCOUNT_KEYS)}",
                    "accounts",
                )
        try:
            ImapAccount(**{"security": "tls", **keys, "host": keys.get("host") or "localhost"})
        except Bad as bad:
            raise Bad(f"accounts.{name}: {bad.message}", "accounts") from None
        out[name] = dict(keys)
    return out


@dataclass(frozen=True)
class Mail(Section):
    """Mail in: ``crm mail ingest`` and ``crm mail fetch``."""

    REFUSED: ClassVar[dict[str, str]] = {"password": PASSWORD_REFUSED}

    #: attachments up to this size (in MB) are kept in the database; larger ones are listed as dropped
    max_attachment_mb: float = setting(10.0, check=megabytes)
    #: the IMAP server ``crm mail fetch`` reads (unset: only the accounts below)
    host: str | None = setting(None, check=hostname)
    #: its port; unset: 993 with tls, else 143
    port: int | None = setting(None, check=between(1, 65535))
    #: tls (from the start), starttls (upgrade), plain (no encryption: only to this machine, for tests)
    security: str = setting("tls", check=choice(SECURITY))
    #: the login name
    user: str | None = setting(None, check=one_line("a login name"))
    #: the environment variable that holds the password (the password itself is never in the file)
    password_env: str | None = setting(None, check=env_name)
    #: the folder to read
    folder: str = setting("INBOX", check=folder_name)
    #: what to do with a message once handled: "seen" (mark it read) or "move:FOLDER"
    after: str = setting("seen", check=after_fetch)
    #: seconds to wait for the server
    timeout: float = setting(30.0, check=seconds)
    #: a PEM file of the certificate authorities to trust instead of the system's (a private CA)
    ca_file: str | None = setting(None, check=pem_file)
    #: check the server's certificate and name; false is insecure and warns on every fetch
    tls_verify: bool = True
    #: more mailboxes, ``[mail.accounts.NAME]``, each with the keys above that differ from ``[mail]``
    accounts: Mapping[str, Any] = setting(default_factory=dict, check=_accounts)

    def validate(self) -> None:
        if self.host:
            self.account("default")  # the top-level account is checked as a whole too

    @property
    def max_attachment_bytes(self) -> int:
        return int(self.max_attachment_mb * 1024 * 1024)

    def account_names(self) -> list[str]:
        """The accounts ``crm mail fetch`` reads without ``--account``: ``default`` when ``[mail] host`` is
        set, then each ``[mail.accounts.NAME]``."""
        return (["default"] if self.host else []) + [n for n in self.accounts if n != "default"]

    def account(self, name: str) -> ImapAccount:
        """One account's settings, ``[mail]`` filled in with ``[mail.accounts.NAME]``. :class:`KeyError` when
        there is no such account."""
        own: Mapping[str, Any] = self.accounts.get(name, {})
        if name not in self.accounts and not (name == "default" and self.host):
            raise KeyError(name)
        merged = {key: own.get(key, getattr(self, key)) for key in ACCOUNT_KEYS}
        if "security" in own and "port" not in own:
            merged["port"] = None  # the port follows the account's own security
        try:
            return ImapAccount(**merged)
        except Bad as bad:
            where = "" if name == "default" and name not in self.accounts else f"accounts.{name}: "
            raise Bad(where + bad.message, bad.key if not where else "accounts") from None
