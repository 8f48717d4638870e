"""The tables of webhooks: the outbox of events, the hooks that receive them, and each delivery's state.

``events`` is a transactional outbox: a service writes the row in the transaction that makes the change
(:func:`tinycrm.services.hooks.outbox.emit`), so an event exists exactly when its change was stored. A delivery
run copies each new event into one ``hook_deliveries`` row per receiver (fan-out) and then works through those
rows, oldest first per record, committing the state after every attempt.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tinycrm.store.schema import IDS_NEVER_REUSED, _partial, _ts


class Event(SQLModel, table=True):
    """A change that matters to other programs (``contact.created``, ``deal.won``...), with the record as it
    was right after it (or, deleted, right before)."""

    __tablename__ = "events"
    __table_args__ = (
        sa.Index("ix_events_record", "record_kind", "record_id", "id"),
        sa.Index("ix_events_unrouted", "id", **_partial("NOT routed")),
        IDS_NEVER_REUSED,
    )
    id: int | None = Field(default=None, primary_key=True)
    type: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    record_kind: str = Field(sa_column=sa.Column(sa.String(30), nullable=False))
    record_id: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    #: JSON: the record, shaped as the CLI's --json shows it
    payload: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(sa_column=_ts())
    #: copied into a delivery row for each receiver (the fan-out step of a delivery run)
    routed: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false()))


class Hook(SQLModel, table=True):
    """A receiver of events over HTTP."""

    __tablename__ = "hooks"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    #: the event types it receives, space-separated (``*`` for all)
    event_types: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    #: the signing secret (``whsec_...``), or None when it is read from ``secret_env`` at delivery
    secret: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    secret_env: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
    #: it receives events after this one only (those made after it was added)
    after_event_id: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    created_at: datetime = Field(sa_column=_ts())


class HookDelivery(SQLModel, table=True):
    """One event for one receiver: a hook (``target`` ``hook:ID``) or the local hook scripts (``local``)."""

    __tablename__ = "hook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("target", "event_id"),
        sa.Index("ix_hook_deliveries_due", "next_at", "event_id", **_partial("state = 'pending'")),
        sa.Index("ix_hook_deliveries_record", "target", "record_kind", "record_id", "event_id"),
        sa.Index("ix_hook_deliveries_failed", "target", "event_id", **_partial("state = 'failed'")),
        IDS_NEVER_REUSED,
    )
    id: int | None = Field(default=None, primary_key=True)
    target: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    hook_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("hooks.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    event_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    record_kind: str = Field(sa_column=sa.Column(sa.String(30), nullable=False))
    record_id: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    #: pending, done, failed (gave up after a day of retries)
    state: str = Field(sa_column=sa.Column(sa.String(10), nullable=False, server_default="pending"))
    attempts: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    next_at: datetime = Field(sa_column=_ts())
    #: a delivery run holds the row until then (another run leaves it alone meanwhile)
    lease_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    created_at: datetime = Field(sa_column=_ts())
    done_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class HookMark(SQLModel, table=True):
    """Small named values of the delivery runs: how far ``task.due`` events have been written."""

    __tablename__ = "hook_marks"
    name: str = Field(sa_column=sa.Column(sa.String(40), primary_key=True))
    at: datetime = Field(sa_column=_ts())
