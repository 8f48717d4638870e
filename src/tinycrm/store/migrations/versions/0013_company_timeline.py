"""a company's timeline through one index

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

``interactions(company_id, happened_at, id)``: a company's interactions, newest first, a page at a time, read in
index order. Without it SQLite, on a database without statistics, walked the whole ``happened_at`` index to find
one company's rows (11 s on a million interactions). One CREATE INDEX; nothing else changes.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_interactions_company_time", "interactions", ["company_id", "happened_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_interactions_company_time", table_name="interactions")
