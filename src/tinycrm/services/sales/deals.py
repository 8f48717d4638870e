"""Deals: create, read, list, change, move through the stages of their pipeline, win, lose, reopen, delete;
idle ("rotting") deals; a deal's timeline.

Every stage change and every win, loss or reopening adds a row to ``deal_stage_history`` in the same
transaction, so reports can tell how deals moved. Values are exact (``value_e4`` integers, parsed with
``Decimal``) in an ISO 4217 currency.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from tinycrm.domain import clock
from tinycrm.domain import validation as v
from tinycrm.domain.dates import parse_date
from tinycrm.domain.errors import Ambiguous, InvalidInput, NotFound
from tinycrm.domain.people import Page
from tinycrm.domain.sales import (
    DEAL_STATUSES,
    DealInput,
    DealRead,
    DealRef,
    DealSummary,
    TimelineEntry,
    currency,
    money,
    parse_amount,
    to_e4,
    weighted,
)
from tinycrm.services.common import (
    MAX_ID,
    audit,
    check_version,
    delete_record,
    new_uid,
    now,
    update_versioned,
    user_id,
)
from tinycrm.services.common import owner_filter as common_owner_filter
from tinycrm.services.sales import pipelines
from tinycrm.store.database import Database, Tx, as_date, as_datetime
from tinycrm.store.sql import check_page, escape_like, missing_ids, page_sql, placeholders

MAX_TITLE = 300
EDITABLE = {
    "title",
    "value",
    "currency",
    "expected_close",
    "next_step",
    "next_step_due",
    "company_id",
    "contact_ids",
    "add_contact_ids",
    "remove_contact_ids",
    "owner",
    "lost_reason",
    "pipeline",
    "stage",
}
SORTS = {
    "close": "CASE WHEN d.expected_close IS NULL THEN 1 ELSE 0 END, d.expected_close, d.id",
    "created": "d.created_at DESC, d.id DESC",
    "updated": "d.updated_at DESC, d.id DESC",
    "closed": "CASE WHEN d.closed_at IS NULL THEN 1 ELSE 0 END, d.closed_at DESC, d.id DESC",
    "value": "d.value_e4 DESC, d.id",
    "title": "lower(d.title), d.id",
}


# --- small helpers --------------------------------------------------------------------------------------


def default_currency() -> str | None:
    """``currency`` in the ``[sales]`` section of the config file, if set."""
    from tinycrm import config

    return config.get(config.Sales).currency


def _title(value: str | None) -> str:
    out = v.line(value, "title", max_len=MAX_TITLE, required=True)
    assert out is not None
    return out


def _next_step(value: str | None) -> str | None:
    return v.line(value, "next step", max_len=1000)


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


def _check_contacts(tx: Tx, ids: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in ids))
    missing = missing_ids(tx, "contacts", ids)
    if missing:
        raise NotFound(f"no contact with id {missing[0]}; find one with: crm search NAME")
    return ids


def _check_company(tx: Tx, company_id: int | None) -> int | None:
    if company_id is None:
        return None
    if tx.scalar("SELECT id FROM companies WHERE id = :i", {"i": company_id}) is None:
        raise NotFound(f"no company with id {company_id}; list them with: crm company list")
    return int(company_id)


def _history(tx: Tx, deal_id: int, from_stage: int | None, to_stage: int, status: str, at: datetime) -> None:
    tx.execute(
        "INSERT INTO deal_stage_history (deal_id, from_stage_id, to_stage_id, status, changed_at, user_id) "
        "VALUES (:d, :f, :t, :s, :at, :u)",
        {"d": deal_id, "f": from_stage, "t": to_stage, "s": status, "at": at, "u": user_id(tx)},
    )


# --- reading --------------------------------------------------------------------------------------------

_SUMMARY = (
    "SELECT d.id, d.title, d.value_e4, d.currency, d.stage_id, s.name AS stage, s.idle_days, p.name AS pipeline, "
    "d.status, co.name AS company, d.expected_close, u.name AS owner, d.stage_entered_at, d.next_step, "
    "d.next_step_due FROM deals d JOIN stages s ON s.id = d.stage_id JOIN pipelines p ON p.id = d.pipeline_id "
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
        raise NotFound(f"no deal with id {deal_id}; list them with: crm deal list --status all")
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
            raise NotFound(f"no deal with id {did}; list them with: crm deal list --status all")
        return did
    escaped = escape_like(text)
    like = tx.db.dialect.like_ci("d.title", "p")
    order = " ORDER BY CASE WHEN d.status = 'open' THEN 0 ELSE 1 END, d.id LIMIT 11"
    ids = tx.column(f"SELECT d.id FROM deals d WHERE {like}{order}", {"p": escaped})
    if not ids:
        ids = tx.column(f"SELECT d.id FROM deals d WHERE {like}{order}", {"p": f"%{escaped}%"})
    if not ids:
        raise NotFound(f"no deal matches {text!r}; list them with: crm deal list --status all")
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
    sort: str = "close",
) -> Page[DealSummary]:
    """A page of deals. ``status``: open, won, lost, or ``all``/None; ``owner``: a user name."""
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
    with db.read() as tx:
        cond, p = owner_filter(tx, owner)
        where += cond
        params.update(p)
        cond, p = _stage_filter(tx, pipeline, stage)
        where += cond
        params.update(p)
        if contact_id is not None:
            where += " AND d.id IN (SELECT deal_id FROM deal_contacts WHERE contact_id = :contact_id)"
            params["contact_id"] = contact_id
        if company_id is not None:
            where += " AND d.company_id = :company_id"
            params["company_id"] = company_id
        total = tx.scalar(f"SELECT count(*) FROM deals d WHERE {where}", params)
        ids = tx.column(
            f"SELECT d.id FROM deals d WHERE {where} ORDER BY {SORTS[sort]}{page_sql(limit)}",
            {**params, "limit": limit, "offset": offset},
        )
        return Page(summaries(tx, ids), int(total), limit, offset)


def idle_deals(
    db: Database, *, owner: str | None = None, pipeline: str | int | None = None, limit: int | None = None
) -> list[DealSummary]:
    """Open deals that sat in their stage longer than the stage's idle threshold, or whose next step is overdue;
    longest in their stage first. Each carries an ``idle_reason``."""
    with db.read() as tx:
        cond, params = owner_filter(tx, owner)
        if pipeline is not None:
            cond += " AND d.pipeline_id = :pipeline_id"
            params["pipeline_id"] = pipelines.resolve_in(tx, pipeline)
        days = tx.db.dialect.days_between("d.stage_entered_at", ":now")
        page = "" if limit is None else " LIMIT :limit"
        ids = tx.column(
            f"SELECT d.id FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.status = 'open' AND "
            f"((s.idle_days IS NOT NULL AND {days} > s.idle_days) OR d.next_step_due < :today){cond} "
            f"ORDER BY d.stage_entered_at, d.id{page}",
            {**params, "now": now(), "today": _today(), "limit": limit},
        )
        return summaries(tx, ids)


def timeline(db: Database, deal_id: int, *, limit: int | None = None) -> list[TimelineEntry]:
    """What happened to a deal, newest first: its creation, stage changes, wins, losses and reopenings, and
    the interactions logged with it."""
    with db.read() as tx:
        if tx.scalar("SELECT id FROM deals WHERE id = :i", {"i": deal_id}) is None:
            raise NotFound(f"no deal with id {deal_id}; list them with: crm deal list --status all")
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


# --- creating -------------------------------------------------------------------------------------------


def insert(tx: Tx, data: DealInput) -> int:
    """Add a deal inside an open transaction (imports and the demo batch these); give its id."""
    title = _title(data.title)
    amount = parse_amount(data.value)
    code = currency(data.currency or default_currency() or "")
    close = parse_date(data.expected_close, what="close date")
    step = _next_step(data.next_step)
    due = parse_date(data.next_step_due, what="next step due")
    if due is not None and step is None:
        raise InvalidInput(
            "a next step due date needs the next step itself: add --next-step TEXT", field="next_step"
        )
    pid = pipelines.resolve_in(tx, data.pipeline)
    if data.stage is not None and str(data.stage).strip():
        stage = pipelines.stage_in(tx, pid, data.stage)
    else:
        stage = tx.one(
            "SELECT id, name FROM stages WHERE pipeline_id = :p ORDER BY position, id LIMIT 1", {"p": pid}
        )
        if stage is None:
            raise InvalidInput(
                "the pipeline has no stages; add one with: crm pipeline stages add NAME --probability N"
            )
    contact_ids = _check_contacts(tx, data.contact_ids)
    company_id = _check_company(tx, data.company_id)
    if company_id is None and contact_ids:
        company_id = tx.scalar(
            "SELECT company_id FROM contacts WHERE id = :i", {"i": contact_ids[0]}
        )  # the first contact's company
    uid = v.line(data.uid, "uid", max_len=100) or new_uid()
    if tx.scalar("SELECT id FROM deals WHERE uid = :u", {"u": uid}) is not None:
        from tinycrm.domain.errors import Conflict

        raise Conflict(f"a deal with UID {uid} exists already")
    owner_id = user_id(tx, data.owner)
    stamp = now()
    did = tx.insert(
        "INSERT INTO deals (uid, title, value_e4, currency, pipeline_id, stage_id, status, expected_close, "
        "next_step, next_step_due, company_id, owner_id, created_at, updated_at, stage_entered_at, version) "
        "VALUES (:uid, :title, :v, :c, :p, :s, 'open', :close, :step, :due, :co, :o, :t, :t, :t, 1) RETURNING id",
        {
            "uid": uid,
            "title": title,
            "v": to_e4(amount),
            "c": code,
            "p": pid,
            "s": stage["id"],
            "close": close,
            "step": step,
            "due": due,
            "co": company_id,
            "o": owner_id,
            "t": stamp,
        },
    )
    tx.executemany(
        "INSERT INTO deal_contacts (deal_id, contact_id) VALUES (:d, :c)",
        [{"d": did, "c": c} for c in contact_ids],
    )
    _history(tx, did, None, stage["id"], "open", stamp)
    audit(
        tx,
        "create",
        "deal",
        did,
        {
            k: (None, val)
            for k, val in {
                "title": title,
                "value": amount,
                "currency": code,
                "stage": stage["name"],
                "expected_close": close,
                "next_step": step,
                "next_step_due": due,
                "company_id": company_id,
                "contact_ids": contact_ids or None,
                "owner": data.owner,
            }.items()
            if val is not None
        },
    )
    return did


def create(db: Database, data: DealInput) -> DealRead:
    with db.write() as tx:
        return read_in(tx, insert(tx, data))


# --- changing -------------------------------------------------------------------------------------------


def _set_stage(
    tx: Tx, before: DealRead, stage: dict[str, Any], at: datetime, pipeline_id: int | None = None
) -> None:
    update_versioned(
        tx,
        "deals",
        "deal",
        before.id,
        before.version,
        {"stage_id": stage["id"], "pipeline_id": pipeline_id or before.pipeline_id, "stage_entered_at": at},
    )
    _history(tx, before.id, before.stage_id, stage["id"], before.status, at)


def _refuse_closed(before: DealRead, what: str) -> None:
    if before.status != "open":
        raise InvalidInput(
            f"deal {before.id} is {before.status}; reopen it first to {what}: crm deal reopen {before.id}"
        )


def update(
    db: Database, deal_id: int, changes: dict[str, Any], *, expected_version: int | None = None
) -> DealRead:
    """Change the given fields. ``expected_version`` (from the read the change is based on) guards against
    overwriting someone else's edit. ``stage`` moves within the deal's pipeline; ``pipeline`` (with an optional
    ``stage``, default its first) moves the deal to another pipeline."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of a deal")
    with db.write() as tx:
        tx.lock_rows("deals", [deal_id])  # PostgreSQL: other writers of this deal wait for us
        before = read_in(tx, deal_id)
        check_version(tx, "deals", "deal", deal_id, expected_version)
        sets: dict[str, Any] = {}
        changed: dict[str, tuple[Any, Any]] = {}

        def put(key: str, column: str, old: Any, new: Any) -> None:
            if old != new:
                sets[column] = new
                changed[key] = (old, new)

        if "title" in changes:
            put("title", "title", before.title, _title(changes["title"]))
        code = before.currency
        if "currency" in changes:
            code = currency(changes["currency"])
            put("currency", "currency", before.currency, code)
        if "value" in changes:
            amount = parse_amount(changes["value"])
            if amount != before.value:
                sets["value_e4"] = to_e4(amount)
                changed["value"] = (before.value, amount)
        if "expected_close" in changes:
            put(
                "expected_close",
                "expected_close",
                before.expected_close,
                parse_date(changes["expected_close"], what="close date"),
            )
        step = before.next_step
        if "next_step" in changes:
            step = _next_step(changes["next_step"])
            put("next_step", "next_step", before.next_step, step)
        due = before.next_step_due
        if "next_step_due" in changes:
            due = parse_date(changes["next_step_due"], what="next step due")
            put("next_step_due", "next_step_due", before.next_step_due, due)
        if due is not None and step is None:
            raise InvalidInput(
                "a next step due date needs the next step itself: add --next-step TEXT", field="next_step"
            )
        if "lost_reason" in changes:
            reason = v.line(changes["lost_reason"], "lost reason", max_len=500)
            if before.status != "lost":
                raise InvalidInput(
                    f"deal {deal_id} is {before.status}, not lost; lose it with: crm deal lose "
                    f"{deal_id} --reason TEXT",
                    field="lost_reason",
                )
            if reason is None:
                raise InvalidInput("a lost deal keeps a reason; give one", field="lost_reason")
            put("lost_reason", "lost_reason", before.lost_reason, reason)
        if "company_id" in changes:
            put("company_id", "company_id", before.company_id, _check_company(tx, changes["company_id"]))
        old_contacts = [c.id for c in before.contacts]
        contacts = list(old_contacts)
        if "contact_ids" in changes:
            contacts = _check_contacts(tx, changes["contact_ids"] or [])
        if changes.get("remove_contact_ids"):
            drop = {int(i) for i in changes["remove_contact_ids"]}
            missing = drop - set(contacts)
            if missing:
                raise InvalidInput(
                    f"deal {deal_id} has no contact with id {sorted(missing)[0]}", field="contacts"
                )
            contacts = [c for c in contacts if c not in drop]
        if changes.get("add_contact_ids"):
            contacts += [c for c in _check_contacts(tx, changes["add_contact_ids"]) if c not in contacts]
        if "owner" in changes:
            owner = (changes["owner"] or "").strip() or None
            new_owner_id = user_id(tx, owner) if owner else None
            if owner != before.owner:
                sets["owner_id"] = new_owner_id
                changed["owner"] = (before.owner, owner)
        new_stage = None
        new_pipeline = None
        if "pipeline" in changes and changes["pipeline"] is not None:
            new_pipeline = pipelines.resolve_in(tx, changes["pipeline"])
        if new_pipeline is not None and new_pipeline != before.pipeline_id:
            if changes.get("stage") is not None:
                new_stage = pipelines.stage_in(tx, new_pipeline, changes["stage"])
            else:
                new_stage = tx.one(
                    "SELECT id, name FROM stages WHERE pipeline_id = :p ORDER BY position, id LIMIT 1",
                    {"p": new_pipeline},
                )
                if new_stage is None:
                    raise InvalidInput("that pipeline has no stages; add one with: crm pipeline stages add")
        elif changes.get("stage") is not None:
            new_stage = pipelines.stage_in(tx, before.pipeline_id, changes["stage"])
            new_pipeline = None
        if new_stage is not None and new_stage["id"] != before.stage_id:
            _refuse_closed(before, "move it")
        elif new_stage is not None:
            new_stage = None
        if not changed and contacts == old_contacts and new_stage is None:
            return before
        stamp = now()
        if new_stage is not None:
            sets.update(
                stage_id=new_stage["id"],
                pipeline_id=new_pipeline or before.pipeline_id,
                stage_entered_at=stamp,
            )
        update_versioned(tx, "deals", "deal", deal_id, before.version, sets)
        if contacts != old_contacts:
            tx.execute("DELETE FROM deal_contacts WHERE deal_id = :d", {"d": deal_id})
            tx.executemany(
                "INSERT INTO deal_contacts (deal_id, contact_id) VALUES (:d, :c)",
                [{"d": deal_id, "c": c} for c in contacts],
            )
            changed["contact_ids"] = (old_contacts, contacts)
        if new_stage is not None:
            _history(tx, deal_id, before.stage_id, new_stage["id"], before.status, stamp)
            changed["stage"] = (before.stage, new_stage["name"])
            if new_pipeline is not None:
                changed["pipeline_id"] = (before.pipeline_id, new_pipeline)
        audit(tx, "update", "deal", deal_id, changed)
        return read_in(tx, deal_id)


def move(db: Database, deal_id: int, stage: str | int) -> DealRead:
    """Move an open deal to another stage of its pipeline (a stage of another pipeline is refused)."""
    with db.write() as tx:
        tx.lock_rows("deals", [deal_id])
        before = read_in(tx, deal_id)
        target = pipelines.stage_in(tx, before.pipeline_id, stage)
        _refuse_closed(before, "move it")
        if target["id"] == before.stage_id:
            return before
        _set_stage(tx, before, target, now())
        audit(tx, "update", "deal", deal_id, {"stage": (before.stage, target["name"])})
        return read_in(tx, deal_id)


def step(db: Database, deal_id: int, delta: int) -> DealRead:
    """Move an open deal ``delta`` stages on (1: the next stage, -1: the previous one) in its pipeline."""
    with db.write() as tx:
        tx.lock_rows("deals", [deal_id])
        before = read_in(tx, deal_id)
        _refuse_closed(before, "move it")
        order = tx.all(
            "SELECT id, name FROM stages WHERE pipeline_id = :p ORDER BY position, id",
            {"p": before.pipeline_id},
        )
        at = next(k for k, r in enumerate(order) if r["id"] == before.stage_id)
        to = at + int(delta)
        if to < 0:
            raise InvalidInput(f"deal {deal_id} is in the first stage ({before.stage}) already")
        if to >= len(order):
            raise InvalidInput(
                f"deal {deal_id} is in the last stage ({before.stage}) already; "
                f"win it with: crm deal win {deal_id}"
            )
        if to == at:
            return before
        target = dict(order[to])
        _set_stage(tx, before, target, now())
        audit(tx, "update", "deal", deal_id, {"stage": (before.stage, target["name"])})
        return read_in(tx, deal_id)


def _close(tx: Tx, before: DealRead, status: str, reason: str | None) -> None:
    stamp = now()
    update_versioned(
        tx,
        "deals",
        "deal",
        before.id,
        before.version,
        {"status": status, "lost_reason": reason, "closed_at": stamp},
    )
    _history(tx, before.id, before.stage_id, before.stage_id, status, stamp)
    changes: dict[str, tuple[Any, Any]] = {"status": (before.status, status)}
    if reason is not None:
        changes["lost_reason"] = (before.lost_reason, reason)
    audit(tx, "win" if status == "won" else "lose", "deal", before.id, changes)


def win(db: Database, deal_id: int) -> DealRead:
    """Mark an open deal won (a won deal stays as it is; a lost one must be reopened first)."""
    with db.write() as tx:
        tx.lock_rows("deals", [deal_id])
        before = read_in(tx, deal_id)
        if before.status == "won":
            return before
        if before.status == "lost":
            raise InvalidInput(
                f"deal {deal_id} is lost; reopen it first to win it: crm deal reopen {deal_id}"
            )
        _close(tx, before, "won", None)
        return read_in(tx, deal_id)


def lose(db: Database, deal_id: int, reason: str) -> DealRead:
    """Mark an open deal lost, with the reason (a lost deal only gets the new reason)."""
    text = v.line(reason, "reason", max_len=500)
    if text is None:
        raise InvalidInput(
            "a lost deal needs a reason: add --reason TEXT (e.g. --reason price)", field="reason"
        )
    with db.write() as tx:
        tx.lock_rows("deals", [deal_id])
        before = read_in(tx, deal_id)
        if before.status == "won":
            raise InvalidInput(
                f"deal {deal_id} is won; reopen it first to lose it: crm deal reopen {deal_id}"
            )
        if before.status == "lost":
            if before.lost_reason != text:
                update_versioned(tx, "deals", "deal", deal_id, before.version, {"lost_reason": text})
                audit(tx, "update", "deal", deal_id, {"lost_reason": (before.lost_reason, text)})
            return read_in(tx, deal_id)
        _close(tx, before, "lost", text)
        return read_in(tx, deal_id)


def reopen(db: Database, deal_id: int) -> DealRead:
    """Make a won or lost deal open again, in the stage it closed in (its idle clock starts again)."""
    with db.write() as tx:
        tx.lock_rows("deals", [deal_id])
        before = read_in(tx, deal_id)
        if before.status == "open":
            return before
        stamp = now()
        update_versioned(
            tx,
            "deals",
            "deal",
            deal_id,
            before.version,
            {"status": "open", "lost_reason": None, "closed_at": None, "stage_entered_at": stamp},
        )
        _history(tx, deal_id, before.stage_id, before.stage_id, "open", stamp)
        audit(tx, "reopen", "deal", deal_id, {"status": (before.status, "open")})
        return read_in(tx, deal_id)


def delete(db: Database, deal_id: int) -> DealRead:
    """Delete a deal for good with its stage history; interactions and tasks linked to it stay, unlinked."""
    return delete_record(db, "deals", "deal", deal_id, read_in, "title")
