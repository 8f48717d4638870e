"""The table of double opt-in web forms (``crm form add --double-opt-in``): each post waiting for its
confirmation, with the state of the one confirmation mail it gets.

Imported from the end of :mod:`tinycrm.store.schema`, so that migrations, the table walker and tests see it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tinycrm.store.schema import IDS_NEVER_REUSED, _partial, _ts


class FormOptin(SQLModel, table=True):
    """One post of a double opt-in form: what it said (not a lead yet), the secret that signs its confirmation
    link, and its mail: ``queued`` -> ``sending`` -> ``sent`` (or ``failed`` for good)."""

    __tablename__ = "web_form_optins"
    __table_args__ = (
        sa.Index("ix_web_form_optins_due", "next_at", "id", **_partial("state IN ('queued', 'sending')")),
        sa.Index("ix_web_form_optins_address", "form_id", "address_key"),
        IDS_NEVER_REUSED,
    )
    id: int | None = Field(default=None, primary_key=True)
    form_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("web_forms.id", ondelete="CASCADE"), nullable=False)
    )
    #: the address the confirmation goes to, lower-cased
    address_key: str = Field(sa_column=sa.Column(sa.String(320), nullable=False))
    #: JSON: the form's fields as posted (only those the form takes), until the lead is made
    data: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    #: signs the confirmation link (itsdangerous); random per post
    secret: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    #: where the server was reached, for the link (``https://crm.example.com``)
    link_base: str = Field(sa_column=sa.Column(sa.String(2000), nullable=False))
    #: the mail: queued, sending, sent, failed
    state: str = Field(sa_column=sa.Column(sa.String(10), nullable=False, server_default="queued"))
    attempts: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    next_at: datetime = Field(sa_column=_ts())
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_at: datetime = Field(sa_column=_ts(index=True))
    confirmed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    #: the lead the confirmation made
    lead_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("leads.id", ondelete="SET NULL"), nullable=True),
    )
