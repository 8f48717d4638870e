"""marketing: segments, consent, suppressions, campaigns, sequences

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

New tables only (nothing that exists changes): saved segments, the consent of each address and its log, the
suppression list, campaigns and their frozen recipients. Everything runs in the one transaction of the upgrade.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

AUTOINCREMENT = {"sqlite_autoincrement": True}


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _partial(where: str) -> dict:
    return {"sqlite_where": sa.text(where), "postgresql_where": sa.text(where)}


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.UniqueConstraint("name_key", name="uq_segments_name_key"),
        **AUTOINCREMENT,
    )
    op.create_table(
        "consents",
        sa.Column("address_key", sa.String(320), primary_key=True),
        sa.Column(
            "contact_id",
            sa.Integer,
            sa.ForeignKey("contacts.id", ondelete="SET NULL", name="fk_consents_contact_id_contacts"),
        ),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("source", sa.String(200)),
        _ts("changed_at"),
        sa.Column("soft_bounces", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_consents_contact_id", "consents", ["contact_id"])
    op.create_table(
        "consent_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("address_key", sa.String(320), nullable=False),
        sa.Column(
            "contact_id",
            sa.Integer,
            sa.ForeignKey("contacts.id", ondelete="SET NULL", name="fk_consent_log_contact_id_contacts"),
        ),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("source", sa.String(200)),
        _ts("at"),
        sa.Column("user_name", sa.String(100), nullable=False),
        **AUTOINCREMENT,
    )
    op.create_index("ix_consent_log_address_key", "consent_log", ["address_key"])
    op.create_index("ix_consent_log_contact_id", "consent_log", ["contact_id"])
    op.create_table(
        "suppressions",
        sa.Column("address_key", sa.String(320), primary_key=True),
        sa.Column("reason", sa.String(200)),
        _ts("created_at"),
    )
    _campaigns()
    _sequences()


def _sequences() -> None:
    op.create_table(
        "sequences",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        _ts("created_at"),
        sa.UniqueConstraint("uid", name="uq_sequences_uid"),
        sa.UniqueConstraint("name_key", name="uq_sequences_name_key"),
        **AUTOINCREMENT,
    )
    op.create_table(
        "sequence_steps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "sequence_id",
            sa.Integer,
            sa.ForeignKey("sequences.id", ondelete="CASCADE", name="fk_sequence_steps_sequence_id_sequences"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("delay_days", sa.Integer, nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("subject", sa.String(998), nullable=False),
        sa.Column("body", sa.Text),
        sa.UniqueConstraint("sequence_id", "position", name="uq_sequence_steps_sequence_id_position"),
        **AUTOINCREMENT,
    )
    op.create_table(
        "sequence_members",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "sequence_id",
            sa.Integer,
            sa.ForeignKey(
                "sequences.id", ondelete="CASCADE", name="fk_sequence_members_sequence_id_sequences"
            ),
            nullable=False,
        ),
        sa.Column(
            "contact_id",
            sa.Integer,
            sa.ForeignKey("contacts.id", ondelete="CASCADE", name="fk_sequence_members_contact_id_contacts"),
            nullable=False,
        ),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("next_step", sa.Integer, nullable=False),
        _ts("next_due", nullable=True),
        sa.Column("message_id", sa.String(255)),
        sa.Column("sending_step", sa.Integer),
        _ts("enrolled_at"),
        _ts("ended_at", nullable=True),
        sa.Column("end_reason", sa.String(100)),
        **AUTOINCREMENT,
    )
    op.create_index("ix_sequence_members_contact_id", "sequence_members", ["contact_id"])
    op.create_index("ix_sequence_members_message_id", "sequence_members", ["message_id"])
    op.create_index(
        "ix_sequence_members_active",
        "sequence_members",
        ["sequence_id", "contact_id"],
        unique=True,
        **_partial("state = 'active'"),
    )
    op.create_index(
        "ix_sequence_members_due", "sequence_members", ["state", "next_due"], **_partial("state = 'active'")
    )


def _campaigns() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column(
            "segment_id",
            sa.Integer,
            sa.ForeignKey("segments.id", ondelete="SET NULL", name="fk_campaigns_segment_id_segments"),
        ),
        sa.Column("subject", sa.String(998), nullable=False),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("sender", sa.String(400)),
        sa.Column("reply_to", sa.String(400)),
        sa.Column("allow_unknown", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("state", sa.String(12), nullable=False, server_default="draft"),
        _ts("frozen_at", nullable=True),
        _ts("finished_at", nullable=True),
        _ts("created_at"),
        sa.UniqueConstraint("uid", name="uq_campaigns_uid"),
        sa.UniqueConstraint("name_key", name="uq_campaigns_name_key"),
        **AUTOINCREMENT,
    )
    op.create_index("ix_campaigns_segment_id", "campaigns", ["segment_id"])
    op.create_table(
        "campaign_recipients",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "campaign_id",
            sa.Integer,
            sa.ForeignKey(
                "campaigns.id", ondelete="CASCADE", name="fk_campaign_recipients_campaign_id_campaigns"
            ),
            nullable=False,
        ),
        sa.Column(
            "contact_id",
            sa.Integer,
            sa.ForeignKey(
                "contacts.id", ondelete="SET NULL", name="fk_campaign_recipients_contact_id_contacts"
            ),
        ),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("state", sa.String(12), nullable=False, server_default="queued"),
        sa.Column("message_id", sa.String(255)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        _ts("sent_at", nullable=True),
        _ts("updated_at", nullable=True),
        sa.UniqueConstraint("campaign_id", "address", name="uq_campaign_recipients_campaign_id_address"),
        **AUTOINCREMENT,
    )
    op.create_index("ix_campaign_recipients_contact_id", "campaign_recipients", ["contact_id"])
    op.create_index("ix_campaign_recipients_queue", "campaign_recipients", ["campaign_id", "state", "id"])
    op.create_index(
        "ix_campaign_recipients_message_id",
        "campaign_recipients",
        ["message_id"],
        unique=True,
        **_partial("message_id IS NOT NULL"),
    )


def downgrade() -> None:
    for table in (
        "sequence_members",
        "sequence_steps",
        "sequences",
        "campaign_recipients",
        "campaigns",
        "suppressions",
        "consent_log",
        "consents",
        "segments",
    ):
        op.drop_table(table)
