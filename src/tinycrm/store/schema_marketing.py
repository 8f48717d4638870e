"""The tables of marketing: segments, consent per address (and its log), the suppression list, campaigns and
their frozen recipients. Imported from the end of :mod:`tinycrm.store.schema`; migration 0007 creates them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tinycrm.store.schema import IDS_NEVER_REUSED, _fk, _partial, _ts


class Segment(SQLModel, table=True):
    """A saved, named query over contacts (the query language of ``crm search``), evaluated when used."""

    __tablename__ = "segments"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    #: the name casefolded: one segment per name
    name_key: str = Field(sa_column=sa.Column(sa.String(200), nullable=False, unique=True))
    query: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(sa_column=_ts())
    updated_at: datetime = Field(sa_column=_ts())


class Consent(SQLModel, table=True):
    """The consent of one e-mail address: unknown, opted-in, opted-out or bounced, since when and why."""

    __tablename__ = "consents"
    #: the address lower-cased (``contact_emails.value_key``)
    address_key: str = Field(sa_column=sa.Column(sa.String(320), primary_key=True))
    contact_id: int | None = Field(default=None, sa_column=_fk("contacts.id", "SET NULL"))
    status: str = Field(sa_column=sa.Column(sa.String(12), nullable=False))
    #: opted-in: where ("web form", "import", "asked in person"); opted-out: how (reply, link, manual)
    source: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    changed_at: datetime = Field(sa_column=_ts())
    #: soft bounces in a row (a third makes the address bounced)
    soft_bounces: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))


class ConsentChange(SQLModel, table=True):
    """Every change of consent, kept: who or what changed it, when, from where."""

    __tablename__ = "consent_log"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    address_key: str = Field(sa_column=sa.Column(sa.String(320), nullable=False, index=True))
    contact_id: int | None = Field(default=None, sa_column=_fk("contacts.id", "SET NULL"))
    status: str = Field(sa_column=sa.Column(sa.String(12), nullable=False))
    source: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    at: datetime = Field(sa_column=_ts())
    user_name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))


class Suppression(SQLModel, table=True):
    """An address never to be mailed by a campaign, contact or not (an erased person's address stays here)."""

    __tablename__ = "suppressions"
    address_key: str = Field(sa_column=sa.Column(sa.String(320), primary_key=True))
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    created_at: datetime = Field(sa_column=_ts())


class Campaign(SQLModel, table=True):
    __tablename__ = "campaigns"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    #: random: the secret part of the unsubscribe tokens and Message-IDs of this campaign
    uid: str = Field(sa_column=sa.Column(sa.String(100), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    name_key: str = Field(sa_column=sa.Column(sa.String(200), nullable=False, unique=True))
    segment_id: int | None = Field(default=None, sa_column=_fk("segments.id", "SET NULL"))
    subject: str = Field(sa_column=sa.Column(sa.String(998), nullable=False))
    #: Markdown with Jinja2 merge fields
    template: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    sender: str | None = Field(default=None, sa_column=sa.Column(sa.String(400)))
    reply_to: str | None = Field(default=None, sa_column=sa.Column(sa.String(400)))
    #: also mail addresses whose consent is unknown (one-to-one business mail)
    allow_unknown: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false()))
    #: draft (recipients not frozen), sending (frozen, some left), done
    state: str = Field(sa_column=sa.Column(sa.String(12), nullable=False, server_default="draft"))
    frozen_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_at: datetime = Field(sa_column=_ts())


class CampaignRecipient(SQLModel, table=True):
    """One frozen recipient of a campaign and what became of their mail."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "address"),
        # the queue: the next recipients to send to, in order
        sa.Index("ix_campaign_recipients_queue", "campaign_id", "state", "id"),
        sa.Index(
            "ix_campaign_recipients_message_id",
            "message_id",
            unique=True,
            **_partial("message_id IS NOT NULL"),
        ),
        IDS_NEVER_REUSED,
    )
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(sa_column=_fk("campaigns.id", "CASCADE", nullable=False, index=False))
    contact_id: int | None = Field(default=None, sa_column=_fk("contacts.id", "SET NULL"))
    #: the address lower-cased
    address: str = Field(sa_column=sa.Column(sa.String(320), nullable=False))
    #: queued, sending, sent, failed, bounced, replied, opted-out
    state: str = Field(sa_column=sa.Column(sa.String(12), nullable=False, server_default="queued"))
    #: set with state 'sending', before the SMTP transaction; kept for every later try
    message_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(255)))
    attempts: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    updated_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Sequence(SQLModel, table=True):
    """Timed follow-up steps (a mail, a task) that contacts go through one after the other."""

    __tablename__ = "sequences"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    #: random: the secret part of the Message-IDs of this sequence's mails
    uid: str = Field(sa_column=sa.Column(sa.String(100), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    name_key: str = Field(sa_column=sa.Column(sa.String(200), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=_ts())


class SequenceStep(SQLModel, table=True):
    __tablename__ = "sequence_steps"
    __table_args__ = (sa.UniqueConstraint("sequence_id", "position"), IDS_NEVER_REUSED)
    id: int | None = Field(default=None, primary_key=True)
    sequence_id: int = Field(sa_column=_fk("sequences.id", "CASCADE", nullable=False, index=False))
    position: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    #: days after enrolling (never fewer than the step before)
    delay_days: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    #: mail or task
    action: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    #: mail: the subject; task: the title (both templates)
    subject: str = Field(sa_column=sa.Column(sa.String(998), nullable=False))
    #: mail: the Markdown template
    body: str | None = Field(default=None, sa_column=sa.Column(sa.Text))


class SequenceMember(SQLModel, table=True):
    """A contact going through a sequence: the next step and when it is due."""

    __tablename__ = "sequence_members"
    __table_args__ = (
        # a contact is never in the same sequence twice at once
        sa.Index(
            "ix_sequence_members_active",
            "sequence_id",
            "contact_id",
            unique=True,
            **_partial("state = 'active'"),
        ),
        # what is due: found through this index
        sa.Index("ix_sequence_members_due", "state", "next_due", **_partial("state = 'active'")),
        IDS_NEVER_REUSED,
    )
    id: int | None = Field(default=None, primary_key=True)
    sequence_id: int = Field(sa_column=_fk("sequences.id", "CASCADE", nullable=False, index=False))
    contact_id: int = Field(sa_column=_fk("contacts.id", "CASCADE", nullable=False))
    #: active, done, stopped (by hand), ended (a reply, an opt-out, a bounce)
    state: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    #: the position of the next step
    next_step: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    next_due: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    #: the Message-ID of the step mail being sent or last sent (a reply to it ends the sequence)
    message_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(255), index=True))
    #: the step whose mail is out with the server (set before the SMTP transaction, cleared after)
    sending_step: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    enrolled_at: datetime = Field(sa_column=_ts())
    ended_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    end_reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
