"""Tasks and follow-ups: due dates in natural language, repeating tasks, snoozing, and the stay-in-touch list
of contacts whose cadence has run out. When tasks are due and how a series repeats is :mod:`.recurrence`.

Snoozing. ``snoozed_until`` hides a task from reminders until then; the task is due again at the later of its
due date and the snooze. The due date itself (and so a repeating series) does not move.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tinycrm.domain import clock
from tinycrm.domain import validation as v
from tinycrm.domain.dates import parse_when_detailed
from tinycrm.domain.errors import Ambiguous, Conflict, InvalidInput, NotFound
from tinycrm.domain.people import Page, Ref
from tinycrm.domain.rows import Stream
from tinycrm.domain.tasks import PRIORITIES, TaskInput, TaskRead
from tinycrm.services.common import (
    MAX_ID,
    Edit,
    Versioned,
    actor,
    audit,
    delete_record,
    edit,
    edit_in,
    new_uid,
    now,
    user_id,
)
from tinycrm.services.work.recurrence import (
    day_start,
    describe_rule,
    first_due,
    local_date,
    local_today,
    next_occurrence,
    parse_due,
    parse_repeat,
)
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.sql import batches, check_page, escape_like, from_offset, page_sql, streamed

# --- input checks ---------------------------------------------------------------------------------------


def parse_priority(value: int | str | None) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value).strip().lower()
        if text in PRIORITIES:
            return PRIORITIES[text]
        if not text.isdigit():
            raise InvalidInput(
                f"priority: {value!r} is not one of none, low, normal, high (or 0-3)", field="priority"
            )
        number = int(text)
    if not 0 <= number <= 3:
        raise InvalidInput(f"priority must be 0-3 or none, low, normal, high (got {value})", field="priority")
    return number


def _title(value: str | None) -> str:
    out = v.line(value, "title", max_len=500, required=True)
    assert out is not None
    return out


def _check_link(tx: Tx, table: str, what: str, record_id: int | None) -> int | None:
    if record_id is None:
        return None
    if (
        not 0 < record_id <= MAX_ID
        or tx.scalar(f"SELECT id FROM {table} WHERE id = :i", {"i": record_id}) is None
    ):
        raise NotFound(f"no {what} with id {record_id}")
    return record_id


# --- reading --------------------------------------------------------------------------------------------

_SELECT = (
    "SELECT t.*, c.display_name AS contact_name, co.name AS company_name, d.title AS deal_title, "
    "uo.name AS owner_name, ua.name AS assignee_name FROM tasks t "
    "LEFT JOIN contacts c ON c.id = t.contact_id LEFT JOIN companies co ON co.id = t.company_id "
    "LEFT JOIN deals d ON d.id = t.deal_id LEFT JOIN users uo ON uo.id = t.owner_id "
    "LEFT JOIN users ua ON ua.id = t.assignee_id"
)

#: when a task is due again: the later of its due date and its snooze
EFFECTIVE_DUE = (
    "(CASE WHEN t.snoozed_until IS NOT NULL AND (t.due_at IS NULL OR t.snoozed_until > t.due_at) "
    "THEN t.snoozed_until ELSE t.due_at END)"
)
#: tasks that are due on a day rather than at a moment
DAY_BASED = "(t.all_day OR t.due_at IS NULL)"
#: whose a task is
BELONGS_TO = "COALESCE(t.assignee_id, t.owner_id)"


def overdue_sql() -> str:
    """Open tasks past due (``:today_start`` local midnight, ``:now``)."""
    return (
        f"t.done_at IS NULL AND {EFFECTIVE_DUE} IS NOT NULL AND "
        f"(({DAY_BASED} AND {EFFECTIVE_DUE} < :today_start) OR (NOT {DAY_BASED} AND {EFFECTIVE_DUE} < :now))"
    )


def _row_to_read(row: Any, moment: datetime) -> TaskRead:
    due = as_datetime(row["due_at"])
    all_day = bool(row["all_day"])
    done = as_datetime(row["done_at"])
    snoozed = as_datetime(row["snoozed_until"])
    status = "done" if done else ("snoozed" if snoozed and snoozed > moment else "open")
    return TaskRead(
        id=row["id"],
        uid=row["uid"],
        title=row["title"],
        due_at=due,
        due_date=local_date(due) if due else None,
        all_day=all_day,
        rrule=row["rrule"],
        repeat=describe_rule(row["rrule"]),
        priority=row["priority"],
        notes=row["notes"],
        contact=Ref(row["contact_id"], row["contact_name"]) if row["contact_id"] else None,
        company=Ref(row["company_id"], row["company_name"]) if row["company_id"] else None,
        deal=Ref(row["deal_id"], row["deal_title"]) if row["deal_id"] else None,
        done_at=done,
        snoozed_until=snoozed,
        owner=row["owner_name"],
        assignee=row["assignee_name"],
        created_at=as_datetime(row["created_at"]),
        updated_at=as_datetime(row["updated_at"]),
        version=row["version"],
        status=status,
    )


def read_in(tx: Tx, task_id: int) -> TaskRead:
    row = tx.one(f"{_SELECT} WHERE t.id = :i", {"i": task_id})
    if row is None:
        raise NotFound(f"no task with id {task_id}", hint="list them with: crm task list")
    return _row_to_read(row, now())


def get(db: Database, task_id: int) -> TaskRead:
    with db.read() as tx:
        return read_in(tx, task_id)


def rows_to_reads(rows: list, moment: datetime | None = None) -> list[TaskRead]:
    moment = moment or now()
    return [_row_to_read(r, moment) for r in rows]


def select_sql() -> str:
    """The task query (alias ``t``) read models are built from, for other services (agenda, calendar)."""
    return _SELECT


def owner_filter(tx: Tx, owner: str | None) -> int | None:
    """The user id to filter by (``-1`` matches nothing); ``None``: no filter."""
    if owner is None:
        return None
    name = v.line(owner, "owner", max_len=100, required=True)
    found = user_id(tx, name, create=False)
    if found is not None:
        return found
    if name == actor(tx.db):
        return -1  # the acting user has not been registered yet: they own nothing
    raise InvalidInput(f"no user named {name!r}", hint=f"add one with: crm user add {name}", field="owner")


def resolve(db: Database, ref: str | int) -> int:
    """A task id from a reference: an id (``12`` or ``#12``) or a fragment of its title.

    Open tasks are searched first; an exact title wins over fragments; several matches raise
    :class:`Ambiguous` with the candidates."""
    text = str(ref or "").strip()
    if not text:
        raise InvalidInput("a task reference is empty; give an id or words of its title")
    v.line(text, "task reference")
    with db.read() as tx:
        if re.fullmatch(r"#?\d+", text):
            tid = int(text.lstrip("#"))
            if tid > MAX_ID or tx.scalar("SELECT id FROM tasks WHERE id = :i", {"i": tid}) is None:
                raise NotFound(f"no task with id {tid}", hint="list them with: crm task list")
            return tid
        like = "%" + escape_like(text) + "%"
        match = tx.db.dialect.like_ci("title", "p")
        for open_only in (True, False):
            state = " AND done_at IS NULL" if open_only else ""
            rows = tx.all(
                f"SELECT id, title FROM tasks WHERE lower(title) = lower(:t){state} ORDER BY id LIMIT 11",
                {"t": text},
            ) or tx.all(f"SELECT id, title FROM tasks WHERE {match}{state} ORDER BY id LIMIT 11", {"p": like})
            if len(rows) == 1:
                return rows[0]["id"]
            if rows:
                raise Ambiguous(
                    f"{text!r} matches {'more than 10' if len(rows) > 10 else len(rows)} tasks; give an id",
                    [Ref(r["id"], r["title"]) for r in rows[:10]],
                )
    raise NotFound(f"no task matches {text!r}", hint="list them with: crm task list")


STATUSES = ("open", "done", "snoozed", "all")


def list_tasks(
    db: Database,
    *,
    status: str = "open",
    contact_id: int | None = None,
    deal_id: int | None = None,
    company_id: int | None = None,
    owner: str | None = None,
    overdue: bool = False,
    limit: int | None = 20,
    offset: int = 0,
    stream: bool = False,
) -> Page[TaskRead] | Stream[TaskRead]:
    """A page of tasks (``limit`` None and ``stream``: all of them from ``offset`` on, a :class:`Stream`). Open ones (snoozed included) by due date, soonest first, then by priority; done ones
    most recently done first. ``overdue`` keeps open tasks past due; ``owner`` a user's tasks (the assignee's,
    else the owner's)."""
    if status not in STATUSES:
        raise InvalidInput(f"unknown task status {status!r}; use one of: {', '.join(STATUSES)}")
    check_page(limit, offset)
    moment = now()
    where: list[str] = []
    params: dict[str, Any] = {
        "now": moment,
        "today_start": day_start(local_today()),
        "limit": limit,
        "offset": offset,
    }
    if status == "open":
        where.append("t.done_at IS NULL")
    elif status == "done":
        where.append("t.done_at IS NOT NULL")
    elif status == "snoozed":
        where.append("t.done_at IS NULL AND t.snoozed_until > :now")
    if overdue:
        where.append(overdue_sql())
    for column, value in (("contact_id", contact_id), ("deal_id", deal_id), ("company_id", company_id)):
        if value is not None:
            where.append(f"t.{column} = :{column}")
            params[column] = value
    order = (
        "t.done_at DESC, t.id DESC"
        if status == "done"
        else f"CASE WHEN t.done_at IS NULL THEN 0 ELSE 1 END, "
        f"CASE WHEN {EFFECTIVE_DUE} IS NULL THEN 1 ELSE 0 END, {EFFECTIVE_DUE}, t.priority DESC, t.id"
    )
    page = page_sql(limit)

    def read(tx: Tx) -> Any:
        uid = owner_filter(tx, owner)
        if uid is not None:
            where.append(f"{BELONGS_TO} = :owner_id")
            params["owner_id"] = uid
        cond = " AND ".join(where) or "1=1"
        total = tx.scalar(f"SELECT count(*) FROM tasks t WHERE {cond}", params)
        if limit is None and stream:  # --all: read as it is shown
            sql = f"{_SELECT} WHERE {cond} ORDER BY {order}{from_offset(offset)}"
            return total, (t for rows in batches(tx, sql, params) for t in rows_to_reads(rows, moment))
        rows = tx.all(f"{_SELECT} WHERE {cond} ORDER BY {order}{page}", params)
        return Page(rows_to_reads(rows, moment), total, limit, offset)

    if limit is None and stream:
        return streamed(db, offset, read)
    with db.read() as tx:
        return read(tx)  # type: ignore[no-any-return]


# --- writing --------------------------------------------------------------------------------------------


_INSERT = (
    "INSERT INTO tasks (uid, title, due_at, all_day, rrule, priority, notes, contact_id, company_id, "
    "deal_id, owner_id, assignee_id, created_at, updated_at, version) VALUES (:uid, :title, :due, :all_day, "
    ":rule, :priority, :notes, :contact, :company, :deal, :owner, :assignee, :t, :t, 1) RETURNING id"
)


def insert(tx: Tx, data: TaskInput) -> int:
    """Store a new task inside an open transaction; give its id."""
    title = _title(data.title)
    due_at, all_day = parse_due(data.due)
    rule = parse_repeat(data.repeat)
    if rule and due_at is None:
        due_at, all_day = first_due(rule), True
    priority = parse_priority(data.priority)
    notes = v.text(data.notes, "notes")
    contact_id = _check_link(tx, "contacts", "contact", data.contact_id)
    company_id = _check_link(tx, "companies", "company", data.company_id)
    deal_id = _check_link(tx, "deals", "deal", data.deal_id)
    owner_id = user_id(tx, v.line(data.owner, "owner", max_len=100))
    assignee_id = user_id(tx, v.line(data.assignee, "assignee", max_len=100)) if data.assignee else None
    uid = v.line(data.uid, "uid", max_len=100) or new_uid()
    if tx.scalar("SELECT id FROM tasks WHERE uid = :u", {"u": uid}) is not None:
        raise Conflict(f"a task with UID {uid} exists already")
    stamp = now()
    tid = tx.insert(
        _INSERT,
        {
            "uid": uid,
            "title": title,
            "due": due_at,
            "all_day": all_day,
            "rule": rule,
            "priority": priority,
            "notes": notes,
            "contact": contact_id,
            "company": company_id,
            "deal": deal_id,
            "owner": owner_id,
            "assignee": assignee_id,
            "t": stamp,
        },
    )
    values = {
        "title": title,
        "due_at": due_at,
        "all_day": all_day or None,
        "rrule": rule,
        "priority": priority or None,
        "notes": notes,
        "contact_id": contact_id,
        "company_id": company_id,
        "deal_id": deal_id,
        "assignee": data.assignee,
    }
    audit(tx, "create", "task", tid, {k: (None, val) for k, val in values.items() if val is not None})
    return tid


def create(db: Database, data: TaskInput) -> TaskRead:
    with db.write() as tx:
        return read_in(tx, insert(tx, data))


def follow_up(
    db: Database,
    contact_id: int,
    when: str,
    title: str | None = None,
    *,
    notes: str | None = None,
    priority: int | str | None = None,
    repeat: str | None = None,
) -> TaskRead:
    """A task linked to a contact, due ``when`` (default title: "Follow up with NAME")."""
    if when is None or not str(when).strip():
        raise InvalidInput(
            "a follow-up needs a date: e.g. 'next monday', 'in 3 days', 'tomorrow 9am'", field="due"
        )
    with db.write() as tx:
        row = tx.one("SELECT id, display_name FROM contacts WHERE id = :i", {"i": contact_id})
        if row is None:
            raise NotFound(f"no contact with id {contact_id}", hint="find one with: crm search NAME")
        text = title if title and title.strip() else f"Follow up with {row['display_name']}"
        data = TaskInput(
            title=text, due=when, contact_id=contact_id, notes=notes, priority=priority, repeat=repeat
        )
        return read_in(tx, insert(tx, data))


TASK = Versioned("tasks", "task", read_in)
TaskEdit = Edit[TaskRead]


def _edit_title(e: TaskEdit, changes: dict[str, Any]) -> None:
    e.put("title", e.before.title, _title(changes["title"]))


def _edit_due(e: TaskEdit, changes: dict[str, Any]) -> None:
    """``repeat`` and ``due`` together: a repeating task always has a due date."""
    before = e.before
    rule = before.rrule
    if "repeat" in changes:
        rule = parse_repeat(changes["repeat"])
        e.put("rrule", before.rrule, rule)
    due_at = before.due_at
    if "due" in changes:
        due_at, all_day = parse_due(changes["due"])
        e.put("due_at", before.due_at, due_at)
        e.put("all_day", before.all_day, all_day)
    if rule and due_at is None:
        if "due" in changes:
            raise InvalidInput(
                "a repeating task needs a due date; stop it repeating first (--repeat never)", field="due"
            )
        e.put("due_at", before.due_at, first_due(rule))
        e.put("all_day", before.all_day, True)


def _edit_priority(e: TaskEdit, changes: dict[str, Any]) -> None:
    e.put("priority", e.before.priority, parse_priority(changes["priority"]))


def _edit_notes(e: TaskEdit, changes: dict[str, Any]) -> None:
    e.put("notes", e.before.notes, v.text(changes["notes"], "notes"))


def _edit_link(key: str, table: str, what: str) -> Callable[[TaskEdit, dict[str, Any]], None]:
    def put(e: TaskEdit, changes: dict[str, Any]) -> None:
        ref = getattr(e.before, what)
        e.put(key, ref.id if ref else None, _check_link(e.tx, table, what, changes[key]))

    return put


def _edit_owner(e: TaskEdit, changes: dict[str, Any]) -> None:
    name = v.line(changes["owner"], "owner", max_len=100)
    if name is None:
        raise InvalidInput("a task always has an owner; give a user name", field="owner")
    owner_id = user_id(e.tx, name)
    if name != e.before.owner:
        e.sets["owner_id"] = owner_id
        e.changed["owner"] = (e.before.owner, name)


def _edit_assignee(e: TaskEdit, changes: dict[str, Any]) -> None:
    name = v.line(changes["assignee"], "assignee", max_len=100)
    assignee_id = user_id(e.tx, name) if name else None
    if name != e.before.assignee:
        e.sets["assignee_id"] = assignee_id
        e.changed["assignee"] = (e.before.assignee, name)


def _edit_snooze(e: TaskEdit, changes: dict[str, Any]) -> None:
    value = changes["snoozed_until"]
    if value is not None and not isinstance(value, datetime):
        raise InvalidInput("snoozed_until takes a datetime; use snooze() for natural language")
    e.put("snoozed_until", e.before.snoozed_until, value.astimezone(UTC) if value else None)


def _edit_done(e: TaskEdit, changes: dict[str, Any]) -> None:
    if changes["done"]:
        raise InvalidInput("complete a task with complete(), which also schedules a repeating one")
    e.put("done_at", e.before.done_at, None)


#: how a change to each field is made, by the keys of ``changes`` it takes, in the order they are made
HANDLERS: tuple[tuple[tuple[str, ...], Callable[[TaskEdit, dict[str, Any]], None]], ...] = (
    (("title",), _edit_title),
    (("repeat", "due"), _edit_due),
    (("priority",), _edit_priority),
    (("notes",), _edit_notes),
    (("contact_id",), _edit_link("contact_id", "contacts", "contact")),
    (("company_id",), _edit_link("company_id", "companies", "company")),
    (("deal_id",), _edit_link("deal_id", "deals", "deal")),
    (("owner",), _edit_owner),
    (("assignee",), _edit_assignee),
    (("snoozed_until",), _edit_snooze),
    (("done",), _edit_done),
)
EDITABLE = {key for keys, _ in HANDLERS for key in keys}


def update(
    db: Database, task_id: int, changes: dict[str, Any], *, expected_version: int | None = None
) -> TaskRead:
    """Change the given fields: ``title``, ``due`` (natural language; ``None`` for no due date), ``repeat``
    (``None`` to stop repeating), ``priority``, ``notes``, ``contact_id`` / ``company_id`` / ``deal_id``
    (``None`` unlinks), ``owner``, ``assignee``, ``snoozed_until`` (``None`` wakes the task), ``done``
    (``False`` reopens it). ``expected_version`` guards against overwriting someone else's edit."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of a task")

    def apply(e: TaskEdit) -> None:
        for keys, handler in HANDLERS:
            if any(k in changes for k in keys):
                handler(e, changes)

    return edit(db, TASK, task_id, apply, expected_version=expected_version)


def complete(
    db: Database, task_id: int, *, expected_version: int | None = None
) -> tuple[TaskRead, TaskRead | None]:
    """Mark a task done; for a repeating task also store its next occurrence (see :mod:`.recurrence`).

    Gives the completed task and the next occurrence (``None``: it does not repeat, or the series ended)."""

    def apply(e: TaskEdit) -> None:
        if e.before.done_at is not None:
            from tinycrm.domain.dates import show

            raise Conflict(
                f"task {task_id} is already done (at {show(e.before.done_at)})",
                hint=f"reopen it with: crm task edit {task_id} --reopen",
            )
        e.put("done_at", None, now())

    with db.write() as tx:
        done = edit_in(tx, TASK, task_id, apply, expected_version=expected_version, action="complete")
        return done, _next_in_series(tx, done)


def _next_in_series(tx: Tx, done: TaskRead) -> TaskRead | None:
    """Store the next occurrence of a repeating task just completed; None when it does not repeat, or its
    series has ended."""
    if not done.rrule or done.due_at is None:
        return None
    assert done.done_at is not None
    found = next_occurrence(done.rrule, done.due_at, done.all_day, after=done.done_at)
    if found is None:
        return None
    due_at, rule = found
    ids = tx.one("SELECT owner_id, assignee_id FROM tasks WHERE id = :i", {"i": done.id})
    nid = tx.insert(
        _INSERT,
        {
            "uid": new_uid(),
            "title": done.title,
            "due": due_at,
            "all_day": done.all_day,
            "rule": rule,
            "priority": done.priority,
            "notes": done.notes,
            "contact": done.contact.id if done.contact else None,
            "company": done.company.id if done.company else None,
            "deal": done.deal.id if done.deal else None,
            "owner": ids["owner_id"],
            "assignee": ids["assignee_id"],
            "t": done.done_at,
        },
    )
    created = {
        "title": (None, done.title),
        "due_at": (None, due_at),
        "rrule": (None, rule),
        "repeats": (None, done.id),
    }
    audit(tx, "create", "task", nid, created)
    return read_in(tx, nid)


def snooze(db: Database, task_id: int, when: str, *, expected_version: int | None = None) -> TaskRead:
    """Hide a task from reminders until ``when`` (natural language). A day without a time of day snoozes a
    timed task to its usual time on that day, an all-day task to that day."""
    if when is None or not str(when).strip():
        raise InvalidInput(
            "snooze: give until when, e.g. tomorrow, 'in 2 hours', 'next monday 9am'", field="until"
        )
    moment, has_time = parse_when_detailed(str(when), what="snooze")

    def apply(e: TaskEdit) -> None:
        before = e.before
        if before.done_at is not None:
            raise Conflict(
                f"task {task_id} is done; reopen it first", hint=f" with: crm task edit {task_id} --reopen"
            )
        if has_time:
            until = moment
            if until <= now():
                raise InvalidInput(f"snooze: {when!r} is not in the future", field="until")
        else:
            day = local_date(moment)
            if day < local_today():
                raise InvalidInput(f"snooze: {when!r} is in the past", field="until")
            if before.due_at is not None and not before.all_day:
                at = clock.to_local(before.due_at).time()
                until = datetime.combine(day, at, tzinfo=clock.local_tz()).astimezone(UTC)
            else:
                until = day_start(day)
        # snoozing again to the same moment is a change too: the audit log says it was asked for
        e.sets["snoozed_until"] = until
        e.changed["snoozed_until"] = (before.snoozed_until, until)

    return edit(db, TASK, task_id, apply, expected_version=expected_version, action="snooze")


def delete(db: Database, task_id: int) -> TaskRead:
    return delete_record(db, "tasks", "task", task_id, read_in, "title")
