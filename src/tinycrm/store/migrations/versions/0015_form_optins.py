"""double opt-in web forms: a flag per form, and the posts waiting for their confirmation

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

``web_forms.double_opt_in`` (false for every existing form) and the new table ``web_form_optins``
(tinycrm.store.schema_forms_optin).
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "web_forms", sa.Column("double_opt_in", sa.Boolean, nullable=False, server_default=sa.false())
    )
    op.create_table(
        "web_form_optins",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("form_id", sa.Integer, nullable=False),
        sa.Column("address_key", sa.String(320), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("link_base", sa.String(2000), nullable=False),
        sa.Column("state", sa.String(10), nullable=False, server_default="queued"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_at", TS, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("confirmed_at", TS, nullable=True),
        sa.Column("lead_id", sa.Integer, nullable=True),
        sa.ForeignKeyConstraint(
            ["form_id"], ["web_forms.id"], name="fk_web_form_optins_form_id_web_forms", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_web_form_optins_lead_id_leads", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_web_form_optins"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_web_form_optins_due",
        "web_form_optins",
        ["next_at", "id"],
        sqlite_where=sa.text("state IN ('queued', 'sending')"),
        postgresql_where=sa.text("state IN ('queued', 'sending')"),
    )
    op.create_index("ix_web_form_optins_address", "web_form_optins", ["form_id", "address_key"])
    op.create_index("ix_web_form_optins_created_at", "web_form_optins", ["created_at"])


def downgrade() -> None:
    op.drop_table("web_form_optins")
    with op.batch_alter_table("web_forms", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("double_opt_in")
