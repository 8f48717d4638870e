"""The support desk's tables: tickets, their thread of messages and notes, attachments, tags, the
acknowledgements sent, and knowledge-base articles (see docs/support.md).

A ticket's ``queue`` (0 new/open, 1 pending, 2 resolved, 3 closed) and ``sla_due`` (the next SLA target of open
work, NULL otherwise) are kept by the services in the transaction that changes the ticket, so ``crm ticket
list`` reads open work first, by due time, straight from an index.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tinycrm.store.schema import IDS_NEVER_REUSED, _fk, _partial, _ts, _version


class Ticket(SQLModel, table=True):
    __tablename__ = "tickets"
    __table_args__ = (
        sa.Index("ix_tickets_queue", "queue", "sla_due", "id"),
        sa.Index("ix_tickets_assignee_queue", "assignee_id", "queue", "sla_due", "id"),
        sa.Index("ix_tickets_pending_until", "pending_until", **_partial("status = 'pending'")),
        IDS_NEVER_REUSED,
    )
    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(sa_column=sa.Column(sa.String(500), nullable=False))
    contact_id: int | None = Field(default=None, sa_column=_fk("contacts.id", "SET NULL"))
    company_id: int | None = Field(default=None, sa_column=_fk("companies.id", "SET NULL"))
    #: new, open, pending, resolved, closed
    status: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    #: 0 new/open, 1 pending, 2 resolved, 3 closed: the list shows open work first
    queue: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    #: low, normal, high, urgent
    priority: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    channel: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    assignee_id: int | None = Field(default=None, sa_column=_fk("users.id", "SET NULL", index=False))
    pending_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    #: when the SLA clock stopped (the ticket went pending)
    paused_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    first_response_due: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    resolution_due: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    #: the next target of open work (first response, else resolution); NULL when not open
    sla_due: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    first_responded_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    resolved_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    merged_into_id: int | None = Field(default=None, sa_column=_fk("tickets.id", "SET NULL", index=False))
    owner_id: int | None = Field(default=None, sa_column=_fk("users.id", "SET NULL", index=False))
    created_at: datetime = Field(sa_column=_ts(index=True))
    updated_at: datetime = Field(sa_column=_ts())
    version: int = Field(sa_column=_version())


class TicketMessage(SQLModel, table=True):
    """One entry of a ticket's thread: ``in`` (from the customer), ``out`` (our reply), ``auto`` (our
    acknowledgement) or ``note`` (internal, never sent)."""

    __tablename__ = "ticket_messages"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    kind: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    #: the sender's address (mail in) or the user's name
    author: str = Field(sa_column=sa.Column(sa.String(320), nullable=False))
    subject: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    #: the RFC 5322 Message-ID (without <>), for threading replies
    message_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(998), index=True))
    user_id: int | None = Field(default=None, sa_column=_fk("users.id", "SET NULL", index=False))
    created_at: datetime = Field(sa_column=_ts())


class TicketAttachment(SQLModel, table=True):
    """A file that came with a message; ``data`` NULL when it was too large and dropped."""

    __tablename__ = "ticket_attachments"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    message_id: int | None = Field(default=None, sa_column=_fk("ticket_messages.id", "CASCADE"))
    filename: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    content_type: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    size: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    data: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary))


class TicketTag(SQLModel, table=True):
    __tablename__ = "ticket_tags"
    ticket_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    )
    name: str = Field(sa_column=sa.Column(sa.String(100), primary_key=True, index=True))


class SupportAck(SQLModel, table=True):
    """The automatic acknowledgement sent to a sender on a day: at most one each."""

    __tablename__ = "support_acks"
    address: str = Field(sa_column=sa.Column(sa.String(320), primary_key=True))
    day: date = Field(sa_column=sa.Column(sa.Date, primary_key=True))
    ticket_id: int | None = Field(default=None, sa_column=_fk("tickets.id", "SET NULL", index=False))
    #: sent, or failed (with the reason in ``error``)
    state: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))
    at: datetime = Field(sa_column=_ts())


class Article(SQLModel, table=True):
    """A knowledge-base article: Markdown ``body``, ``tags`` as one space-separated line."""

    __tablename__ = "kb_articles"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_column=sa.Column(sa.String(200), nullable=False, unique=True))
    title: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    tags: str = Field(sa_column=sa.Column(sa.String(1000), nullable=False))
    published: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.true()))
    created_at: datetime = Field(sa_column=_ts())
    updated_at: datetime = Field(sa_column=_ts(index=True))
    version: int = Field(sa_column=_version())
