"""web forms: the forms of crm form, and the recent posts per sending address

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

New tables only (tinycrm.store.schema_forms).
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_forms",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("redirect", sa.String(2000), nullable=True),
        sa.Column("tags", sa.Text, nullable=False, server_default="[]"),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_forms"),
        sa.UniqueConstraint("name", name="uq_web_forms_name"),
        sa.UniqueConstraint("key", name="uq_web_forms_key"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "web_form_posts",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("form_id", sa.Integer, nullable=False),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"], ["web_forms.id"], name="fk_web_form_posts_form_id_web_forms", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_web_form_posts"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_web_form_posts_sender", "web_form_posts", ["form_id", "sender", "at"])
    op.create_index("ix_web_form_posts_at", "web_form_posts", ["at"])


def downgrade() -> None:
    op.drop_table("web_form_posts")
    op.drop_table("web_forms")
