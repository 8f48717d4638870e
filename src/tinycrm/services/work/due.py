"""What is due, found through indexes: the queries behind the agenda, reminders, ``crm`` (status), the
stay-in-touch list and idle deals.

Cost follows output (docs/architecture.md): each query reads one range of an index that holds only what can be
due (migration 0003), counts it there, and reads whole rows only for the page it shows.

- open tasks: ``ix_tasks_open_due``, on when a task is due again (the later of due date and snooze), with what
  tells overdue from due today, for open tasks only;
- stay in touch: ``ix_contacts_touch``, on (cadence, the moment it counts from: the latest interaction, kept in
  ``contacts.last_interaction_at``, else when the contact was added); one range per cadence in use, the
  cadences themselves found by skipping through the index (a handful of look-ups, not a scan);
- birthdays: ``ix_contacts_birthday``, on the ``MM-DD`` of the birthday;
- idle deals: ``ix_deals_idle`` (open deals by stage and when they entered it: one range per stage with an idle
  threshold) and ``ix_deals_next_step`` (open deals by the day of their next step).

Each query spells its expression exactly as the index does (``tinycrm.store.schema``); tests/system/
test_due_plans.py checks the plans on both stores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tinycrm.domain.people import Page
from tinycrm.domain.tasks import StaleContact
from tinycrm.services.work import stay_in_touch
from tinycrm.services.work import tasks as task_service
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.sql import check_page

#: when an open task is due again, as the index ``ix_tasks_open_due`` has it
DUE_AGAIN = (
    "(CASE WHEN t.snoozed_until IS NOT NULL AND (t.due_at IS NULL OR t.snoozed_until > t.due_at) "
    "THEN t.snoozed_until ELSE t.due_at END)"
)
#: tasks due on a day rather than at a moment
DAY_BASED = "(t.all_day OR t.due_at IS NULL)"
#: whose a task is
BELONGS_TO = "COALESCE(t.assignee_id, t.owner_id)"
#: the moment a contact's cadence counts from, as the index ``ix_contacts_touch`` has it
TOUCHED_AT = "coalesce(c.last_interaction_at, c.created_at)"
#: ``MM-DD`` of a birthday, as the index ``ix_contacts_birthday`` has it
MONTH_DAY = "substr(c.birthday, length(c.birthday) - 4)"


@dataclass(frozen=True)
class Window:
    """The moments that split what is due: ``now``, local midnight today and tomorrow, and the end of the
    window looked at (local midnight after its last day)."""

    now: datetime
    today: date
    today_start: datetime
    tomorrow_start: datetime
    end: datetime

    @classmethod
    def of(cls, moment: datetime, days: int) -> Window:
        today = task_service.local_today()
        return cls(
            now=moment,
            today=today,
            today_start=task_service.day_start(today),
            tomorrow_start=task_service.day_start(today + timedelta(days=1)),
            end=task_service.day_start(today + timedelta(days=days + 1)),
        )


def _page(limit: int | None, offset: int) -> tuple[str, dict[str, Any]]:
    if limit is None:
        return (" OFFSET :d_offset", {"d_offset": offset}) if offset else ("", {})
    return " LIMIT :d_limit OFFSET :d_offset", {"d_limit": limit, "d_offset": offset}


# --- tasks ----------------------------------------------------------------------------------------------

#: each section of the agenda as a range of ``DUE_AGAIN`` (read from the index) and what sets the section's
#: tasks apart within it (read from the same index: all_day, due_at and snoozed_until are in it)
TASK_SECTIONS = {
    "overdue": (None, ":now", f"({DUE_AGAIN} < :today_start OR NOT {DAY_BASED})"),
    "today": (":today_start", ":tomorrow_start", f"({DAY_BASED} OR {DUE_AGAIN} >= :now)"),
    "upcoming": (":tomorrow_start", ":end", "1=1"),
}


def _task_where(section: str, *, owner_id: int | None, include_snoozed: bool) -> str:
    low, high, rest = TASK_SECTIONS[section]
    cond = f"t.done_at IS NULL AND {DUE_AGAIN} < {high} AND {rest}"
    if low:
        cond += f" AND {DUE_AGAIN} >= {low}"
    if not include_snoozed:
        cond += " AND (t.snoozed_until IS NULL OR t.snoozed_until <= :now)"
    if owner_id is not None:
        cond += f" AND {BELONGS_TO} = :owner_id"
    return cond


def _window_params(w: Window, owner_id: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "now": w.now,
        "today_start": w.today_start,
        "tomorrow_start": w.tomorrow_start,
        "end": w.end,
    }
    if owner_id is not None:
        params["owner_id"] = owner_id
    return params


def task_count(
    tx: Tx, section: str, w: Window, *, owner_id: int | None = None, include_snoozed: bool = True
) -> int:
    where = _task_where(section, owner_id=owner_id, include_snoozed=include_snoozed)
    return int(tx.scalar(f"SELECT count(*) FROM tasks t WHERE {where}", _window_params(w, owner_id)))


def task_rows(
    tx: Tx,
    section: str,
    w: Window,
    *,
    owner_id: int | None = None,
    include_snoozed: bool = True,
    limit: int | None = None,
    offset: int = 0,
) -> list:
    """The rows of ``tasks.select_sql()`` of one section, soonest first."""
    where = _task_where(section, owner_id=owner_id, include_snoozed=include_snoozed)
    page, extra = _page(limit, offset)
    return tx.all(
        f"{task_service.select_sql()} WHERE {where} ORDER BY {DUE_AGAIN}, t.priority DESC, t.id{page}",
        {**_window_params(w, owner_id), **extra},
    )


# --- stay in touch --------------------------------------------------------------------------------------


def cadences(tx: Tx) -> list[int]:
    """The cadences in use by active contacts, found by skipping through ``ix_contacts_touch``: one index
    look-up per cadence, however many contacts have one."""
    return [
        int(k)
        for k in tx.column(
            "WITH RECURSIVE k(days) AS ("
            "SELECT min(cadence_days) FROM contacts WHERE cadence_days > 0 AND NOT archived "
            "UNION ALL SELECT (SELECT min(c.cadence_days) FROM contacts c "
            "WHERE c.cadence_days > k.days AND NOT c.archived) FROM k WHERE k.days IS NOT NULL"
            ") SELECT days FROM k WHERE days IS NOT NULL"
        )
    ]


def _stale_arms(
    tx: Tx, low: datetime | None, high: datetime, owner_id: int | None
) -> list[tuple[str, dict[str, Any]]]:
    """One condition per cadence in use, with its parameters: the active contacts of that cadence whose time
    runs out in [``low``, ``high``) (no lower bound: ``None``). Each reads one range of ``ix_contacts_touch``."""
    arms: list[tuple[str, dict[str, Any]]] = []
    for n, days in enumerate(cadences(tx)):
        params: dict[str, Any] = {f"k{n}": days, f"hi{n}": high - timedelta(days=days)}
        cond = f"c.cadence_days = :k{n} AND {TOUCHED_AT} < :hi{n} AND NOT c.archived"
        if low is not None:
            params[f"lo{n}"] = low - timedelta(days=days)
            cond += f" AND {TOUCHED_AT} >= :lo{n}"
        if owner_id is not None:
            cond += " AND c.owner_id = :owner_id"
            params["owner_id"] = owner_id
        arms.append((cond, params))
    return arms


def stale_count(tx: Tx, low: datetime | None, high: datetime, *, owner_id: int | None = None) -> int:
    """How many contacts :func:`stale_rows` lists, counted in the index alone (no row is read)."""
    arms = _stale_arms(tx, low, high, owner_id)
    if not arms:
        return 0
    union = " UNION ALL ".join(f"SELECT count(*) AS n FROM contacts c WHERE {cond}" for cond, _ in arms)
    params = {k: v for _, p in arms for k, v in p.items()}
    return int(tx.scalar(f"SELECT sum(s.n) FROM ({union}) s", params) or 0)


def _stale_edges(tx: Tx, arms: list[tuple[str, dict[str, Any]]], first: int) -> list[str]:
    """For a page ending at row ``first`` of the list: per cadence, a bound that keeps the rows that can be on
    it. Within one cadence the list runs in the order of when each contact's time counts from, which the index
    yields, so a contact of that cadence counted from later than its ``first``-th one has ``first`` others ahead
    of it and cannot be on the page. The bound leaves a day of slack over that one; the page is then sorted from
    a few rows per cadence instead of every overdue contact (137k of a million)."""
    bounds = []
    for n, (cond, params) in enumerate(arms):
        row = tx.scalar(
            f"SELECT {TOUCHED_AT} FROM contacts c WHERE {cond} ORDER BY {TOUCHED_AT} LIMIT 1 OFFSET :nth",
            {**params, "nth": first - 1},
        )
        touched = as_datetime(row)
        if touched is None:
            bounds.append(cond)
        else:
            params[f"edge{n}"] = touched + timedelta(days=1)
            bounds.append(f"{cond} AND {TOUCHED_AT} < :edge{n}")
    return bounds


def stale_rows(
    tx: Tx,
    low: datetime | None,
    high: datetime,
    *,
    owner_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list:
    """Contacts whose cadence runs out in [``low``, ``high``), longest overdue first: ``id, display_name,
    cadence_days, created_at, last_at, owner_name`` (the columns :func:`stay_in_touch.stale_from_row` reads)."""
    arms = _stale_arms(tx, low, high, owner_id)
    if not arms:
        return []
    conds = [cond for cond, _ in arms] if limit is None else _stale_edges(tx, arms, offset + limit)
    params = {k: v for _, p in arms for k, v in p.items()}
    union = " UNION ALL ".join(
        "SELECT c.id, c.display_name, c.sort_name, c.cadence_days, c.created_at, "
        f"c.last_interaction_at AS last_at, c.owner_id FROM contacts c WHERE {cond}"
        for cond in conds
    )
    page, extra = _page(limit, offset)
    late = tx.db.dialect.days_between("COALESCE(s.last_at, s.created_at)", ":until")
    return tx.all(
        f"SELECT s.id, s.display_name, s.cadence_days, s.created_at, s.last_at, u.name AS owner_name "
        f"FROM ({union}) s LEFT JOIN users u ON u.id = s.owner_id "
        f"ORDER BY {late} - s.cadence_days DESC, s.sort_name, s.id{page}",
        {**params, **extra, "until": high},
    )


# --- birthdays ------------------------------------------------------------------------------------------


def _spans(days: Sequence[date]) -> list[tuple[str, str] | None]:
    """Consecutive ``days`` as ranges of ``MM-DD`` in the order of the days: one, or two when they run from
    December into January (each read as one range of ``ix_contacts_birthday``); ``[None]``: every day of the
    year. 29 February counts on the 28th in years without one."""
    import calendar

    if len(days) >= 366:
        return [None]
    runs: list[list[date]] = [[]]
    for d in days:
        if runs[-1] and d.month == 1 and d.day == 1:
            runs.append([])
        runs[-1].append(d)
    out: list[tuple[str, str] | None] = []
    for run in runs:
        last = run[-1].strftime("%m-%d")
        if last == "02-28" and not calendar.isleap(run[-1].year):
            last = "02-29"
        out.append((run[0].strftime("%m-%d"), last))
    return out


def _birthday_where(span: tuple[str, str] | None, owner_id: int | None) -> tuple[str, dict[str, Any]]:
    cond = "c.birthday IS NOT NULL AND NOT c.archived"
    params: dict[str, Any] = {}
    if span is not None:
        cond += f" AND {MONTH_DAY} >= :md_first AND {MONTH_DAY} <= :md_last"
        params["md_first"], params["md_last"] = span
    if owner_id is not None:
        cond += " AND c.owner_id = :owner_id"
        params["owner_id"] = owner_id
    return cond, params


def birthday_count(tx: Tx, days: Sequence[date], *, owner_id: int | None = None) -> int:
    """How many active contacts have their birthday on one of ``days`` (consecutive)."""
    total = 0
    for span in _spans(days) if days else []:
        cond, params = _birthday_where(span, owner_id)
        total += int(tx.scalar(f"SELECT count(*) FROM contacts c WHERE {cond}", params))
    return total


def birthday_rows(
    tx: Tx, days: Sequence[date], *, owner_id: int | None = None, limit: int | None = None, offset: int = 0
) -> list:
    """Active contacts whose birthday falls on one of ``days`` (consecutive), in the order of the days, then
    by name."""
    rows: list = []
    want = None if limit is None else offset + limit
    for span in _spans(days) if days else []:
        if want is not None and len(rows) >= want:
            break
        cond, params = _birthday_where(span, owner_id)
        page, extra = _page(None if want is None else want - len(rows), 0)
        rows += tx.all(
            f"SELECT c.id, c.display_name, c.birthday, u.name AS owner_name FROM contacts c "
            f"LEFT JOIN users u ON u.id = c.owner_id WHERE {cond} "
            f"ORDER BY {MONTH_DAY}, c.display_name, c.id{page}",
            {**params, **extra},
        )
    return rows[offset:want]


# --- idle deals -----------------------------------------------------------------------------------------

#: orders of idle deals: ``crm deal idle`` (longest in their stage first) and the agenda (by next step, those
#: without one first); both read from the indexes alone
IDLE_ORDERS = {
    "stage": "i.stage_entered_at, i.id",
    "next_step": "CASE WHEN i.next_step_due IS NULL THEN 0 ELSE 1 END, i.next_step_due, i.id",
}


def _idle_union(
    tx: Tx, at: datetime, today: date, where: str, params: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """Open deals longer in their stage than its idle threshold (one index range per stage that has one), or
    whose next step is overdue: ``SELECT id, next_step_due, stage_entered_at`` arms joined by ``UNION ALL``,
    each deal in one arm only (the stage arms leave out those with an overdue next step). ``where``: more
    conditions on ``d`` (`` AND d.owner_id = :o``...)."""
    params = {**params, "idle_today": today}
    cols = "SELECT d.id, d.next_step_due, d.stage_entered_at FROM deals d WHERE d.status = 'open'"
    arms = [f"{cols} AND d.next_step_due < :idle_today{where}"]
    for n, row in enumerate(
        tx.all("SELECT id, idle_days FROM stages WHERE idle_days IS NOT NULL ORDER BY id")
    ):
        params[f"st{n}"] = row["id"]
        params[f"since{n}"] = at - timedelta(days=row["idle_days"])
        arms.append(
            f"{cols} AND d.stage_id = :st{n} AND d.stage_entered_at < :since{n} "
            f"AND (d.next_step_due IS NULL OR d.next_step_due >= :idle_today){where}"
        )
    return " UNION ALL ".join(arms), params


def idle_deal_count(
    tx: Tx, at: datetime, today: date, where: str = "", params: dict[str, Any] | None = None
) -> int:
    union, p = _idle_union(tx, at, today, where, params or {})
    return int(tx.scalar(f"SELECT count(*) FROM ({union}) i", p))


def idle_deal_ids(
    tx: Tx,
    at: datetime,
    today: date,
    where: str = "",
    params: dict[str, Any] | None = None,
    *,
    order: str = "stage",
    limit: int | None = None,
    offset: int = 0,
) -> list[int]:
    """The ids of idle deals (see :func:`_idle_union`) in ``order`` (:data:`IDLE_ORDERS`), one page of them:
    give them to ``deals.summaries``. ``where``: more conditions on ``d``, e.g. `` AND d.owner_id = :o``."""
    union, p = _idle_union(tx, at, today, where, params or {})
    page, extra = _page(limit, offset)
    return tx.column(f"SELECT i.id FROM ({union}) i ORDER BY {IDLE_ORDERS[order]}{page}", {**p, **extra})


# --- the stay-in-touch list -----------------------------------------------------------------------------


def stale_contacts(
    db: Database, *, owner: str | None = None, limit: int | None = 20, offset: int = 0
) -> Page[StaleContact]:
    """Contacts with a stay-in-touch cadence whose time is up: nothing logged for that many days (counted from
    the latest interaction, or from when the contact was added), so they are due today or earlier. Longest
    overdue first, read through ``ix_contacts_touch``."""
    from tinycrm.services.common import now

    check_page(limit, offset)
    w = Window.of(now(), 0)
    with db.read() as tx:
        owner_id = task_service.owner_filter(tx, owner)
        total = stale_count(tx, None, w.tomorrow_start, owner_id=owner_id)
        rows = stale_rows(tx, None, w.tomorrow_start, owner_id=owner_id, limit=limit, offset=offset)
    return Page([stay_in_touch.stale_from_row(r, w.today) for r in rows], total, limit, offset)
