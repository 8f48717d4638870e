"""``crm mail fetch``: new messages from IMAP folders, through the mail pipeline, never twice.

For each account and folder, ``mail_fetch_state`` holds the folder's UIDVALIDITY and the last UID read. A run
asks the server for the UIDs above it (all of them when UIDVALIDITY changed: the folder was rebuilt), reads each
message with ``BODY.PEEK[]`` (so nothing is marked read before it is handled) and hands it to the pipeline; the
new last UID is stored in the same transaction as the message's outcome. The Message-ID is remembered too, so a
message seen again (a rebuilt folder, a second account) is a duplicate, not a second interaction. Once handled,
a message is marked seen or moved (``[mail] after``). A message whose handler failed stops the UID from moving
past it: the next run tries it again (and reports it again); one that is no mail message at all is reported once.

Failures that may pass (the server unreachable, a timeout, a login refused as unavailable) raise
:class:`~tinycrm.services.mail.mailer.MailUnavailable` (exit 75); a refused login or a missing folder
:class:`~tinycrm.services.mail.mailer.MailFailed` (exit 1).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tinycrm.domain.errors import InvalidInput
from tinycrm.services.common import now
from tinycrm.services.mail.inbound import Outcome, batch_durability, ingest_one, make_durable
from tinycrm.services.mail.mailer import MailFailed, MailUnavailable

if TYPE_CHECKING:
    from tinycrm.config import Settings
    from tinycrm.config.mail import ImapAccount
    from tinycrm.services.mail.handlers import Handler
    from tinycrm.store.database import Database, Tx

#: messages asked for in one FETCH
BATCH = 50


@dataclass(frozen=True)
class Account:
    name: str
    settings: ImapAccount


def accounts_to_read(settings: Settings, only: str | None = None) -> list[Account]:
    """The accounts a run reads: ``only``, or every one configured. :class:`InvalidInput` (exit 2) when there
    is none, or a password variable is not set."""
    from tinycrm.config.base import Bad
    from tinycrm.config.mail import Mail

    mail = settings.get(Mail)
    names = mail.account_names()
    if only is not None:
        if only not in names:
            listed = ", ".join(names) or "none"
            raise InvalidInput(
                f"--account {only}: no such account in [mail] (accounts: {listed}); "
                f"add [mail.accounts.{only}] to {settings.path}"
            )
        names = [only]
    if not names:
        raise InvalidInput(
            f'nothing to fetch from: set [mail] host = "imap.example.com", user and password_env in '
            f"{settings.path} (see docs/mail.md)"
        )
    out = []
    for name in names:
        try:
            account = Account(name, mail.account(name))
        except Bad as bad:
            raise InvalidInput(f"{settings.path}: [mail] {bad.message}") from None
        _password(account)
        if account.settings.ca_file and account.settings.tls_verify:
            _tls(account)  # a ca_file that cannot be read is found before any account is read
        out.append(account)
    return out


def _where(account: Account) -> str:
    return "[mail]" if account.name == "default" else f"[mail.accounts.{account.name}]"


def _password(account: Account) -> str:
    s = account.settings
    if not s.host:
        raise InvalidInput(f"{_where(account)} host is not set; name the IMAP server")
    if not s.user or not s.password_env:
        raise InvalidInput(
            f"{_where(account)} needs user and password_env (the name of the environment variable that "
            "holds the password)"
        )
    value = os.environ.get(s.password_env)
    if value is None:
        raise InvalidInput(
            f"{_where(account)} password_env: the environment variable {s.password_env} is not set; set it to "
            "the password of the mail account"
        )
    return value


def fetch(
    db: Database, settings: Settings, accounts: list[Account], *, handlers: list[Handler] | None = None
) -> Iterator[Outcome]:
    """Read every account in turn; yield what became of each new message."""
    from tinycrm.services.mail.handlers import load

    chosen = load() if handlers is None else handlers
    with batch_durability(db):
        for account in accounts:
            yield from _fetch_account(db, settings, account, chosen)


def _tls(account: Account) -> Any:
    """The TLS context of the account (None for plain): the certificate checked against the system's
    authorities or ``ca_file``, unless ``tls_verify = false``."""
    from tinycrm.services.mail.mailer import tls_context

    s = account.settings
    if s.security == "plain":
        return None
    return tls_context(ca_file=s.ca_file, verify=s.tls_verify, section=_where(account), host=s.host)


def _connect(account: Account) -> Any:
    from imapclient import IMAPClient  # type: ignore[import-untyped]
    from imapclient.exceptions import IMAPClientError, LoginError  # type: ignore[import-untyped]

    from tinycrm.services.mail.mailer import untrusted

    s = account.settings
    where = f"{s.host}:{s.port}"
    context = _tls(account)
    try:
        client = IMAPClient(
            s.host, port=s.port, ssl=s.security == "tls", ssl_context=context, timeout=s.timeout
        )
    except OSError as exc:  # refused, unreachable, timed out, TLS failed
        raise untrusted(exc, f"IMAP server {where}", _where(account)) or MailUnavailable(
            f"IMAP server {where} cannot be reached ({_reason(exc)}); try again later"
        ) from None
    try:
        if s.security == "starttls":
            if not client.has_capability("STARTTLS"):
                _close(client)
                raise MailFailed(
                    f'IMAP server {where} does not offer STARTTLS; set {_where(account)} security = "tls" '
                    "(usually port 993)"
                )
            client.starttls(context)
        client.login(s.user, _password(account))
    except LoginError as exc:
        _close(client)
        text = _reason(exc)
        if any(word in text.upper() for word in ("UNAVAILABLE", "TRY AGAIN", "TEMPORAR", "INUSE")):
            raise MailUnavailable(
                f"IMAP server {where} refused the login for now ({text}); try again later"
            ) from None
        raise MailFailed(
            f"IMAP server {where} refused the login of {s.user} ({text}); check {_where(account)} user and "
            f"the password in ${s.password_env}"
        ) from None
    except (OSError, IMAPClientError) as exc:
        _close(client)
        raise untrusted(exc, f"IMAP server {where}", _where(account)) or MailUnavailable(
            f"IMAP server {where}: {_reason(exc)}; try again later"
        ) from None
    return client


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return " ".join(text.split())[:200]


def _close(client: Any) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the connection may already be gone
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass


def _fetch_account(
    db: Database, settings: Settings, account: Account, handlers: list[Handler]
) -> Iterator[Outcome]:
    from imapclient.exceptions import IMAPClientError  # type: ignore[import-untyped]

    s = account.settings
    client = _connect(account)
    try:
        try:
            info = client.select_folder(s.folder)
        except IMAPClientError as exc:
            raise MailFailed(
                f"{_where(account)} folder {s.folder!r} cannot be opened on {s.host} ({_reason(exc)}); "
                "check the folder name"
            ) from None
        uidvalidity = int(info[b"UIDVALIDITY"])
        last = _last_uid(db, account, uidvalidity)
        uids = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
        yield from _read(db, settings, account, client, uids, uidvalidity, handlers)
    except (OSError, IMAPClientError) as exc:
        raise MailUnavailable(f"IMAP server {s.host}:{s.port}: {_reason(exc)}; try again later") from None
    finally:
        _close(client)


def _read(
    db: Database,
    settings: Settings,
    account: Account,
    client: Any,
    uids: list[int],
    uidvalidity: int,
    handlers: list[Handler],
) -> Iterator[Outcome]:
    s = account.settings
    blocked = [False]  # a handler failed: the stored UID stays below that message until it is handled
    for start in range(0, len(uids), BATCH):
        batch = uids[start : start + BATCH]
        data = client.fetch(batch, ["BODY.PEEK[]"])
        done: list[int] = []
        for uid in batch:
            raw = data.get(uid, {}).get(b"BODY[]")
            if raw is None:
                continue  # expunged meanwhile
            source = f"imap:{account.name}/{s.folder}/{uid}"

            def remember(tx: Tx, outcome: Outcome, uid: int = uid) -> None:
                if not blocked[0] and (outcome.ok or outcome.kind == "unparsable"):
                    _store_state(tx, account, uidvalidity, uid)

            outcome = ingest_one(db, bytes(raw), source, settings=settings, handlers=handlers, also=remember)
            if outcome.ok:
                done.append(uid)
            elif outcome.kind != "unparsable":
                blocked[0] = True
            yield outcome
        if done:
            make_durable(db)  # what was handled is on disk before the server forgets the messages
        _after(client, s.after, done)


def _after(client: Any, after: str, uids: list[int]) -> None:
    """Mark the handled messages seen, or move them."""
    if not uids:
        return
    if after == "seen":
        client.add_flags(uids, [b"\\Seen"])
        return
    folder = after.partition(":")[2]
    if not client.folder_exists(folder):
        client.create_folder(folder)
    if client.has_capability("MOVE"):
        client.move(uids, folder)
    else:
        client.copy(uids, folder)
        client.delete_messages(uids)
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            client.expunge()


def _last_uid(db: Database, account: Account, uidvalidity: int) -> int:
    with db.read() as tx:
        row = tx.one(
            "SELECT uidvalidity, last_uid FROM mail_fetch_state WHERE account = :a AND folder = :f",
            {"a": account.name, "f": account.settings.folder},
        )
    if row is None or int(row["uidvalidity"]) != uidvalidity:
        return 0  # a new or rebuilt folder: read it all (the Message-IDs keep what was handled from coming twice)
    return int(row["last_uid"])


def _store_state(tx: Tx, account: Account, uidvalidity: int, uid: int) -> None:
    params = {"a": account.name, "f": account.settings.folder, "v": uidvalidity, "u": uid, "t": now()}
    changed = tx.execute(
        "UPDATE mail_fetch_state SET uidvalidity = :v, last_uid = :u, updated_at = :t "
        "WHERE account = :a AND folder = :f",
        params,
    )
    if not changed:
        tx.execute(
            "INSERT INTO mail_fetch_state (account, folder, uidvalidity, last_uid, updated_at) "
            "VALUES (:a, :f, :v, :u, :t)",
            params,
        )
