"""The table of rate limits shared by every server process (:mod:`tinycrm.services.ratelimit`).

- ``rate_limit_hits``: how many attempts a key (a client address, a customer) made in one window of a limit
  (``bucket``: sign-ins per address, portal replies per customer or per address...). Windows are numbered
  from the epoch (``window_no`` = seconds since 1970 // the limit's window length); ``expires`` (epoch seconds)
  is when a row no longer counts for anything, and old rows are deleted through its index.

Not backed up nor copied by ``crm db copy`` (:data:`tinycrm.store.tables.SKIP`): the counts are worthless after
a few minutes, and carrying client addresses into backups would only keep personal data longer.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class RateLimitHit(SQLModel, table=True):
    __tablename__ = "rate_limit_hits"
    __table_args__ = (sa.Index("ix_rate_limit_hits_expires", "expires"),)
    bucket: str = Field(sa_column=sa.Column(sa.String(40), primary_key=True))
    #: the client address or the customer the attempts are counted for (at most 200 characters)
    key: str = Field(sa_column=sa.Column(sa.String(200), primary_key=True))
    window_no: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    hits: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    expires: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
