"""customer portal: the revocation generation of each contact's portal links

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

A new table only (tinycrm.store.schema_portal).
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "portal_access",
        sa.Column("contact_id", sa.Integer, nullable=False),
        sa.Column("generation", sa.Integer, nullable=False, server_default="0"),
        sa.Column("revoked_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name="fk_portal_access_contact_id_contacts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("contact_id", name="pk_portal_access"),
    )


def downgrade() -> None:
    op.drop_table("portal_access")
