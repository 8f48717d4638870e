"""Double opt-in for web forms (``crm form add --double-opt-in``): a post becomes a lead only once its address
confirms it.

1. The post (:func:`tinycrm.services.forms.submit`) stores what it said in ``web_form_optins`` with its mail
   ``queued``, in the post's transaction (:func:`queue`), and no lead. An address that already waits for the
   confirmation of the same form gets no second mail.
2. The confirmation mail is sent by :func:`send_due`: by the running server right after the post (and every
   minute for retries) and by ``crm form send`` (cron, when no server runs). Each mail goes through two commits,
   as campaign mail does: ``queued`` -> ``sending`` (leased for :data:`LEASE`) before the SMTP transaction,
   ``sent`` right after the server took it. A temporary failure puts it back with a backoff; after
   :data:`GIVE_UP` or a permanent refusal it is ``failed``. A run stopped between the SMTP transaction and the
   second commit sends again after the lease, with the same Message-ID (the one window SMTP cannot close); a
   ``sent`` mail is never sent again.
3. The link ``/f/confirm/TOKEN`` is signed with itsdangerous by a secret of its own post and expires after
   :data:`CONFIRM_WITHIN`. Confirming (a POST: a GET only shows the button, since mail scanners follow links)
   makes the lead, records the address's consent as ``opted-in`` and marks the post confirmed, in one
   transaction; confirming again changes nothing.

Posts never confirmed are deleted a day after their link expired.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from tinycrm.domain.errors import CrmError, InvalidInput
from tinycrm.services.common import now
from tinycrm.store.database import Database, Tx, as_datetime

CONFIRM_WITHIN = timedelta(days=7)
GIVE_UP = timedelta(days=2)
LEASE = timedelta(minutes=2)
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
SALT = "tinycrm.form-confirm"
CONFIRM_PATH = "/f/confirm/"


@dataclass(frozen=True)
class Sent:
    """What one sending run did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    #: the last error of a mail that was not sent, if any
    error: str | None = None


@dataclass(frozen=True)
class Confirmation:
    """What a confirmation link is for: the address (half hidden), the form, and where it stands."""

    shown_address: str
    form: str
    confirmed: bool
    expired: bool = False
    lead_id: int | None = None


def _masked(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def _serializer(secret: str) -> Any:
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(secret, salt=SALT)


def token_of(row_id: int, secret: str) -> str:
    return f"{row_id}.{_serializer(secret).dumps(row_id)}"


def link_of(row: Any) -> str:
    return row["link_base"].rstrip("/") + CONFIRM_PATH + token_of(int(row["id"]), row["secret"])


# --- the post -------------------------------------------------------------------------------------------


def queue(tx: Tx, form_id: int, fields: dict[str, str], address: str, link_base: str) -> int:
    """The post of a double opt-in form, waiting for its confirmation, with its mail queued; in the post's
    transaction. An address that waits for this form's confirmation already: that post, and no new mail."""
    moment = now()
    tx.execute(
        "DELETE FROM web_form_optins WHERE confirmed_at IS NULL AND created_at < :old",
        {"old": moment - CONFIRM_WITHIN - timedelta(days=1)},
    )
    key = address.strip().lower()
    waiting = tx.scalar(
        "SELECT id FROM web_form_optins WHERE form_id = :f AND address_key = :a AND confirmed_at IS NULL "
        "AND created_at > :since ORDER BY id LIMIT 1",
        {"f": form_id, "a": key, "since": moment - CONFIRM_WITHIN},
    )
    if waiting is not None:
        return int(waiting)
    return int(
        tx.insert(
            "INSERT INTO web_form_optins (form_id, address_key, data, secret, link_base, state, attempts, "
            "next_at, created_at) VALUES (:f, :a, :d, :s, :b, 'queued', 0, :t, :t) RETURNING id",
            {
                "f": form_id,
                "a": key,
                "d": json.dumps(fields, ensure_ascii=False),
                "s": secrets.token_urlsafe(32),
                "b": link_base[:2000],
                "t": moment,
            },
        )
    )


# --- the mail -------------------------------------------------------------------------------------------


def message_of(row: Any, form_name: str, smtp: Any) -> EmailMessage:
    """The confirmation mail of one post; its Message-ID is the same on every try."""
    import hashlib
    from email.utils import formatdate

    from tinycrm.services.mail.mailer import default_sender

    sender = smtp.sender or default_sender()
    domain = sender.rsplit("@", 1)[-1].strip(" >") or "tinycrm"
    stamp = hashlib.sha256(f"{row['id']}:{row['secret']}".encode()).hexdigest()[:24]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row["address_key"]
    message["Subject"] = f"Please confirm: {form_name}"
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = f"<optin.{row['id']}.{stamp}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    days = CONFIRM_WITHIN.days
    message.set_content(
        f'Someone, hopefully you, sent the form "{form_name}" with this address.\n\n'
        f"To confirm it, open this link within {days} days:\n\n{link_of(row)}\n\n"
        "If it was not you, ignore this mail: nothing is kept once the link has expired.\n"
    )
    return message


def _claim(db: Database) -> Any:
    """Lease the next due mail to this run (a server and a cron run never send the same one at once)."""
    with db.write() as tx:
        lock = "" if tx.db.is_sqlite else " FOR UPDATE SKIP LOCKED"
        moment = now()
        row = tx.one(
            "SELECT o.id, o.form_id, o.address_key, o.secret, o.link_base, o.attempts, o.created_at "
            "FROM web_form_optins o WHERE o.state IN ('queued', 'sending') AND o.next_at <= :t "
            f"ORDER BY o.next_at, o.id LIMIT 1{lock}",
            {"t": moment},
        )
        if row is None:
            return None
        tx.execute(
            "UPDATE web_form_optins SET state = 'sending', attempts = attempts + 1, next_at = :lease "
            "WHERE id = :i",
            {"lease": moment + LEASE, "i": row["id"]},
        )
        name = tx.scalar("SELECT name FROM web_forms WHERE id = :f", {"f": row["form_id"]})
        return {**{k: row[k] for k in row.keys()}, "form": name or "web form"}


def _outcome(db: Database, row: dict[str, Any], error: CrmError | None) -> str:
    """Record how sending one mail went: sent, retrying or failed."""
    from tinycrm.services.mail.mailer import MailUnavailable

    moment = now()
    with db.write() as tx:
        if error is None:
            tx.execute(
                "UPDATE web_form_optins SET state = 'sent', sent_at = :t, last_error = NULL WHERE id = :i",
                {"t": moment, "i": row["id"]},
            )
            return "sent"
        made = as_datetime(row["created_at"])
        old = made is not None and moment - made >= GIVE_UP
        if isinstance(error, (MailUnavailable, InvalidInput)) and not old:
            pause = BACKOFF[min(int(row["attempts"]), len(BACKOFF) - 1)]
            tx.execute(
                "UPDATE web_form_optins SET state = 'queued', next_at = :n, last_error = :e WHERE id = :i",
                {"n": moment + pause, "e": str(error)[:1000], "i": row["id"]},
            )
            return "retrying"
        tx.execute(
            "UPDATE web_form_optins SET state = 'failed', last_error = :e WHERE id = :i",
            {"e": str(error)[:1000], "i": row["id"]},
        )
        return "failed"


def send_due(db: Database, *, limit: int = 200) -> Sent:
    """Send the confirmation mails that are due (at most ``limit``); stop at the first the mail server cannot
    take now (the rest wait for the next run)."""
    from tinycrm import config
    from tinycrm.config import Smtp
    from tinycrm.services.mail import mailer

    counts = {"sent": 0, "retrying": 0, "failed": 0}
    error: str | None = None
    for _ in range(limit):
        row = _claim(db)
        if row is None:
            break
        smtp = config.get(Smtp)
        problem: CrmError | None = None
        try:
            mailer.check_ready(smtp)
            mailer.send(message_of(row, row["form"], smtp), smtp)
        except CrmError as exc:
            problem = exc
            error = str(exc)
        what = _outcome(db, row, problem)
        counts[what] += 1
        if what == "retrying":
            break
    return Sent(counts["sent"], counts["retrying"], counts["failed"], error)


# --- the link -------------------------------------------------------------------------------------------


def _row_of(tx: Tx, token: str, *, lock: bool = False) -> tuple[Any, bool] | None:
    """The post a link names and whether the link has expired; None for a link this database did not make."""
    from itsdangerous import BadSignature, SignatureExpired

    head, _, signed = (token or "").partition(".")
    if not head.isdigit() or not signed or len(token) > 500:
        return None
    if lock:
        tx.lock_rows("web_form_optins", [int(head)])
    row = tx.one(
        "SELECT o.*, f.name AS form_name, f.tags AS form_tags FROM web_form_optins o "
        "JOIN web_forms f ON f.id = o.form_id WHERE o.id = :i",
        {"i": int(head)},
    )
    if row is None:
        return None
    try:
        named = _serializer(row["secret"]).loads(signed, max_age=int(CONFIRM_WITHIN.total_seconds()))
    except SignatureExpired:
        return row, True
    except BadSignature:
        return None
    return (row, False) if named == row["id"] else None


def _confirmation(row: Any, expired: bool) -> Confirmation:
    return Confirmation(
        _masked(row["address_key"]),
        row["form_name"],
        row["confirmed_at"] is not None,
        expired and row["confirmed_at"] is None,
        row["lead_id"],
    )


def look_up(db: Database, token: str) -> Confirmation | None:
    with db.read() as tx:
        found = _row_of(tx, token)
    return None if found is None else _confirmation(*found)


def confirm(db: Database, token: str) -> Confirmation | None:
    """Confirm a post: its lead, the address's consent (opted-in, from the form), in one transaction. Again:
    nothing changes. An expired link changes nothing either. None for a link this database did not make."""
    from tinycrm.services.leads.records import insert
    from tinycrm.services.leads.webform import clean_fields
    from tinycrm.services.marketing import consent

    with db.write() as tx:
        found = _row_of(tx, token, lock=True)
        if found is None:
            return None
        row, expired = found
        if expired or row["confirmed_at"] is not None:
            return _confirmation(row, expired)
        posted = json.loads(row["data"])
        remote = posted.pop("_remote_addr", None)
        data = clean_fields(posted, form=row["form_name"])
        if data is None:  # cannot happen: a bot's post is never stored
            return None
        data.tags = list(json.loads(row["form_tags"]))
        data.fields = {"remote_addr": str(remote)[:100]} if remote else {}
        lead_id = insert(tx, data)
        consent.record(tx, row["address_key"], "opted-in", f"web form {row['form_name']} (double opt-in)")
        moment = now()
        tx.execute(
            "UPDATE web_form_optins SET confirmed_at = :t, lead_id = :l, data = '{}' WHERE id = :i",
            {"t": moment, "l": lead_id, "i": row["id"]},
        )
        return Confirmation(_masked(row["address_key"]), row["form_name"], True, False, lead_id)
