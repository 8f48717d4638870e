"""The customer portal's table: ``portal_access``, one row per contact whose portal links were revoked.

A portal link carries the contact's generation as it was when the link was made (0 for a contact without a
row); revoking bumps it, so every link made before stops working. ``crm portal revoke --all`` bumps every
contact's.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tinycrm.store.schema import _ts


class PortalAccess(SQLModel, table=True):
    __tablename__ = "portal_access"
    contact_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    )
    #: links made with another generation do not open the portal
    generation: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    revoked_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
