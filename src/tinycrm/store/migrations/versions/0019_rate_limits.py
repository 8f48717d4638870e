"""rate limits shared by every server process

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05

A new table only (tinycrm.store.schema_ratelimit): the sign-in and portal limits per address and per
customer, counted in the database so that several server processes (crm serve --processes N) share them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_hits",
        sa.Column("bucket", sa.String(40), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("window_no", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("hits", sa.Integer, nullable=False),
        sa.Column("expires", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("bucket", "key", "window_no", name="pk_rate_limit_hits"),
    )
    op.create_index("ix_rate_limit_hits_expires", "rate_limit_hits", ["expires"])


def downgrade() -> None:
    op.drop_table("rate_limit_hits")
