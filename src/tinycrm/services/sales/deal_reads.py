"""Reading deals: one deal, pages of them, idle ("rotting") deals, references, a deal's timeline."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from tinycrm.domain import clock
from tinycrm.domain import validation as v
from tinycrm.domain.errors import Ambiguous, InvalidInput, NotFound
from tinycrm.domain.people import Page
from tinycrm.domain.rows import Stream
from tinycrm.domain.sales import (
    DEAL_STATUSES,
    DealRead,
    DealRef,
    DealSummary,
    TimelineEntry,
    money,
    weighted,
)
from tinycrm.services.common import MAX_ID, now
from tinycrm.services.common import owner_filter as common_owner_filter
from tinycrm.services.sales import pipelines
from tinycrm.store.database import Database, Tx, as_date, as_datetime
from tinycrm.store.sql import (
    check_page,
    column_batches,
    escape_like,
    from_offset,
    page_sql,
    placeholders,
    streamed,
)

SORTS = {
    "close": "CASE WHEN d.expected_close IS NULL THEN 1 ELSE 0 END, d.expected_close, d.id",
    "created": "d.created_at DESC, d.id DESC",
    "updated": "d.updated_at DESC, d.id DESC",
    "closed": "CASE WHEN d.closed_at IS NULL THEN 1 ELSE 0 END, d.closed_at DESC, d.id DESC",
    "value": "d.value_e4 DESC, d.id",
    "title": "lower(d.title), d.id",
}


def _today() -> date:
    return clock.local_now().date()


def idle_state(
    status: str, entered: datetime, idle_days: int | None, stage: str, due: date | None, at: datetime
) -> tuple[int, bool, str | None]:
    """Days in the stage, whether the deal is idle, and why (the same rule as :func:`idle_deals`' SQL)."""
    age = at - entered
    days = max(age.days, 0)
    reasons = []
    if status == "open":
        if idle_days is not None and age.total_seconds() / 86400 > idle_days:
            reasons.append(f"{days} days in {stage} (limit {idle_days})")
        today = clock.to_local(at).date()
        if due is not None and due < today:
            reasons.append(f"next step overdue since {due.isoformat()}")
    return days, bool(reasons), "; ".join(reasons) or None


def owner_filter(tx: Tx, owner: str | None, alias: str = "d") -> tuple[str, dict[str, Any]]:
    """`` AND d.owner_id = ...`` for an owner's name, or nothing (see :func:`services.common.owner_filter`)."""
    if not owner:
        return "", {}
    cond, params = common_owner_filter(tx, owner.strip(), f"{alias}.owner_id")
    return f" AND {cond}", params


# --- reading --------------------------------------------------------------------------------------------

_SUMMARY = (
    "SELECT d.id, d.title, d.value_e4, d.currency, d.stage_id, s.name AS stage, s.idle_days, p.name AS pipeline, "
    "d.status, co.name AS company, d.expected_close, u.name AS owner, d.stage_entered_at, d.next_step, "
    "d.next_step_due, d.forecast_category FROM deals d JOIN stages s ON s.id = d.stage_id JOIN pipelines p ON p.id = d.pipeline_id "
    "LEFT JOIN companies co ON co.id = d.company_id LEFT JOIN users u ON u.id = d.owner_id"
)


def _contact_names(tx: Tx, ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
    out: dict[int, list[tuple[int, str]]] = {i: [] for i in ids}
    if not ids:
        return out
    marks, params = placeholders("i", ids)
    for r in tx.all(
        f"SELECT dc.deal_id, c.id, c.display_name FROM deal_contacts dc JOIN contacts c ON c.id = dc.contact_id "
        f"WHERE dc.deal_id IN ({marks}) ORDER BY c.sort_name, c.id",
        params,
    ):
        out[r["deal_id"]].append((r["id"], r["display_name"]))
    return out


def summaries(tx: Tx, ids: Sequence[int]) -> list[DealSummary]:
    """Deal summaries in the order of ``ids``."""
    if not ids:
        return []
    marks, params = placeholders("i", ids)
    rows = {r["id"]: r for r in tx.all(f"{_SUMMARY} WHERE d.id IN ({marks})", params)}
    people = _contact_names(tx, list(rows))
    at = now()
    out = []
    for i in ids:
        r = rows.get(i)
        if r is None:
            continue
        due = as_date(r["next_step_due"])
        days, idle, why = idle_state(
            r["status"], as_datetime(r["stage_entered_at"]), r["idle_days"], r["stage"], due, at
        )
        out.append(
            DealSummary(
                id=r["id"],
                title=r["title"],
                value=money(r["value_e4"], r["currency"]),
                currency=r["currency"],
                stage=r["stage"],
                stage_id=r["stage_id"],
                pipeline=r["pipeline"],
                status=r["status"],
                company=r["company"],
                contacts=[n for _, n in people[i]],
                expected_close=as_date(r["expected_close"]),
                owner=r["owner"],
                idle=idle,
                days_in_stage=days,
                next_step=r["next_step"],
                next_step_due=due,
                idle_reason=why,
                forecast_category=r["forecast_category"],
            )
        )
    return out


def read_in(tx: Tx, deal_id: int) -> DealRead:
    row = tx.one(
        "SELECT d.*, s.name AS stage, s.probability, s.idle_days, p.name AS pipeline, co.name AS company, "
        "u.name AS owner FROM deals d JOIN stages s ON s.id = d.stage_id JOIN pipelines p ON p.id = d.pipeline_id "
        "LEFT JOIN companies co ON co.id = d.company_id LEFT JOIN users u ON u.id = d.owner_id WHERE d.id = :i",
        {"i": deal_id},
    )
    if row is None:
        raise NotFound(f"no deal with id {deal_id}", hint="list them with: crm deal list --status all")
    due = as_date(row["next_step_due"])
    entered = as_datetime(row["stage_entered_at"])
    days, idle, why = idle_state(row["status"], entered, row["idle_days"], row["stage"], due, now())
    return DealRead(
        id=row["id"],
        uid=row["uid"],
        title=row["title"],
        value=money(row["value_e4"], row["currency"]),
        currency=row["currency"],
        weighted=weighted(row["value_e4"], row["probability"], row["currency"]),
        pipeline=row["pipeline"],
        pipeline_id=row["pipeline_id"],
        stage=row["stage"],
        stage_id=row["stage_id"],
        probability=row["probability"],
        status=row["status"],
        lost_reason=row["lost_reason"],
        expected_close=as_date(row["expected_close"]),
        next_step=row["next_step"],
        next_step_due=due,
        company=row["company"],
        company_id=row["company_id"],
        contacts=[DealRef(i, n) for i, n in _contact_names(tx, [deal_id])[deal_id]],
        owner=row["owner"],
        created_at=as_datetime(row["created_at"]),
        updated_at=as_datetime(row["updated_at"]),
        stage_entered_at=entered,
        closed_at=as_datetime(row["closed_at"]),
        days_in_stage=days,
        idle=idle,
        idle_reason=why,
        version=row["version"],
        forecast_category=row["forecast_category"],
    )


def get(db: Database, deal_id: int) -> DealRead:
    with db.read() as tx:
        return read_in(tx, deal_id)


def _label(tx: Tx, ids: Sequence[int]) -> list[DealRef]:
    return [
        DealRef(s.id, f"{s.title}\t{s.status}\t{s.stage}\t{s.value} {s.currency}") for s in summaries(tx, ids)
    ]


def resolve(db: Database, ref: str) -> int:
    """A deal id from a reference: an id, or a title (case-insensitive), or a fragment of one.

    An exact title wins over fragments; several matches raise :class:`Ambiguous` with the candidates."""
    with db.read() as tx:
        return resolve_in(tx, ref)


def resolve_in(tx: Tx, ref: str | int) -> int:
    text = str(ref if ref is not None else "").strip()
    if not text:
        raise InvalidInput("a deal reference is empty; give an id or (part of) a title")
    v.line(text, "deal reference")
    if re.fullmatch(r"#?\d+", text):
        did = int(text.lstrip("#"))
        if did > MAX_ID or tx.scalar("SELECT id FROM deals WHERE id = :i", {"i": did}) is None:
            raise NotFound(f"no deal with id {did}", hint="list them with: crm deal list --status all")
        return did
    escaped = escape_like(text)
    like = tx.db.dialect.like_ci("d.title", "p")
    order = " ORDER BY CASE WHEN d.status = 'open' THEN 0 ELSE 1 END, d.id LIMIT 11"
    ids = tx.column(f"SELECT d.id FROM deals d WHERE {like}{order}", {"p": escaped})
    if not ids:
        ids = tx.column(f"SELECT d.id FROM deals d WHERE {like}{order}", {"p": f"%{escaped}%"})
    if not ids:
        raise NotFound(f"no deal matches {text!r}", hint="list them with: crm deal list --status all")
    if len(ids) == 1:
        return ids[0]
    many = f"{len(ids)}" if len(ids) <= 10 else "more than 10"
    raise Ambiguous(f"{text!r} matches {many} deals; give an id", _label(tx, ids[:10]))


def _stage_filter(tx: Tx, pipeline: str | int | None, stage: str | int | None) -> tuple[str, dict[str, Any]]:
    if pipeline is None and stage is None:
        return "", {}
    if pipeline is not None:
        pid = pipelines.resolve_in(tx, pipeline)
        if stage is None:
            return " AND d.pipeline_id = :pipeline_id", {"pipeline_id": pid}
        return " AND d.stage_id = :stage_id", {"stage_id": pipelines.stage_in(tx, pid, stage)["id"]}
    text = str(stage).strip()
    if not re.fullmatch(r"#?\d+", text):
        named = [
            r["id"] for r in tx.all("SELECT id, name FROM stages") if r["name"].casefold() == text.casefold()
        ]
        if named:
            marks, params = placeholders("st", named)
            return f" AND d.stage_id IN ({marks})", params
    return " AND d.stage_id = :stage_id", {
        "stage_id": pipelines.stage_in(tx, pipelines.default_id(tx), stage)["id"]
    }


def list_deals(
    db: Database,
    *,
    status: str | None = "open",
    pipeline: str | int | None = None,
    stage: str | int | None = None,
    owner: str | None = None,
    contact_id: int | None = None,
    company_id: int | None = None,
    limit: int | None = 20,
    offset: int = 0,
    stream: bool = False,
    sort: str = "close",
    query: str | None = None,
) -> Page[DealSummary] | Stream[DealSummary]:
    """A page of deals. ``status``: open, won, lost, or ``all``/None; ``owner``: a user name; ``query``: those
    whose title holds this text (any case). ``limit`` None and ``stream``: every deal from ``offset`` on, as a
    :class:`Stream` read as it is shown."""
    check_page(limit, offset)
    if sort not in SORTS:
        raise InvalidInput(f"unknown sort {sort!r}; use one of: {', '.join(SORTS)}")
    where = "1 = 1"
    params: dict[str, Any] = {}
    if status not in (None, "all"):
        if status not in DEAL_STATUSES:
            raise InvalidInput(f"status {status!r} is not one of: open, won, lost, all", field="status")
        where += " AND d.status = :status"
        params["status"] = status

    def read(tx: Tx) -> Any:
        w, prm = where, dict(params)
        cond, p = owner_filter(tx, owner)
        w += cond
        prm.update(p)
        cond, p = _stage_filter(tx, pipeline, stage)
        w += cond
        prm.update(p)
        if contact_id is not None:
            w += " AND d.id IN (SELECT deal_id FROM deal_contacts WHERE contact_id = :contact_id)"
            prm["contact_id"] = contact_id
        if company_id is not None:
            w += " AND d.company_id = :company_id"
            prm["company_id"] = company_id
        if query and query.strip():
            w += " AND lower(d.title) LIKE :q ESCAPE '\\'"
            prm["q"] = f"%{escape_like(query.strip().lower())}%"
        total = tx.scalar(f"SELECT count(*) FROM deals d WHERE {w}", prm)
        if limit is None and stream:  # --all: read as it is shown
            chunks = column_batches(
                tx, f"SELECT d.id FROM deals d WHERE {w} ORDER BY {SORTS[sort]}{from_offset(offset)}", prm
            )
            return int(total), (s for ids in chunks for s in summaries(tx, ids))
        ids = tx.column(
            f"SELECT d.id FROM deals d WHERE {w} ORDER BY {SORTS[sort]}{page_sql(limit)}",
            {**prm, "limit": limit, "offset": offset},
        )
        return Page(summaries(tx, ids), int(total), limit, offset)

    if limit is None and stream:
        return streamed(db, offset, read)
    with db.read() as tx:
        return read(tx)  # type: ignore[no-any-return]


def idle_deals(
    db: Database,
    *,
    owner: str | None = None,
    pipeline: str | int | None = None,
    limit: int | None = 20,
    offset: int = 0,
) -> Page[DealSummary]:
    """Open deals that sat in their stage longer than the stage's idle threshold, or whose next step is overdue;
    longest in their stage first, one page of them. Each carries an ``idle_reason``. Found and counted through
    the indexes of :mod:`tinycrm.services.work.due`, whatever the number of deals."""
    from tinycrm.services.work import due

    check_page(limit, offset)
    with db.read() as tx:
        cond, params = owner_filter(tx, owner)
        if pipeline is not None:
            cond += " AND d.pipeline_id = :pipeline_id"
            params["pipeline_id"] = pipelines.resolve_in(tx, pipeline)
        at, today = now(), _today()
        total = due.idle_deal_count(tx, at, today, cond, params)
        ids = due.idle_deal_ids(tx, at, today, cond, params, order="stage", limit=limit, offset=offset)
        return Page(summaries(tx, ids), total, limit, offset)


def timeline(db: Database, deal_id: int, *, limit: int | None = None) -> list[TimelineEntry]:
    """What happened to a deal, newest first: its creation, stage changes, wins, losses and reopenings, and
    the interactions logged with it."""
    with db.read() as tx:
        if tx.scalar("SELECT id FROM deals WHERE id = :i", {"i": deal_id}) is None:
            raise NotFound(f"no deal with id {deal_id}", hint="list them with: crm deal list --status all")
        rows = tx.all(
            "SELECT h.id, h.status, h.changed_at, h.from_stage_id, h.to_stage_id, f.name AS from_name, "
            "t.name AS to_name, u.name AS user_name FROM deal_stage_history h "
            "LEFT JOIN stages f ON f.id = h.from_stage_id LEFT JOIN stages t ON t.id = h.to_stage_id "
            "LEFT JOIN users u ON u.id = h.user_id WHERE h.deal_id = :d ORDER BY h.changed_at, h.id",
            {"d": deal_id},
        )
        acts = tx.all(
            "SELECT i.id, i.kind, i.happened_at, i.summary, u.name AS user_name FROM interactions i "
            "LEFT JOIN users u ON u.id = i.owner_id WHERE i.deal_id = :d",
            {"d": deal_id},
        )
        people: dict[int, list[str]] = {a["id"]: [] for a in acts}
        if acts:
            marks, params = placeholders("i", list(people))
            for r in tx.all(
                f"SELECT ic.interaction_id, c.display_name FROM interaction_contacts ic JOIN contacts c "
                f"ON c.id = ic.contact_id WHERE ic.interaction_id IN ({marks}) ORDER BY c.sort_name",
                params,
            ):
                people[r["interaction_id"]].append(r["display_name"])
    entries: list[TimelineEntry] = []
    previous = None
    for k, r in enumerate(rows):
        to_name = r["to_name"] or "(a removed stage)"
        if k == 0:
            kind, text = "created", f"created in {to_name}"
        elif r["status"] == "won":
            kind, text = "won", f"won in {to_name}"
        elif r["status"] == "lost":
            kind, text = "lost", f"lost in {to_name}"
        elif previous in ("won", "lost"):
            kind, text = "reopened", f"reopened in {to_name}"
        else:
            kind, text = "moved", f"{r['from_name'] or '(a removed stage)'} -> {to_name}"
        previous = r["status"]
        entries.append(TimelineEntry(as_datetime(r["changed_at"]), kind, text, r["user_name"]))
    for a in acts:
        who = people.get(a["id"]) or []
        text = a["summary"] + (f" (with {', '.join(who)})" if who else "")
        entries.append(TimelineEntry(as_datetime(a["happened_at"]), a["kind"], text, a["user_name"], a["id"]))
    entries.sort(key=lambda e: e.at)  # stable: events at the same moment keep the order they happened in
    entries.reverse()
    return entries[:limit] if limit is not None else entries
