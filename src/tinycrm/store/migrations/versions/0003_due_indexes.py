"""what is due, found through indexes

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-10

``contacts.last_interaction_at``: when the latest interaction with the contact happened. It is derived from the
interactions (the services keep it current in the transaction that logs, edits or deletes one), so that the
stay-in-touch list reads one column instead of every interaction. The backfill is one ``UPDATE ... FROM`` an
aggregate of the interactions: a few seconds for a million of them, not a statement per contact.

And the indexes the due-item queries use (services/work/due.py): open tasks by when they are due again, contacts
by cadence and the moment it counts from, birthdays by month and day, open deals by stage and time in it, and by
the day of their next step. Each holds only the rows that can be due (a partial index).

Everything runs in the one transaction of the upgrade: stopped halfway, the database is as it was.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# spelled as in tinycrm.store.schema at this revision (a migration never imports the current models)
TOUCHED_AT = "coalesce(last_interaction_at, created_at)"
BIRTHDAY_MONTH_DAY = "substr(birthday, length(birthday) - 4)"
DUE_AGAIN = (
    "(\nCASE\n    WHEN snoozed_until IS NOT NULL AND (due_at IS NULL OR snoozed_until > due_at) "
    "THEN snoozed_until\n    ELSE due_at\nEND)"
)

BACKFILL = (
    "UPDATE contacts SET last_interaction_at = li.last_at FROM ("
    "SELECT ic.contact_id, max(i.happened_at) AS last_at FROM interaction_contacts ic "
    "JOIN interactions i ON i.id = ic.interaction_id GROUP BY ic.contact_id"
    ") AS li WHERE li.contact_id = contacts.id"
)


def _partial(where: str) -> dict:
    return {"sqlite_where": sa.text(where), "postgresql_where": sa.text(where)}


def upgrade() -> None:
    # a plain ALTER TABLE on both stores (no table rebuild): a new column that may be NULL, without a default
    op.add_column("contacts", sa.Column("last_interaction_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(BACKFILL)
    op.create_index(
        "ix_contacts_touch",
        "contacts",
        ["cadence_days", sa.text(TOUCHED_AT)],
        **_partial("cadence_days IS NOT NULL AND NOT archived"),
    )
    op.create_index(
        "ix_contacts_birthday",
        "contacts",
        [sa.text(BIRTHDAY_MONTH_DAY)],
        **_partial("birthday IS NOT NULL AND NOT archived"),
    )
    op.create_index(
        "ix_deals_idle",
        "deals",
        ["status", "stage_id", "stage_entered_at", "next_step_due"],
        **_partial("status = 'open'"),
    )
    op.create_index(
        "ix_deals_next_step",
        "deals",
        ["status", "next_step_due", "stage_entered_at"],
        **_partial("status = 'open' AND next_step_due IS NOT NULL"),
    )
    op.create_index(
        "ix_tasks_open_due",
        "tasks",
        [sa.text(DUE_AGAIN), "all_day", "due_at", "snoozed_until"],
        **_partial("done_at IS NULL"),
    )


def downgrade() -> None:
    for table, name in (
        ("tasks", "ix_tasks_open_due"),
        ("deals", "ix_deals_next_step"),
        ("deals", "ix_deals_idle"),
        ("contacts", "ix_contacts_birthday"),
        ("contacts", "ix_contacts_touch"),
    ):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("last_interaction_at")
