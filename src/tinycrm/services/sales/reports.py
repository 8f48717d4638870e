"""Sales reports: the forecast, the pipeline's stage conversion, wins and losses, and activity per week.

Every figure is aggregated in SQL (``GROUP BY`` month, stage, currency...); Python only combines the few
grouped rows (for instance value sums per stage x the stage's probability, in exact integers). Amounts in
different currencies are never added together: every money figure is per currency.

Months and weeks of stored timestamps (when a deal closed, when an interaction happened) are UTC; the expected
close date of a deal is a calendar day. The current month is the local one (``TINYCRM_NOW`` fixes the clock).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from tinycrm.domain import clock
from tinycrm.domain.dates import parse_date
from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import INTERACTION_KINDS
from tinycrm.domain.sales import (
    MINOR_UNITS,
    ActivityReport,
    ActivityWeek,
    CurrencyAmount,
    Forecast,
    ForecastRow,
    PipelineReport,
    ReasonCount,
    StageReport,
    WinsReport,
    money,
    weighted,
)
from tinycrm.services.sales import pipelines
from tinycrm.services.sales.deals import owner_filter
from tinycrm.store.database import Database
from tinycrm.store.sql import exact_sum, placeholders, summed

_TENTH = Decimal("0.1")


def pct(part: int, whole: int) -> Decimal | None:
    """``part / whole`` in %, one decimal place (None when ``whole`` is 0)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_TENTH, rounding=ROUND_HALF_EVEN)


def _days(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(_TENTH, rounding=ROUND_HALF_EVEN)


def _month_start(day: date, shift: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


# --- forecast -------------------------------------------------------------------------------------------


def forecast(
    db: Database,
    *,
    months: int = 6,
    owner: str | None = None,
    past: int = 0,
    pipeline: str | int | None = None,
) -> Forecast:
    """Open value weighted by stage probability, by expected close month and currency, for ``months`` months
    from the current one (and ``past`` months before it), next to the value won (closed) in each month.

    Open deals expected before the first month are in ``earlier``, those without a date in ``undated``."""
    if not 1 <= months <= 120:
        raise InvalidInput(f"--months must be between 1 and 120 (got {months})")
    if not 0 <= past <= 120:
        raise InvalidInput(f"--past must be between 0 and 120 (got {past})")
    this_month = _month_start(clock.local_now().date())
    start = _month_start(this_month, -past)
    end = _month_start(this_month, months)
    labels = [_month_start(start, k).strftime("%Y-%m") for k in range(past + months)]
    with db.read() as tx:
        cond, params = owner_filter(tx, owner)
        if pipeline is not None:
            cond += " AND d.pipeline_id = :pipeline_id"
            params["pipeline_id"] = pipelines.resolve_in(tx, pipeline)
        month_close = tx.db.dialect.month("d.expected_close")
        bucket = (
            f"CASE WHEN d.expected_close IS NULL THEN 'undated' WHEN d.expected_close < :start THEN 'earlier' "
            f"ELSE {month_close} END"
        )
        # per stage, not per probability: no join, and the index on (status, expected_close, ...) covers it
        open_rows = tx.all(
            f"SELECT {bucket} AS m, d.currency AS c, d.stage_id AS s, count(*) AS n, {exact_sum('d.value_e4', 'v')} "
            f"FROM deals d WHERE d.status = 'open' AND (d.expected_close IS NULL OR d.expected_close < :end){cond} "
            "GROUP BY 1, 2, 3",
            {**params, "start": start, "end": end},
        )
        probability = {r["id"]: int(r["probability"]) for r in tx.all("SELECT id, probability FROM stages")}
        month_won = tx.db.dialect.month("d.closed_at")
        won_rows = tx.all(
            f"SELECT {month_won} AS m, d.currency AS c, count(*) AS n, {exact_sum('d.value_e4', 'v')} FROM deals d "
            f"WHERE d.status = 'won' AND d.closed_at >= :s AND d.closed_at < :e{cond} "
            f"GROUP BY {month_won}, d.currency",
            {**params, "s": _utc_midnight(start), "e": _utc_midnight(end)},
        )
    # (bucket, currency) -> [open count, open e4, weighted e6, won count, won e4]
    acc: dict[tuple[str, str], list[int]] = {}
    for r in open_rows:
        a = acc.setdefault((r["m"], r["c"]), [0, 0, 0, 0, 0])
        a[0] += int(r["n"])
        a[1] += summed(r, "v")
        a[2] += summed(r, "v") * probability.get(r["s"], 0)
    for r in won_rows:
        a = acc.setdefault((r["m"], r["c"]), [0, 0, 0, 0, 0])
        a[3] += int(r["n"])
        a[4] += summed(r, "v")
    currencies = sorted({c for _, c in acc})

    def row(bucket: str, code: str) -> ForecastRow:
        n, v, w, wn, wv = acc.get((bucket, code), [0, 0, 0, 0, 0])
        return ForecastRow(bucket, code, n, money(v, code), money(w, code, scale=6), wn, money(wv, code))

    in_window = sorted({c for (m, c) in acc if m in labels})
    rows = [row(m, c) for m in labels for c in in_window]
    earlier = [row("earlier", c) for c in currencies if ("earlier", c) in acc]
    undated = [row("undated", c) for c in currencies if ("undated", c) in acc]
    return Forecast(labels, currencies, rows, earlier, undated, owner)


# --- pipeline conversion --------------------------------------------------------------------------------


def pipeline_report(
    db: Database, *, pipeline: str | int | None = None, owner: str | None = None
) -> PipelineReport:
    """Per stage: the open deals and their value (and weighted value) per currency; how many deals reached the
    stage, the share of those that reached the next stage (for the last stage: that were won), and the share
    that were won in the end.

    "Reached" comes from the stage history, so it counts deals closed or moved on since. A deal reached every
    stage up to the furthest one it was ever in (one that skipped a stage passed it); a won deal reached every
    stage of the pipeline."""
    with db.read() as tx:
        p = pipelines.read_in(tx, pipelines.resolve_in(tx, pipeline))
        cond, params = owner_filter(tx, owner)
        params["p"] = p.id
        open_rows = tx.all(
            f"SELECT d.stage_id, d.currency, count(*) AS n, {exact_sum('d.value_e4', 'v')} FROM deals d "
            f"WHERE d.pipeline_id = :p AND d.status = 'open'{cond} GROUP BY d.stage_id, d.currency",
            params,
        )
        # how many deals got how far: the furthest position each deal reached, counted per position and status
        marks, stage_params = placeholders("st", [st.id for st in p.stages] or [0])
        furthest = tx.all(
            "SELECT m.maxpos, d.status, count(*) AS n FROM ("
            "  SELECT h.deal_id, max(st.position) AS maxpos FROM deal_stage_history h "
            f"  JOIN stages st ON st.id = h.to_stage_id WHERE h.to_stage_id IN ({marks}) GROUP BY h.deal_id"
            f") m JOIN deals d ON d.id = m.deal_id WHERE 1 = 1{cond} GROUP BY m.maxpos, d.status",
            {**params, **stage_params},
        )
    per_stage: dict[int, dict[str, tuple[int, int]]] = {}
    for r in open_rows:
        per_stage.setdefault(r["stage_id"], {})[r["currency"]] = (int(r["n"]), summed(r, "v"))
    # reached[stage] = (deals that reached it, won among them, lost among them); a won deal reached every stage
    reached: dict[int, tuple[int, int, int]] = {}
    for st in p.stages:
        got = won = lost = 0
        for r in furthest:
            if r["status"] == "won" or r["maxpos"] >= st.position:
                n = int(r["n"])
                got += n
                won += n if r["status"] == "won" else 0
                lost += n if r["status"] == "lost" else 0
        reached[st.id] = (got, won, lost)
    stages = []
    for k, st in enumerate(p.stages):
        per = per_stage.get(st.id, {})
        got, won, _ = reached.get(st.id, (0, 0, 0))
        if k + 1 < len(p.stages):
            onward = reached.get(p.stages[k + 1].id, (0, 0, 0))[0]
        else:
            onward = won
        stages.append(
            StageReport(
                stage=st.name,
                stage_id=st.id,
                position=st.position,
                probability=st.probability,
                open_count=sum(n for n, _ in per.values()),
                open_value={c: money(v, c) for c, (_, v) in sorted(per.items())},
                weighted={c: weighted(v, st.probability, c) for c, (_, v) in sorted(per.items())},
                reached=got,
                conversion_pct=pct(onward, got),
                won=won,
                win_pct=pct(won, got),
            )
        )
    total, won, lost = reached.get(p.stages[0].id, (0, 0, 0)) if p.stages else (0, 0, 0)
    return PipelineReport(p.name, stages, total, won, lost, owner)


# --- wins and losses ------------------------------------------------------------------------------------


def wins(
    db: Database,
    *,
    since: str | date | None = None,
    owner: str | None = None,
    pipeline: str | int | None = None,
) -> WinsReport:
    """Deals closed since a day (default: ever): the win rate, the average won deal per currency, the average
    cycle (days from created to closed) of won and of lost deals, and the lost reasons, most frequent first."""
    day = parse_date(since, what="since") if since is not None else None
    with db.read() as tx:
        cond, params = owner_filter(tx, owner)
        if pipeline is not None:
            cond += " AND d.pipeline_id = :pipeline_id"
            params["pipeline_id"] = pipelines.resolve_in(tx, pipeline)
        if day is not None:
            local_midnight = datetime.combine(day, time(0), tzinfo=clock.local_tz())
            cond += " AND d.closed_at >= :since"
            params["since"] = local_midnight.astimezone(UTC)
        cycle = tx.db.dialect.days_between("d.created_at", "d.closed_at")
        by_status = {
            r["status"]: (int(r["n"]), r["cycle"])
            for r in tx.all(
                f"SELECT d.status, count(*) AS n, avg({cycle}) AS cycle FROM deals d "
                f"WHERE d.status IN ('won', 'lost'){cond} GROUP BY d.status",
                params,
            )
        }
        won_rows = tx.all(
            f"SELECT d.currency, count(*) AS n, {exact_sum('d.value_e4', 'v')} FROM deals d WHERE d.status = 'won'{cond} "
            "GROUP BY d.currency ORDER BY d.currency",
            params,
        )
        reasons = tx.all(
            f"SELECT d.lost_reason AS reason, count(*) AS n FROM deals d WHERE d.status = 'lost'{cond} "
            "GROUP BY d.lost_reason ORDER BY count(*) DESC, d.lost_reason",
            params,
        )
    won_n, won_cycle = by_status.get("won", (0, None))
    lost_n, lost_cycle = by_status.get("lost", (0, None))
    amounts = []
    for r in won_rows:
        code, n, total = r["currency"], int(r["n"]), summed(r, "v")
        quantum = Decimal(1).scaleb(-MINOR_UNITS.get(code, 2))
        average = (Decimal(total) / Decimal(10000) / Decimal(n)).quantize(quantum, rounding=ROUND_HALF_EVEN)
        amounts.append(CurrencyAmount(code, n, money(total, code), average))
    return WinsReport(
        since=day,
        won=won_n,
        lost=lost_n,
        win_rate_pct=pct(won_n, won_n + lost_n),
        won_value=amounts,
        avg_cycle_days=_days(won_cycle),
        avg_cycle_days_lost=_days(lost_cycle),
        lost_reasons=[ReasonCount(r["reason"] or "(no reason)", int(r["n"])) for r in reasons],
        owner=owner,
    )


# --- activity -------------------------------------------------------------------------------------------


#: one week's interactions by kind: a range of the (happened_at, kind, owner_id) index, counted inside it, with no
#: function of each row's time (a week-start expression on every row of 12 weeks took seconds on a million rows)
ACTIVITY_SQL = (
    "SELECT i.kind, count(*) AS n FROM interactions i WHERE i.happened_at >= :s AND i.happened_at < :e{cond} "
    "GROUP BY i.kind"
)


def activity(db: Database, *, weeks: int = 12, owner: str | None = None) -> ActivityReport:
    """Interactions logged per week (weeks start on Monday, UTC) and kind, for the last ``weeks`` weeks
    including this one; ``owner`` counts the interactions that user logged."""
    if not 1 <= weeks <= 520:
        raise InvalidInput(f"--weeks must be between 1 and 520 (got {weeks})")
    today = clock.now().date()
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=weeks - 1)
    labels = [(first + timedelta(weeks=k)).isoformat() for k in range(weeks)]
    bounds = [_utc_midnight(first + timedelta(weeks=k)) for k in range(weeks + 1)]
    counts: dict[str, dict[str, int]] = {w: dict.fromkeys(INTERACTION_KINDS, 0) for w in labels}
    with db.read() as tx:
        cond, params = owner_filter(tx, owner, "i")
        sql = ACTIVITY_SQL.format(cond=cond)
        for label, start, end in zip(labels, bounds, bounds[1:], strict=False):
            for r in tx.all(sql, {**params, "s": start, "e": end}):
                counts[label][r["kind"]] = counts[label].get(r["kind"], 0) + int(r["n"])
    kinds = list(INTERACTION_KINDS) + sorted({k for c in counts.values() for k in c} - set(INTERACTION_KINDS))
    return ActivityReport(kinds, [ActivityWeek(w, counts[w], sum(counts[w].values())) for w in labels], owner)
