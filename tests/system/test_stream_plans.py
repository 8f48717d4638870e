"""The queries that walk a whole table for a streamed list read it through an index, on both stores, so that the
first rows come at once and no sort of the whole table stands between the store and the output: a plan that
stops using its index fails here.

SQLite: EXPLAIN QUERY PLAN names the index and no temporary B-tree for ORDER BY. PostgreSQL: the plan, with
sequential scans and sorts discouraged (the test tables are tiny, where a scan and a sort are cheapest), names
the index."""

from __future__ import annotations

import pytest

from tinycrm.domain.people import ContactInput, Labeled
from tinycrm.services.people import contacts, duplicates
from tinycrm.services.people.contact_search import SORTS


@pytest.fixture
def filled(db):
    with db.write() as tx:
        for i in range(40):
            contacts.insert(
                tx,
                ContactInput(
                    f"Person {i % 7}",
                    emails=[Labeled(f"p{i % 9}@example.com")],
                    phones=[Labeled(f"+1 555 01{i % 5:02d}")],
                    company=f"Company {i % 3}",
                ),
            )
    # no ANALYZE: without statistics SQLite plans as for large tables (where these queries matter); statistics of
    # 40 rows would make it sort a tiny table instead
    return db


def plan(db, sql: str) -> str:
    with db.read() as tx:
        if db.is_sqlite:
            return "\n".join(r[3] for r in tx.all(f"EXPLAIN QUERY PLAN {sql}"))
        tx.execute("SET LOCAL enable_seqscan = off")
        tx.execute("SET LOCAL enable_sort = off")
        return "\n".join(r[0] for r in tx.all(f"EXPLAIN {sql}"))


def uses(db, sql: str, index: str) -> None:
    text = plan(db, sql)
    assert index in text, text
    if db.is_sqlite:
        assert "USE TEMP B-TREE" not in text, text


@pytest.mark.parametrize(
    ("cond", "what"), [(duplicates._SAME_COMPANY, "same company"), (duplicates._ELSEWHERE, "elsewhere")]
)
def test_same_name_pairs_come_from_the_name_index_in_order(filled, cond, what):
    uses(filled, duplicates._NAME_PAIRS.format(cond=cond), "ix_contacts_sort_name")


def test_shared_emails_and_phones_are_joined_through_their_indexes(filled):
    text = plan(
        filled,
        "SELECT a.contact_id, b.contact_id FROM contact_emails a JOIN contact_emails b "
        "ON b.value_key = a.value_key AND b.contact_id > a.contact_id",
    )
    assert "ix_contact_emails_value_key" in text, text
    text = plan(
        filled,
        "SELECT a.contact_id, b.contact_id FROM contact_phones a JOIN contact_phones b "
        "ON b.digits = a.digits AND b.contact_id > a.contact_id WHERE length(a.digits) >= 6",
    )
    assert "ix_contact_phones_digits" in text, text


def test_the_people_of_each_company_come_through_its_index(filled):
    uses(
        filled,
        "SELECT c.id, c.sort_name FROM contacts c JOIN companies co ON co.id = c.company_id ORDER BY c.company_id",
        "ix_contacts_company_id",
    )


def test_the_whole_contact_list_walks_the_name_index(filled):
    if (
        filled.is_sqlite
    ):  # with statistics, as a database in use has them (the archived index is no help here)
        filled.connection().execute("ANALYZE")
    uses(
        filled,
        f"SELECT c.id FROM contacts c WHERE c.archived = false ORDER BY {SORTS['name']}",
        "ix_contacts_sort_name",
    )


def test_a_companys_timeline_is_read_in_index_order(filled):
    from tinycrm.services.people import interactions

    sql = f"{interactions._SELECT} WHERE i.company_id = 1 ORDER BY i.happened_at DESC, i.id DESC LIMIT 20 OFFSET 0"
    uses(filled, sql, "ix_interactions_company_time")
