"""Forecasts and KPIs learned from the deals' own history: read models; no I/O. Money is per currency."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

METHODS = ("weighted", "historical", "blend")


@dataclass(frozen=True, slots=True)
class StageConversion:
    """One stage: of the deals that were in it and closed within the window, how many were won."""

    pipeline: str
    stage: str
    stage_id: int
    position: int
    #: the probability typed in for the stage, in %
    configured_pct: int
    won: int
    closed: int
    #: won / closed in %, one decimal (None without closed deals)
    learned_pct: Decimal | None
    #: (won + k x configured) / (closed + k) in %, one decimal
    blend_pct: Decimal


@dataclass(frozen=True, slots=True)
class ConversionReport:
    #: the closing window: deals closed from ``since`` (inclusive) to ``until`` (exclusive)
    since: date
    until: date
    window: str
    k: int
    stages: list[StageConversion]


@dataclass(frozen=True, slots=True)
class StageProbability:
    """The probability a forecast used for a stage, and where it came from."""

    stage_id: int
    stage: str
    pipeline: str
    pct: Decimal
    #: configured, learned, blend, or configured (no history) for ``historical`` without closed deals
    source: str
    won: int = 0
    closed: int = 0


@dataclass(frozen=True, slots=True)
class CategoryRow:
    """One month and currency: value won, and the open value by forecast category (commit is inside best case,
    best case inside pipeline), and the open value weighted by the method's stage probabilities."""

    month: str
    currency: str
    won: Decimal
    won_count: int
    commit: Decimal
    best_case: Decimal
    pipeline: Decimal
    open_count: int
    weighted: Decimal


@dataclass(frozen=True, slots=True)
class MethodForecast:
    method: str
    k: int
    #: the day the forecast is computed as of (today, or ``--as-of``)
    as_of: date
    months: list[str]
    currencies: list[str]
    rows: list[CategoryRow]
    #: open deals expected before the first month, and without a date, per currency
    earlier: list[CategoryRow]
    undated: list[CategoryRow]
    probabilities: list[StageProbability]
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class AccuracyRow:
    """One past quarter, currency and method: what was forecast on the quarter's first day for the deals
    expected to close in it, against what was won in it."""

    quarter: str
    currency: str
    method: str
    forecast: Decimal
    actual: Decimal
    #: (forecast - actual) / actual in % (None when nothing was won)
    error_pct: Decimal | None


@dataclass(frozen=True, slots=True)
class AccuracyReport:
    quarters: list[str]
    k: int
    rows: list[AccuracyRow]
    #: per currency, the method with the smallest mean absolute error over the quarters
    best: dict[str, str] = field(default_factory=dict)
