"""The tables of mail coming in: which messages were handled (so none is handled twice), and how far each IMAP
folder was read (``crm mail fetch``)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tinycrm.store.schema import IDS_NEVER_REUSED, _ts


class MailMessage(SQLModel, table=True):
    """One incoming message the pipeline handled (or counted as ignored), by its Message-ID."""

    __tablename__ = "mail_messages"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    #: without ``<>``; synthesised from a hash of the raw bytes when the message has none
    message_id: str = Field(sa_column=sa.Column(sa.String(998), nullable=False, unique=True))
    #: what it became: ``interaction``, ``ticket.new``, ``bounce``, ... or ``ignored``
    kind: str = Field(sa_column=sa.Column(sa.String(50), nullable=False))
    subject: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))
    from_address: str | None = Field(default=None, sa_column=sa.Column(sa.String(320)))
    #: JSON: the ids of what was made or changed (``{"interaction": 12}``)
    refs: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    handled_at: datetime = Field(sa_column=_ts(index=True))
    #: where it came from: ``stdin``, ``file:PATH``, ``maildir:DIR``, ``mbox:FILE``, ``imap:ACCOUNT``
    source: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))


class MailFetchState(SQLModel, table=True):
    """How far ``crm mail fetch`` has read one folder of one account: its UIDVALIDITY and the last UID seen."""

    __tablename__ = "mail_fetch_state"
    account: str = Field(sa_column=sa.Column(sa.String(100), primary_key=True))
    folder: str = Field(sa_column=sa.Column(sa.String(200), primary_key=True))
    uidvalidity: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    last_uid: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0"))
    updated_at: datetime = Field(sa_column=_ts())
