"""webhooks: the outbox of events, hooks and their deliveries

Revision ID: 0010
Revises: 0009
Create Date: 2027-02-01

New tables only (spelled as in tinycrm.store.schema_hooks at this revision): nothing existing changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _partial(where: str) -> dict:
    return {"sqlite_where": sa.text(where), "postgresql_where": sa.text(where)}


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("record_kind", sa.String(30), nullable=False),
        sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        _ts("created_at"),
        sa.Column("routed", sa.Boolean, nullable=False, server_default=sa.false()),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_events_record", "events", ["record_kind", "record_id", "id"])
    op.create_index("ix_events_unrouted", "events", ["id"], **_partial("NOT routed"))
    op.create_table(
        "hooks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("event_types", sa.Text, nullable=False),
        sa.Column("secret", sa.Text),
        sa.Column("secret_env", sa.String(100)),
        sa.Column("after_event_id", sa.Integer, nullable=False, server_default="0"),
        _ts("created_at"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "hook_deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("target", sa.String(40), nullable=False),
        sa.Column("hook_id", sa.Integer, sa.ForeignKey("hooks.id", ondelete="CASCADE"), nullable=True),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("record_kind", sa.String(30), nullable=False),
        sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column("state", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        _ts("next_at"),
        _ts("lease_until", nullable=True),
        sa.Column("last_error", sa.Text),
        _ts("created_at"),
        _ts("done_at", nullable=True),
        sa.UniqueConstraint("target", "event_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_hook_deliveries_hook_id", "hook_deliveries", ["hook_id"])
    op.create_index("ix_hook_deliveries_event_id", "hook_deliveries", ["event_id"])
    op.create_index(
        "ix_hook_deliveries_due", "hook_deliveries", ["next_at", "event_id"], **_partial("state = 'pending'")
    )
    op.create_index(
        "ix_hook_deliveries_record", "hook_deliveries", ["target", "record_kind", "record_id", "event_id"]
    )
    op.create_index(
        "ix_hook_deliveries_failed", "hook_deliveries", ["target", "event_id"], **_partial("state = 'failed'")
    )
    op.create_table(
        "hook_marks",
        sa.Column("name", sa.String(40), primary_key=True),
        _ts("at"),
    )


def downgrade() -> None:
    op.drop_table("hook_marks")
    op.drop_table("hook_deliveries")
    op.drop_table("hooks")
    op.drop_table("events")
