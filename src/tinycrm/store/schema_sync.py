"""The tables of two-way vdir sync (services/sync): what tinycrm last wrote or read in each synced folder.

A file is known by its name in the folder. ``etag`` is the SHA-256 of the bytes as they were when tinycrm last
agreed with them (wrote them, or applied them to the contact), ``mtime_ns`` and ``size`` their stat then: a file
whose stat did not move is not even read again. ``contact_version`` is the contact's version at that moment:
a higher one means the contact changed in tinycrm since.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tinycrm.store.schema import IDS_NEVER_REUSED, _fk, _ts


class SyncFolder(SQLModel, table=True):
    """A folder synced with ``crm sync vdir``, by its absolute path."""

    __tablename__ = "sync_folders"
    __table_args__ = (IDS_NEVER_REUSED,)
    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(sa_column=sa.Column(sa.String(1000), nullable=False, unique=True))
    #: "contacts" (vCards) or "calendar" (tasks as VTODO, dates as VEVENT)
    kind: str = Field(sa_column=sa.Column(sa.String(20), nullable=False, server_default="contacts"))
    synced_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class SyncItem(SQLModel, table=True):
    """One file of a synced folder and the record it holds."""

    __tablename__ = "sync_items"
    __table_args__ = (
        sa.UniqueConstraint("folder_id", "record_type", "record_id"),
        sa.Index("ix_sync_items_record", "record_type", "record_id"),
    )
    folder_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("sync_folders.id", ondelete="CASCADE"), primary_key=True, index=False
        )
    )
    file_name: str = Field(sa_column=sa.Column(sa.String(300), primary_key=True))
    #: contact or task (a calendar folder also holds dates, which are written only)
    record_type: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    record_id: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    uid: str = Field(sa_column=sa.Column(sa.String(500), nullable=False))
    etag: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    mtime_ns: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    size: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    record_version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))


class SyncConflict(SQLModel, table=True):
    """A card changed in a synced folder while its contact changed in tinycrm: the file's version, kept until
    ``crm sync resolve`` (or a sync with ``--prefer``) decides."""

    __tablename__ = "sync_conflicts"
    __table_args__ = (sa.UniqueConstraint("folder_id", "contact_id"), IDS_NEVER_REUSED)
    id: int | None = Field(default=None, primary_key=True)
    folder_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("sync_folders.id", ondelete="CASCADE"), nullable=False)
    )
    contact_id: int = Field(sa_column=_fk("contacts.id", "CASCADE", nullable=False))
    file_name: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    #: the file's bytes (a vCard) when the conflict was found, and their SHA-256
    card: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    etag: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    found_at: datetime = Field(sa_column=_ts())
