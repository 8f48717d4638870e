"""Sequences: timed steps (a mail, a task) that each enrolled contact goes through, run by ``crm automate``.
A step's days count from enrolling (``0d``, ``3d``, ``7d``: the day of enrolling, three days later, a week later).

A member is ``active`` until the last step (``done``), ``crm sequence stop`` (``stopped``), or a reply, an
opt-out or a bounce (``ended``, see :mod:`tinycrm.services.marketing.inbound`). A contact is in a sequence at
most once at a time (a unique index on the active members). What is due is found through an index on
``(state, next_due)``.

Exactly once: a task step creates the task and moves the member on in one transaction. A mail step is sent like
a campaign mail: the member is marked with the step and its Message-ID (derived from the sequence's secret, the
member and the step) before the SMTP transaction and moved on right after the server accepted it; a run stopped
in between sends that step again with the same Message-ID. Mail goes to the contact's first address unless it
is opted out, bounced or suppressed (then the member ends): follow-ups are one-to-one mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tinycrm.domain import validation as v
from tinycrm.domain.errors import Conflict, InvalidInput, NotFound
from tinycrm.services.common import audit, new_uid, now
from tinycrm.services.marketing import mailbuild
from tinycrm.store.database import Database, Tx, as_datetime

_STEP = re.compile(r"\s*(\d{1,4})\s*d\s+(mail|task)\s+(\S.*)", re.DOTALL)


@dataclass(frozen=True)
class StepInput:
    delay_days: int
    action: str
    #: mail: the subject; task: the title
    subject: str
    body: str | None = None


def parse_step(spec: str) -> tuple[int, str, str]:
    """``"3d mail follow-up.md"`` -> ``(3, "mail", "follow-up.md")``; ``"7d task Call {{ ... }}"`` likewise."""
    match = _STEP.fullmatch(spec or "")
    if match is None:
        raise InvalidInput(
            f"--step {spec!r}: write DAYSd mail FILE.md or DAYSd task TITLE, e.g. --step '3d mail follow-up.md'"
        )
    return int(match.group(1)), match.group(2), match.group(3).strip()


def mail_step(delay: int, text: str, default_subject: str) -> StepInput:
    """A mail step from its Markdown file: a first line ``Subject: ...`` gives the subject."""
    first, _, rest = text.partition("\n")
    if first.casefold().startswith("subject:"):
        return StepInput(delay, "mail", first.split(":", 1)[1].strip() or default_subject, rest.lstrip("\n"))
    return StepInput(delay, "mail", default_subject, text)


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("a sequence name is empty")
    v.line(name, "sequence name")
    return name[:200]


def add(db: Database, name: str, steps: list[StepInput]) -> dict[str, Any]:
    from tinycrm.services.marketing.campaigns import field_keys

    name = _name(name)
    if not steps:
        raise InvalidInput("a sequence needs at least one --step")
    for before, after in zip(steps, steps[1:], strict=False):
        if after.delay_days < before.delay_days:
            raise InvalidInput(
                f"steps count days from enrolling: {after.delay_days}d cannot come after {before.delay_days}d; "
                "give the steps in order"
            )
    with db.write() as tx:
        keys = field_keys(tx)
        for n, step in enumerate(steps, 1):
            v.line(step.subject, f"step {n}")
            mailbuild.check(step.subject, step.body or "", keys)
        if tx.scalar("SELECT id FROM sequences WHERE name_key = :k", {"k": name.casefold()}):
            raise Conflict(f"a sequence named {name!r} exists; choose another name")
        sid = tx.insert(
            "INSERT INTO sequences (uid, name, name_key, created_at) VALUES (:u, :n, :k, :t) RETURNING id",
            {"u": new_uid().replace("-", ""), "n": name, "k": name.casefold(), "t": now()},
        )
        tx.executemany(
            "INSERT INTO sequence_steps (sequence_id, position, delay_days, action, subject, body) "
            "VALUES (:s, :p, :d, :a, :sub, :b)",
            [
                {"s": sid, "p": n, "d": st.delay_days, "a": st.action, "sub": st.subject, "b": st.body}
                for n, st in enumerate(steps)
            ],
        )
        audit(tx, "create", "sequence", sid, {"name": (None, name), "steps": (None, len(steps))})
        return _show(tx, _row(tx, name), None, 0)


def _row(tx: Tx, name: str) -> Any:
    row = tx.one("SELECT * FROM sequences WHERE name_key = :k", {"k": _name(name).casefold()})
    if row is None:
        raise NotFound(f"no sequence named {name!r}", hint="add one with crm sequence add")
    return row


def _steps(tx: Tx, sid: int) -> list[Any]:
    return tx.all("SELECT * FROM sequence_steps WHERE sequence_id = :s ORDER BY position", {"s": sid})


def enroll(db: Database, name: str, *, contact_id: int | None = None, segment: str | None = None) -> int:
    """Enroll a contact or a segment's members; those already active in the sequence are left as they are.
    The number enrolled."""
    from tinycrm.services.marketing import segments
    from tinycrm.services.people.query import compile_query

    if (contact_id is None) == (segment is None):
        raise InvalidInput("give --contact C or --segment S")
    with db.write() as tx:
        row = _row(tx, name)
        first = _steps(tx, row["id"])[0]
        if segment is not None:
            cond, params = compile_query(tx, segments.row_in(tx, segment)["query"])
            source = f"SELECT c.id FROM contacts c WHERE NOT c.archived AND {cond}"
        else:
            source, params = "SELECT c.id FROM contacts c WHERE c.id = :one", {"one": contact_id}
        stamp = now()
        return tx.execute(
            "INSERT INTO sequence_members (sequence_id, contact_id, state, next_step, next_due, enrolled_at) "
            f"SELECT :s, x.id, 'active', 0, :due, :t FROM ({source}) x WHERE NOT EXISTS (SELECT 1 FROM "
            "sequence_members m WHERE m.sequence_id = :s AND m.contact_id = x.id AND m.state = 'active')",
            {**params, "s": row["id"], "due": stamp + timedelta(days=first["delay_days"]), "t": stamp},
        )


def show(db: Database, name: str, *, limit: int | None = 50, offset: int = 0) -> dict[str, Any]:
    with db.read() as tx:
        return _show(tx, _row(tx, name), limit, offset)


def _show(tx: Tx, row: Any, limit: int | None, offset: int) -> dict[str, Any]:
    from tinycrm.store.sql import page_sql

    steps = _steps(tx, row["id"])
    members = (
        tx.all(
            "SELECT m.id, m.contact_id, c.display_name, m.state, m.next_step, m.next_due, m.end_reason "
            "FROM sequence_members m JOIN contacts c ON c.id = m.contact_id WHERE m.sequence_id = :s "
            f"ORDER BY m.id{page_sql(limit)}",
            {"s": row["id"], "limit": limit, "offset": offset},
        )
        if limit != 0
        else []
    )
    return {
        "id": row["id"],
        "name": row["name"],
        "steps": [{"days": s["delay_days"], "action": s["action"], "subject": s["subject"]} for s in steps],
        "members": [
            {
                "contact_id": m["contact_id"],
                "name": m["display_name"],
                "state": m["state"],
                "step": m["next_step"] + 1 if m["state"] == "active" else None,
                "next_due": as_datetime(m["next_due"]) if m["state"] == "active" else None,
                "end_reason": m["end_reason"],
            }
            for m in members
        ],
    }


def stop(db: Database, name: str, contact_id: int) -> int:
    with db.write() as tx:
        row = _row(tx, name)
        return _end(
            tx,
            "m.sequence_id = :s AND m.contact_id = :c",
            {"s": row["id"], "c": contact_id},
            "stopped",
            "stopped by hand",
        )


def _end(tx: Tx, cond: str, params: dict[str, Any], state: str, reason: str) -> int:
    return tx.execute(
        f"UPDATE sequence_members SET state = :st, end_reason = :r, ended_at = :t, next_due = NULL "
        f"WHERE id IN (SELECT m.id FROM sequence_members m WHERE m.state = 'active' AND {cond})",
        {**params, "st": state, "r": reason, "t": now()},
    )


def end_for_contact(tx: Tx, contact_id: int | None, reason: str) -> int:
    """A reply, an opt-out or a bounce ends every sequence of this contact."""
    if contact_id is None:
        return 0
    return _end(tx, "m.contact_id = :c", {"c": contact_id}, "ended", reason)


def end_for_address(tx: Tx, address: str, reason: str) -> int:
    return _end(
        tx,
        "m.contact_id IN (SELECT contact_id FROM contact_emails WHERE value_key = :a)",
        {"a": address},
        "ended",
        reason,
    )


def member_of_message(tx: Tx, message_ids: list[str]) -> Any:
    from tinycrm.store.sql import placeholders

    marks, params = placeholders("m", message_ids)
    return tx.one(
        f"SELECT m.id, m.contact_id, s.name FROM sequence_members m JOIN sequences s ON s.id = m.sequence_id "
        f"WHERE m.message_id IN ({marks}) LIMIT 1",
        params,
    )
