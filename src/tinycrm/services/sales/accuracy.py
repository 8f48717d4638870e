"""How good each forecast method would have been: ``crm report accuracy --quarters N``.

For each of the last N whole quarters: on the quarter's first day (as of its local midnight), the forecast
of each method for the deals then open and expected to close within the quarter (their value and currency of
that day x the stage's probability, learned from what had closed by that day); against the value actually won
in the quarter (at the won deals' values today). The
error is (forecast - actual) / actual. Per currency; the best method per currency has the smallest mean
absolute error.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from tinycrm.domain import clock
from tinycrm.domain.currencies import money
from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.forecasting import METHODS, AccuracyReport, AccuracyRow
from tinycrm.services.sales.forecasting import (
    fraction_of,
    k_value,
    learned_as_of,
    midnight,
    month_start,
    open_deals_sql,
    owner_filter,
    probabilities_from,
    window_start,
)
from tinycrm.store.database import Database
from tinycrm.store.sql import exact_sum, summed

_TENTH = Decimal("0.1")


def quarters_before(today: date, n: int) -> list[tuple[date, date]]:
    """The last ``n`` whole quarters before the one ``today`` is in, oldest first: (first day, next first day)."""
    this = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    out = []
    for i in range(n, 0, -1):
        start = month_start(this, -3 * i)
        out.append((start, month_start(start, 3)))
    return out


def label(start: date) -> str:
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def accuracy(
    db: Database,
    *,
    quarters: int = 4,
    k: int | None = None,
    owner: str | None = None,
    window: str | None = None,
) -> AccuracyReport:
    if not 1 <= quarters <= 40:
        raise InvalidInput(f"--quarters must be between 1 and 40 (got {quarters})")
    kk = k_value(k)
    spans = quarters_before(clock.local_now().date(), quarters)
    rows: list[AccuracyRow] = []
    with db.read() as tx:
        cond, params = owner_filter(tx, owner)
        configured = {r["id"]: int(r["probability"]) for r in tx.all("SELECT id, probability FROM stages")}
        # what had closed by each quarter's first day: one read of the wins and losses for every quarter
        learned = learned_as_of(tx, [(midnight(window_start(s, window)), midnight(s)) for s, _ in spans])
        for (start, end), counts in zip(spans, learned, strict=True):
            open_rows = tx.all(
                f"SELECT x.currency AS c, x.stage_id, count(*) AS n, {exact_sum('x.value_e4', 'v')} "
                f"FROM ({open_deals_sql(False, cond, quarter=True)}) x WHERE x.close >= :start AND x.close < :end "
                "GROUP BY x.currency, x.stage_id",
                {**params, "until": midnight(start), "start": start, "end": end},
            )
            won = {
                r["c"]: summed(r, "v")
                for r in tx.all(
                    f"SELECT d.currency AS c, {exact_sum('d.value_e4', 'v')} FROM deals d WHERE d.status = 'won' "
                    f"AND d.closed_at >= :s AND d.closed_at < :e{cond} GROUP BY d.currency",
                    {**params, "s": midnight(start), "e": midnight(end)},
                )
            }
            codes = sorted({r["c"] for r in open_rows} | set(won))
            stages = probabilities_from(tx, "blend", kk, counts)  # with each stage's wins and closed deals
            for method in METHODS:
                probs = {p.stage_id: fraction_of(p, method, kk, configured) for p in stages}
                for code in codes:
                    total = sum(
                        (
                            summed(r, "v") * probs.get(r["stage_id"], Fraction(0))
                            for r in open_rows
                            if r["c"] == code
                        ),
                        Fraction(0),
                    )
                    actual = won.get(code, 0)
                    error = None
                    if actual:
                        error = (Decimal(round(total) - actual) * 100 / Decimal(actual)).quantize(
                            _TENTH, rounding=ROUND_HALF_EVEN
                        )
                    rows.append(AccuracyRow(label(start), code, method, money(round(total), code),
                                            money(actual, code), error))  # fmt: skip
    return AccuracyReport([label(s) for s, _ in spans], kk, rows, _best(rows))


def _best(rows: list[AccuracyRow]) -> dict[str, str]:
    errors: dict[str, dict[str, list[Decimal]]] = {}
    for r in rows:
        if r.error_pct is not None:
            errors.setdefault(r.currency, {}).setdefault(r.method, []).append(abs(r.error_pct))
    return {
        code: min(per, key=lambda m: (sum(per[m]) / len(per[m]), METHODS.index(m)))
        for code, per in sorted(errors.items())
    }
