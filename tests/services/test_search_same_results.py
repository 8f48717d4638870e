"""The search's cheaper reads give what the plain queries give: the same ids in the same order, the same total
and the same order name, for broad and narrow queries, prefixes, fields, tags, archived contacts, first and deep
pages, on both stores.

The reference below is the search as it was read before: every match looked up to count them, and every match
sorted for a page. The thresholds are lowered so that a few hundred contacts take every path (the ranked one,
the one by name read along the name index, within its walk or not, and the usual one)."""

from __future__ import annotations

import random

import pytest

from tinycrm.domain import query as ql
from tinycrm.domain.people import ContactInput
from tinycrm.domain.rows import Labeled
from tinycrm.services.people import contact_search, contacts
from tinycrm.store import search as fts

FIRST = ["Ada", "Alan", "Anna", "Mei", "Maria", "Marco", "Zoë", "Jonas", "John", "Li", "Émile", "Björn"]
LAST = ["Lovelace", "Turing", "Moss", "Meier", "Zhang", "Jones", "Liddell", "Andersen", "Ørsted", "Young"]
TAGS = ["vip", "lead", "press", "vip-old"]


def _seed(db, rng: random.Random, n: int) -> None:
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        tags = rng.sample(TAGS, rng.randint(0, 2))
        emails = [Labeled(f"{first[0].lower()}{i}@{rng.choice(['example.com', 'acme.io', 'mail.org'])}")]
        if rng.random() < 0.2:
            emails = []
        contact = contacts.create(
            db,
            ContactInput(
                display_name=f"{first} {last}" if rng.random() < 0.9 else f"{last} {first} {last}",
                emails=emails,
                tags=tags,
                notes=rng.choice(["", "met at the fair", "ada fan", "call back in june", "john's friend"]),
            ),
        )
        if rng.random() < 0.15:
            contacts.archive(db, contact.id)


def _reference(db, query: str, *, limit: int, offset: int, archived, tag):  # noqa: ANN001
    """ids, total and order of a page, read the plain way."""
    parsed = ql.parse(query)
    terms = fts.parse(parsed.text)
    match_sql, params = db.search.match(terms)
    with db.read() as tx:
        cond, fparams = contact_search._filters(
            tx, tag=tag, company=None, archived=archived, owner=None, filters=parsed.filters
        )
        params = {**params, **fparams, "limit": limit, "offset": offset}
        base = f"FROM ({match_sql}) m CROSS JOIN contacts c WHERE c.id = m.contact_id AND {cond}"
        total = tx.scalar(f"SELECT count(*) {base}", params)
        if total > contact_search.BROAD_MATCH or len(terms) == 1:
            order, sql = (
                "name",
                (
                    f"SELECT c.id FROM contacts c WHERE c.id IN (SELECT contact_id FROM ({match_sql}) m) "
                    f"AND {cond} ORDER BY c.sort_name, c.id"
                ),
            )
        else:
            order, sql = "relevance", f"SELECT c.id {base} ORDER BY m.score, c.sort_name, c.id"
        return tx.column(sql + " LIMIT :limit OFFSET :offset", params), total, order


QUERIES = [
    "a",
    "m",
    "j",
    "an",
    "ma",
    "jo",
    "mei",
    "ada",
    "zoe",
    "young",
    "example",
    "acme",
    "name:a",
    "name:m",
    "email:a",
    "email:example",
    "notes:ada",
    '"ada lovelace"',
    "a l",
    "ada love",
    "mei zhang",
    "lovelace ada",
    "ann meier",
    "young zoe",
    "m z",
    "jo an",
    "a l m",
    'mar "ada lovelace"',
    "ada email:example",
    "example acme",
    "zzz qqq",
    "ma tag:vip",
    "a tag:vi*",
    "j -tag:lead",
    "m has:email",
    "zzz",
]


@pytest.mark.parametrize("walk_per_match", [1, 3, 50])
def test_every_page_is_the_one_the_plain_queries_give(db, monkeypatch, walk_per_match):
    rng = random.Random(20261205)
    _seed(db, rng, 160)
    monkeypatch.setattr(contact_search, "BROAD_MATCH", 12)
    monkeypatch.setattr(contact_search, "WALK_PER_MATCH", walk_per_match)
    checked = walked = at_once = 0
    real_walk, real_first = contact_search._walked, contact_search._ranked_first

    def counting(*args, **kwargs):  # noqa: ANN002, ANN003
        nonlocal walked
        found = real_walk(*args, **kwargs)
        walked += found is not None
        return found

    def counting_first(*args, **kwargs):  # noqa: ANN002, ANN003
        nonlocal at_once
        found = real_first(*args, **kwargs)
        at_once += found is not None
        return found

    monkeypatch.setattr(contact_search, "_walked", counting)
    monkeypatch.setattr(contact_search, "_ranked_first", counting_first)
    for query in QUERIES:
        for archived in (False, None, True):
            for tag in (None, "vip") if rng.random() < 0.3 else (None,):
                _, total, _ = _reference(db, query, limit=1, offset=0, archived=archived, tag=tag)
                offsets = {0, 5, 10, 20, max(total - 3, 0), total, total + 5} if total else {0}
                for limit in (5, 10):
                    for offset in sorted(offsets):
                        page = contact_search.search(
                            db, query, limit=limit, offset=offset, archived=archived, tag=tag
                        )
                        want = _reference(db, query, limit=limit, offset=offset, archived=archived, tag=tag)
                        got = ([c.id for c in page.items], page.total, page.order)
                        assert got == want, (query, archived, tag, limit, offset)
                        assert not page.estimate
                        checked += 1
    assert checked > 300
    assert at_once > 10  # several words: the page and its total read at once, and the same
    assert walked > 20  # the name index walk was taken (both stores), and gave the same pages


def test_search_as_you_type_agrees_where_its_total_is_exact(db, monkeypatch):
    _seed(db, random.Random(7), 80)
    monkeypatch.setattr(contact_search, "BROAD_MATCH", 12)
    for query in ("a", "mei", "jo", "young", "ma tag:vip"):
        page = contact_search.search(db, query, limit=10, exact_total=False)
        if page.estimate:
            with db.read() as tx:
                indexed = tx.scalar(
                    f"SELECT count(*) FROM ({db.search.match(fts.parse(query))[0]}) m",
                    {**db.search.match(fts.parse(query))[1]},
                )
            assert (page.order, page.total) == ("newest", indexed)
            continue
        want = _reference(db, query, limit=10, offset=0, archived=False, tag=None)
        assert ([c.id for c in page.items], page.total, page.order) == want


@pytest.mark.parametrize("archived_share", [0.3, 0.9])
def test_several_words_read_at_once_count_and_cut_around_archived_matches(db, monkeypatch, archived_share):
    """A query of several words reads its page and total in one statement: archived matches scored as well as
    the page's (equal names, equal scores) are left out of the page and the total, at every offset, whether the
    archived contacts are few (looked up among the matches) or many (each match looked up); a query matching
    more than can be scored that way is read the usual way."""
    rng = random.Random(5)
    for _ in range(40):
        c = contacts.create(db, ContactInput(display_name=f"Ada Lovelace {rng.choice('ABC')}"))
        if rng.random() < archived_share:
            contacts.archive(db, c.id)
    for i in range(12):
        contacts.create(db, ContactInput(display_name=f"Ada Byron {i}", notes="lovelace"))
    for i in range(3 if archived_share < 0.5 else 60):  # archived contacts the query does not match
        contacts.archive(db, contacts.create(db, ContactInput(display_name=f"Other {i}")).id)
    monkeypatch.setattr(contact_search, "BROAD_MATCH", 60)
    at_once = []
    real_first = contact_search._ranked_first
    monkeypatch.setattr(
        contact_search, "_ranked_first", lambda *a, **k: at_once.append(real_first(*a, **k)) or at_once[-1]
    )
    for query in ("ada love", "love ada", "ada lovelace", "lovelace ada byron"):
        for archived in (False, None, True):
            _, total, _ = _reference(db, query, limit=1, offset=0, archived=archived, tag=None)
            for offset in (0, 3, 7, max(total - 2, 0)):
                page = contact_search.search(db, query, limit=4, offset=offset, archived=archived)
                want = _reference(db, query, limit=4, offset=offset, archived=archived, tag=None)
                assert ([c.id for c in page.items], page.total, page.order) == want, (query, archived, offset)
    assert sum(found is not None for found in at_once) > 20
    monkeypatch.setattr(contact_search, "BROAD_MATCH", 30)  # 52 matches: scored up to 31, then the usual way
    at_once.clear()
    page = contact_search.search(db, "ada love", limit=4, archived=None)
    assert at_once == [None]
    assert ([c.id for c in page.items], page.total, page.order) == _reference(
        db, "ada love", limit=4, offset=0, archived=None, tag=None
    )


def test_archived_contacts_outnumbering_the_matches_are_counted_right(db, monkeypatch):
    """Many archived contacts: the count looks each match up rather than walking the archived ones."""
    for i in range(30):
        c = contacts.create(db, ContactInput(display_name=f"Old Timer {i}"))
        contacts.archive(db, c.id)
    for i in range(6):
        contacts.create(db, ContactInput(display_name=f"Oliver New {i}"))
    contacts.create(db, ContactInput(display_name="Oscar Archived"))
    monkeypatch.setattr(contact_search, "BROAD_MATCH", 3)
    for archived, total in ((False, 7), (True, 30), (None, 37)):
        page = contact_search.search(db, "o", limit=5, archived=archived)
        assert page.total == total
        assert [c.id for c in page.items] == _reference(
            db, "o", limit=5, offset=0, archived=archived, tag=None
        )[0]


def test_a_broad_search_reads_the_name_and_archived_indexes(db, monkeypatch):
    """SQLite: the page of a broad search walks the name index (no sort of every match) and the archived
    matches are counted from the archived index, not by looking up every match."""
    if not db.is_sqlite:
        pytest.skip("the name index walk is SQLite's plan; PostgreSQL plans its own")
    _seed(db, random.Random(3), 60)
    monkeypatch.setattr(contact_search, "BROAD_MATCH", 5)
    seen: list[tuple[str, dict]] = []
    from tinycrm.store.database import Tx

    def record(run):  # noqa: ANN001, ANN202
        def wrapped(self, sql, params=None):  # noqa: ANN001, ANN202
            seen.append((sql, dict(params or {})))
            return run(self, sql, params)

        return wrapped

    monkeypatch.setattr(Tx, "_run", record(Tx._run))
    page = contact_search.search(db, "a", limit=5)
    assert page.order == "name" and len(page.items) == 5
    monkeypatch.undo()
    plans = {}
    with db.read() as tx:
        for sql, params in seen:
            plans[sql] = "\n".join(r[3] for r in tx.all(f"EXPLAIN QUERY PLAN {sql}", params))
    walk = [p for s, p in plans.items() if "INDEXED BY ix_contacts_sort_name" in s]
    assert walk and "USING INDEX ix_contacts_sort_name" in walk[0], plans
    assert "TEMP B-TREE FOR ORDER BY" not in walk[0], walk[0]
    among = [p for s, p in plans.items() if ":archived_among AND +c.id" in s]
    assert among and "ix_contacts_archived (archived=?)" in among[0], plans


def test_a_page_of_one_word_reads_the_names_from_their_index(db, monkeypatch):
    """SQLite: a page of one word's matches (by name) reads each match's name and archived flag from the narrow
    ``ix_contacts_names_by_id`` rather than from the contact's row."""
    if not db.is_sqlite:
        pytest.skip("SQLite's plan; PostgreSQL plans its own")
    _seed(db, random.Random(4), 40)
    seen: list[tuple[str, dict]] = []
    from tinycrm.store.database import Tx

    real = Tx._run

    def record(self, sql, params=None):  # noqa: ANN001, ANN202
        seen.append((sql, dict(params or {})))
        return real(self, sql, params)

    monkeypatch.setattr(Tx, "_run", record)
    page = contact_search.search(db, "ada", limit=3)
    monkeypatch.undo()
    assert page.order == "name" and len(page.items) == 3 < page.total
    with db.read() as tx:
        plans = [
            "\n".join(r[3] for r in tx.all(f"EXPLAIN QUERY PLAN {sql}", params))
            for sql, params in seen
            if "ORDER BY c.sort_name" in sql
        ]
    assert len(plans) == 1 and "COVERING INDEX ix_contacts_names_by_id (id=?)" in plans[0], plans


def test_tag_lists_count_what_their_pages_list(db):
    """A list filtered by tags (a query of filters only, ``--tag``) is counted from the tags' index: the same
    total as looking each contact's tags up, which its pages still do."""
    _seed(db, random.Random(11), 90)
    for query in ("tag:vip", "tag:vi*", "-tag:lead", "tag:press has:email", "-tag:vi* -tag:press", ""):
        for tag in (None, "lead", "nothing"):
            for archived in (False, None, True):
                parsed = ql.parse(query)
                with db.read() as tx:
                    cond, params = contact_search._filters(
                        tx, tag=tag, company=None, archived=archived, owner=None, filters=parsed.filters
                    )
                    total = tx.scalar(f"SELECT count(*) FROM contacts c WHERE {cond}", params)
                    ids = tx.column(
                        f"SELECT c.id FROM contacts c WHERE {cond} ORDER BY c.sort_name, c.id LIMIT 7 OFFSET 3",
                        params,
                    )
                page = contact_search.search(db, query, limit=7, offset=3, archived=archived, tag=tag)
                assert ([c.id for c in page.items], page.total) == (ids, total), (query, tag, archived)
                listed = contact_search.stream_contacts(
                    db, tag=tag, archived=archived, filters=parsed.filters
                )
                assert (listed.total, sum(1 for _ in listed.items)) == (total, total)


def test_pages_by_relevance_across_many_equal_scores(db):
    """Contacts whose documents score the same (same name shape, same fields) come by name within their score;
    a page whose last places fall inside a crowd of equal scores, with archived contacts among them, is still
    the one the whole sort gives, on every page. (Two words: one word comes by name.)"""
    rng = random.Random(41)
    for i in range(36):
        name = f"{rng.choice(FIRST)} Quill"
        c = contacts.create(db, ContactInput(display_name=name, notes="quill" if i % 9 == 0 else ""))
        if i % 5 == 0:
            contacts.archive(db, c.id)
    for i in range(6):
        contacts.create(db, ContactInput(display_name=f"Quill Quill {i}", emails=[Labeled(f"q{i}@quill.io")]))
    query = "quill name:quill"
    for archived in (False, None, True):
        _, total, _ = _reference(db, query, limit=1, offset=0, archived=archived, tag=None)
        assert total > 5
        for limit in (1, 4, 7):
            for offset in range(total + 2):
                page = contact_search.search(db, query, limit=limit, offset=offset, archived=archived)
                want = _reference(db, query, limit=limit, offset=offset, archived=archived, tag=None)
                assert ([c.id for c in page.items], page.total, page.order) == want, (archived, limit, offset)
    assert want[2] == "relevance"


def test_the_match_score_is_fts5_rank(sqlite_url):
    """SQLite: the match scores with bm25() itself, which is what FTS5's ``rank`` column gives by default."""
    from tinycrm.store.database import open_db

    db = open_db(sqlite_url)
    _seed(db, random.Random(5), 40)
    match_sql, params = db.search.match(fts.parse("ada"))
    with db.read() as tx:
        scored = tx.all(f"SELECT contact_id, score FROM ({match_sql}) m ORDER BY contact_id", params)
        ranked = tx.all(
            "SELECT rowid, rank FROM contact_search WHERE contact_search MATCH :fts ORDER BY rowid", params
        )
    db.close()
    assert len(scored) > 3 and [tuple(r) for r in scored] == [tuple(r) for r in ranked]


def test_a_query_of_several_words_tries_the_one_statement_page_only_where_it_pays(db, monkeypatch):
    """The page-and-total statement is tried for words of three letters or more, not as you type, and not
    again for a query once found broad (it scores up to BROAD_MATCH + 1 matches before giving up): the same
    pages either way."""
    for i in range(30):
        contacts.create(db, ContactInput(display_name=f"Ada Lovelace {i}", notes="analytical engine"))
    contacts.create(db, ContactInput(display_name="Ada Byron", notes="poetry"))
    monkeypatch.setattr(contact_search, "BROAD_MATCH", 20)
    tried: list[object] = []
    real_first = contact_search._ranked_first
    monkeypatch.setattr(
        contact_search, "_ranked_first", lambda *a, **k: tried.append(real_first(*a, **k)) or tried[-1]
    )

    def search(query: str, **options) -> tuple[list[int], int, str]:  # noqa: ANN003
        page = contact_search.search(db, query, limit=5, **options)
        return [c.id for c in page.items], page.total, page.order

    assert search("ada poetry") == _reference(db, "ada poetry", limit=5, offset=0, archived=False, tag=None)
    assert len(tried) == 1 and tried[0] is not None  # narrow: read at once
    for _ in range(2):  # broad (31 matches): tried once, then remembered
        assert search("ada analytical") == _reference(
            db, "ada analytical", limit=5, offset=0, archived=False, tag=None
        )
    assert tried[1:] == [None]
    tried.clear()
    assert search("ada lo") == _reference(db, "ada lo", limit=5, offset=0, archived=False, tag=None)
    search("ada poetry", exact_total=False)
    assert tried == []  # a word of two letters; search as you type
    assert search("zzz qqq") == ([], 0, "relevance") and tried == [
        contact_search.Page([], 0, 5, 0, order="relevance")
    ]
