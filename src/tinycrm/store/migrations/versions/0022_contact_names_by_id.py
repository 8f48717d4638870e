"""a narrow index of the contacts' names by id, for searches listed by name

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05

``ix_contacts_names_by_id (id, sort_name, archived)``: a search of one word lists its matches by name, and a
broad search (thousands of matches) does when the name index's walk does not pay; each match's name and
archived flag are read from this index rather than from the contact's row (SQLite: about a third less time
for a page of 2,000 matches; PostgreSQL: an index-only scan). One CREATE INDEX; no data changes.
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_contacts_names_by_id", "contacts", ["id", "sort_name", "archived"])


def downgrade() -> None:
    op.drop_index("ix_contacts_names_by_id", table_name="contacts")
