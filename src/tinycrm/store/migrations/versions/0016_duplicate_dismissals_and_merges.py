"""duplicates: pairs dismissed as not the same person, and each merge with what it changed (to undo it)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

New tables ``duplicate_dismissals`` and ``contact_merges`` (tinycrm.store.schema_dupes).
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "duplicate_dismissals",
        sa.Column("low_id", sa.Integer, nullable=False),
        sa.Column("high_id", sa.Integer, nullable=False),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["low_id"], ["contacts.id"], name="fk_duplicate_dismissals_low_id_contacts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["high_id"], ["contacts.id"], name="fk_duplicate_dismissals_high_id_contacts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("low_id", "high_id", name="pk_duplicate_dismissals"),
    )
    op.create_index("ix_duplicate_dismissals_high_id", "duplicate_dismissals", ["high_id"])
    op.create_table(
        "contact_merges",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("keep_id", sa.Integer, nullable=False),
        sa.Column("other_id", sa.Integer, nullable=False),
        sa.Column("keep_name", sa.String(300), nullable=False),
        sa.Column("other_name", sa.String(300), nullable=False),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("merged_at", TS, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("undone_at", TS, nullable=True),
        sa.Column("undone_by", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_contact_merges"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_contact_merges_keep_id", "contact_merges", ["keep_id"])
    op.create_index("ix_contact_merges_other_id", "contact_merges", ["other_id"])
    op.create_index("ix_contact_merges_merged_at", "contact_merges", ["merged_at"])


def downgrade() -> None:
    op.drop_table("contact_merges")
    op.drop_table("duplicate_dismissals")
