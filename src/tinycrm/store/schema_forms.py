"""The tables of web forms (``crm form``, ``/f/KEY`` of ``crm serve``): the forms, and when each address last
posted one (for the per-address rate limit).

Imported from the end of :mod:`tinycrm.store.schema`, so that migrations, the table walker and tests see them.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tinycrm.store.schema import IDS_NEVER_REUSED, _ts


class WebForm(SQLModel, table=True):
    __tablename__ = "web_forms"
    __table_args__ = (IDS_NEVER_REUSED,)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False, unique=True))
    #: the random part of the public address /f/KEY
    key: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    #: JSON list of the fields the form takes
    fields: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    #: where the browser goes after a submission (none: a thank-you page)
    redirect: str | None = Field(default=None, sa_column=sa.Column(sa.String(2000)))
    #: JSON list of tags every lead from the form gets
    tags: str = Field(sa_column=sa.Column(sa.Text, nullable=False, server_default="[]"))
    created_at: datetime = Field(sa_column=_ts())
    #: a post becomes a lead only once its address confirms it (schema_forms_optin)
    double_opt_in: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )


class FormPost(SQLModel, table=True):
    """One accepted submission: which form, a hash of the sending address, when. Kept a day, for the limit."""

    __tablename__ = "web_form_posts"
    __table_args__ = (sa.Index("ix_web_form_posts_sender", "form_id", "sender", "at"), IDS_NEVER_REUSED)
    id: int | None = Field(default=None, primary_key=True)
    form_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("web_forms.id", ondelete="CASCADE"), nullable=False)
    )
    sender: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    at: datetime = Field(sa_column=_ts(index=True))
