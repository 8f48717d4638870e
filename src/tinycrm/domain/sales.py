"""Read models and inputs of the sales side (pipelines, stages, deals, reports), and money.

Plain dataclasses like :mod:`tinycrm.domain.people`, serialised with :func:`tinycrm.domain.people.to_json` (a ``Decimal``
becomes a string, so amounts stay exact in JSON).

Money is stored as ``value_e4`` (the amount x 10 000, an integer) beside an ISO 4217 code. Amounts are parsed
with :class:`decimal.Decimal`, never through a float, and amounts in different currencies are never added up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from tinycrm.domain.currencies import CURRENCIES, money
from tinycrm.domain.currencies import MINOR_UNITS as MINOR_UNITS
from tinycrm.domain.errors import InvalidInput

DEAL_STATUSES = ("open", "won", "lost")

#: the largest deal value accepted (sums of many deals must still fit a 64-bit integer of ten-thousandths)
MAX_VALUE = Decimal("1000000000000")

_E4 = Decimal(10000)
_AMOUNT = re.compile(r"^\d+(\.\d*)?$|^\.\d+$")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$")


def currency(value: str | None) -> str:
    """An ISO 4217 code, upper-cased; :class:`InvalidInput` for anything else."""
    code = (value or "").strip().upper()
    hint = "a three-letter ISO 4217 code such as EUR, USD, GBP or JPY"
    if not code:
        raise InvalidInput(
            'currency: none given for the value, and no default is set ([sales] currency = "EUR" in the '
            f"config file); give {hint}",
            hint=" (--currency EUR)",
            field="currency",
        )
    if code not in CURRENCIES:
        raise InvalidInput(f"currency: {value!r} is not {hint}", field="currency")
    return code


def parse_amount(value: str | int | Decimal | None, what: str = "value") -> Decimal:
    """An exact, non-negative amount: ``5000``, ``5000.50``, ``5 000``, ``5_000``, ``5,000.50``. Never a float."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal(0)
    if isinstance(value, float):
        raise InvalidInput(f"{what}: give the amount as text or a Decimal, not a float", field=what)
    if isinstance(value, bool):
        raise InvalidInput(f"{what}: {value!r} is not an amount", field=what)
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    else:
        text = value.strip().replace("_", "").replace(" ", "").replace("\u00a0", "")
        sign = ""
        if text[:1] in ("+", "-"):  # text may be empty: "_" is only a separator
            sign, text = text[0], text[1:]
        if _GROUPED.match(text):
            text = text.replace(",", "")
        if not _AMOUNT.match(text):
            raise InvalidInput(
                f"{what}: {value.strip()!r} is not an amount; write digits with a '.' for decimals, e.g. 5000 or "
                "1234.50",
                field=what,
            )
        try:
            amount = Decimal(sign + text)
        except InvalidOperation:  # pragma: no cover - the pattern above rules this out
            raise InvalidInput(f"{what}: {value!r} is not an amount", field=what) from None
    if not amount.is_finite():
        raise InvalidInput(f"{what}: {value!r} is not an amount", field=what)
    if amount < 0:
        raise InvalidInput(f"{what}: {value} is negative; a deal's value is 0 or more", field=what)
    if amount >= MAX_VALUE:
        raise InvalidInput(f"{what}: {value} is too large; at most {MAX_VALUE - 1:,} is accepted", field=what)
    if amount != amount.quantize(Decimal("0.0001")):
        raise InvalidInput(f"{what}: {value} has more than 4 decimal places; round it", field=what)
    return amount


def to_e4(amount: Decimal) -> int:
    return int(amount * _E4)


def weighted(value_e4_sum: int, probability: int, code: str) -> Decimal:
    """``value x probability %`` exactly (``value_e4 x percent`` has six decimal places)."""
    return money(int(value_e4_sum) * int(probability), code, scale=6)


# --- pipelines ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StageRead:
    id: int
    name: str
    #: 0-based order within the pipeline
    position: int
    #: win probability, 0-100 (%)
    probability: int
    #: a deal idle in this stage for longer than this many days is "rotting" (None: never)
    idle_days: int | None
    #: deals in this stage, whatever their status (a stage that holds deals cannot be removed)
    deals: int
    #: of those, the open ones
    open_deals: int = 0


@dataclass(frozen=True, slots=True)
class PipelineRead:
    id: int
    name: str
    position: int
    stages: list[StageRead]

    def stage(self, stage_id: int) -> StageRead | None:
        return next((s for s in self.stages if s.id == stage_id), None)


# --- deals ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DealRef:
    """A deal named in a list of candidates (``crm`` prints ``id<TAB>name``)."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class DealSummary:
    """A row of a deal list or of a board column."""

    id: int
    title: str
    value: Decimal
    currency: str
    stage: str
    stage_id: int
    pipeline: str
    status: str
    company: str | None
    contacts: list[str]
    expected_close: date | None
    owner: str | None
    #: open, and in its stage longer than the stage's idle threshold or with an overdue next step
    idle: bool
    days_in_stage: int
    next_step: str | None
    next_step_due: date | None
    #: why the deal is idle ("14 days in Lead (limit 10)", "next step overdue since 2026-03-01"), or None
    idle_reason: str | None = None
    #: pipeline, best-case or commit (``crm deal edit --category``)
    forecast_category: str = "pipeline"


@dataclass(frozen=True, slots=True)
class DealRead:
    id: int
    uid: str
    title: str
    value: Decimal
    currency: str
    #: value x the stage's probability
    weighted: Decimal
    pipeline: str
    pipeline_id: int
    stage: str
    stage_id: int
    probability: int
    status: str
    lost_reason: str | None
    expected_close: date | None
    next_step: str | None
    next_step_due: date | None
    company: str | None
    company_id: int | None
    contacts: list[DealRef]
    owner: str | None
    created_at: datetime
    updated_at: datetime
    stage_entered_at: datetime
    closed_at: datetime | None
    days_in_stage: int
    idle: bool
    idle_reason: str | None
    version: int
    #: pipeline, best-case or commit (``crm deal edit --category``)
    forecast_category: str = "pipeline"


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One event in a deal's life: a stage change, a win or loss, or a linked interaction."""

    at: datetime
    #: created, moved, won, lost, reopened, or an interaction kind (call, email, meeting...)
    kind: str
    summary: str
    user: str | None = None
    interaction_id: int | None = None


@dataclass
class DealInput:
    """A new deal. ``contact_ids`` / ``company_id`` name existing records (resolve references first);
    ``pipeline`` and ``stage`` are names or ids (default: the first pipeline, its first stage);
    ``value`` is exact text or a Decimal; ``currency`` an ISO 4217 code (default: ``[sales] currency`` in the
    config file)."""

    title: str
    value: str | Decimal | int | None = None
    currency: str | None = None
    contact_ids: list[int] = field(default_factory=list)
    company_id: int | None = None
    pipeline: str | None = None
    stage: str | int | None = None
    expected_close: str | date | None = None
    owner: str | None = None
    next_step: str | None = None
    next_step_due: str | date | None = None
    uid: str | None = None


# --- boards and reports ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoardColumn:
    stage: StageRead
    #: open deals in the stage, soonest expected close first (at most the board's limit)
    deals: list[DealSummary]
    #: open deals in the stage
    count: int
    #: open deals not in ``deals`` (beyond the limit)
    more: int
    #: open value per currency
    totals: dict[str, Decimal]
    #: open value x the stage's probability, per currency
    weighted: dict[str, Decimal]
    #: open deals per currency
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Board:
    pipeline: PipelineRead
    columns: list[BoardColumn]
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class ForecastRow:
    #: ``YYYY-MM``; ``earlier`` for open deals expected to close before the first month, ``undated`` for open
    #: deals without an expected close date
    month: str
    currency: str
    #: open deals expected to close in the month
    open_count: int
    open_value: Decimal
    #: their value x their stage's probability
    weighted: Decimal
    #: deals won (closed) in the month
    won_count: int
    won: Decimal


@dataclass(frozen=True, slots=True)
class Forecast:
    months: list[str]
    currencies: list[str]
    #: one row per month and currency (every currency present in the forecast, zeros included), by month
    rows: list[ForecastRow]
    #: open deals expected before the first month (overdue), per currency
    earlier: list[ForecastRow]
    #: open deals without an expected close date, per currency
    undated: list[ForecastRow]
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class StageReport:
    stage: str
    stage_id: int
    position: int
    probability: int
    #: open deals in the stage now
    open_count: int
    open_value: dict[str, Decimal]
    weighted: dict[str, Decimal]
    #: deals that reached this stage or a later one (from the stage history)
    reached: int
    #: of those, how many reached the next stage (for the last stage: were won); None when none reached this
    conversion_pct: Decimal | None
    #: deals that reached this stage and were won in the end
    won: int
    #: won / reached, in %
    win_pct: Decimal | None


@dataclass(frozen=True, slots=True)
class PipelineReport:
    pipeline: str
    stages: list[StageReport]
    #: deals ever in the pipeline (from the history), won and lost among them
    deals: int
    won: int
    lost: int
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class CurrencyAmount:
    currency: str
    count: int
    total: Decimal
    average: Decimal


@dataclass(frozen=True, slots=True)
class ReasonCount:
    reason: str
    count: int


@dataclass(frozen=True, slots=True)
class WinsReport:
    #: closed since this day (None: ever)
    since: date | None
    won: int
    lost: int
    #: won / (won + lost), in %; None when nothing closed
    win_rate_pct: Decimal | None
    #: won deals per currency: how many, their sum and their average size
    won_value: list[CurrencyAmount]
    #: average days from created to closed, over won deals (None when none)
    avg_cycle_days: Decimal | None
    #: the same over lost deals
    avg_cycle_days_lost: Decimal | None
    #: lost reasons, most frequent first
    lost_reasons: list[ReasonCount]
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class ActivityWeek:
    #: the Monday that starts the week (UTC), ``YYYY-MM-DD``
    week: str
    counts: dict[str, int]
    total: int


@dataclass(frozen=True, slots=True)
class ActivityReport:
    kinds: list[str]
    weeks: list[ActivityWeek]
    owner: str | None = None
