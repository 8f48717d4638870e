"""Reminders for cron: what is due, what was already said, and the digest text (see docs/reminders.md).

Due: overdue and today's tasks (not while snoozed), stay-in-touch contacts due today or earlier, birthdays
within the lead days, idle deals. An item already reminded to a user is left out until its state changes
(edited, snoozed, moved from today to overdue...) or a new local day begins; ``include_seen`` shows it anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tinycrm.config import Smtp
from tinycrm.domain import validation as v
from tinycrm.domain.people import Page
from tinycrm.domain.tasks import AgendaItem
from tinycrm.services.common import actor, audit, now
from tinycrm.services.work import agenda as agenda_service
from tinycrm.services.work import tasks as task_service
from tinycrm.store.database import Database, as_datetime
from tinycrm.store.sql import placeholders

#: reminder bookkeeping older than this is dropped when new reminders are recorded
KEEP_DAYS = 45
SECTIONS = (("overdue", "Overdue"), ("today", "Today"), ("upcoming", "Coming up"))


def recipient(db: Database, owner: str | None = None) -> str:
    """Whose reminders these are: the ``owner`` filtered on, else the person running the command."""
    return v.line(owner, "owner", max_len=100) or actor(db)


def due_items(
    db: Database, *, owner: str | None = None, include_seen: bool = False, user: str | None = None
) -> list[AgendaItem]:
    """What is due now, for everyone or for ``owner``; without ``include_seen``, only what ``user`` (default:
    :func:`recipient`) has not been reminded of today in the same state."""
    return due_page(db, owner=owner, include_seen=include_seen, user=user).items


def due_page(
    db: Database,
    *,
    owner: str | None = None,
    include_seen: bool = False,
    user: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> Page[AgendaItem]:
    """:func:`due_items`, a page of them, most urgent first (``limit`` ``None``: all), and how many are due in
    all (an estimate, ``Page.estimate``, when some of those not read may have been reminded already)."""
    who = None if include_seen else (user or recipient(db, owner))
    today_start = task_service.day_start(task_service.local_today())
    seen_today = 0
    if who is not None and limit is not None:
        with db.read() as tx:  # at most this many due items can be left out as seen: read that many more
            seen_today = tx.scalar(
                "SELECT count(*) FROM reminders_sent WHERE user_name = :u AND sent_at >= :t",
                {"u": who, "t": today_start},
            )
    n = None if limit is None else offset + limit + seen_today
    agenda = agenda_service.build(db, days=0, owner=owner, include_snoozed=False, limit=n)
    items = [*agenda.overdue, *agenda.today, *(i for i in agenda.upcoming if i.kind == "birthday")]
    total = sum(agenda.totals.values())
    from tinycrm.services.support.due import ticket_items  # the user's tickets near or past their SLA

    tickets_due = ticket_items(db, recipient(db, owner))
    items, total = [*tickets_due, *items], total + len(tickets_due)
    if who is not None and items:
        kept = _not_seen(db, items, who, today_start)
        total -= len(items) - len(kept)
        items = kept
    end = None if limit is None else offset + limit
    cut = end is not None and total > end
    return Page(items[offset:end], total, limit, offset, estimate=cut and seen_today > 0)


def _not_seen(db: Database, items: list[AgendaItem], who: str, today_start: datetime) -> list[AgendaItem]:
    """The items ``who`` was not reminded of today in their current state."""
    seen: dict[str, tuple[str, datetime | None]] = {}
    keys = [i.key for i in items]
    with db.read() as tx:
        for chunk in range(0, len(keys), 5000):
            marks, params = placeholders("k", keys[chunk : chunk + 5000])
            for row in tx.all(
                f"SELECT item_key, item_state, sent_at FROM reminders_sent WHERE user_name = :u "
                f"AND item_key IN ({marks})",
                {**params, "u": who},
            ):
                seen[row["item_key"]] = (row["item_state"], as_datetime(row["sent_at"]))
    out = []
    for item in items:
        before = seen.get(item.key)
        if before and before[0] == item.state[:200] and before[1] is not None and before[1] >= today_start:
            continue
        out.append(item)
    return out


def mark_sent(db: Database, items: Iterable[AgendaItem], user: str) -> int:
    """Record that ``user`` was reminded of these items (in their current state); one transaction."""
    items = [i for i in items if i.key]
    name = v.line(user, "user", max_len=100, required=True)
    if not items:
        return 0
    stamp = now()
    with db.write() as tx:
        tx.executemany(
            "INSERT INTO reminders_sent (user_name, item_key, item_state, sent_at) VALUES (:u, :k, :s, :t) "
            "ON CONFLICT (user_name, item_key) DO UPDATE SET item_state = excluded.item_state, "
            "sent_at = excluded.sent_at",
            [{"u": name, "k": i.key[:200], "s": i.state[:200], "t": stamp} for i in items],
        )
        tx.execute(
            "DELETE FROM reminders_sent WHERE user_name = :u AND sent_at < :old",
            {"u": name, "old": stamp - timedelta(days=KEEP_DAYS)},
        )
        audit(tx, "remind", "reminder", None, {"user": (None, name), "items": (None, [i.key for i in items])})
    return len(items)


def forget(db: Database, user: str) -> int:
    """Forget what ``user`` was reminded of, so the next run repeats everything due."""
    with db.write() as tx:
        count = tx.execute("DELETE FROM reminders_sent WHERE user_name = :u", {"u": user})
        if count:
            audit(tx, "forget", "reminder", None, {"user": (user, None)})
        return count


# --- the digest -----------------------------------------------------------------------------------------


def _when(item: AgendaItem, today: date) -> str:
    from tinycrm.domain import clock

    value = item.when
    if isinstance(value, datetime):
        local = clock.to_local(value)
        return local.strftime("%H:%M") if local.date() == today else local.strftime("%a %Y-%m-%d %H:%M")
    if isinstance(value, date):
        return "today" if value == today else value.strftime("%a %Y-%m-%d")
    return ""


def digest_subject(items: Sequence[AgendaItem]) -> str:
    counts = {key: sum(1 for i in items if i.section == key) for key, _ in SECTIONS}
    parts = [f"{counts[key]} {label.lower()}" for key, label in SECTIONS if counts[key]]
    return f"tinycrm: {len(items)} due ({', '.join(parts)})" if parts else "tinycrm: nothing due"


def render_digest(items: Sequence[AgendaItem], *, today: date | None = None, total: int | None = None) -> str:
    """The plain-text digest of reminder items, grouped by overdue / today / coming up. Empty: ``""``.
    ``total``: how many are due in all, when ``items`` are only the most urgent of them."""
    if not items:
        return ""
    today = today or task_service.local_today()
    lines = [f"{digest_subject(items)} - {today.strftime('%A %Y-%m-%d')}"]
    for key, label in SECTIONS:
        group = [i for i in items if i.section == key]
        if not group:
            continue
        lines += ["", label]
        whens = [_when(i, today) for i in group]
        width = max(len(w) for w in whens)
        for item, when in zip(group, whens, strict=True):
            line = f"  {when.ljust(width)}  {item.title}  [{item.ref}]"
            if item.detail:
                line += f"  {item.detail}"
            lines.append(line.rstrip())
    if total is not None and total > len(items):
        lines += ["", f"... and {total - len(items)} more: crm agenda --all lists everything"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Delivery:
    """Where and how a digest is mailed: checked before anything due is looked for."""

    to: str
    smtp: Smtp


def delivery(mail_to: str | None) -> Delivery | None:
    """Check the settings, and ``--mail-to`` with the ``[smtp]`` settings it needs, on every run, before
    looking for what is due: a bad address or setting is :class:`InvalidInput` (exit 2) even when nothing is
    due, and nothing is sent or recorded. ``None``: print, do not mail."""
    from tinycrm import config
    from tinycrm.services.mail import mailer

    settings = config.load()  # the whole file, checked: a broken section fails every run, not only a due one
    if mail_to is None:
        return None
    address = v.email(mail_to, "--mail-to")
    smtp = settings.get(Smtp)
    mailer.check_ready(smtp)
    return Delivery(address, smtp)


def mail_digest(
    items: Sequence[AgendaItem], to: Delivery, *, today: date | None = None, total: int | None = None
) -> None:
    """Send the digest as one e-mail through the configured SMTP server or sendmail (see :func:`delivery`)."""
    from tinycrm.services.mail import mailer

    message = mailer.build_message(
        sender=to.smtp.sender,
        to=to.to,
        subject=digest_subject(items),
        body=render_digest(items, today=today, total=total),
    )
    mailer.send(message, to.smtp)
