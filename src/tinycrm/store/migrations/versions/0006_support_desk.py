"""the support desk: tickets, their threads, attachments, acknowledgements, knowledge base

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

New tables only (tinycrm.store.schema_support), and the knowledge base's search index: an FTS5 table on
SQLite, a table of tsvector columns under GIN indexes on PostgreSQL, as for contacts.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

KB_FIELDS = ("title", "body", "tags")


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(name: str, target: str, ondelete: str, table: str) -> sa.Column:
    ref = target.split(".")[0]
    return sa.Column(
        name,
        sa.Integer,
        sa.ForeignKey(target, ondelete=ondelete, name=f"fk_{table}_{name}_{ref}"),
        nullable=True,
    )


def _partial(where: str) -> dict:
    return {"sqlite_where": sa.text(where), "postgresql_where": sa.text(where)}


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        _fk("contact_id", "contacts.id", "SET NULL", "tickets"),
        _fk("company_id", "companies.id", "SET NULL", "tickets"),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("queue", sa.Integer, nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        _fk("assignee_id", "users.id", "SET NULL", "tickets"),
        _ts("pending_until"),
        _ts("paused_at"),
        _ts("first_response_due"),
        _ts("resolution_due"),
        _ts("sla_due"),
        _ts("first_responded_at"),
        _ts("resolved_at"),
        _ts("closed_at"),
        _fk("merged_into_id", "tickets.id", "SET NULL", "tickets"),
        _fk("owner_id", "users.id", "SET NULL", "tickets"),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        sa.Column("version", sa.Integer, server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_tickets_contact_id", "tickets", ["contact_id"])
    op.create_index("ix_tickets_company_id", "tickets", ["company_id"])
    op.create_index("ix_tickets_created_at", "tickets", ["created_at"])
    op.create_index("ix_tickets_queue", "tickets", ["queue", "sla_due", "id"])
    op.create_index("ix_tickets_assignee_queue", "tickets", ["assignee_id", "queue", "sla_due", "id"])
    op.create_index(
        "ix_tickets_pending_until", "tickets", ["pending_until"], **_partial("status = 'pending'")
    )
    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column(
            "ticket_id",
            sa.Integer,
            sa.ForeignKey("tickets.id", ondelete="CASCADE", name="fk_ticket_messages_ticket_id_tickets"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("author", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(500), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("message_id", sa.String(998), nullable=True),
        _fk("user_id", "users.id", "SET NULL", "ticket_messages"),
        _ts("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_messages"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_ticket_messages_ticket_id", "ticket_messages", ["ticket_id"])
    op.create_index("ix_ticket_messages_message_id", "ticket_messages", ["message_id"])
    op.create_table(
        "ticket_attachments",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column(
            "ticket_id",
            sa.Integer,
            sa.ForeignKey("tickets.id", ondelete="CASCADE", name="fk_ticket_attachments_ticket_id_tickets"),
            nullable=False,
        ),
        _fk("message_id", "ticket_messages.id", "CASCADE", "ticket_attachments"),
        sa.Column("filename", sa.String(300), nullable=False),
        sa.Column("content_type", sa.String(200), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_attachments"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_ticket_attachments_ticket_id", "ticket_attachments", ["ticket_id"])
    op.create_index("ix_ticket_attachments_message_id", "ticket_attachments", ["message_id"])
    op.create_table(
        "ticket_tags",
        sa.Column(
            "ticket_id",
            sa.Integer,
            sa.ForeignKey("tickets.id", ondelete="CASCADE", name="fk_ticket_tags_ticket_id_tickets"),
            nullable=False,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", "name", name="pk_ticket_tags"),
    )
    op.create_index("ix_ticket_tags_name", "ticket_tags", ["name"])
    op.create_table(
        "support_acks",
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        _fk("ticket_id", "tickets.id", "SET NULL", "support_acks"),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
        _ts("at", nullable=False),
        sa.PrimaryKeyConstraint("address", "day", name="pk_support_acks"),
    )
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("slug", sa.String(200), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("tags", sa.String(1000), nullable=False),
        sa.Column("published", sa.Boolean, server_default=sa.true(), nullable=False),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        sa.Column("version", sa.Integer, server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_kb_articles"),
        sa.UniqueConstraint("slug", name="uq_kb_articles_slug"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_kb_articles_updated_at", "kb_articles", ["updated_at"])
    create_kb_search()


def create_kb_search() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE kb_search USING fts5("
            + ", ".join(KB_FIELDS)
            + ", tokenize = 'unicode61 remove_diacritics 2')"
        )
        return
    columns = ", ".join(f"{f}_v tsvector NOT NULL" for f in KB_FIELDS)
    op.execute(
        "CREATE TABLE kb_search (article_id integer PRIMARY KEY "
        f"REFERENCES kb_articles (id) ON DELETE CASCADE, {columns}, all_v tsvector NOT NULL)"
    )
    for f in (*KB_FIELDS, "all"):
        op.execute(f"CREATE INDEX kb_search_{f}_gin ON kb_search USING gin ({f}_v)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS kb_search")
    for table in (
        "kb_articles",
        "support_acks",
        "ticket_tags",
        "ticket_attachments",
        "ticket_messages",
        "tickets",
    ):
        op.drop_table(table)
