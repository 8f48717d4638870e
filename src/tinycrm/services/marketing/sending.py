"""``crm campaign send``: freeze the recipients, then send one at a time, exactly once.

Freezing is one ``INSERT ... SELECT``: the segment's members now, each at their first address, minus the
addresses that are not ``opted-in`` (or ``unknown`` when the campaign allows it), opted out, bounced or
suppressed; one row per address. From then on the list does not change.

Each recipient then goes through two commits:

1. ``queued`` -> ``sending``, with the recipient's Message-ID, *before* the SMTP transaction;
2. ``sending`` -> ``sent`` (and an ``email`` interaction on the timeline) right after the server accepted
   the message; a permanent refusal (5xx) -> ``failed`` and the run goes on; a temporary failure (4xx, server
   down) -> back to ``queued`` and the run stops (exit 75).

A run stopped in any way is resumed by running the command again: ``queued`` recipients are sent, and so are
those left ``sending``. The second case is the one window SMTP cannot close: the run stopped after the server
took the message but before step 2 was committed, or before the server had it; tinycrm cannot know which. It
sends again, with the *same* Message-ID, so in the rare first case the person's mailbox gets a copy it
recognises as the same message (mail stores and clients show one message per Message-ID), and in the second
the mail is not lost. A recipient is never sent a second, different mail; a ``sent`` one is never sent again.

The Message-ID is worked out from the campaign's secret and the recipient's id, so it is the same on every try
even if the ``sending`` mark itself were lost. That is what lets the two commits per recipient skip the wait for
the disk (SQLite ``synchronous = NORMAL`` in WAL mode, PostgreSQL ``synchronous_commit = off``, for these
commits only): a killed process loses nothing (SIGKILL, Ctrl-C); a power cut may lose the last fraction of a
second of marks, and those recipients get the same message, same Message-ID, again. Waiting for the disk twice
per message would make it the limit (about 40 messages a second on a plain disk) rather than the mail server.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.marketing import SendReport
from tinycrm.services.common import new_uid, now
from tinycrm.services.marketing import campaigns, mailbuild
from tinycrm.store.database import Database, Tx

BATCH = 200

Progress = Callable[[int, int], None]
#: asked before each recipient; True pauses the run there (the rest stays queued for the next send)
Stop = Callable[[], bool]


def sender_of(row: Any) -> str:
    from tinycrm import config
    from tinycrm.services.mail.mailer import default_sender

    return row["sender"] or config.get(config.Smtp).sender or default_sender()


def _freeze_sql(cond: str) -> str:
    return (
        "INSERT INTO campaign_recipients (campaign_id, contact_id, address, state, attempts, updated_at) "
        "SELECT :cid, c.id, e.value_key, 'queued', 0, :t FROM contacts c "
        "JOIN contact_emails e ON e.contact_id = c.id "
        "LEFT JOIN consents k ON k.address_key = e.value_key "
        f"WHERE NOT c.archived AND {cond} "
        "AND e.id = (SELECT e2.id FROM contact_emails e2 WHERE e2.contact_id = c.id "
        "ORDER BY e2.position, e2.id LIMIT 1) "
        "AND (k.status = 'opted-in' OR (:unknown AND (k.status IS NULL OR k.status = 'unknown'))) "
        "AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.address_key = e.value_key) "
        "ORDER BY c.id ON CONFLICT DO NOTHING"
    )


def freeze(db: Database, name: str) -> int:
    """Fix the recipients of a draft campaign (once); the number of recipients."""
    from tinycrm.services.people.query import compile_query

    with db.write() as tx:
        row = campaigns.row_in(tx, name)
        tx.lock_rows("campaigns", [row["id"]])
        row = campaigns.row_in(tx, name)
        if row["state"] == "draft":
            query = tx.scalar("SELECT query FROM segments WHERE id = :i", {"i": row["segment_id"]})
            if query is None:
                raise InvalidInput(
                    "the campaign's segment was deleted; add the campaign again with a segment"
                )
            cond, params = compile_query(tx, query)
            stamp = now()
            tx.execute(
                _freeze_sql(cond),
                {**params, "cid": row["id"], "t": stamp, "unknown": bool(row["allow_unknown"])},
            )
            tx.execute(
                "UPDATE campaigns SET state = 'sending', frozen_at = :t WHERE id = :i",
                {"t": stamp, "i": row["id"]},
            )
        return int(
            tx.scalar("SELECT count(*) FROM campaign_recipients WHERE campaign_id = :c", {"c": row["id"]})
        )


def send(
    db: Database,
    name: str,
    *,
    rate: int | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    stop: Stop | None = None,
) -> SendReport:
    """Freeze (the first time) and send what is left; see the module's description. ``stop`` pauses the run
    between two recipients (the app's pause key): the report says ``paused`` and a later send goes on."""
    from tinycrm import config
    from tinycrm.config.marketing import Marketing
    from tinycrm.services.mail.mailer import check_ready

    smtp, settings = config.get(config.Smtp), config.get(Marketing)
    if limit is not None and limit < 1:
        raise InvalidInput(f"--limit must be at least 1 (got {limit})")
    if rate is not None and rate < 1:
        raise InvalidInput(f"--rate must be at least 1 a minute (got {rate})")
    if not settings.unsubscribe_address:
        raise InvalidInput(
            "[marketing] unsubscribe_address is not set; every campaign mail must name an address that "
            "unsubscribes (see docs/marketing.md)"
        )
    check_ready(smtp)
    with db.read() as tx:
        campaigns.mailbuild.check(
            campaigns.row_in(tx, name)["subject"],
            campaigns.row_in(tx, name)["template"],
            campaigns.field_keys(tx),
        )
    frozen = freeze(db, name)
    run = _Run(db, name, settings, rate or settings.rate or None, limit, progress)
    run.stop = stop
    if db.is_sqlite:
        db.connection().execute("PRAGMA synchronous = NORMAL")
    try:
        run.go()
    finally:
        run.session.close()
        if db.is_sqlite:
            db.connection().execute("PRAGMA synchronous = FULL")
    return SendReport(name, frozen, run.sent, run.failed, run.left(), run.stopped, run.paused)


class _Run:
    def __init__(
        self,
        db: Database,
        name: str,
        settings: Any,
        rate: int | None,
        limit: int | None,
        progress: Progress | None,
    ) -> None:
        from tinycrm import config
        from tinycrm.services.marketing.smtpsession import Session

        self.db, self.settings, self.limit, self.progress = db, settings, limit, progress
        self.interval = 60.0 / rate if rate else 0.0
        with db.read() as tx:
            self.row = campaigns.row_in(tx, name)
            self.keys = campaigns.field_keys(tx)
        self.sender = sender_of(self.row)
        self.domain = campaigns._domain(self.sender)  # noqa: SLF001
        self.session = Session(config.get(config.Smtp))
        self.sent = self.failed = 0
        self.stopped: str | None = None
        self.stop: Stop | None = None
        self.paused = False
        self.counts_as_contact = settings.counts_as_contact

    def left(self) -> int:
        with self.db.read() as tx:
            return int(
                tx.scalar(
                    "SELECT count(*) FROM campaign_recipients WHERE campaign_id = :c AND state IN ('queued', 'sending')",
                    {"c": self.row["id"]},
                )
            )

    def go(self) -> None:
        from tinycrm.services.people.contact_loader import load_many

        total = self.left()
        if self.limit is not None:
            total = min(total, self.limit)
        done, last = 0, 0.0
        while self.limit is None or done < self.limit:
            with self.db.read() as tx:
                rows = tx.all(
                    "SELECT id, contact_id, address, message_id FROM campaign_recipients WHERE campaign_id = :c "
                    "AND state IN ('sending', 'queued') ORDER BY id LIMIT :n",
                    {
                        "c": self.row["id"],
                        "n": BATCH if self.limit is None else min(BATCH, self.limit - done),
                    },
                )
                ids = [r["contact_id"] for r in rows if r["contact_id"] is not None]
                people = {c.id: c for c in load_many(tx, ids, detail="full")}
            if not rows:
                self._finish()
                return
            for r in rows:
                if self.stop is not None and self.stop():
                    self.paused = True
                    return
                if self.interval and last:
                    time.sleep(max(0.0, last + self.interval - time.monotonic()))
                last = time.monotonic()
                if not self._one(r, people.get(r["contact_id"])):
                    return
                done += 1
                if self.progress:
                    self.progress(done, total)
                if self.limit is not None and done >= self.limit:
                    return

    def _one(self, r: Any, contact: Any) -> bool:
        """Send to one recipient; False when the run must stop (a temporary failure)."""
        from tinycrm.services.mail.mailer import MailFailed, MailUnavailable

        rid, cid = r["id"], self.row["id"]
        mid = r["message_id"] or mailbuild.message_id(cid, rid, self.row["uid"], self.domain)
        try:
            if contact is None:
                raise InvalidInput("the contact was deleted after the list was frozen")
            subject, body = mailbuild.render_mail(
                self.row["subject"], self.row["template"], mailbuild.context(contact, self.keys)
            )
            message = mailbuild.build(subject, body, self._envelope(contact, r["address"], rid, mid))
        except InvalidInput as exc:
            self._mark(rid, "failed", str(exc), ("queued", "sending"))
            self.failed += 1
            return True
        if not self._mark(rid, "sending", None, ("queued", "sending"), message_id=mid):
            return True  # another run took it
        try:
            self.session.send(message, r["address"])
        except MailFailed as exc:
            self._mark(rid, "failed", str(exc), ("sending",))
            self.failed += 1
            return True
        except MailUnavailable as exc:
            self._mark(rid, "queued", str(exc), ("sending",))
            self.stopped = str(exc)
            return False
        self._sent(rid, contact.id, subject)
        self.sent += 1
        return True

    def _envelope(self, contact: Any, address: str, rid: int, mid: str) -> mailbuild.Envelope:
        return mailbuild.Envelope(
            sender=self.sender,
            to_name=contact.display_name,
            to_address=address,
            reply_to=self.row["reply_to"],
            message_id=mid,
            token=mailbuild.token(self.row["uid"], rid),
            unsubscribe_address=self.settings.unsubscribe_address,
            base_url=self.settings.base_url,
        )

    def _mark(
        self,
        rid: int,
        state: str,
        error: str | None,
        before: tuple[str, ...],
        *,
        message_id: str | None = None,
    ) -> bool:
        with self.db.write() as tx:
            _no_disk_wait(tx)
            changed = tx.execute(
                "UPDATE campaign_recipients SET state = :s, error = :e, updated_at = :t, "
                "message_id = coalesce(message_id, :m), attempts = attempts + :a "
                f"WHERE id = :i AND state IN ({', '.join(repr(b) for b in before)})",
                {
                    "s": state,
                    "e": error,
                    "t": now(),
                    "m": message_id,
                    "a": 1 if state == "sending" else 0,
                    "i": rid,
                },
            )
        return changed == 1

    def _sent(self, rid: int, contact_id: int, subject: str) -> None:
        stamp = now()
        with self.db.write() as tx:
            _no_disk_wait(tx)
            tx.execute(
                "UPDATE campaign_recipients SET state = 'sent', sent_at = :t, updated_at = :t, error = NULL "
                "WHERE id = :i AND state = 'sending'",
                {"t": stamp, "i": rid},
            )
            log_mail(tx, contact_id, f"Campaign {self.row['name']}: {subject}", stamp, self.counts_as_contact)

    def _finish(self) -> None:
        with self.db.write() as tx:
            tx.execute(
                "UPDATE campaigns SET state = 'done', finished_at = coalesce(finished_at, :t) WHERE id = :i",
                {"t": now(), "i": self.row["id"]},
            )


def _no_disk_wait(tx: Tx) -> None:
    """This commit need not wait for the disk (see the module's description; SQLite: set for the run)."""
    if not tx.db.is_sqlite:
        tx.execute("SET LOCAL synchronous_commit = off")


def log_mail(tx: Tx, contact_id: int, summary: str, at: datetime, counts_as_contact: bool) -> None:
    """The mail as an ``email`` interaction on the contact's timeline; it moves their last contact only when
    ``[marketing] counts_as_contact`` says so."""
    iid = tx.insert(
        "INSERT INTO interactions (uid, kind, happened_at, summary, created_at, updated_at, version) "
        "VALUES (:u, 'email', :h, :s, :h, :h, 1) RETURNING id",
        {"u": new_uid(), "h": at, "s": summary[:500]},
    )
    tx.execute(
        "INSERT INTO interaction_contacts (interaction_id, contact_id) VALUES (:i, :c)",
        {"i": iid, "c": contact_id},
    )
    if counts_as_contact:
        tx.execute(
            "UPDATE contacts SET last_interaction_at = :h WHERE id = :c AND "
            "(last_interaction_at IS NULL OR last_interaction_at < :h)",
            {"h": at, "c": contact_id},
        )
