"""KPIs of the sales side (win rate, deal size, cycle, velocity, lead conversion, slips, activity): read models;
no I/O. Money is per currency. Apart from :mod:`tinycrm.domain.forecasting`, so that a forecast's command does
not pay for building these classes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class MoneyFigure:
    currency: str
    value: Decimal
    count: int = 0


@dataclass(frozen=True, slots=True)
class KpiMonth:
    month: str
    won: int
    lost: int
    won_value: list[MoneyFigure]
    interactions: int


@dataclass(frozen=True, slots=True)
class Kpis:
    """The KPIs of deals closed (and activity) since a day; ``owner`` None: everyone's."""

    owner: str | None
    won: int
    lost: int
    win_rate_pct: Decimal | None
    avg_won: list[MoneyFigure]
    avg_cycle_days: Decimal | None
    open_deals: int
    #: per currency: open deals x average won size x win rate / cycle days (value per day)
    velocity: list[MoneyFigure]
    leads: int
    leads_converted: int
    lead_conversion_pct: Decimal | None
    lead_conversion_days: Decimal | None
    #: expected close dates moved later: how often, on how many deals, by how many days on average
    slips: int
    slipped_deals: int
    avg_slip_days: Decimal | None
    interactions: int
    activity_per_deal: Decimal | None
    activity_per_contact: Decimal | None


@dataclass(frozen=True, slots=True)
class KpiReport:
    since: date
    total: Kpis
    months: list[KpiMonth]
    #: one entry per owner (team mode: more than one user), each figure as in ``total``
    owners: list[Kpis]
