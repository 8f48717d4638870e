"""The schema, declared once as SQLModel tables.

This module is the source of truth for tables, columns, keys and indexes: Alembic migrations are checked
against it (tests/test_migrations.py), ``crm db copy`` walks it. It is imported by migrations, the copy tool
and tests, never on the command-line read path (see docs/architecture.md).

Conventions: timestamps are UTC (``DateTime(timezone=True)``); money is an integer number of ten-thousandths
(``value_e4``) beside an ISO 4217 code, so sums are exact in SQL on every store; every record a person edits
carries ``version`` (optimistic locking) and ``owner_id``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

metadata = SQLModel.metadata
metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}


#: ``__table_args__`` of every table with an integer ``id``: on SQLite the id is ``AUTOINCREMENT``, so the id of
#: a deleted record is never handed out again (without it SQLite reuses the largest id once that row is gone,
#: and ``crm history contact 4`` would mix two people). PostgreSQL sequences never go back anyway.
IDS_NEVER_REUSED = {"sqlite_autoincrement": True}


def _ts(nullable: bool = False, index: bool = False) -> sa.Column:
    return sa.Column(sa.DateTime(timezone=True), nullable=nullable, index=index)


def _fk(target: str, ondelete: str, nullable: bool = True, index: bool = True) -> sa.Column:
    return sa.Column(sa.Integer, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index)


def _version() -> sa.Column:
    return sa.Column(sa.Integer, nullable=False, server_default="1")


def _partial(where: str) -> dict[str, Any]:
    """The options of an index that holds only the rows matching ``where`` (the same SQL on both stores)."""
    return {"sqlite_where": sa.text(where), "postgresql_where": sa.text(where)}


# What is due is found through these indexes (services/work/due.py; docs/architecture.md, "Cost follows output").
# A query uses an expression index only when it spells the expression the same way: tests/system/test_due_plans.py
# checks that each due-item query does.

#: when a contact's stay-in-touch cadence counts from: the latest interaction, else when the contact was added
TOUCHED_AT = "coalesce(last_interaction_at, created_at)"
#: ``MM-DD`` of a ``YYYY-MM-DD`` or ``--MM-DD`` birthday
BIRTHDAY_MONTH_DAY = "substr(birthday, length(birthday) - 4)"
#: when an open task is due again: the later of its due date and its snooze (parenthesised and laid out as
#: PostgreSQL shows it, so that comparing the schema with a database finds no difference)
DUE_AGAIN = (
    "(\nCASE\n    WHEN snoozed_until IS NOT NULL AND (due_at IS NULL OR snoozed_until > due_at) "
    "THEN snoozed_until\n    ELSE due_at\nEND)"
)


# --- people ---------------------------------------------------------------------------------------------


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False, unique=True))
    full_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    email: str | None = Field(default=None, sa_column=sa.Column(sa.String(320)))
    role: str = Field(sa_column=sa.Column(sa.String(20), nullable=False, server_default="member"))
    active: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.true()))
    created_at: datetime = Field(sa_column=_ts())


class Tag(SQLModel, table=True):
    __tablename__ = "tags"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    #: the casefolded name: tags are unique regardless of case
    name_key: str = Field(sa_column=sa.Column(sa.String(100), nullable=False, unique=True))


class Company(SQLModel, table=True):
    __tablename__ = "companies"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(sa_column=sa.Column(sa.String(100), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    sort_name: str = Field(sa_column=sa.Column(sa.String(300), nullable=False, index=True))
    domain: str | None = Field(default=None, sa_column=sa.Column(sa.String(255), index=True))
    website: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))
    phone: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
    address: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    notes: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    owner_id: int | None = Field(default=None, sa_column=_fk("users.id", "SET NULL"))
    created_at: datetime = Field(sa_column=_ts())
    updated_at: datetime = Field(sa_column=_ts())
    version: int = Field(sa_column=_version())


class CompanyTag(SQLModel, table=True):
    __tablename__ = "company_tags"
    company_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    )
    tag_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )


class CompanyField(SQLModel, table=True):
    __tablename__ = "company_fields"
    company_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    )
    key: str = Field(sa_column=sa.Column(sa.String(200), primary_key=True))
    value: str = Field(sa_column=sa.Column(sa.Text, nullable=False))


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"
    __table_args__ = (
        # stay in touch: by cadence, then by the moment it counts from (one range per cadence in use)
        sa.Index(
            "ix_contacts_touch",
            "cadence_days",
            sa.text(TOUCHED_AT),
            **_partial("cadence_days IS NOT NULL AND NOT archived"),
        ),
        sa.Index(
            "ix_contacts_birthday",
            sa.text(BIRTHDAY_MONTH_DAY),
            **_partial("birthday IS NOT NULL AND NOT archived"),
        ),
        # a search of one word lists its matches by name: each match's name (and whether it is archived)
        # read from this narrow copy rather than from the contact's row
        sa.Index("ix_contacts_names_by_id", "id", "sort_name", "archived"),
        IDS_NEVER_REUSED,
    )
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(sa_column=sa.Column(sa.String(255), nullable=False, unique=True))
    given_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    family_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    display_name: str = Field(sa_column=sa.Column(sa.String(400), nullable=False))
    #: the display name casefolded and stripped of accents: the list order
    sort_name: str = Field(sa_column=sa.Column(sa.String(400), nullable=False, index=True))
    job_title: str | None = Field(default=None, sa_column=sa.Column(sa.String(300)))
    company_id: int | None = Field(default=None, sa_column=_fk("companies.id", "SET NULL"))
    #: the contact's role at the company ("decision maker", "billing")
    company_role: str | None = Field(default=None, sa_column=sa.Column(sa.String(300)))
    #: ``YYYY-MM-DD``, or ``--MM-DD`` when the year is unknown
    birthday: str | None = Field(default=None, sa_column=sa.Column(sa.String(10)))
    notes: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    #: stay in touch: due when nothing was logged for this many days
    cadence_days: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    archived: bool = Field(
        sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false(), index=True)
    )
    owner_id: int | None = Field(default=None, sa_column=_fk("users.id", "SET NULL"))
    created_at: datetime = Field(sa_column=_ts())
    updated_at: datetime = Field(sa_column=_ts())
    version: int = Field(sa_column=_version())
    #: when the latest interaction with this contact happened (derived from the interactions, kept current in
    #: the transaction that logs, edits or deletes one): stay in touch without reading every interaction
    last_interaction_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


def _contact_fk() -> sa.Column:
    return sa.Column(sa.Integer, sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False, index=True)


class ContactEmail(SQLModel, table=True):
    __tablename__ = "contact_emails"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk())
    position: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    label: str | None = Field(default=None, sa_column=sa.Column(sa.String(50)))
    value: str = Field(sa_column=sa.Column(sa.String(320), nullable=False))
    #: lower-cased, for look-ups by address
    value_key: str = Field(sa_column=sa.Column(sa.String(320), nullable=False, index=True))


class ContactPhone(SQLModel, table=True):
    __tablename__ = "contact_phones"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk())
    position: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    label: str | None = Field(default=None, sa_column=sa.Column(sa.String(50)))
    value: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    #: the digits alone, for matching however the number was written
    digits: str = Field(sa_column=sa.Column(sa.String(100), nullable=False, index=True))


class ContactAddress(SQLModel, table=True):
    __tablename__ = "contact_addresses"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk())
    position: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    label: str | None = Field(default=None, sa_column=sa.Column(sa.String(50)))
    po_box: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
    extended: str | None = Field(default=None, sa_column=sa.Column(sa.String(300)))
    street: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))
    locality: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    region: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    postcode: str | None = Field(default=None, sa_column=sa.Column(sa.String(50)))
    country: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))


class ContactTag(SQLModel, table=True):
    __tablename__ = "contact_tags"
    contact_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    )
    tag_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )


class ContactField(SQLModel, table=True):
    __tablename__ = "contact_fields"
    contact_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    )
    key: str = Field(sa_column=sa.Column(sa.String(200), primary_key=True))
    value: str = Field(sa_column=sa.Column(sa.Text, nullable=False))


class ContactPhoto(SQLModel, table=True):
    __tablename__ = "contact_photos"
    contact_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    )
    media_type: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))


class ContactExtra(SQLModel, table=True):
    """vCard properties tinycrm has no column for (``X-...``), kept verbatim so an export gives them back."""

    __tablename__ = "contact_extras"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk())
    position: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    params: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    value: str = Field(sa_column=sa.Column(sa.Text, nullable=False))


# --- sales ----------------------------------------------------------------------------------------------


class Pipeline(SQLModel, table=True):
    __tablename__ = "pipelines"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False, unique=True))
    position: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    created_at: datetime = Field(sa_column=_ts())


class Stage(SQLModel, table=True):
    __tablename__ = "stages"
    __table_args__ = (sa.UniqueConstraint("pipeline_id", "name"), IDS_NEVER_REUSED)
    id: int | None = Field(default=None, primary_key=True)
    pipeline_id: int = Field(sa_column=_fk("pipelines.id", "CASCADE", nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    position: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    #: win probability, 0-100
    probability: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    #: a deal idle in this stage for longer than this many days is "rotting"
    idle_days: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))


class Deal(SQLModel, table=True):
    __tablename__ = "deals"
    __table_args__ = (
        # covering indexes of the sales read paths (100k deals: the board and the forecast stay in milliseconds)
        sa.Index("ix_deals_board", "status", "pipeline_id", "stage_id", "currency", "value_e4"),
        sa.Index("ix_deals_forecast", "status", "expected_close", "currency", "stage_id", "value_e4"),
        sa.Index("ix_deals_won", "status", "closed_at", "currency", "value_e4"),
        sa.Index("ix_deals_stage_column", "stage_id", "status", "expected_close"),
        # idle deals: open ones by how long they sit in their stage, and by the day of their next step (status
        # first, so that no planner prefers the status index for "status = 'open' AND ...")
        # (each holds what orders and splits the idle deals, so that they are counted and ordered in it)
        sa.Index(
            "ix_deals_idle",
            "status",
            "stage_id",
            "stage_entered_at",
            "next_step_due",
            **_partial("status = 'open'"),
        ),
        sa.Index(
            "ix_deals_next_step",
            "status",
            "next_step_due",
            "stage_entered_at",
            **_partial("status = 'open' AND next_step_due IS NOT NULL"),
        ),
        IDS_NEVER_REUSED,
    )
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(sa_column=sa.Column(sa.String(100), nullable=False, unique=True))
    title: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    #: value x 10 000, an exact integer
    value_e4: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0"))
    currency: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    pipeline_id: int = Field(sa_column=_fk("pipelines.id", "RESTRICT", nullable=False))
    stage_id: int = Field(sa_column=_fk("stages.id", "RESTRICT", nullable=False))
    status: str = Field(sa_column=sa.Column(sa.String(10), nullable=False, server_default="open", index=True))
    lost_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    expected_close: date | None = Field(default=None, sa_column=sa.Column(sa.Date, index=True))
    next_step: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    next_step_due: date | None = Field(default=None, sa_column=sa.Column(sa.Date))
    company_id: int | None = Field(default=None, sa_column=_fk("companies.id", "SET NULL"))
    owner_id: int | None = Field(default=None, sa_column=_fk("users.id", "SET NULL"))
    created_at: datetime = Field(sa_column=_ts())
    updated_at: datetime = Field(sa_column=_ts())
    stage_entered_at: datetime = Field(sa_column=_ts())
    closed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True, index=True))
    version: int = Field(sa_column=_version())


class DealContact(SQLModel, table=True):
    __tablename__ = "deal_contacts"
    deal_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True)
    )
    contact_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )


class DealStageChange(SQLModel, table=True):
    __tablename__ = "deal_stage_history"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(sa_column=_fk("deals.id", "CASCADE", nullable=False))
    from_stage_id: int | None = Field(default=None, sa_column=_fk("stages.id", "SET NULL"))
    to_stage_id: int | None = Field(default=None, sa_column=_fk("stages.id", "SET NULL"))
    #: the status after the change (open / won / lost)
    status: str = Field(sa_column=sa.Column(sa.String(10), nullable=False, server_default="open"))
    changed_at: datetime = Field(sa_column=_ts(index=True))
    user_id: int | None = Field(default=None, sa_column=_fk("users.id", "SET NULL", index=False))


# --- activity -------------------------------------------------------------------------------------------


class Interaction(SQLModel, table=True):
    __tablename__ = "interactions"
    __table_args__ = (
        # a company's timeline, newest first, a page at a time: read in index order whatever the statistics say
        sa.Index("ix_interactions_company_time", "company_id", "happened_at", "id"),
        # the activity report: each week's interactions counted by kind (and owner) inside the index
        sa.Index("ix_interactions_time_kind", "happened_at", "kind", "owner_id"),
        IDS_NEVER_REUSED,
    )
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(sa_column=sa.Column(sa.String(100), nullable=False, unique=True))
    kind: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    happened_at: datetime = Field(sa_column=_ts(index=True))
    summary: str = Field(sa_column=sa.Column(sa.String(500), nullable=False))
    body: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    company_id: int | None = Field(default=None, sa_column=_fk("companies.id", "SET NULL"))
    deal_id: int | None = Field(default=None, sa_column=_fk("deals.id", "SET NULL"))
    owner_id: int | None = Field(default=None, sa_column=_fk("users.id", "SET NULL"))
    created_at: datetime = Field(sa_column=_ts())
    updated_at: datetime = Field(sa_column=_ts())
    version: int = Field(sa_column=_version())


class InteractionContact(SQLModel, table=True):
    __tablename__ = "interaction_contacts"
    interaction_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True
        )
    )
    contact_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        # open tasks by when they are due again, with what tells overdue from due today (counted from it alone)
        sa.Index(
            "ix_tasks_open_due",
            sa.text(DUE_AGAIN),
            "all_day",
            "due_at",
            "snoozed_until",
            **_partial("done_at IS NULL"),
        ),
        IDS_NEVER_REUSED,
    )
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(sa_column=sa.Column(sa.String(100), nullable=False, unique=True))
    title: str = Field(sa_column=sa.Column(sa.String(500), nullable=False))
    due_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True, index=True))
    #: the task is due on a day, not at a time (``due_at`` is then that day's local midnight)
    all_day: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false()))
    #: an RFC 5545 RRULE (without the ``RRULE:`` prefix)
    rrule: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))
    priority: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    notes: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    contact_id: int | None = Field(default=None, sa_column=_fk("contacts.id", "SET NULL"))
    company_id: int | None = Field(default=None, sa_column=_fk("companies.id", "SET NULL"))
    deal_id: int | None = Field(default=None, sa_column=_fk("deals.id", "SET NULL"))
    done_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    snoozed_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    owner_id: int | None = Field(default=None, sa_column=_fk("users.id", "SET NULL"))
    assignee_id: int | None = Field(default=None, sa_column=_fk("users.id", "SET NULL"))
    created_at: datetime = Field(sa_column=_ts())
    updated_at: datetime = Field(sa_column=_ts())
    version: int = Field(sa_column=_version())


class ReminderSent(SQLModel, table=True):
    """What ``crm remind`` already told whom, so cron does not repeat it until it changes or a day passes."""

    __tablename__ = "reminders_sent"
    user_name: str = Field(sa_column=sa.Column(sa.String(100), primary_key=True))
    item_key: str = Field(sa_column=sa.Column(sa.String(200), primary_key=True))
    #: a fingerprint of the item's state when it was reminded
    item_state: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    sent_at: datetime = Field(sa_column=_ts())


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_record", "record_type", "record_id"), IDS_NEVER_REUSED)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_ts(index=True))
    user_name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False, index=True))
    #: create, update, delete, merge, import, ...
    action: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    record_type: str = Field(sa_column=sa.Column(sa.String(30), nullable=False))
    record_id: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    #: JSON: {field: [old, new]}
    changes: str | None = Field(default=None, sa_column=sa.Column(sa.Text))


# the tables of each area, in modules of their own, join the metadata here
from tinycrm.store import schema_dupes as schema_dupes  # noqa: E402,F401
from tinycrm.store import schema_forecasts as schema_forecasts  # noqa: E402,F401
from tinycrm.store import schema_forms as schema_forms  # noqa: E402,F401
from tinycrm.store import schema_forms_optin as schema_forms_optin  # noqa: E402,F401
from tinycrm.store import schema_hooks as schema_hooks  # noqa: E402,F401
from tinycrm.store import schema_leads as schema_leads  # noqa: E402,F401
from tinycrm.store import schema_mail as schema_mail  # noqa: E402,F401
from tinycrm.store import schema_marketing as schema_marketing  # noqa: E402,F401
from tinycrm.store import schema_portal as schema_portal  # noqa: E402,F401
from tinycrm.store import schema_ratelimit as schema_ratelimit  # noqa: E402,F401
from tinycrm.store import schema_support as schema_support  # noqa: E402,F401
from tinycrm.store import schema_sync as schema_sync  # noqa: E402,F401
from tinycrm.store import schema_web as schema_web  # noqa: E402,F401
