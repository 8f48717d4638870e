"""Campaigns: a segment, a subject and a Markdown template; add, preview, test, and what became of each mail.

Sending is :mod:`tinycrm.services.marketing.sending`."""

from __future__ import annotations

from typing import Any

from tinycrm.domain import validation as v
from tinycrm.domain.errors import Conflict, InvalidInput, NotFound
from tinycrm.domain.marketing import RECIPIENT_STATES, CampaignRead, RecipientRead
from tinycrm.domain.rows import Page
from tinycrm.services.common import audit, new_uid, now
from tinycrm.services.marketing import mailbuild, segments
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.sql import check_page, page_sql

#: recipients that the mail reached (for the reply rate)
REACHED = ("sent", "replied", "opted-out")


def field_keys(tx: Tx) -> list[str]:
    return tx.column("SELECT DISTINCT key FROM contact_fields ORDER BY key")


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("a campaign name is empty; give a name such as 'march-news'")
    v.line(name, "campaign name")
    if len(name) > 200:
        raise InvalidInput("a campaign name is at most 200 characters")
    return name


def _address(value: str | None, what: str) -> str | None:
    if value is None or not value.strip():
        return None
    from email.utils import parseaddr

    v.line(value, what)
    v.email(parseaddr(value)[1] or value, what)
    return mailbuild.one_line(value)


def add(
    db: Database,
    name: str,
    *,
    segment: str,
    subject: str,
    template: str,
    sender: str | None = None,
    reply_to: str | None = None,
    allow_unknown: bool = False,
) -> CampaignRead:
    name = _name(name)
    v.line(subject or "", "--subject")
    if not (subject or "").strip():
        raise InvalidInput("--subject is empty; give the subject line of the mail")
    sender, reply_to = _address(sender, "--from"), _address(reply_to, "--reply-to")
    with db.write() as tx:
        seg = segments.row_in(tx, segment)
        mailbuild.check(subject, template, field_keys(tx))
        if tx.scalar("SELECT id FROM campaigns WHERE name_key = :k", {"k": name.casefold()}):
            raise Conflict(f"a campaign named {name!r} exists; choose another name")
        cid = tx.insert(
            "INSERT INTO campaigns (uid, name, name_key, segment_id, subject, template, sender, reply_to, "
            "allow_unknown, state, created_at) VALUES (:u, :n, :k, :s, :sub, :tpl, :f, :r, :a, 'draft', :t) "
            "RETURNING id",
            {
                "u": new_uid().replace("-", ""),
                "n": name,
                "k": name.casefold(),
                "s": seg["id"],
                "sub": subject.strip(),
                "tpl": template,
                "f": sender,
                "r": reply_to,
                "a": allow_unknown,
                "t": now(),
            },
        )
        audit(tx, "create", "campaign", cid, {"name": (None, name), "segment": (None, seg["name"])})
        return _read(tx, row_in(tx, name))


def row_in(tx: Tx, name: str) -> Any:
    row = tx.one("SELECT * FROM campaigns WHERE name_key = :k", {"k": _name(name).casefold()})
    if row is None:
        raise NotFound(f"no campaign named {name!r}", hint="see them with: crm campaign list")
    return row


def _read(tx: Tx, row: Any, *, stats: bool = False) -> CampaignRead:
    counts = {
        r["state"]: int(r["n"])
        for r in tx.all(
            "SELECT state, count(*) AS n FROM campaign_recipients WHERE campaign_id = :c GROUP BY state",
            {"c": row["id"]},
        )
    }
    total = sum(counts.values())
    reached = sum(counts.get(s, 0) for s in REACHED)
    segment = tx.scalar("SELECT name FROM segments WHERE id = :i", {"i": row["segment_id"]})
    deals = 0
    if stats and row["frozen_at"] is not None:
        from datetime import timedelta

        start = as_datetime(row["frozen_at"])
        assert start is not None
        deals = int(
            tx.scalar(
                "SELECT count(DISTINCT d.id) FROM deals d JOIN deal_contacts dc ON dc.deal_id = d.id "
                "JOIN campaign_recipients r ON r.contact_id = dc.contact_id "
                "WHERE r.campaign_id = :c AND r.state IN ('sent', 'replied', 'opted-out') "
                "AND d.created_at >= :a AND d.created_at < :b",
                {"c": row["id"], "a": start, "b": start + timedelta(days=30)},
            )
        )
    return CampaignRead(
        id=row["id"],
        name=row["name"],
        segment=segment,
        subject=row["subject"],
        sender=row["sender"],
        reply_to=row["reply_to"],
        allow_unknown=bool(row["allow_unknown"]),
        state=row["state"],
        created_at=as_datetime(row["created_at"]),  # type: ignore[arg-type]
        frozen_at=as_datetime(row["frozen_at"]),
        finished_at=as_datetime(row["finished_at"]),
        counts={s: counts[s] for s in RECIPIENT_STATES if s in counts},
        recipients=total,
        reply_rate=round(counts.get("replied", 0) / reached, 4) if reached else None,
        opt_outs=counts.get("opted-out", 0),
        bounces=counts.get("bounced", 0),
        deals_opened=deals,
    )


def get(db: Database, name: str) -> CampaignRead:
    with db.read() as tx:
        return _read(tx, row_in(tx, name), stats=True)


def list_campaigns(db: Database) -> list[CampaignRead]:
    with db.read() as tx:
        return [_read(tx, r) for r in tx.all("SELECT * FROM campaigns ORDER BY created_at DESC, id DESC")]


def recipients(
    db: Database, name: str, *, state: str | None = None, limit: int | None = 50, offset: int = 0
) -> Page[RecipientRead]:
    check_page(limit, offset)
    if state is not None and state not in RECIPIENT_STATES:
        raise InvalidInput(f"--state {state!r} is not one of: {', '.join(RECIPIENT_STATES)}")
    with db.read() as tx:
        row = row_in(tx, name)
        cond = "campaign_id = :c" + (" AND state = :s" if state else "")
        params = {"c": row["id"], "s": state, "limit": limit, "offset": offset}
        total = tx.scalar(f"SELECT count(*) FROM campaign_recipients WHERE {cond}", params)
        rows = tx.all(f"SELECT * FROM campaign_recipients WHERE {cond} ORDER BY id{page_sql(limit)}", params)
    items = [
        RecipientRead(
            r["id"],
            r["contact_id"],
            r["address"],
            r["state"],
            r["message_id"],
            as_datetime(r["sent_at"]),
            r["error"],
        )
        for r in rows
    ]
    return Page(items, total, limit, offset)


def preview(db: Database, name: str, contact_id: int | None = None, *, to: str | None = None) -> Any:
    """The mail one recipient would get (the first member of the segment, or ``contact_id``), as an
    :class:`email.message.EmailMessage`; ``to`` replaces the recipient's address (``crm campaign test``)."""
    from tinycrm import config
    from tinycrm.config.marketing import Marketing
    from tinycrm.services.people.contact_loader import load_many
    from tinycrm.services.people.query import compile_query

    with db.read() as tx:
        row = row_in(tx, name)
        keys = field_keys(tx)
        mailbuild.check(row["subject"], row["template"], keys)
        if contact_id is None:
            query = tx.scalar("SELECT query FROM segments WHERE id = :i", {"i": row["segment_id"]})
            if query is None:
                raise InvalidInput("the campaign's segment was deleted; preview with --contact C")
            cond, params = compile_query(tx, query)
            contact_id = tx.scalar(
                f"SELECT c.id FROM contacts c WHERE NOT c.archived AND {cond} ORDER BY c.sort_name, c.id LIMIT 1",
                params,
            )
            if contact_id is None:
                raise InvalidInput("segment has no members to preview with; give --contact C")
        contact = load_many(tx, [contact_id], detail="full")[0]
    subject, body = mailbuild.render_mail(row["subject"], row["template"], mailbuild.context(contact, keys))
    settings = config.get(Marketing)
    address = to or (contact.emails[0].value if contact.emails else "nobody@invalid")
    from tinycrm.services.marketing.sending import sender_of

    env = mailbuild.Envelope(
        sender=sender_of(row),
        to_name=contact.display_name if to is None else "",
        to_address=address,
        reply_to=row["reply_to"],
        message_id=mailbuild.message_id(row["id"], 0, row["uid"], _domain(sender_of(row))),
        token=mailbuild.token(row["uid"], 0),
        unsubscribe_address=settings.unsubscribe_address or "unsubscribe@invalid",
        base_url=settings.base_url,
    )
    import email
    import email.policy

    return email.message_from_bytes(
        mailbuild.build(subject, body, env).as_bytes(), policy=email.policy.default
    )


def send_test(db: Database, name: str, to: str, contact_id: int | None = None) -> str:
    """Send one copy of the mail (rendered for ``contact_id``, default the segment's first member) to ``to``,
    its subject marked ``[test]``; nothing is recorded. The address it went to."""
    from tinycrm import config
    from tinycrm.services.mail import mailer

    address = v.email(to, "--to")
    message = preview(db, name, contact_id, to=address)
    message.replace_header("Subject", "[test] " + str(message["Subject"]))
    smtp = config.get(config.Smtp)
    mailer.check_ready(smtp)
    mailer.send(message, smtp)
    return address


def _domain(sender: str) -> str:
    from email.utils import parseaddr

    return parseaddr(sender)[1].rpartition("@")[2] or "tinycrm"
