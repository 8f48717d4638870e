"""Sales KPIs since a day (``crm report kpis``), in total, per month and per owner.

- win rate: won / (won + lost), of the deals closed since the day;
- average won deal size, per currency; average sales cycle: days from created to won;
- sales velocity, per currency: open deals x average won size x win rate / average cycle (value per day);
- lead-to-deal conversion: of the leads that came in since the day, the share converted, and the average
  days from created to converted;
- close-date slips: changes of an expected close date to a later day since the day: how many, on how many
  deals, and by how many days on average;
- activity: interactions logged since the day, per deal they are about and per contact they involve.

Each figure is one aggregate in SQL; money stays in its currency.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from tinycrm.domain import clock
from tinycrm.domain.currencies import MINOR_UNITS, money
from tinycrm.domain.dates import parse_date
from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.kpis import KpiMonth, KpiReport, Kpis, MoneyFigure
from tinycrm.services.sales.forecasting import midnight, shift_months
from tinycrm.store.database import Database, Tx
from tinycrm.store.sql import exact_sum, summed

_TENTH = Decimal("0.1")


def _ratio(part: Any, whole: Any, scale: int = 100) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * scale / Decimal(whole)).quantize(_TENTH, rounding=ROUND_HALF_EVEN)


def _days(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(_TENTH, rounding=ROUND_HALF_EVEN)


def _in_units(amount: Decimal, code: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-MINOR_UNITS.get(code, 2)), rounding=ROUND_HALF_EVEN)


def _deal_figures(tx: Tx, p: dict[str, Any], cond: str) -> tuple[int, int, Any, list[Any], dict[str, int]]:
    cycle = tx.db.dialect.days_between("d.created_at", "d.closed_at")
    by_status = {
        r["status"]: (int(r["n"]), r["cycle"])
        for r in tx.all(
            f"SELECT d.status, count(*) AS n, avg({cycle}) AS cycle FROM deals d "
            f"WHERE d.status IN ('won', 'lost') AND d.closed_at >= :since{cond} GROUP BY d.status",
            p,
        )
    }
    won_rows = tx.all(
        f"SELECT d.currency AS c, count(*) AS n, {exact_sum('d.value_e4', 'v')} FROM deals d "
        f"WHERE d.status = 'won' AND d.closed_at >= :since{cond} GROUP BY d.currency ORDER BY d.currency",
        p,
    )
    open_n = {
        r["c"]: int(r["n"])
        for r in tx.all(
            f"SELECT d.currency AS c, count(*) AS n FROM deals d WHERE d.status = 'open'{cond} GROUP BY 1", p
        )
    }
    won, won_cycle = by_status.get("won", (0, None))
    lost = by_status.get("lost", (0, None))[0]
    return won, lost, won_cycle, won_rows, open_n


def figures(tx: Tx, since: date, owner_id: int | None, owner: str | None) -> Kpis:
    p: dict[str, Any] = {"since": midnight(since), "oid": owner_id}
    cond = " AND d.owner_id = :oid" if owner_id is not None else ""
    won, lost, won_cycle, won_rows, open_n = _deal_figures(tx, p, cond)
    rate = _ratio(won, won + lost)
    cycle = _days(won_cycle)
    averages, velocity = [], []
    for r in won_rows:
        code, n, total = r["c"], int(r["n"]), summed(r, "v")
        average = _in_units(Decimal(total) / 10000 / n, code)
        averages.append(MoneyFigure(code, average, n))
        if cycle and rate is not None:
            per_day = Decimal(open_n.get(code, 0)) * average * rate / 100 / cycle
            velocity.append(MoneyFigure(code, _in_units(per_day, code), open_n.get(code, 0)))
    lead_cond = " AND l.owner_id = :oid" if owner_id is not None else ""
    took = tx.db.dialect.days_between("l.created_at", "l.converted_at")
    leads = tx.one(
        "SELECT count(*) AS n, sum(CASE WHEN l.status = 'converted' THEN 1 ELSE 0 END) AS c, "
        f"avg(CASE WHEN l.status = 'converted' THEN {took} END) AS days FROM leads l WHERE l.created_at >= :since{lead_cond}",
        p,
    )
    moved = tx.db.dialect.days_between("ch.old_close", "ch.new_close")
    slips = tx.one(
        f"SELECT count(*) AS n, count(DISTINCT ch.deal_id) AS deals, avg({moved}) AS days FROM deal_close_history ch "
        "JOIN deals d ON d.id = ch.deal_id WHERE ch.changed_at >= :since AND ch.old_close IS NOT NULL "
        f"AND ch.new_close > ch.old_close{cond}",
        p,
    )
    act_cond = " AND i.owner_id = :oid" if owner_id is not None else ""
    acts = tx.one(
        "SELECT count(*) AS n, count(i.deal_id) AS with_deal, count(DISTINCT i.deal_id) AS deals FROM interactions i "
        f"WHERE i.happened_at >= :since{act_cond}",
        p,
    )
    people = tx.one(
        "SELECT count(*) AS n, count(DISTINCT ic.contact_id) AS contacts FROM interaction_contacts ic "
        f"JOIN interactions i ON i.id = ic.interaction_id WHERE i.happened_at >= :since{act_cond}",
        p,
    )
    assert leads is not None and slips is not None and acts is not None and people is not None
    return Kpis(
        owner=owner, won=won, lost=lost, win_rate_pct=rate, avg_won=averages, avg_cycle_days=cycle,
        open_deals=sum(open_n.values()), velocity=velocity, leads=int(leads["n"]), leads_converted=int(leads["c"] or 0),
        lead_conversion_pct=_ratio(leads["c"] or 0, leads["n"]), lead_conversion_days=_days(leads["days"]),
        slips=int(slips["n"]), slipped_deals=int(slips["deals"]), avg_slip_days=_days(slips["days"]),
        interactions=int(acts["n"]), activity_per_deal=_ratio(acts["with_deal"], acts["deals"], 1),
        activity_per_contact=_ratio(people["n"], people["contacts"], 1),
    )  # fmt: skip


def _months(tx: Tx, since: date, owner_id: int | None) -> list[KpiMonth]:
    p: dict[str, Any] = {"since": midnight(since), "oid": owner_id}
    cond = " AND d.owner_id = :oid" if owner_id is not None else ""
    month = tx.db.dialect.month("d.closed_at")
    closed = tx.all(
        f"SELECT {month} AS m, d.status, d.currency AS c, count(*) AS n, {exact_sum('d.value_e4', 'v')} FROM deals d "
        f"WHERE d.status IN ('won', 'lost') AND d.closed_at >= :since{cond} GROUP BY 1, 2, 3",
        p,
    )
    imonth = tx.db.dialect.month("i.happened_at")
    act_cond = " AND i.owner_id = :oid" if owner_id is not None else ""
    acts = {
        r["m"]: int(r["n"])
        for r in tx.all(
            f"SELECT {imonth} AS m, count(*) AS n FROM interactions i WHERE i.happened_at >= :since{act_cond} GROUP BY 1",
            p,
        )
    }
    today = clock.local_now().date()
    labels, day = [], since.replace(day=1)
    while day <= today:
        labels.append(day.strftime("%Y-%m"))
        day = shift_months(day, 1)
    out = []
    for m in labels:
        rows = [r for r in closed if r["m"] == m]
        won = [r for r in rows if r["status"] == "won"]
        out.append(
            KpiMonth(
                m,
                sum(int(r["n"]) for r in won),
                sum(int(r["n"]) for r in rows if r["status"] == "lost"),
                [
                    MoneyFigure(r["c"], money(summed(r, "v"), r["c"]), int(r["n"]))
                    for r in sorted(won, key=lambda r: r["c"])
                ],
                acts.get(m, 0),
            )
        )
    return out


def kpis(db: Database, *, since: str | date | None = None, owner: str | None = None) -> KpiReport:
    """The KPIs since ``since`` (default: 12 months before today); with several users and no ``owner``, one
    set per owner of deals too."""
    today = clock.local_now().date()
    day = parse_date(since, what="--since") if since else shift_months(today, -12)
    assert day is not None
    if day > today:
        raise InvalidInput(f"--since {day} is in the future; give today or a day before it")
    with db.read() as tx:
        owner_id = None
        if owner:
            owner_id = tx.scalar("SELECT id FROM users WHERE name = :n", {"n": owner})
            if owner_id is None:
                raise InvalidInput(
                    f"no user named {owner!r}", hint="list them with: crm user list", field="owner"
                )
        total = figures(tx, day, owner_id, owner)
        months = _months(tx, day, owner_id)
        owners: list[Kpis] = []
        if owner is None and int(tx.scalar("SELECT count(*) FROM users")) > 1:
            for r in tx.all(
                "SELECT u.id, u.name FROM users u WHERE EXISTS (SELECT 1 FROM deals d WHERE d.owner_id = u.id) "
                "ORDER BY u.name"
            ):
                owners.append(figures(tx, day, int(r["id"]), r["name"]))
    return KpiReport(day, total, months, owners)
