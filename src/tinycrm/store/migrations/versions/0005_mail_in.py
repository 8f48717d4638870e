"""mail coming in

Revision ID: 0005
Revises: 0003
Create Date: 2027-02-01

``mail_messages``: every incoming message the mail pipeline handled, by its Message-ID (unique), with what it
became, so a message delivered twice, or fetched again, is handled once. ``mail_fetch_state``: for each account
and folder ``crm mail fetch`` reads, the folder's UIDVALIDITY and the last UID read.

Two new tables and nothing else: no stored data changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("message_id", sa.String(998), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("subject", sa.String(500), nullable=True),
        sa.Column("from_address", sa.String(320), nullable=True),
        sa.Column("refs", sa.Text, nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_mail_messages"),
        sa.UniqueConstraint("message_id", name="uq_mail_messages_message_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_mail_messages_handled_at", "mail_messages", ["handled_at"])
    op.create_table(
        "mail_fetch_state",
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("folder", sa.String(200), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger, nullable=False),
        sa.Column("last_uid", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account", "folder", name="pk_mail_fetch_state"),
    )


def downgrade() -> None:
    op.drop_table("mail_fetch_state")
    op.drop_index("ix_mail_messages_handled_at", table_name="mail_messages")
    op.drop_table("mail_messages")
