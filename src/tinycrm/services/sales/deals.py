"""Deals: create, change, move through the stages of their pipeline, win, lose, reopen, delete. Reading them
(one, pages, idle ones, references, timelines) is :mod:`.deal_reads`; its names are gathered here too.

Every stage change and every win, loss or reopening adds a row to ``deal_stage_history`` in the same
transaction, so reports can tell how deals moved. Values are exact (``value_e4`` integers, parsed with
``Decimal``) in an ISO 4217 currency.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from tinycrm.domain import validation as v
from tinycrm.domain.dates import parse_date
from tinycrm.domain.errors import InvalidInput, NotFound
from tinycrm.domain.sales import DealInput, DealRead, currency, parse_amount, to_e4
from tinycrm.services.common import Edit, Versioned, audit, delete_record, edit, new_uid, now, user_id
from tinycrm.services.hooks import outbox
from tinycrm.services.sales import pipelines
from tinycrm.services.sales.deal_reads import (
    SORTS,
    get,
    idle_deals,
    idle_state,
    list_deals,
    owner_filter,
    read_in,
    resolve,
    resolve_in,
    summaries,
    timeline,
)
from tinycrm.store.database import Database, Tx
from tinycrm.store.sql import missing_ids

__all__ = [
    "SORTS",
    "create",
    "default_currency",
    "delete",
    "get",
    "idle_deals",
    "idle_state",
    "insert",
    "list_deals",
    "lose",
    "move",
    "owner_filter",
    "read_in",
    "reopen",
    "resolve",
    "resolve_in",
    "step",
    "summaries",
    "timeline",
    "update",
    "win",
]

MAX_TITLE = 300

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


def _check_contacts(tx: Tx, ids: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in ids))
    missing = missing_ids(tx, "contacts", ids)
    if missing:
        raise NotFound(f"no contact with id {missing[0]}", hint="find one with: crm search NAME")
    return ids


def _check_company(tx: Tx, company_id: int | None) -> int | None:
    if company_id is None:
        return None
    if tx.scalar("SELECT id FROM companies WHERE id = :i", {"i": company_id}) is None:
        raise NotFound(f"no company with id {company_id}", hint="list them with: crm company list")
    return int(company_id)


def _stage_of(tx: Tx, pipeline_id: int, stage: str | int | None) -> Any:
    """A stage (a row with ``id`` and ``name``) of the pipeline: the one named, or its first."""
    if stage is not None and str(stage).strip():
        return pipelines.stage_in(tx, pipeline_id, stage)
    first = tx.one(
        "SELECT id, name FROM stages WHERE pipeline_id = :p ORDER BY position, id LIMIT 1", {"p": pipeline_id}
    )
    if first is None:
        raise InvalidInput(
            "the pipeline has no stages", hint="add one with: crm pipeline stages add NAME --probability N"
        )
    return first


def _history(tx: Tx, deal_id: int, from_stage: int | None, to_stage: int, status: str, at: datetime) -> None:
    tx.execute(
        "INSERT INTO deal_stage_history (deal_id, from_stage_id, to_stage_id, status, changed_at, user_id) "
        "VALUES (:d, :f, :t, :s, :at, :u)",
        {"d": deal_id, "f": from_stage, "t": to_stage, "s": status, "at": at, "u": user_id(tx)},
    )


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
            "a next step due date needs the next step itself",
            hint=": add --next-step TEXT",
            field="next_step",
        )
    pid = pipelines.resolve_in(tx, data.pipeline)
    stage = _stage_of(tx, pid, data.stage)
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
        created = read_in(tx, insert(tx, data))
        outbox.emit(tx, "deal.created", "deal", created.id, created)
        return created


# --- changing -------------------------------------------------------------------------------------------

DEAL = Versioned("deals", "deal", read_in)
DealEdit = Edit[DealRead]


def _refuse_closed(before: DealRead, what: str) -> None:
    if before.status != "open":
        raise InvalidInput(
            f"deal {before.id} is {before.status}; reopen it first to {what}",
            hint=f": crm deal reopen {before.id}",
        )


def _to_stage(e: DealEdit, stage: Any, pipeline_id: int | None = None) -> None:
    """Move the deal to ``stage`` (a row with ``id`` and ``name``), of ``pipeline_id`` when it changes
    pipeline; its idle clock starts again and its history gets a row."""
    before, at = e.before, now()
    e.sets.update(stage_id=stage["id"], pipeline_id=pipeline_id or before.pipeline_id, stage_entered_at=at)
    e.changed["stage"] = (before.stage, stage["name"])
    if pipeline_id is not None:
        e.changed["pipeline_id"] = (before.pipeline_id, pipeline_id)
    e.then.append(lambda: _history(e.tx, before.id, before.stage_id, stage["id"], before.status, at))
    e.then.append(
        lambda: outbox.emit(e.tx, "deal.stage_changed", "deal", before.id, read_in(e.tx, before.id))
    )


def _edit_title(e: DealEdit, changes: dict[str, Any]) -> None:
    e.put("title", e.before.title, _title(changes["title"]))


def _edit_currency(e: DealEdit, changes: dict[str, Any]) -> None:
    e.put("currency", e.before.currency, currency(changes["currency"]))


def _edit_value(e: DealEdit, changes: dict[str, Any]) -> None:
    amount = parse_amount(changes["value"])
    if amount != e.before.value:
        e.sets["value_e4"] = to_e4(amount)
        e.changed["value"] = (e.before.value, amount)


def _edit_close(e: DealEdit, changes: dict[str, Any]) -> None:
    close = parse_date(changes["expected_close"], what="close date")
    if close != e.before.expected_close:
        e.put("expected_close", e.before.expected_close, close)
        e.then.append(lambda: close_changed(e.tx, e.before.id, e.before.expected_close, close))


def close_changed(tx: Tx, deal_id: int, old: Any, new: Any) -> None:
    """Keep the change of an expected close date (close-date slips; forecasts as of a past day)."""
    tx.execute(
        "INSERT INTO deal_close_history (deal_id, old_close, new_close, changed_at) VALUES (:d, :o, :n, :t)",
        {"d": deal_id, "o": old, "n": new, "t": now()},
    )


#: forecast categories (``crm deal edit --category``)
CATEGORIES = ("pipeline", "best-case", "commit")


def _edit_category(e: DealEdit, changes: dict[str, Any]) -> None:
    value = (changes["category"] or "pipeline").strip().lower()
    if value not in CATEGORIES:
        raise InvalidInput(
            f"category must be one of {', '.join(CATEGORIES)} (got {value!r})", field="category"
        )
    old = e.tx.scalar("SELECT forecast_category FROM deals WHERE id = :i", {"i": e.before.id})
    e.put("category", old, value, column="forecast_category")


def _edit_next_step(e: DealEdit, changes: dict[str, Any]) -> None:
    step, due = e.before.next_step, e.before.next_step_due
    if "next_step" in changes:
        step = _next_step(changes["next_step"])
        e.put("next_step", e.before.next_step, step)
    if "next_step_due" in changes:
        due = parse_date(changes["next_step_due"], what="next step due")
        e.put("next_step_due", e.before.next_step_due, due)
    if due is not None and step is None:
        raise InvalidInput(
            "a next step due date needs the next step itself",
            hint=": add --next-step TEXT",
            field="next_step",
        )


def _edit_lost_reason(e: DealEdit, changes: dict[str, Any]) -> None:
    reason = v.line(changes["lost_reason"], "lost reason", max_len=500)
    before = e.before
    if before.status != "lost":
        raise InvalidInput(
            f"deal {before.id} is {before.status}, not lost",
            hint=f"lose it with: crm deal lose {before.id} --reason TEXT",
            field="lost_reason",
        )
    if reason is None:
        raise InvalidInput("a lost deal keeps a reason; give one", field="lost_reason")
    e.put("lost_reason", before.lost_reason, reason)


def _edit_company(e: DealEdit, changes: dict[str, Any]) -> None:
    e.put("company_id", e.before.company_id, _check_company(e.tx, changes["company_id"]))


def _edit_owner(e: DealEdit, changes: dict[str, Any]) -> None:
    owner = (changes["owner"] or "").strip() or None
    owner_id = user_id(e.tx, owner) if owner else None
    if owner != e.before.owner:
        e.sets["owner_id"] = owner_id
        e.changed["owner"] = (e.before.owner, owner)


def _edit_contacts(e: DealEdit, changes: dict[str, Any]) -> None:
    old = [c.id for c in e.before.contacts]
    people = list(old)
    if "contact_ids" in changes:
        people = _check_contacts(e.tx, changes["contact_ids"] or [])
    if changes.get("remove_contact_ids"):
        drop = {int(i) for i in changes["remove_contact_ids"]}
        missing = drop - set(people)
        if missing:
            raise InvalidInput(
                f"deal {e.before.id} has no contact with id {sorted(missing)[0]}", field="contacts"
            )
        people = [c for c in people if c not in drop]
    if changes.get("add_contact_ids"):
        people += [c for c in _check_contacts(e.tx, changes["add_contact_ids"]) if c not in people]
    if people == old:
        return
    e.changed["contact_ids"] = (old, people)

    def write() -> None:
        e.tx.execute("DELETE FROM deal_contacts WHERE deal_id = :d", {"d": e.before.id})
        e.tx.executemany(
            "INSERT INTO deal_contacts (deal_id, contact_id) VALUES (:d, :c)",
            [{"d": e.before.id, "c": c} for c in people],
        )

    e.then.append(write)


def _edit_stage(e: DealEdit, changes: dict[str, Any]) -> None:
    """``stage`` moves within the deal's pipeline; ``pipeline`` (with an optional ``stage``, default its first)
    moves it to another pipeline."""
    before = e.before
    target, pipeline_id = None, None
    if changes.get("pipeline") is not None:
        pipeline_id = pipelines.resolve_in(e.tx, changes["pipeline"])
    if pipeline_id is not None and pipeline_id != before.pipeline_id:
        target = _stage_of(e.tx, pipeline_id, changes.get("stage"))
    elif changes.get("stage") is not None:
        target, pipeline_id = pipelines.stage_in(e.tx, before.pipeline_id, changes["stage"]), None
    if target is not None and target["id"] != before.stage_id:
        _refuse_closed(before, "move it")
        _to_stage(e, target, pipeline_id)


#: how a change to each field is made, by the keys of ``changes`` it takes, in the order they are made
HANDLERS: tuple[tuple[tuple[str, ...], Callable[[DealEdit, dict[str, Any]], None]], ...] = (
    (("title",), _edit_title),
    (("currency",), _edit_currency),
    (("value",), _edit_value),
    (("expected_close",), _edit_close),
    (("next_step", "next_step_due"), _edit_next_step),
    (("lost_reason",), _edit_lost_reason),
    (("company_id",), _edit_company),
    (("owner",), _edit_owner),
    (("contact_ids", "add_contact_ids", "remove_contact_ids"), _edit_contacts),
    (("pipeline", "stage"), _edit_stage),
    (("category",), _edit_category),
)
EDITABLE = {key for keys, _ in HANDLERS for key in keys}


def update(
    db: Database, deal_id: int, changes: dict[str, Any], *, expected_version: int | None = None
) -> DealRead:
    """Change the given fields (:data:`EDITABLE`). ``expected_version`` (from the read the change is based on)
    guards against overwriting someone else's edit. ``stage`` moves within the deal's pipeline; ``pipeline``
    (with an optional ``stage``, default its first) moves the deal to another pipeline."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of a deal")

    def apply(e: DealEdit) -> None:
        for keys, handler in HANDLERS:
            if any(k in changes for k in keys):
                handler(e, changes)
        if e.changed.keys() & {"value", "currency", "category"}:
            e.then.append(lambda: value_changed(e.tx, e.before))

    return edit(db, DEAL, deal_id, apply, expected_version=expected_version)


def value_changed(tx: Tx, before: DealRead) -> None:
    """Keep a deal's value, currency and forecast category as they were before a change of any of them
    (forecasts as of a past day)."""
    tx.execute(
        "INSERT INTO deal_value_history (deal_id, value_e4, currency, category, changed_at) "
        "VALUES (:d, :v, :c, :k, :t)",
        {
            "d": before.id,
            "v": to_e4(before.value),
            "c": before.currency,
            "k": before.forecast_category,
            "t": now(),
        },
    )


def move(db: Database, deal_id: int, stage: str | int) -> DealRead:
    """Move an open deal to another stage of its pipeline (a stage of another pipeline is refused)."""

    def apply(e: DealEdit) -> None:
        target = pipelines.stage_in(e.tx, e.before.pipeline_id, stage)
        _refuse_closed(e.before, "move it")
        if target["id"] != e.before.stage_id:
            _to_stage(e, target)

    return edit(db, DEAL, deal_id, apply)


def step(db: Database, deal_id: int, delta: int) -> DealRead:
    """Move an open deal ``delta`` stages on (1: the next stage, -1: the previous one) in its pipeline."""

    def apply(e: DealEdit) -> None:
        before = e.before
        _refuse_closed(before, "move it")
        order = e.tx.all(
            "SELECT id, name FROM stages WHERE pipeline_id = :p ORDER BY position, id",
            {"p": before.pipeline_id},
        )
        at = next(k for k, r in enumerate(order) if r["id"] == before.stage_id)
        to = at + int(delta)
        if to < 0:
            raise InvalidInput(f"deal {deal_id} is in the first stage ({before.stage}) already")
        if to >= len(order):
            raise InvalidInput(
                f"deal {deal_id} is in the last stage ({before.stage}) already",
                hint=f"win it with: crm deal win {deal_id}",
            )
        if to != at:
            _to_stage(e, dict(order[to]))

    return edit(db, DEAL, deal_id, apply)


def _close(e: DealEdit, status: str, reason: str | None) -> None:
    before, at = e.before, now()
    e.sets.update(status=status, lost_reason=reason, closed_at=at)
    e.changed["status"] = (before.status, status)
    if reason is not None:
        e.changed["lost_reason"] = (before.lost_reason, reason)
    e.action = "win" if status == "won" else "lose"
    e.then.append(lambda: _history(e.tx, before.id, before.stage_id, before.stage_id, status, at))
    e.then.append(lambda: outbox.emit(e.tx, f"deal.{status}", "deal", before.id, read_in(e.tx, before.id)))


def win(db: Database, deal_id: int) -> DealRead:
    """Mark an open deal won (a won deal stays as it is; a lost one must be reopened first)."""

    def apply(e: DealEdit) -> None:
        if e.before.status == "lost":
            raise InvalidInput(
                f"deal {deal_id} is lost; reopen it first to win it", hint=f": crm deal reopen {deal_id}"
            )
        if e.before.status == "open":
            _close(e, "won", None)

    return edit(db, DEAL, deal_id, apply)


def lose(db: Database, deal_id: int, reason: str) -> DealRead:
    """Mark an open deal lost, with the reason (a lost deal only gets the new reason)."""
    text = v.line(reason, "reason", max_len=500)
    if text is None:
        raise InvalidInput(
            "a lost deal needs a reason", hint=": add --reason TEXT (e.g. --reason price)", field="reason"
        )

    def apply(e: DealEdit) -> None:
        if e.before.status == "won":
            raise InvalidInput(
                f"deal {deal_id} is won; reopen it first to lose it", hint=f": crm deal reopen {deal_id}"
            )
        if e.before.status == "lost":
            e.put("lost_reason", e.before.lost_reason, text)
        else:
            _close(e, "lost", text)

    return edit(db, DEAL, deal_id, apply)


def reopen(db: Database, deal_id: int) -> DealRead:
    """Make a won or lost deal open again, in the stage it closed in (its idle clock starts again)."""

    def apply(e: DealEdit) -> None:
        before, at = e.before, now()
        if before.status == "open":
            return
        e.sets.update(status="open", lost_reason=None, closed_at=None, stage_entered_at=at)
        e.changed["status"] = (before.status, "open")
        e.action = "reopen"
        e.then.append(lambda: _history(e.tx, deal_id, before.stage_id, before.stage_id, "open", at))

    return edit(db, DEAL, deal_id, apply)


def delete(db: Database, deal_id: int) -> DealRead:
    """Delete a deal for good with its stage history; interactions and tasks linked to it stay, unlinked."""
    return delete_record(db, "deals", "deal", deal_id, read_in, "title")
