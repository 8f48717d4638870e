"""Forecasts learned from the deals' own history (``deal_stage_history``, ``deal_close_history``).

Stage conversion: for each stage, of the deals that were in it (a history row moved them there) and closed
within the window, the share that was won. A forecast weights each open deal's value by its stage's
probability, by one of three methods (docs/deals.md, "Forecasting", writes the formulas out):

- ``weighted``: the probability configured for the stage, p;
- ``historical``: the learned share, wins / closed (p when the stage has no closed deal yet);
- ``blend``: (wins + k x p) / (closed + k): a stage with little history leans on p (k = ``[forecast] k``).

``as_of`` replays the history: the deals open on that day, in the stage they were in then, with the expected
close date (``deal_close_history``) and the value, currency and category (``deal_value_history``) they had then,
and probabilities learned from what had closed by then. A deal's state on a day is its last history row before
it (the latest ``changed_at``, then ``id``), looked up in an index only for the deals that may close in the
period asked about.

Every aggregate is one ``GROUP BY`` in SQL; Python combines the few grouped rows exactly (fractions), and every
amount stays in its currency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

from tinycrm.domain import clock
from tinycrm.domain.currencies import money
from tinycrm.domain.dates import parse_date
from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.forecasting import (
    METHODS,
    CategoryRow,
    ConversionReport,
    MethodForecast,
    StageConversion,
    StageProbability,
)
from tinycrm.store.database import Database, Tx
from tinycrm.store.sql import exact_sum, summed

_TENTH = Decimal("0.1")
_WINDOW = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$", re.IGNORECASE)


# --- windows, days and probabilities -------------------------------------------------------------------


def parse_window(text: str | None) -> tuple[int, int]:
    """``"12m"`` -> (12 months, 0 days); ``"90d"`` -> (0, 90); ``"2y"``, ``"6w"``. Zero is refused."""
    from tinycrm import config
    from tinycrm.config.leads import Forecast

    raw = text if text is not None else config.get(Forecast).window
    m = _WINDOW.match(raw or "")
    if m is None or int(m.group(1)) == 0:
        raise InvalidInput(
            f"--window must be a number above 0 with d, w, m or y, such as 12m or 90d (got {raw!r})"
        )
    n, unit = int(m.group(1)), m.group(2).lower()
    if n > 1200:
        raise InvalidInput(f"--window {raw} is too long; at most 100 years")
    return {"d": (0, n), "w": (0, 7 * n), "m": (n, 0), "y": (12 * n, 0)}[unit]


def shift_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = [
        31,
        29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ]
    return date(year, month + 1, min(day.day, last[month]))


def window_start(until: date, window: str | None) -> date:
    months, days = parse_window(window)
    return shift_months(until, -months) - timedelta(days=days)


def midnight(day: date) -> datetime:
    """The start of a local day, in UTC."""
    return datetime.combine(day, time(0), tzinfo=clock.local_tz()).astimezone(UTC)


def as_of_day(as_of: str | date | None) -> date | None:
    """The day of ``--as-of`` (None: today, live); a day after today is refused."""
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
        return None
    day = parse_date(as_of, what="--as-of")
    assert day is not None
    if day > clock.local_now().date():
        raise InvalidInput(f"--as-of {day} is in the future; give today or a day before it")
    return day


def k_value(k: int | None) -> int:
    from tinycrm import config
    from tinycrm.config.leads import Forecast

    value = config.get(Forecast).k if k is None else k
    if not 0 <= value <= 10000:
        raise InvalidInput(f"--k must be between 0 and 10000 (got {value})")
    return value


def method_name(method: str) -> str:
    if method not in METHODS:
        raise InvalidInput(f"--method must be one of {', '.join(METHODS)} (got {method!r})")
    return method


def pct(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) * 100 / Decimal(value.denominator)).quantize(
        _TENTH, rounding=ROUND_HALF_EVEN
    )


def probability(method: str, configured: int, won: int, closed: int, k: int) -> tuple[Fraction, str]:
    """The probability ``method`` gives a stage (a fraction of 1) and where it came from."""
    p = Fraction(configured, 100)
    if method == "historical":
        return (Fraction(won, closed), "learned") if closed else (p, "configured (no history)")
    if method == "blend":
        return (
            (Fraction(won + k * p) / (closed + k), "blend") if closed + k else (p, "configured (no history)")
        )
    return p, "configured"


# --- what the history says ------------------------------------------------------------------------------


def state_row(deal: str) -> str:
    """The id of the history row that holds deal ``deal``'s state on :until: its last row before it, the latest
    (``changed_at``, ``id``); found in the index on (deal_id, changed_at, id, status, to_stage_id)."""
    return (
        f"(SELECT sh.id FROM deal_stage_history sh WHERE sh.deal_id = {deal} AND sh.changed_at < :until "
        "ORDER BY sh.changed_at DESC, sh.id DESC LIMIT 1)"
    )


#: the deal_value_history row with ``d``'s value, currency and category on :until: the first change after it
#: (none: today's)
VALUE_ROW = (
    "(SELECT vh.id FROM deal_value_history vh WHERE vh.deal_id = d.id AND vh.changed_at >= :until "
    "ORDER BY vh.changed_at, vh.id LIMIT 1)"
)


def learned_sql(sqlite: bool) -> str:
    """(stage, status, n) of the deals closed in [:since, :until) and the stages they had been in: the closed
    deals in id order (on SQLite from the partial index of them alone) and their history in (deal, stage) order,
    each deal's stages grouped as read; only the few (stage, status) counts are sorted."""
    hint = (
        (" INDEXED BY ix_deals_closed_ids", " INDEXED BY ix_deal_stage_history_stages")
        if sqlite
        else ("", "")
    )
    return (
        "SELECT x.stage_id, x.status, count(*) AS n FROM (SELECT h.to_stage_id AS stage_id, d.status "
        f"FROM deals d{hint[0]} JOIN deal_stage_history h{hint[1]} ON h.deal_id = d.id "
        "WHERE d.status IN ('won', 'lost') AND d.closed_at >= :since AND d.closed_at < :until "
        "AND h.changed_at < :until AND h.to_stage_id IS NOT NULL GROUP BY d.id, h.to_stage_id) x "
        "GROUP BY x.stage_id, x.status"
    )


def learned(tx: Tx, since: datetime, until: datetime, *, live: bool) -> dict[int, tuple[int, int]]:
    """stage id -> (won, closed) of the deals that were in the stage and closed in [since, until).
    ``live``: closed means closed now (the deals table); else closed as of ``until`` (the history)."""
    if not live:
        return learned_as_of(tx, [(since, until)])[0]
    rows = tx.all(learned_sql(tx.db.is_sqlite), {"since": since, "until": until})
    return _counts(rows)


def learned_as_of(tx: Tx, spans: list[tuple[datetime, datetime]]) -> list[dict[int, tuple[int, int]]]:
    """For each (since, until): stage id -> (won, closed) of the deals closed in [since, until) as of
    ``until``: whose last history row before ``until`` is a win or a loss made in the span.

    One statement for every span: each win or loss ``c`` in the spans (read in the index of closes) with the
    time of the deal's next history row; ``c`` is the deal's state on ``until`` when that next row is not
    before it. The stages the deal was in by then are its rows up to ``c``, whatever the span."""
    if not spans:
        return []
    params: dict[str, Any] = {"lo": min(s for s, _ in spans), "hi": max(u for _, u in spans)}
    sums = []
    for i, (since, until) in enumerate(spans):
        params[f"s{i}"], params[f"u{i}"] = since, until
        sums.append(
            f"sum(CASE WHEN y.at >= :s{i} AND y.at < :u{i} AND (y.next_at IS NULL OR y.next_at >= :u{i}) "
            f"THEN 1 ELSE 0 END) AS q{i}"
        )
    hint = " INDEXED BY ix_deal_stage_history_closes" if tx.db.is_sqlite else ""
    # each close once (MATERIALIZED: its next row is looked up once, not once per history row joined)
    rows = tx.all(
        "WITH c AS MATERIALIZED (SELECT c.id, c.deal_id, c.status, c.changed_at, (SELECT n.changed_at "
        "FROM deal_stage_history n WHERE n.deal_id = c.deal_id AND n.changed_at >= c.changed_at "
        "AND (n.changed_at > c.changed_at OR n.id > c.id) ORDER BY n.changed_at LIMIT 1) AS next_at "
        f"FROM deal_stage_history c{hint} WHERE c.status IN ('won', 'lost') AND c.changed_at >= :lo "
        f"AND c.changed_at < :hi) SELECT y.stage_id, y.status, {', '.join(sums)} FROM (SELECT DISTINCT c.id, "
        "h.to_stage_id AS stage_id, c.status, c.changed_at AS at, c.next_at FROM c JOIN deal_stage_history h "
        "ON h.deal_id = c.deal_id WHERE h.changed_at <= c.changed_at AND h.to_stage_id IS NOT NULL) y "
        "GROUP BY y.stage_id, y.status",
        params,
    )
    return [
        _counts([{"stage_id": r["stage_id"], "status": r["status"], "n": r[f"q{i}"] or 0} for r in rows])
        for i in range(len(spans))
    ]


def _counts(rows: list[Any]) -> dict[int, tuple[int, int]]:
    out: dict[int, tuple[int, int]] = {}
    for r in rows:
        n = int(r["n"])
        if not n:
            continue
        won, closed_n = out.get(r["stage_id"], (0, 0))
        out[r["stage_id"]] = (won + (n if r["status"] == "won" else 0), closed_n + n)
    return out


def resolve_pipeline(tx: Tx, pipeline: str | int | None) -> int | None:
    """The id of ``--pipeline`` (None: every pipeline). The pipelines service is imported only when one is
    asked for: a report's command starts faster without it."""
    if pipeline is None:
        return None
    from tinycrm.services.sales import pipelines

    return pipelines.resolve_in(tx, pipeline)


def owner_filter(tx: Tx, owner: str | None) -> tuple[str, dict[str, Any]]:
    """`` AND d.owner_id = ...`` for ``--owner`` (the deals service's filter, imported only when one is given)."""
    if not owner:
        return "", {}
    from tinycrm.services.sales.deal_reads import owner_filter as deals_owner

    return deals_owner(tx, owner)


def _stages(tx: Tx, pipeline_id: int | None) -> list[Any]:
    where = "WHERE s.pipeline_id = :p " if pipeline_id is not None else ""
    return tx.all(
        "SELECT s.id, s.name, s.position, s.probability, p.name AS pipeline FROM stages s "
        f"JOIN pipelines p ON p.id = s.pipeline_id {where}ORDER BY p.position, p.id, s.position, s.id",
        {"p": pipeline_id},
    )


@dataclass(frozen=True)
class Moment:
    """When a report is computed as of: the day, the moment (its local midnight, or now when live)."""

    day: date
    at: datetime
    live: bool


def moment(as_of: str | date | None) -> Moment:
    day = as_of_day(as_of)
    if day is None:
        return Moment(clock.local_now().date(), clock.now(), True)
    return Moment(day, midnight(day), False)


def conversion(
    db: Database, *, pipeline: str | int | None = None, window: str | None = None, as_of: str | date | None = None,
    k: int | None = None,
) -> ConversionReport:  # fmt: skip
    """Learned against configured probability per stage (see the module's docstring)."""
    when = moment(as_of)
    since = window_start(when.day, window)
    kk = k_value(k)
    with db.read() as tx:
        pid = resolve_pipeline(tx, pipeline)
        counts = learned(tx, midnight(since), when.at, live=when.live)
        stages = _stages(tx, pid)
    out = []
    for s in stages:
        won, closed = counts.get(s["id"], (0, 0))
        blend, _ = probability("blend", int(s["probability"]), won, closed, kk)
        out.append(
            StageConversion(
                pipeline=s["pipeline"],
                stage=s["name"],
                stage_id=s["id"],
                position=int(s["position"]),
                configured_pct=int(s["probability"]),
                won=won,
                closed=closed,
                learned_pct=pct(Fraction(won, closed)) if closed else None,
                blend_pct=pct(blend),
            )  # fmt: skip
        )
    from tinycrm import config
    from tinycrm.config.leads import Forecast

    return ConversionReport(since, when.day, window or config.get(Forecast).window, kk, out)


def probabilities(
    tx: Tx, method: str, k: int, when: Moment, window: str | None, pipeline_id: int | None = None
) -> list[StageProbability]:
    counts = (
        learned(tx, midnight(window_start(when.day, window)), when.at, live=when.live)
        if method != "weighted"
        else {}
    )
    return probabilities_from(tx, method, k, counts, pipeline_id)


def probabilities_from(
    tx: Tx, method: str, k: int, counts: dict[int, tuple[int, int]], pipeline_id: int | None = None
) -> list[StageProbability]:
    out = []
    for s in _stages(tx, pipeline_id):
        won, closed = counts.get(s["id"], (0, 0))
        frac, source = probability(method, int(s["probability"]), won, closed, k)
        out.append(StageProbability(s["id"], s["name"], s["pipeline"], pct(frac), source, won, closed))
    return out


def fraction_of(p: StageProbability, method: str, k: int, configured: dict[int, int]) -> Fraction:
    return probability(method, configured[p.stage_id], p.won, p.closed, k)[0]


# --- open deals on a day ---------------------------------------------------------------------------------

#: a deal's expected close date on :until: the one a later change replaced, else today's
CLOSE_AS_OF = (
    "CASE WHEN EXISTS (SELECT 1 FROM deal_close_history ch WHERE ch.deal_id = d.id AND ch.changed_at >= :until) "
    "THEN (SELECT ch.old_close FROM deal_close_history ch WHERE ch.deal_id = d.id AND ch.changed_at >= :until "
    "ORDER BY ch.changed_at, ch.id LIMIT 1) ELSE d.expected_close END"
)


def open_deals_sql(live: bool, cond: str, *, quarter: bool = False, hint: str = "") -> str:
    """The open deals (on :until, unless ``live``) with their stage, expected close date, currency, value and
    category: a derived table ``x``. As of :until, the deals read are those that may be expected to close
    before :end then (today or by a later change's old date; ``quarter``: from :start on), each with its state
    (:func:`state_row`), close date (:data:`CLOSE_AS_OF`) and value, currency and category (:data:`VALUE_ROW`)
    on that day. ``hint``: an index hint for the deals when ``live``."""
    if live:
        return (
            "SELECT d.id, d.stage_id, d.expected_close AS close, d.currency, d.value_e4, d.forecast_category AS cat "
            f"FROM deals d{hint} WHERE d.status = 'open'{cond}"
        )

    def span(column: str) -> str:
        return (
            f"{column} >= :start AND {column} < :end" if quarter else f"({column} IS NULL OR {column} < :end)"
        )

    return (
        "SELECT y.id, s.to_stage_id AS stage_id, y.close, COALESCE(v.currency, y.currency) AS currency, "
        "COALESCE(v.value_e4, y.value_e4) AS value_e4, COALESCE(v.category, y.cat) AS cat FROM ("
        f"SELECT d.id, {CLOSE_AS_OF} AS close, d.currency, d.value_e4, d.forecast_category AS cat, "
        f"{state_row('d.id')} AS state_id, {VALUE_ROW} AS value_id FROM deals d "
        f"WHERE ({span('d.expected_close')} OR d.id IN (SELECT ch.deal_id FROM deal_close_history ch "
        f"WHERE ch.changed_at >= :until AND {span('ch.old_close')})){cond}"
        ") y JOIN deal_stage_history s ON s.id = y.state_id LEFT JOIN deal_value_history v ON v.id = y.value_id "
        "WHERE s.status = 'open'"
    )


def open_sums_sql(db: Database, live: bool, cond: str) -> str:
    """The open deals' count and value per close month (``earlier`` than :start, ``undated``) up to :end,
    currency, stage and category. Live and without a filter, all of it is in ``ix_deals_forecast_categories`` (SQLite would
    otherwise read the table)."""
    hint = " INDEXED BY ix_deals_forecast_categories" if db.is_sqlite and live and not cond else ""
    month = db.dialect.month("x.close")
    bucket = f"CASE WHEN x.close IS NULL THEN 'undated' WHEN x.close < :start THEN 'earlier' ELSE {month} END"
    return (
        f"SELECT {bucket} AS m, x.currency AS c, x.stage_id AS s, x.cat, count(*) AS n, "
        f"{exact_sum('x.value_e4', 'v')} FROM ({open_deals_sql(live, cond, hint=hint)}) x "
        "WHERE x.close IS NULL OR x.close < :end GROUP BY 1, 2, 3, 4"
    )


def won_sql(live: bool, cond: str) -> str:
    """Deals won in [:won_from, :until): their day of winning ``at``, currency and value (a derived table; as of
    :until, those whose state on that day is a win in the span, with their value then)."""
    if live:
        return (
            "SELECT d.closed_at AS at, d.currency, d.value_e4 FROM deals d WHERE d.status = 'won' "
            f"AND d.closed_at >= :won_from AND d.closed_at < :until{cond}"
        )
    return (
        "SELECT c.changed_at AS at, COALESCE(v.currency, d.currency) AS currency, "
        "COALESCE(v.value_e4, d.value_e4) AS value_e4 FROM deal_stage_history c JOIN deals d ON d.id = c.deal_id "
        f"LEFT JOIN deal_value_history v ON v.id = {VALUE_ROW} WHERE c.status IN ('won', 'lost') "
        f"AND c.changed_at >= :won_from AND c.changed_at < :until AND c.status = 'won' "
        f"AND c.id = {state_row('c.deal_id')}{cond}"
    )


def month_start(day: date, shift: int = 0) -> date:
    return shift_months(day.replace(day=1), shift)


def _e4(value: Fraction | int) -> int:
    return round(value) if isinstance(value, Fraction) else int(value)


def forecast(
    db: Database, *, method: str = "weighted", k: int | None = None, months: int = 6, as_of: str | date | None = None,
    owner: str | None = None, pipeline: str | int | None = None, window: str | None = None,
) -> MethodForecast:  # fmt: skip
    """Open value by expected close month and currency: per forecast category, and weighted by the method's
    stage probabilities; next to the value won in each month (up to the day, for ``as_of``)."""
    method_name(method)
    kk = k_value(k)
    if not 1 <= months <= 120:
        raise InvalidInput(f"--months must be between 1 and 120 (got {months})")
    when = moment(as_of)
    first = month_start(when.day)
    end = month_start(first, months)
    labels = [month_start(first, i).strftime("%Y-%m") for i in range(months)]
    with db.read() as tx:
        cond, params = owner_filter(tx, owner)
        pid = resolve_pipeline(tx, pipeline)
        if pid is not None:
            cond += " AND d.pipeline_id = :pipeline_id"
            params["pipeline_id"] = pid
        probs = probabilities(tx, method, kk, when, window, pid)
        configured = {r["id"]: int(r["probability"]) for r in tx.all("SELECT id, probability FROM stages")}
        open_rows = tx.all(
            open_sums_sql(tx.db, when.live, cond), {**params, "start": first, "end": end, "until": when.at}
        )
        month_won = tx.db.dialect.month("w.at")
        won_rows = tx.all(
            f"SELECT {month_won} AS m, w.currency AS c, count(*) AS n, {exact_sum('w.value_e4', 'v')} "
            f"FROM ({won_sql(when.live, cond)}) w GROUP BY 1, 2",
            {**params, "won_from": midnight(first), "until": when.at if not when.live else midnight(end)},
        )
    frac = {p.stage_id: fraction_of(p, method, kk, configured) for p in probs}
    acc: dict[tuple[str, str], list[Any]] = {}

    def slot(m: str, c: str) -> list[Any]:
        # won e4, won n, commit e4, best e4, pipeline e4, open n, weighted (fraction of e4)
        return acc.setdefault((m, c), [0, 0, 0, 0, 0, 0, Fraction(0)])

    for r in open_rows:
        a, v = slot(r["m"], r["c"]), summed(r, "v")
        a[2] += v if r["cat"] == "commit" else 0
        a[3] += v if r["cat"] in ("commit", "best-case") else 0
        a[4] += v
        a[5] += int(r["n"])
        a[6] += v * frac.get(r["s"], Fraction(configured.get(r["s"], 0), 100))
    for r in won_rows:
        a = slot(r["m"], r["c"])
        a[0] += summed(r, "v")
        a[1] += int(r["n"])

    def row(m: str, c: str) -> CategoryRow:
        a = acc.get((m, c)) or [0, 0, 0, 0, 0, 0, Fraction(0)]
        return CategoryRow(m, c, money(a[0], c), a[1], money(a[2], c), money(a[3], c), money(a[4], c), a[5],
                           money(_e4(a[6]), c))  # fmt: skip

    currencies = sorted({c for _, c in acc})
    in_window = sorted({c for (m, c) in acc if m in labels})
    return MethodForecast(
        method=method, k=kk, as_of=when.day, months=labels, currencies=currencies,
        rows=[row(m, c) for m in labels for c in in_window],
        earlier=[row("earlier", c) for c in currencies if ("earlier", c) in acc],
        undated=[row("undated", c) for c in currencies if ("undated", c) in acc],
        probabilities=probs, owner=owner,
    )  # fmt: skip
