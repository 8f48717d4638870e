"""leads, and what forecasts learn from

Revision ID: 0008
Revises: 0007
Create Date: 2027-02-01

Leads with their tags, custom fields and interactions; the round-robin state of lead assignment; every change
of a deal's expected close date (``deal_close_history``: close-date slips and forecasts as of a past day); the
forecast category of a deal; and an index of the stage history by deal and stage.

Everything runs in the one transaction of the upgrade: stopped halfway, the database is as it was.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(100), nullable=False),
        sa.Column("name", sa.String(400), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("email_key", sa.String(320)),
        sa.Column("phone", sa.String(100)),
        sa.Column("company_name", sa.String(300)),
        sa.Column("title", sa.String(300)),
        sa.Column("source", sa.String(50), nullable=False, server_default="other"),
        sa.Column("source_detail", sa.String(500)),
        sa.Column("status", sa.String(20), nullable=False, server_default="new"),
        sa.Column("reason", sa.Text),
        sa.Column("value_e4", sa.BigInteger),
        sa.Column("currency", sa.String(3)),
        sa.Column("notes", sa.Text),
        sa.Column("score", sa.Integer, nullable=False, server_default="0"),
        sa.Column("contact_id", sa.Integer, sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("converted_contact_id", sa.Integer, sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("converted_company_id", sa.Integer, sa.ForeignKey("companies.id", ondelete="SET NULL")),
        sa.Column("converted_deal_id", sa.Integer, sa.ForeignKey("deals.id", ondelete="SET NULL")),
        sa.Column("converted_at", sa.DateTime(timezone=True)),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.UniqueConstraint("uid"),
        sqlite_autoincrement=True,
    )
    for column in ("email_key", "contact_id", "converted_contact_id", "converted_company_id"):
        op.create_index(f"ix_leads_{column}", "leads", [column])
    for column in ("converted_deal_id", "owner_id"):
        op.create_index(f"ix_leads_{column}", "leads", [column])
    op.create_index("ix_leads_status_score", "leads", ["status", "score", "id"])
    op.create_index("ix_leads_status_created", "leads", ["status", "created_at", "id"])
    where = sa.text("status = 'new'")
    op.create_index(
        "ix_leads_untouched", "leads", ["status", "touched_at"], sqlite_where=where, postgresql_where=where
    )
    op.create_table(
        "lead_tags",
        sa.Column("lead_id", sa.Integer, sa.ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("tag_id", sa.Integer, sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_lead_tags_tag_id", "lead_tags", ["tag_id"])
    op.create_table(
        "lead_fields",
        sa.Column("lead_id", sa.Integer, sa.ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "lead_interactions",
        sa.Column("lead_id", sa.Integer, sa.ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(
            "interaction_id",
            sa.Integer,
            sa.ForeignKey("interactions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_index("ix_lead_interactions_interaction_id", "lead_interactions", ["interaction_id"])
    op.create_table(
        "lead_assignments",
        sa.Column("role", sa.String(20), primary_key=True),
        sa.Column("last_user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
    )
    op.create_table(
        "deal_close_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), nullable=False),
        sa.Column("old_close", sa.Date),
        sa.Column("new_close", sa.Date),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_deal_close_history_deal", "deal_close_history", ["deal_id", "changed_at"])
    op.create_index("ix_deal_close_history_changed_at", "deal_close_history", ["changed_at"])
    # a plain ALTER TABLE on both stores: a NOT NULL column with a constant default
    op.add_column(
        "deals", sa.Column("forecast_category", sa.String(20), nullable=False, server_default="pipeline")
    )
    op.create_index(
        "ix_deal_stage_history_stages",
        "deal_stage_history",
        ["deal_id", "to_stage_id", "changed_at", "status"],
    )


def downgrade() -> None:
    op.drop_index("ix_deal_stage_history_stages", "deal_stage_history")
    with op.batch_alter_table("deals") as batch:
        batch.drop_column("forecast_category")
    for table in ("deal_close_history", "lead_assignments", "lead_interactions", "lead_fields", "lead_tags"):
        op.drop_table(table)
    op.drop_table("leads")
