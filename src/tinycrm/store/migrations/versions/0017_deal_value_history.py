"""backtests read each deal as it was: its value history, and its state on a day through one index

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05

``deal_value_history`` (tinycrm.store.schema_forecasts): a deal's value, currency and forecast category before
each change of them, filled here from the audit log (which has recorded every such change as ``[old, new]``),
by walking each deal's changes back from its values today. Two indexes of ``deal_stage_history``: by deal and
time (a deal's state on a day, read from the index alone) and the wins and losses by time.
"""

import json
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

FIELDS = ("value", "currency", "category")


def upgrade() -> None:
    op.create_table(
        "deal_value_history",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("deal_id", sa.Integer, nullable=False),
        sa.Column("value_e4", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name="fk_deal_value_history_deal_id_deals", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_deal_value_history"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_deal_value_history_deal", "deal_value_history", ["deal_id", "changed_at"])
    op.create_index(
        "ix_deal_stage_history_as_of",
        "deal_stage_history",
        ["deal_id", "changed_at", "id", "status", "to_stage_id"],
    )
    closes = sa.text("status IN ('won', 'lost')")
    op.create_index(
        "ix_deal_stage_history_closes",
        "deal_stage_history",
        ["changed_at", "deal_id", "status"],
        sqlite_where=closes,
        postgresql_where=closes,
    )
    _fill_from_audit()


def _e4(text: object, fallback: int) -> int:
    try:
        return int(Decimal(str(text)) * 10000)
    except (InvalidOperation, ValueError):
        return fallback


def _fill_from_audit() -> None:
    bind = op.get_bind()
    audited = bind.execute(
        sa.text(
            "SELECT a.record_id, a.at, a.changes, a.id FROM audit_log a JOIN deals d ON d.id = a.record_id "
            "WHERE a.record_type = 'deal' AND a.changes IS NOT NULL AND (a.changes LIKE '%\"value\"%' "
            "OR a.changes LIKE '%\"currency\"%' OR a.changes LIKE '%\"category\"%') "
            "ORDER BY a.record_id, a.at DESC, a.id DESC"
        )
    ).fetchall()
    changed = {a[0] for a in audited}
    now = {
        r[0]: (int(r[1]), r[2], r[3])
        for r in bind.execute(
            sa.text("SELECT id, value_e4, currency, forecast_category FROM deals")
        ).fetchall()
        if r[0] in changed
    }
    rows = []
    for deal_id, at, text, audit_id in audited:
        try:
            changes = json.loads(text)
        except ValueError:
            continue
        if not isinstance(changes, dict):
            continue
        value, code, category = now[deal_id]  # the values after this change; before it, the old ones
        olds = [f for f in FIELDS if isinstance(changes.get(f), list) and len(changes[f]) == 2]
        if not [f for f in olds if changes[f][0] is not None]:
            continue  # a creation: nothing was before it
        for key in olds:
            pair = changes[key]
            if pair[0] is not None:
                if key == "value":
                    value = _e4(pair[0], value)
                elif key == "currency":
                    code = str(pair[0])[:3]
                else:
                    category = str(pair[0])[:20]
        now[deal_id] = (value, code, category)
        rows.append({"d": deal_id, "v": value, "c": code, "k": category, "at": at, "i": audit_id})
    if rows:
        bind.execute(
            sa.text(
                "INSERT INTO deal_value_history (deal_id, value_e4, currency, category, changed_at) "
                "VALUES (:d, :v, :c, :k, :at)"
            ),
            sorted(rows, key=lambda r: r["i"]),  # in the order of the changes, as the service writes them
        )


def downgrade() -> None:
    op.drop_index("ix_deal_stage_history_closes", table_name="deal_stage_history")
    op.drop_index("ix_deal_stage_history_as_of", table_name="deal_stage_history")
    op.drop_table("deal_value_history")
