"""The tables of leads, and of what forecasts learn from: expected close date changes.

Imported from the end of :mod:`tinycrm.store.schema`, so that migrations, the table walker and tests see them.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tinycrm.store.schema import IDS_NEVER_REUSED, _fk, _partial, _ts, _version


class Lead(SQLModel, table=True):
    __tablename__ = "leads"
    __table_args__ = (
        # the inbox: by status, then score or age (both list orders page in the index)
        sa.Index("ix_leads_status_score", "status", "score", "id"),
        sa.Index("ix_leads_status_created", "status", "created_at", "id"),
        # new leads nobody answered yet: found by when they were last touched
        sa.Index("ix_leads_untouched", "status", "touched_at", **_partial("status = 'new'")),
        IDS_NEVER_REUSED,
    )
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(sa_column=sa.Column(sa.String(100), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(400), nullable=False))
    email: str | None = Field(default=None, sa_column=sa.Column(sa.String(320)))
    #: the address lower-cased: duplicates are found through it
    email_key: str | None = Field(default=None, sa_column=sa.Column(sa.String(320), index=True))
    phone: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
    company_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(300)))
    title: str | None = Field(default=None, sa_column=sa.Column(sa.String(300)))
    #: web, referral, event, import, mail, other, or free text
    source: str = Field(sa_column=sa.Column(sa.String(50), nullable=False, server_default="other"))
    source_detail: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))
    #: new, contacted, qualified, converted, disqualified
    status: str = Field(sa_column=sa.Column(sa.String(20), nullable=False, server_default="new"))
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    value_e4: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    currency: str | None = Field(default=None, sa_column=sa.Column(sa.String(3)))
    notes: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    score: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    #: an existing contact this lead is about (a known person with a new interest)
    contact_id: int | None = Field(default=None, sa_column=_fk("contacts.id", "SET NULL"))
    #: what converting made of it
    converted_contact_id: int | None = Field(default=None, sa_column=_fk("contacts.id", "SET NULL"))
    converted_company_id: int | None = Field(default=None, sa_column=_fk("companies.id", "SET NULL"))
    converted_deal_id: int | None = Field(default=None, sa_column=_fk("deals.id", "SET NULL"))
    converted_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    owner_id: int | None = Field(default=None, sa_column=_fk("users.id", "SET NULL"))
    created_at: datetime = Field(sa_column=_ts())
    updated_at: datetime = Field(sa_column=_ts())
    #: the last time someone did something about the lead (an edit, a status, an interaction)
    touched_at: datetime = Field(sa_column=_ts())
    version: int = Field(sa_column=_version())


class LeadTag(SQLModel, table=True):
    __tablename__ = "lead_tags"
    lead_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    )
    tag_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )


class LeadField(SQLModel, table=True):
    __tablename__ = "lead_fields"
    lead_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    )
    key: str = Field(sa_column=sa.Column(sa.String(200), primary_key=True))
    value: str = Field(sa_column=sa.Column(sa.Text, nullable=False))


class LeadInteraction(SQLModel, table=True):
    __tablename__ = "lead_interactions"
    lead_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    )
    interaction_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )


class LeadAssignment(SQLModel, table=True):
    """Round-robin assignment: the user each role handed its last lead to."""

    __tablename__ = "lead_assignments"
    role: str = Field(sa_column=sa.Column(sa.String(20), primary_key=True))
    last_user_id: int | None = Field(default=None, sa_column=_fk("users.id", "SET NULL", index=False))


class DealCloseChange(SQLModel, table=True):
    """Every change of a deal's expected close date: close-date slips, and forecasts as of a past day."""

    __tablename__ = "deal_close_history"
    __table_args__ = (sa.Index("ix_deal_close_history_deal", "deal_id", "changed_at"), IDS_NEVER_REUSED)
    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(sa_column=_fk("deals.id", "CASCADE", nullable=False, index=False))
    old_close: date | None = Field(default=None, sa_column=sa.Column(sa.Date))
    new_close: date | None = Field(default=None, sa_column=sa.Column(sa.Date))
    changed_at: datetime = Field(sa_column=_ts(index=True))


# --- what the forecasts add to the sales tables -----------------------------------------------------------

from tinycrm.store.schema import Deal, DealStageChange  # noqa: E402

#: a deal's forecast category: pipeline (default), best-case or commit (``crm deal edit --category``)
Deal.__table__.append_column(  # type: ignore[attr-defined]
    sa.Column("forecast_category", sa.String(20), nullable=False, server_default="pipeline")
)
_deals = Deal.__table__  # type: ignore[attr-defined]
#: the closed deals in id order: each joined to its stage history without reading the deal rows (the learned
#: conversion of services/sales/forecasting.py)
sa.Index(
    "ix_deals_closed_ids",
    _deals.c.id,
    _deals.c.status,
    _deals.c.closed_at,
    **_partial("status IN ('won', 'lost')"),
)
#: what a forecast by method sums of the deals by status and expected close, read from the index alone
#: (ix_deals_forecast, which the weighted forecast of services/sales/reports.py reads, has no forecast category)
sa.Index(
    "ix_deals_forecast_categories",
    _deals.c.status,
    _deals.c.expected_close,
    _deals.c.currency,
    _deals.c.stage_id,
    _deals.c.forecast_category,
    _deals.c.value_e4,
)
#: the stage history read by deal and stage (which stages each deal was in, read in order without sorting), and
#: holding when and what status (each deal's state on a past day, read from the index alone)
sa.Index(
    "ix_deal_stage_history_stages",
    DealStageChange.__table__.c.deal_id,  # type: ignore[attr-defined]
    DealStageChange.__table__.c.to_stage_id,  # type: ignore[attr-defined]
    DealStageChange.__table__.c.changed_at,  # type: ignore[attr-defined]
    DealStageChange.__table__.c.status,  # type: ignore[attr-defined]
)
