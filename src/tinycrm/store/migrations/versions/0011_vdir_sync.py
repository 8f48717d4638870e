"""two-way vdir sync: the folders, what tinycrm last wrote in them, and conflicts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

New tables only (tinycrm.store.schema_sync); nothing existing changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sync_folders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False, server_default="contacts"),
        sa.Column("synced_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sync_folders"),
        sa.UniqueConstraint("path", name="uq_sync_folders_path"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "sync_items",
        sa.Column("folder_id", sa.Integer, nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("record_type", sa.String(20), nullable=False),
        sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column("uid", sa.String(500), nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("record_version", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(
            ["folder_id"],
            ["sync_folders.id"],
            name="fk_sync_items_folder_id_sync_folders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("folder_id", "file_name", name="pk_sync_items"),
        sa.UniqueConstraint(
            "folder_id", "record_type", "record_id", name="uq_sync_items_folder_id_record_type_record_id"
        ),
    )
    op.create_index("ix_sync_items_record", "sync_items", ["record_type", "record_id"])
    op.create_table(
        "sync_conflicts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("folder_id", sa.Integer, nullable=False),
        sa.Column("contact_id", sa.Integer, nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("card", sa.LargeBinary, nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("found_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["folder_id"],
            ["sync_folders.id"],
            name="fk_sync_conflicts_folder_id_sync_folders",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name="fk_sync_conflicts_contact_id_contacts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sync_conflicts"),
        sa.UniqueConstraint("folder_id", "contact_id", name="uq_sync_conflicts_folder_id_contact_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_sync_conflicts_contact_id", "sync_conflicts", ["contact_id"])


def downgrade() -> None:
    op.drop_table("sync_conflicts")
    op.drop_index("ix_sync_items_record", table_name="sync_items")
    op.drop_table("sync_items")
    op.drop_table("sync_folders")
