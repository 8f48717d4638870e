"""What backtests of forecasts read: a deal's value, currency and forecast category before each change of
them, and the indexes that find each deal's state on a past day.

Imported from the end of :mod:`tinycrm.store.schema`, so that migrations, the table walker and tests see them.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tinycrm.store.schema import IDS_NEVER_REUSED, DealStageChange, _fk, _partial, _ts


class DealValueChange(SQLModel, table=True):
    """A deal's value, currency and forecast category as they were before a change of any of them (the change
    made at ``changed_at``): its values on a past day are those of its first change after that day, else
    today's. Written with the change (services/sales/deals.py); filled from the audit log on upgrade."""

    __tablename__ = "deal_value_history"
    __table_args__ = (sa.Index("ix_deal_value_history_deal", "deal_id", "changed_at"), IDS_NEVER_REUSED)
    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(sa_column=_fk("deals.id", "CASCADE", nullable=False, index=False))
    #: value x 10 000, before the change
    value_e4: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    currency: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    category: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    changed_at: datetime = Field(sa_column=_ts())


_history = DealStageChange.__table__  # type: ignore[attr-defined]
#: a deal's state on a day: its last history row before it, the latest (changed_at, id), read from the index alone
sa.Index(
    "ix_deal_stage_history_as_of",
    _history.c.deal_id,
    _history.c.changed_at,
    _history.c.id,
    _history.c.status,
    _history.c.to_stage_id,
)
#: the wins and losses, by when they happened: the deals closed within a window
sa.Index(
    "ix_deal_stage_history_closes",
    _history.c.changed_at,
    _history.c.deal_id,
    _history.c.status,
    **_partial("status IN ('won', 'lost')"),
)
