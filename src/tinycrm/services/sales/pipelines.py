"""Pipelines and their ordered stages, and the board: open deals per stage with their totals.

A pipeline is an ordered list of stages; each stage has a win probability (0-100 %) and an optional idle
threshold in days. A new database has one pipeline, "Sales" (Lead 10 %, Qualified 25 %, Proposal 50 %,
Negotiation 75 %). The first pipeline (lowest position, then id) is the default one.

Totals are summed in SQL per stage and currency; amounts in different currencies are never added together.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tinycrm.domain import validation as v
from tinycrm.domain.errors import Ambiguous, Conflict, InvalidInput, NotFound
from tinycrm.domain.sales import Board, BoardColumn, DealRef, PipelineRead, StageRead, money, weighted
from tinycrm.services.common import audit, now
from tinycrm.store.database import Database, Tx
from tinycrm.store.sql import exact_sum, summed

#: the stages a new pipeline gets when none are given: (name, probability %, idle days)
DEFAULT_STAGES: tuple[tuple[str, int, int | None], ...] = (
    ("Lead", 10, 14),
    ("Qualified", 25, 14),
    ("Proposal", 50, 21),
    ("Negotiation", 75, 21),
)
#: the most open deals a board column lists (the rest is counted in ``more``)
BOARD_LIMIT = 200


# --- validation -----------------------------------------------------------------------------------------


def _probability(value: Any) -> int:
    try:
        p = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"probability: {value!r} is not a whole number from 0 to 100", field="probability"
        ) from None
    if isinstance(value, float) and value != p or not 0 <= p <= 100:
        raise InvalidInput(f"probability: {value} is not a whole number from 0 to 100", field="probability")
    return p


def _idle_days(value: Any) -> int | None:
    """A threshold in days; ``None`` or 0 means none."""
    if value is None:
        return None
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"idle days: {value!r} is not a whole number of days", field="idle_days") from None
    if days < 0 or days > 36500:
        raise InvalidInput(f"idle days: {value} must be between 0 (no limit) and 36500", field="idle_days")
    return days or None


def _name(value: str | None, what: str) -> str:
    out = v.line(value, what, max_len=200, required=True)
    assert out is not None
    return out


def parse_stage_spec(spec: str) -> tuple[str, int, int | None]:
    """``NAME:PROBABILITY[:IDLE_DAYS]`` as typed on the command line (``Demo:40:10``)."""
    parts = spec.rsplit(":", 2)
    nums = []
    while len(parts) > 1 and re.fullmatch(r"\s*\d+\s*", parts[-1]) and len(nums) < 2:
        nums.insert(0, int(parts.pop()))
    name = ":".join(parts)
    if not nums:
        raise InvalidInput(
            f"stage {spec!r}: write NAME:PROBABILITY[:IDLE_DAYS], e.g. Demo:40:14", field="stage"
        )
    return _name(name, "stage name"), _probability(nums[0]), _idle_days(nums[1] if len(nums) > 1 else None)


# --- reading --------------------------------------------------------------------------------------------


def _stages(tx: Tx, pipeline_ids: Sequence[int]) -> dict[int, list[StageRead]]:
    out: dict[int, list[StageRead]] = {p: [] for p in pipeline_ids}
    if not pipeline_ids:
        return out
    counts: dict[int, tuple[int, int]] = {}
    for r in tx.all("SELECT stage_id, status, count(*) AS n FROM deals GROUP BY stage_id, status"):
        n, n_open = counts.get(r["stage_id"], (0, 0))
        counts[r["stage_id"]] = (n + int(r["n"]), n_open + (int(r["n"]) if r["status"] == "open" else 0))
    for r in tx.all(
        "SELECT id, pipeline_id, name, position, probability, idle_days FROM stages ORDER BY pipeline_id, position, id"
    ):
        if r["pipeline_id"] in out:
            n, n_open = counts.get(r["id"], (0, 0))
            out[r["pipeline_id"]].append(
                StageRead(
                    r["id"],
                    r["name"],
                    r["position"],
                    r["probability"],
                    r["idle_days"],
                    int(n),
                    int(n_open or 0),
                )
            )
    return out


def read_in(tx: Tx, pipeline_id: int) -> PipelineRead:
    row = tx.one("SELECT id, name, position FROM pipelines WHERE id = :i", {"i": pipeline_id})
    if row is None:
        raise NotFound(f"no pipeline with id {pipeline_id}", hint="list them with: crm pipeline list")
    return PipelineRead(row["id"], row["name"], row["position"], _stages(tx, [pipeline_id])[pipeline_id])


def list_pipelines(db: Database) -> list[PipelineRead]:
    """Every pipeline with its stages, the default one first."""
    with db.read() as tx:
        rows = tx.all("SELECT id, name, position FROM pipelines ORDER BY position, id")
        stages = _stages(tx, [r["id"] for r in rows])
    return [PipelineRead(r["id"], r["name"], r["position"], stages[r["id"]]) for r in rows]


def default_id(tx: Tx) -> int:
    pid = tx.scalar("SELECT id FROM pipelines ORDER BY position, id LIMIT 1")
    if pid is None:
        raise NotFound("there is no pipeline", hint="add one with: crm pipeline add Sales")
    return pid


def resolve_in(tx: Tx, ref: str | int | None) -> int:
    """A pipeline id from an id, a name (case-insensitive) or a unique fragment of one; None: the default."""
    if ref is None or (isinstance(ref, str) and not ref.strip()):
        return default_id(tx)
    if isinstance(ref, int) or re.fullmatch(r"#?\d+", ref.strip()):
        pid = int(str(ref).lstrip("#"))
        if tx.scalar("SELECT id FROM pipelines WHERE id = :i", {"i": pid}) is None:
            raise NotFound(f"no pipeline with id {pid}", hint="list them with: crm pipeline list")
        return pid
    text = ref.strip()
    rows = tx.all("SELECT id, name FROM pipelines ORDER BY position, id")
    exact = [r for r in rows if r["name"].casefold() == text.casefold()]
    if len(exact) == 1:
        return exact[0]["id"]
    part = [r for r in rows if text.casefold() in r["name"].casefold()]
    if len(part) == 1:
        return part[0]["id"]
    if not part:
        names = ", ".join(r["name"] for r in rows) or "none"
        raise NotFound(f"no pipeline matches {text!r} (pipelines: {names})")
    raise Ambiguous(
        f"{text!r} matches several pipelines; give the whole name or an id",
        [DealRef(r["id"], r["name"]) for r in part],
    )


def resolve(db: Database, ref: str | int | None = None) -> int:
    with db.read() as tx:
        return resolve_in(tx, ref)


def get(db: Database, ref: str | int | None = None) -> PipelineRead:
    """A pipeline by id or name; ``None`` gives the default (first) pipeline."""
    with db.read() as tx:
        return read_in(tx, resolve_in(tx, ref))


def stage_in(tx: Tx, pipeline_id: int, ref: str | int) -> dict[str, Any]:
    """A stage row of this pipeline from an id, a name (case-insensitive) or a unique fragment of a name.

    A stage of another pipeline is refused with a message naming it, so a deal never jumps pipelines by
    accident."""
    rows = tx.all(
        "SELECT s.id, s.name, s.position, s.probability, s.idle_days, s.pipeline_id, p.name AS pipeline "
        "FROM stages s JOIN pipelines p ON p.id = s.pipeline_id ORDER BY s.pipeline_id, s.position",
    )
    mine = [r for r in rows if r["pipeline_id"] == pipeline_id]
    pname = next((r["pipeline"] for r in rows if r["pipeline_id"] == pipeline_id), None)
    if pname is None:
        pname = tx.scalar("SELECT name FROM pipelines WHERE id = :i", {"i": pipeline_id})
    if isinstance(ref, int) or re.fullmatch(r"#?\d+", str(ref).strip()):
        sid = int(str(ref).strip().lstrip("#"))
        found = next((r for r in rows if r["id"] == sid), None)
        if found is None:
            # a number that is no stage id may be a stage literally named so
            named = [r for r in mine if r["name"] == str(ref).strip()]
            if named:
                return dict(named[0])
            raise NotFound(
                f"no stage with id {sid}", hint=f"see the stages with: crm pipeline stages {pname}"
            )
        if found["pipeline_id"] != pipeline_id:
            raise InvalidInput(
                f"stage {found['name']!r} (id {sid}) belongs to pipeline {found['pipeline']!r}, not {pname!r}",
                hint="to change pipelines use: "
                f"crm deal edit DEAL --pipeline {found['pipeline']!r} --stage {found['name']!r}",
                field="stage",
            )
        return dict(found)
    text = " ".join(str(ref).split())
    if not text:
        raise InvalidInput("a stage name is empty; give a stage name or id", field="stage")
    key = text.casefold()
    exact = [r for r in mine if r["name"].casefold() == key]
    if exact:
        return dict(exact[0])
    part = [r for r in mine if key in r["name"].casefold()]
    if len(part) == 1:
        return dict(part[0])
    names = ", ".join(r["name"] for r in mine) or "none"
    if len(part) > 1:
        raise InvalidInput(
            f"{text!r} matches several stages of {pname!r} ({', '.join(r['name'] for r in part)}); "
            "give the whole name",
            field="stage",
        )
    elsewhere = [r for r in rows if r["pipeline_id"] != pipeline_id and r["name"].casefold() == key]
    if elsewhere:
        other = elsewhere[0]["pipeline"]
        raise InvalidInput(
            f"stage {text!r} belongs to pipeline {other!r}, not {pname!r}",
            hint=f"to change pipelines use: crm deal edit DEAL --pipeline {other!r} --stage {text!r}",
            field="stage",
        )
    raise InvalidInput(f"pipeline {pname!r} has no stage {text!r} (stages: {names})", field="stage")


# --- pipelines ------------------------------------------------------------------------------------------


def _insert_stages(
    tx: Tx, pipeline_id: int, stages: Sequence[tuple[str, int, int | None]], start: int = 0
) -> None:
    seen: set[str] = set()
    for name, _, _ in stages:
        if name.casefold() in seen:
            raise InvalidInput(
                f"stage {name!r} is given twice; stage names differ within a pipeline", field="stage"
            )
        seen.add(name.casefold())
    tx.executemany(
        "INSERT INTO stages (pipeline_id, name, position, probability, idle_days) VALUES (:p, :n, :pos, :pr, :i)",
        [
            {"p": pipeline_id, "n": n, "pos": start + k, "pr": pr, "i": i}
            for k, (n, pr, i) in enumerate(stages)
        ],
    )


def create(
    db: Database, name: str, stages: Sequence[tuple[str, int, int | None]] | None = None
) -> PipelineRead:
    """Add a pipeline (after the others) with these stages ``(name, probability, idle_days)``, by default the
    usual four (Lead, Qualified, Proposal, Negotiation)."""
    name = _name(name, "pipeline name")
    specs = [
        (_name(n, "stage name"), _probability(p), _idle_days(i)) for n, p, i in (stages or DEFAULT_STAGES)
    ]
    with db.write() as tx:
        for r in tx.all("SELECT id, name FROM pipelines"):
            if r["name"].casefold() == name.casefold():
                raise Conflict(f"a pipeline named {r['name']!r} exists already (id {r['id']})")
        position = (tx.scalar("SELECT max(position) FROM pipelines") or 0) + 1
        pid = tx.insert(
            "INSERT INTO pipelines (name, position, created_at) VALUES (:n, :p, :t) RETURNING id",
            {"n": name, "p": position, "t": now()},
        )
        _insert_stages(tx, pid, specs)
        audit(tx, "create", "pipeline", pid, {"name": (None, name), "stages": (None, [s[0] for s in specs])})
        return read_in(tx, pid)


def rename(db: Database, ref: str | int, new_name: str) -> PipelineRead:
    new_name = _name(new_name, "pipeline name")
    with db.write() as tx:
        pid = resolve_in(tx, ref)
        old = tx.scalar("SELECT name FROM pipelines WHERE id = :i", {"i": pid})
        for r in tx.all("SELECT id, name FROM pipelines WHERE id <> :i", {"i": pid}):
            if r["name"].casefold() == new_name.casefold():
                raise Conflict(f"a pipeline named {r['name']!r} exists already (id {r['id']})")
        if old != new_name:
            tx.execute("UPDATE pipelines SET name = :n WHERE id = :i", {"n": new_name, "i": pid})
            audit(tx, "update", "pipeline", pid, {"name": (old, new_name)})
        return read_in(tx, pid)


def remove(db: Database, ref: str | int) -> PipelineRead:
    """Delete a pipeline and its stages; refused while it holds deals."""
    with db.write() as tx:
        pid = resolve_in(tx, ref)
        before = read_in(tx, pid)
        n = tx.scalar("SELECT count(*) FROM deals WHERE pipeline_id = :i", {"i": pid})
        if n:
            raise InvalidInput(
                f"pipeline {before.name!r} holds {n} deal(s); move or delete them first",
                hint=f" (crm deal list --pipeline {before.name!r} --status all)",
            )
        tx.execute("DELETE FROM stages WHERE pipeline_id = :i", {"i": pid})
        tx.execute("DELETE FROM pipelines WHERE id = :i", {"i": pid})
        audit(tx, "delete", "pipeline", pid, {"name": (before.name, None)})
        return before


# --- stages ---------------------------------------------------------------------------------------------


def _renumber(tx: Tx, pipeline_id: int, order: Sequence[int]) -> None:
    for pos, sid in enumerate(order):
        tx.execute("UPDATE stages SET position = :p WHERE id = :i AND position <> :p", {"p": pos, "i": sid})


def _stage_ids(tx: Tx, pipeline_id: int) -> list[int]:
    return tx.column("SELECT id FROM stages WHERE pipeline_id = :p ORDER BY position, id", {"p": pipeline_id})


def _position(value: int | None, count: int) -> int:
    """A 1-based position as people count (1 = first) to a 0-based index, clamped to the end."""
    if value is None:
        return count
    if value < 1:
        raise InvalidInput(f"position: {value} must be 1 (first) or more", field="position")
    return min(value - 1, count)


def add_stage(
    db: Database,
    pipeline: str | int | None,
    name: str,
    *,
    probability: int,
    idle_days: int | None = None,
    position: int | None = None,
) -> PipelineRead:
    """Add a stage; ``position`` is 1-based (1 = first), default last."""
    name = _name(name, "stage name")
    prob = _probability(probability)
    idle = _idle_days(idle_days)
    with db.write() as tx:
        pid = resolve_in(tx, pipeline)
        tx.lock(f"pipeline:{pid}")  # stage edits of one pipeline one at a time (positions are renumbered)
        order = _stage_ids(tx, pid)
        for r in tx.all("SELECT name FROM stages WHERE pipeline_id = :p", {"p": pid}):
            if r["name"].casefold() == name.casefold():
                raise Conflict(f"the pipeline has a stage named {r['name']!r} already")
        sid = tx.insert(
            "INSERT INTO stages (pipeline_id, name, position, probability, idle_days) "
            "VALUES (:p, :n, :pos, :pr, :i) RETURNING id",
            {"p": pid, "n": name, "pos": len(order) + 1000, "pr": prob, "i": idle},
        )
        order.insert(_position(position, len(order)), sid)
        _renumber(tx, pid, order)
        audit(
            tx,
            "create",
            "stage",
            sid,
            {
                "name": (None, name),
                "probability": (None, prob),
                "idle_days": (None, idle),
                "pipeline_id": (None, pid),
            },
        )
        return read_in(tx, pid)


def rename_stage(db: Database, pipeline: str | int | None, stage: str | int, new_name: str) -> PipelineRead:
    new_name = _name(new_name, "stage name")
    with db.write() as tx:
        pid = resolve_in(tx, pipeline)
        tx.lock(f"pipeline:{pid}")  # stage edits of one pipeline one at a time (positions are renumbered)
        st = stage_in(tx, pid, stage)
        for r in tx.all(
            "SELECT id, name FROM stages WHERE pipeline_id = :p AND id <> :i", {"p": pid, "i": st["id"]}
        ):
            if r["name"].casefold() == new_name.casefold():
                raise Conflict(f"the pipeline has a stage named {r['name']!r} already")
        if st["name"] != new_name:
            tx.execute("UPDATE stages SET name = :n WHERE id = :i", {"n": new_name, "i": st["id"]})
            audit(tx, "update", "stage", st["id"], {"name": (st["name"], new_name)})
        return read_in(tx, pid)


def move_stage(db: Database, pipeline: str | int | None, stage: str | int, position: int) -> PipelineRead:
    """Put a stage at ``position`` (1-based) in its pipeline; the others keep their order."""
    with db.write() as tx:
        pid = resolve_in(tx, pipeline)
        tx.lock(f"pipeline:{pid}")  # stage edits of one pipeline one at a time (positions are renumbered)
        st = stage_in(tx, pid, stage)
        order = _stage_ids(tx, pid)
        old = order.index(st["id"])
        order.remove(st["id"])
        new = _position(position, len(order))
        order.insert(new, st["id"])
        if new != old:
            _renumber(tx, pid, order)
            audit(tx, "update", "stage", st["id"], {"position": (old + 1, new + 1)})
        return read_in(tx, pid)


def set_stage(
    db: Database,
    pipeline: str | int | None,
    stage: str | int,
    *,
    probability: int | None = None,
    idle_days: int | None = None,
    clear_idle: bool = False,
) -> PipelineRead:
    """Change a stage's win probability and/or idle threshold (``idle_days=0`` or ``clear_idle``: none)."""
    if probability is None and idle_days is None and not clear_idle:
        raise InvalidInput("give a probability or idle days to set (e.g. --probability 40 --idle-days 14)")
    with db.write() as tx:
        pid = resolve_in(tx, pipeline)
        tx.lock(f"pipeline:{pid}")  # stage edits of one pipeline one at a time (positions are renumbered)
        st = stage_in(tx, pid, stage)
        sets: dict[str, Any] = {}
        if probability is not None:
            sets["probability"] = _probability(probability)
        if clear_idle:
            sets["idle_days"] = None
        elif idle_days is not None:
            sets["idle_days"] = _idle_days(idle_days)
        changed = {k: (st[k], val) for k, val in sets.items() if st[k] != val}
        if changed:
            assignments = ", ".join(f"{k} = :{k}" for k in changed)
            tx.execute(
                f"UPDATE stages SET {assignments} WHERE id = :i",
                {**{k: n for k, (_, n) in changed.items()}, "i": st["id"]},
            )
            audit(tx, "update", "stage", st["id"], changed)
        return read_in(tx, pid)


def remove_stage(
    db: Database, pipeline: str | int | None, stage: str | int, *, move_to: str | int | None = None
) -> PipelineRead:
    """Remove a stage. A stage that holds deals (of any status) is removed only with ``move_to``: another stage
    of the same pipeline that takes its deals (each move is kept in the deal's stage history)."""
    from tinycrm.services.common import user_id

    with db.write() as tx:
        pid = resolve_in(tx, pipeline)
        tx.lock(f"pipeline:{pid}")  # stage edits of one pipeline one at a time (positions are renumbered)
        st = stage_in(tx, pid, stage)
        n = tx.scalar("SELECT count(*) FROM deals WHERE stage_id = :s", {"s": st["id"]})
        target = None
        if move_to is not None:
            target = stage_in(tx, pid, move_to)
            if target["id"] == st["id"]:
                raise InvalidInput(
                    f"--move-to names the stage being removed ({st['name']!r}); name another stage"
                )
        if n and target is None:
            others = [
                r["name"]
                for r in tx.all(
                    "SELECT name FROM stages WHERE pipeline_id = :p AND id <> :s ORDER BY position",
                    {"p": pid, "s": st["id"]},
                )
            ]
            hint = f" --move-to {others[0]!r}" if others else ""
            raise InvalidInput(
                f"stage {st['name']!r} holds {n} deal(s)",
                hint=f"move them to another stage with: crm pipeline stages remove {st['name']!r}{hint}",
                field="stage",
            )
        if n and target is not None:
            stamp = now()
            uid = user_id(tx)
            # the history first (it reads the deals still in the old stage), then the deals
            tx.execute(
                "INSERT INTO deal_stage_history (deal_id, from_stage_id, to_stage_id, status, changed_at, user_id) "
                "SELECT id, stage_id, :to, status, :t, :u FROM deals WHERE stage_id = :s",
                {"to": target["id"], "t": stamp, "u": uid, "s": st["id"]},
            )
            tx.execute(
                "UPDATE deals SET stage_id = :to, stage_entered_at = CASE WHEN status = 'open' THEN :t "
                "ELSE stage_entered_at END, updated_at = :t, version = version + 1 WHERE stage_id = :s",
                {"to": target["id"], "t": stamp, "s": st["id"]},
            )
            audit(
                tx,
                "update",
                "stage",
                st["id"],
                {"deals moved to": (st["name"], target["name"]), "count": (None, n)},
            )
        # the history keeps the stage's id until it is gone (then NULL): the conversion report reads positions
        tx.execute("DELETE FROM stages WHERE id = :s", {"s": st["id"]})
        _renumber(tx, pid, _stage_ids(tx, pid))
        audit(tx, "delete", "stage", st["id"], {"name": (st["name"], None)})
        return read_in(tx, pid)


# --- the board ------------------------------------------------------------------------------------------


def board(
    db: Database, pipeline: str | int | None = None, *, owner: str | None = None, limit: int = BOARD_LIMIT
) -> Board:
    """The open deals of a pipeline, one column per stage: a page of deals (soonest expected close first),
    their count, and their total and weighted value per currency (summed in SQL)."""
    from tinycrm.services.sales import deals

    if not 0 <= limit <= 10_000:
        raise InvalidInput(f"--limit must be between 0 and 10000 (got {limit})")
    with db.read() as tx:
        p = read_in(tx, resolve_in(tx, pipeline))
        owner_cond, params = deals.owner_filter(tx, owner, "d")
        params["p"] = p.id
        sums: dict[int, dict[str, tuple[int, int]]] = {}
        for r in tx.all(
            f"SELECT d.stage_id, d.currency, count(*) AS n, {exact_sum('d.value_e4', 'v')} FROM deals d "
            f"WHERE d.pipeline_id = :p AND d.status = 'open'{owner_cond} GROUP BY d.stage_id, d.currency",
            params,
        ):
            sums.setdefault(r["stage_id"], {})[r["currency"]] = (int(r["n"]), summed(r, "v"))
        columns = []
        for st in p.stages:
            per = sums.get(st.id, {})
            count = sum(n for n, _ in per.values())
            ids: list[int] = []
            if count and limit:
                # soonest expected close first, then the undated ones: two queries that each read the
                # (stage_id, status, expected_close) index in order and stop at the limit
                args = {**params, "s": st.id, "limit": limit}
                ids = tx.column(
                    f"SELECT d.id FROM deals d WHERE d.stage_id = :s AND d.status = 'open' "
                    f"AND d.expected_close IS NOT NULL{owner_cond} ORDER BY d.expected_close, d.id LIMIT :limit",
                    args,
                )
                if len(ids) < limit:
                    ids += tx.column(
                        f"SELECT d.id FROM deals d WHERE d.stage_id = :s AND d.status = 'open' "
                        f"AND d.expected_close IS NULL{owner_cond} ORDER BY d.id LIMIT :limit",
                        {**args, "limit": limit - len(ids)},
                    )
            columns.append(
                BoardColumn(
                    stage=st,
                    deals=deals.summaries(tx, ids),
                    count=count,
                    more=count - len(ids),
                    totals={c: money(v, c) for c, (_, v) in sorted(per.items())},
                    weighted={c: weighted(v, st.probability, c) for c, (_, v) in sorted(per.items())},
                    counts={c: n for c, (n, _) in sorted(per.items())},
                )
            )
    return Board(p, columns, owner)
