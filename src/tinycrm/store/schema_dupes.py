"""The tables of duplicate handling: pairs of contacts a person said are not the same (``crm duplicates
dismiss``), and each merge with what it changed, so that it can be undone (``crm merge undo``).

Imported from the end of :mod:`tinycrm.store.schema`, so that migrations, the table walker and tests see it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tinycrm.store.schema import IDS_NEVER_REUSED, _ts


class DuplicateDismissal(SQLModel, table=True):
    """Two contacts that are not the same person: ``crm duplicates`` no longer lists the pair. The lower id
    first; gone with either contact."""

    __tablename__ = "duplicate_dismissals"
    low_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    )
    high_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    user_name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    created_at: datetime = Field(sa_column=_ts())


class ContactMerge(SQLModel, table=True):
    """One merge of OTHER into KEEP, and what it changed: the rows of every table that refer to either
    contact, as they were before and as the merge left them (JSON), so that ``crm merge undo`` can put them
    back, and can tell whether anything changed since. The ids are not foreign keys: the record outlives
    OTHER (deleted by the merge) and tells that KEEP is gone."""

    __tablename__ = "contact_merges"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    keep_id: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, index=True))
    other_id: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, index=True))
    keep_name: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    other_name: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    user_name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    merged_at: datetime = Field(sa_column=_ts(index=True))
    #: JSON: {"before": {table: [row...]}, "after": {table: [row...]}}
    state: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    undone_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    undone_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
