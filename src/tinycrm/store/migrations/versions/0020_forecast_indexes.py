"""the learned conversion and the forecast read indexes of deals instead of the table

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05

``ix_deals_closed_ids (id, status, closed_at) WHERE status IN ('won', 'lost')``: the closed deals in id order,
each joined to its stage history (``crm report conversion``, the ``historical`` and ``blend`` forecasts) without
reading the deal rows. ``ix_deals_forecast_categories`` (status, expected_close, currency, stage_id,
forecast_category, value_e4): what a forecast by method sums of the open deals, without reading them
(``ix_deals_forecast`` lacks the category). Two CREATE INDEX; no data changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    closed = sa.text("status IN ('won', 'lost')")
    op.create_index(
        "ix_deals_closed_ids",
        "deals",
        ["id", "status", "closed_at"],
        sqlite_where=closed,
        postgresql_where=closed,
    )
    op.create_index(
        "ix_deals_forecast_categories",
        "deals",
        ["status", "expected_close", "currency", "stage_id", "forecast_category", "value_e4"],
    )


def downgrade() -> None:
    op.drop_index("ix_deals_forecast_categories", table_name="deals")
    op.drop_index("ix_deals_closed_ids", table_name="deals")
