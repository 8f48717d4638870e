"""Alembic migrations. ``HEAD`` is the newest revision, read on every open to skip Alembic when the schema is
current (a test checks it against the scripts)."""

HEAD = "0022"

#: the revisions whose data is that of ``HEAD``: a JSON export made at any of them imports as it is (0002 changed
#: only how SQLite hands out ids; 0003 added ``contacts.last_interaction_at``, derived from the interactions and
#: worked out again by every import, see :data:`DERIVED_COLUMNS`; 0005 added the tables of mail coming in, which an
#: older export leaves empty; later ones add tables, and columns with a default that an import fills in). A
#: migration that changes a table or a column of
#: what people entered starts it anew.
SAME_DATA_AS_HEAD = frozenset(
    {
        "0001",
        "0002",
        "0003",
        "0005",
        "0006",
        "0007",
        "0008",
        "0009",
        "0010",
        "0011",
        "0012",
        "0013",
        "0014",
        "0015",
        "0016",
        "0017",
        "0018",
        "0019",
        "0020",
        "0021",
        "0022",
    }
)

#: columns computed from other rows: an export may lack them, an import works them out again
DERIVED_COLUMNS = {"contacts": frozenset({"last_interaction_at"})}
