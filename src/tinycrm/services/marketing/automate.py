"""``crm automate``: run the sequence steps that are due, each exactly once (see
:mod:`tinycrm.services.marketing.sequences`). For cron: nothing due, nothing said."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tinycrm.domain.errors import InvalidInput
from tinycrm.services.common import now
from tinycrm.services.marketing import mailbuild
from tinycrm.store.database import Database, as_datetime

BATCH = 200


def run(db: Database) -> dict[str, Any]:
    """Every due step; ``{"mails": n, "tasks": n, "ended": n, "done": [lines], "stopped": message|None}``."""
    from tinycrm import config
    from tinycrm.config.marketing import Marketing
    from tinycrm.services.marketing.smtpsession import Session

    report: dict[str, Any] = {"mails": 0, "tasks": 0, "ended": 0, "done": [], "stopped": None}
    with db.read() as tx:
        due = tx.column(
            "SELECT id FROM sequence_members WHERE state = 'active' AND next_due <= :now "
            "ORDER BY next_due, id LIMIT :n",
            {"now": now(), "n": BATCH * 50},
        )
    if not due:
        return report
    with Session(config.get(config.Smtp)) as session:
        for member_id in due:
            if not _step(db, member_id, session, config.get(Marketing), report):
                break
    return report


def _load(db: Database, member_id: int) -> Any:
    with db.read() as tx:
        m = tx.one(
            "SELECT m.*, s.uid, s.name AS sequence FROM sequence_members m JOIN sequences s "
            "ON s.id = m.sequence_id WHERE m.id = :i AND m.state = 'active' AND m.next_due <= :now",
            {"i": member_id, "now": now()},
        )
        if m is None:
            return None, None, None
        steps = tx.all(
            "SELECT * FROM sequence_steps WHERE sequence_id = :s ORDER BY position", {"s": m["sequence_id"]}
        )
        address = tx.one(
            "SELECT e.value_key, k.status, (SELECT 1 FROM suppressions x WHERE x.address_key = e.value_key) AS sup "
            "FROM contact_emails e LEFT JOIN consents k ON k.address_key = e.value_key "
            "WHERE e.contact_id = :c ORDER BY e.position, e.id LIMIT 1",
            {"c": m["contact_id"]},
        )
        return m, steps, address


def _advance(tx: Any, m: Any, steps: list[Any]) -> None:
    nxt = m["next_step"] + 1
    if nxt >= len(steps):
        tx.execute(
            "UPDATE sequence_members SET state = 'done', next_step = :n, next_due = NULL, sending_step = NULL, "
            "ended_at = :t WHERE id = :i",
            {"n": nxt, "t": now(), "i": m["id"]},
        )
    else:
        enrolled = as_datetime(m["enrolled_at"])
        assert enrolled is not None
        tx.execute(
            "UPDATE sequence_members SET next_step = :n, next_due = :d, sending_step = NULL WHERE id = :i",
            {
                "n": nxt,
                "d": enrolled + timedelta(days=steps[nxt]["delay_days"]),
                "i": m["id"],
            },
        )


def _step(db: Database, member_id: int, session: Any, settings: Any, report: dict[str, Any]) -> bool:
    """One due step of one member; False when the run must stop (the mail server is unavailable)."""
    from tinycrm.services.marketing.campaigns import field_keys
    from tinycrm.services.people.contact_loader import load_many

    m, steps, address = _load(db, member_id)
    if m is None:
        return True
    step = steps[m["next_step"]]
    with db.read() as tx:
        contact = load_many(tx, [m["contact_id"]], detail="full")[0]
        variables = mailbuild.context(contact, field_keys(tx))
    if step["action"] == "task":
        return _task(db, m, steps, step, variables, report)
    if address is None or address["sup"] or address["status"] in ("opted-out", "bounced"):
        reason = "no address to mail" if address is None else f"address {address['status'] or 'suppressed'}"
        _end(db, m, reason, report)
        return True
    return _mail(db, m, steps, step, contact, address["value_key"], variables, session, settings, report)


def _end(db: Database, m: Any, reason: str, report: dict[str, Any]) -> None:
    with db.write() as tx:
        tx.execute(
            "UPDATE sequence_members SET state = 'ended', end_reason = :r, ended_at = :t, next_due = NULL "
            "WHERE id = :i AND state = 'active'",
            {"r": reason, "t": now(), "i": m["id"]},
        )
    report["ended"] += 1
    report["done"].append(f"{m['sequence']}: ended for contact {m['contact_id']} ({reason})")


def _task(db: Database, m: Any, steps: list[Any], step: Any, variables: Any, report: dict[str, Any]) -> bool:
    from tinycrm.domain.tasks import TaskInput
    from tinycrm.services.work import tasks

    try:
        title = mailbuild.one_line(mailbuild.render(step["subject"], variables, name="the task title"))
    except InvalidInput as exc:
        _end(db, m, str(exc)[:100], report)
        return True
    with db.write() as tx:
        tx.lock_rows("sequence_members", [m["id"]])
        still = tx.scalar(
            "SELECT 1 FROM sequence_members WHERE id = :i AND state = 'active' AND next_step = :s",
            {"i": m["id"], "s": m["next_step"]},
        )
        if not still:
            return True
        tasks.insert(tx, TaskInput(title=title[:500], due=now(), contact_id=m["contact_id"]))
        _advance(tx, m, steps)
    report["tasks"] += 1
    report["done"].append(f"{m['sequence']}: task '{title}'")
    return True


def _mail(
    db: Database,
    m: Any,
    steps: list[Any],
    step: Any,
    contact: Any,
    address: str,
    variables: Any,
    session: Any,
    settings: Any,
    report: dict[str, Any],
) -> bool:
    from tinycrm.services.mail.mailer import MailFailed, MailUnavailable
    from tinycrm.services.marketing.sending import log_mail, sender_of

    if not settings.unsubscribe_address:
        raise InvalidInput(
            "[marketing] unsubscribe_address is not set; every mail must name one (docs/marketing.md)"
        )
    sender = sender_of({"sender": None})
    domain = sender.rpartition("@")[2].rstrip(">") or "tinycrm"
    tok = mailbuild.token(m["uid"], m["id"] * 1000 + m["next_step"])
    mid = f"s{m['sequence_id']}.{tok}@{domain}"
    try:
        subject, body = mailbuild.render_mail(step["subject"], step["body"] or "", variables)
    except InvalidInput as exc:
        _end(db, m, str(exc)[:100], report)
        return True
    env = mailbuild.Envelope(
        sender, contact.display_name, address, None, mid, tok, settings.unsubscribe_address, settings.base_url
    )
    with db.write() as tx:
        if not tx.execute(
            "UPDATE sequence_members SET sending_step = :s, message_id = :m WHERE id = :i AND state = 'active' "
            "AND next_step = :s",
            {"s": m["next_step"], "m": mid, "i": m["id"]},
        ):
            return True
    try:
        session.send(mailbuild.build(subject, body, env), address)
    except MailFailed as exc:
        _end(db, m, str(exc)[:100], report)
        return True
    except MailUnavailable as exc:
        report["stopped"] = str(exc)
        return False
    with db.write() as tx:
        _advance(tx, m, steps)
        log_mail(
            tx, m["contact_id"], f"Sequence {m['sequence']}: {subject}", now(), settings.counts_as_contact
        )
    report["mails"] += 1
    report["done"].append(f"{m['sequence']}: mailed {address} (step {m['next_step'] + 1})")
    return True
