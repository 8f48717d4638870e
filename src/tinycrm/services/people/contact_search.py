"""Finding contacts: lists, search, references (``ada``, ``ada@example.com``, ``12``) and tags."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, Literal, overload

from tinycrm.domain import validation as v
from tinycrm.domain.errors import Ambiguous, InvalidInput, NotFound
from tinycrm.domain.rows import ContactSummary, Page, Ref, Stream, TagCount
from tinycrm.services.common import MAX_ID, owner_filter, sort_key
from tinycrm.services.people.contact_loader import CHUNK, load_many
from tinycrm.store import search as fts
from tinycrm.store.database import Database, Tx
from tinycrm.store.sql import column_batches, escape_like, from_offset, page_ids, streamed

#: above this many matches, a search of several words comes by name rather than by relevance (one word always does)
BROAD_MATCH = 2000

SORTS = {
    "name": "c.sort_name, c.id",
    "created": "c.created_at DESC, c.id DESC",
    "updated": "c.updated_at DESC, c.id DESC",
    "company": "co.sort_name, c.sort_name, c.id",
}


def _filters(
    tx: Tx,
    *,
    tag: str | None,
    company: str | None,
    archived: bool | None,
    owner: str | None,
    with_email: bool = False,
    query: str | None = None,
    filters: tuple[Any, ...] = (),
    counting: bool = False,
) -> tuple[str, dict[str, Any]]:
    """The condition on contacts (alias ``c``) for the list and search options; ``company`` is a reference
    (id, domain, name or a fragment of one), an error when it names no company or several; ``with_email``:
    only contacts that have an email address; ``query``: a query of the query language (a segment's);
    ``filters``: the filters of a search query (:mod:`tinycrm.domain.query`); ``counting``: the condition
    of a count of every contact it keeps rather than of a page (tags are then found from their index)."""
    where: list[str] = []
    params: dict[str, Any] = {}
    if query is not None or filters:
        from tinycrm.services.people import query as ql

        if query is not None:
            cond, qparams = ql.compile_query(tx, query)
            where.append(cond)
        else:
            conds, qparams = ql.filters_sql(tx, filters, counting=counting)
            where.extend(conds)
        params.update(qparams)
    if with_email:
        where.append("EXISTS (SELECT 1 FROM contact_emails e WHERE e.contact_id = c.id)")
    if archived is not None:
        where.append("c.archived = :archived")
        params["archived"] = archived
    if tag:
        from tinycrm.services.people.query import tagged

        where.append(tagged("t.name_key = :tag", counting))
        params["tag"] = tag.strip().casefold()
    if company:
        where.append("c.company_id = :company_id")
        from tinycrm.services.people import companies  # only for --company: a list starts faster

        params["company_id"] = companies.resolve_in(tx, company)
    mine, oparams = owner_filter(tx, owner, "c.owner_id")
    where.append(mine)
    params.update(oparams)
    return " AND ".join(where), params


def _page_args(limit: int | None, offset: int) -> None:
    if limit is not None and not 1 <= limit <= 1_000_000:
        raise InvalidInput(f"--limit must be between 1 and 1000000 (got {limit})")
    if offset < 0:
        raise InvalidInput(f"--offset must not be negative (got {offset})")
    if offset > MAX_ID:
        raise InvalidInput(f"--offset is too large (got {offset})")


def _sort_join(sort: str) -> str:
    """The join a list in ``sort`` order needs (the company's name); bad input for an unknown sort."""
    if sort not in SORTS:
        raise InvalidInput(f"unknown sort {sort!r}; use one of: {', '.join(SORTS)}")
    return " LEFT JOIN companies co ON co.id = c.company_id" if sort == "company" else ""


def list_contacts(
    db: Database,
    *,
    limit: int | None = 20,
    offset: int = 0,
    tag: str | None = None,
    company: str | None = None,
    archived: bool | None = False,
    sort: str = "name",
    owner: str | None = None,
    with_email: bool = False,
    query: str | None = None,
    filters: tuple[Any, ...] = (),
) -> Page[ContactSummary]:
    """A page of contacts. ``archived``: ``False`` hides archived ones, ``True`` shows only them, ``None`` all.
    ``owner``: only the contacts of this user (``--mine`` passes the acting user). ``with_email``: only those
    with an email address. ``query``: only those a query of the query language finds (a segment's)."""
    _page_args(limit, offset)
    join = _sort_join(sort)
    options: dict[str, Any] = dict(
        tag=tag, company=company, archived=archived, owner=owner, with_email=with_email, query=query,
        filters=filters,
    )  # fmt: skip
    with db.read() as tx:
        cond, params = _filters(tx, **options)
        total = _count(tx, cond, params, options)
        select = f"SELECT c.id FROM contacts c{join} WHERE {cond}"
        ids = page_ids(tx, select, SORTS[sort], params, total=total, limit=limit, offset=offset)
        return Page(load_many(tx, ids, detail="summary"), total, limit, offset)


def stream_contacts(
    db: Database,
    *,
    offset: int = 0,
    tag: str | None = None,
    company: str | None = None,
    archived: bool | None = False,
    sort: str = "name",
    owner: str | None = None,
    query: str | None = None,
    with_email: bool = False,
    filters: tuple[Any, ...] = (),
) -> Stream[ContactSummary]:
    """Every contact :func:`list_contacts` would list (``--all``), from ``offset`` on, read as it is shown: the
    ids in order through one cursor, each batch of them loaded as summaries with a fixed number of queries."""
    _page_args(None, offset)
    join = _sort_join(sort)
    options: dict[str, Any] = dict(
        tag=tag, company=company, archived=archived, owner=owner, with_email=with_email, query=query,
        filters=filters,
    )  # fmt: skip

    def prepare(tx: Tx) -> tuple[int, Iterator[ContactSummary]]:
        cond, params = _filters(tx, **options)
        total = _count(tx, cond, params, options)
        sql = f"SELECT c.id FROM contacts c{join} WHERE {cond} ORDER BY {SORTS[sort]}{from_offset(offset)}"
        return total, _summaries(tx, sql, params)

    return streamed(db, offset, prepare)


def _count(tx: Tx, cond: str, params: dict[str, Any], options: dict[str, Any]) -> int:
    """How many contacts a list keeps: ``cond`` is the condition of its pages; with a tag among its filters,
    the count's own condition (the tagged contacts listed from the tag's index, see ``query.tagged``)."""
    if not any(options[k] for k in ("tag", "company", "owner", "with_email", "query", "filters")):
        # every contact, or those (not) archived: a count of the whole table reads no row (the b-tree keeps how
        # many cells each page holds), where counting the contacts not archived walked every index entry
        # (2.0 -> 0.01 ms on 100k contacts, SQLite); the archived ones come from their index, usually few
        archived = options["archived"]
        if archived is None:
            return int(tx.scalar("SELECT count(*) FROM contacts"))
        among = "SELECT count(*) FROM contacts WHERE archived = :archived_true"
        if archived:
            return int(tx.scalar(among, {"archived_true": True}))
        return int(tx.scalar(f"SELECT (SELECT count(*) FROM contacts) - ({among})", {"archived_true": True}))
    if options["tag"] or any(f.key == "tag" for f in options["filters"]):
        cond, params = _filters(tx, **options, counting=True)
    return int(tx.scalar(f"SELECT count(*) FROM contacts c WHERE {cond}", params))


def _summaries(tx: Tx, sql: str, params: dict[str, Any]) -> Iterator[ContactSummary]:
    """The contacts whose ids ``sql`` gives, in its order, read as they are shown: the ids through one
    cursor, each batch of them loaded as summaries with a fixed number of queries."""
    for ids in column_batches(tx, sql, params, size=CHUNK):
        yield from load_many(tx, ids, detail="summary")


@overload
def search(
    db: Database,
    query: str,
    *,
    limit: int | None = 20,
    offset: int = 0,
    tag: str | None = None,
    company: str | None = None,
    archived: bool | None = False,
    owner: str | None = None,
    exact_total: bool = True,
    with_email: bool = False,
    stream: Literal[False] = False,
) -> Page[ContactSummary]: ...


@overload
def search(
    db: Database,
    query: str,
    *,
    limit: int | None = 20,
    offset: int = 0,
    tag: str | None = None,
    company: str | None = None,
    archived: bool | None = False,
    owner: str | None = None,
    exact_total: bool = True,
    with_email: bool = False,
    stream: bool,
) -> Page[ContactSummary] | Stream[ContactSummary]: ...


def search(
    db: Database,
    query: str,
    *,
    limit: int | None = 20,
    offset: int = 0,
    tag: str | None = None,
    company: str | None = None,
    archived: bool | None = False,
    owner: str | None = None,
    exact_total: bool = True,
    with_email: bool = False,
    stream: bool = False,
) -> Page[ContactSummary] | Stream[ContactSummary]:
    """Contacts matching a search query (see :mod:`tinycrm.store.search`): one word (or quoted phrase) by name,
    as an address book lists them; several words best matches first, or by name when they match thousands.
    With ``exact_total=False`` (search as you type) a query matching thousands is counted from the index alone,
    archived contacts included, the newest matches come first, and the page says the total is an estimate. A
    blank query lists everyone; one with no letter or digit (``🦄``, ``tag:``) raises ``NothingToSearch``, or,
    as you type, gives an empty page. ``with_email``: only contacts with an email address (a mail client's
    address book). ``limit`` None and ``stream`` (``--all``): every match from ``offset`` on, in the same
    order, as a :class:`Stream` read as it is shown."""
    _page_args(limit, offset)
    v.line(query, "search query")
    from tinycrm.domain import query as ql

    whole = limit is None and stream
    try:
        parsed = ql.parse(query or "")
        terms = fts.parse(parsed.text)
    except InvalidInput:
        if exact_total:
            raise
        return Page([], 0, limit, offset)  # a lone '"', 'tag:' or 'created:>20' is a query still being typed
    options: dict[str, Any] = dict(
        tag=tag,
        company=company,
        archived=archived,
        owner=owner,
        with_email=with_email,
        filters=parsed.filters,
    )
    if not terms:
        if whole:
            return stream_contacts(db, offset=offset, **options)
        return list_contacts(db, limit=limit, offset=offset, **options)
    match_sql, params = db.search.match(terms)
    page = "" if limit is None else " LIMIT :limit OFFSET :offset"
    params = {**params, "limit": limit, "offset": offset}

    plain = not (tag or company or owner or with_email or parsed.filters)

    def read(tx: Tx) -> Any:
        cond, fparams = _filters(tx, **options)
        params.update(fparams)
        if plain and exact_total and limit is not None and _likely_few(db, terms):
            first = _ranked_first(tx, match_sql, cond, params, archived=archived, limit=limit, offset=offset)
            if first is not None:
                return first
        # CROSS JOIN keeps the index match first: SQLite would otherwise run the match once per contact
        base = f"FROM ({match_sql}) m CROSS JOIN contacts c WHERE c.id = m.contact_id AND {cond}"
        matched = tx.scalar(f"SELECT count(*) FROM ({match_sql}) m", params) if plain else None
        _note_matched(db, terms, matched)
        if not exact_total and matched is not None and matched > BROAD_MATCH:
            # search as you type, the first letter: count from the index alone and show the newest
            # matches, which the index yields in order without reading the thousands of others
            ids = tx.column(f"SELECT c.id {base} ORDER BY m.contact_id DESC{page}", params)
            items = load_many(tx, ids, detail="summary")
            return Page(items, matched, limit, offset, estimate=True, order="newest")
        total = _total(tx, match_sql, base, params, archived=archived, matched=matched)
        order, sql = _ordered(tx, total, len(terms), match_sql, base, cond, plain=plain)
        if whole:
            return total, _summaries(tx, sql + from_offset(offset), params)
        found = _page_of(tx, order, sql + page, match_sql, cond, params, matched, total, limit, offset)
        return Page(load_many(tx, found, detail="summary"), total, limit, offset, order=order)

    if whole:
        return streamed(db, offset, read)
    with db.read() as tx:
        return read(tx)  # type: ignore[no-any-return]


def _total(
    tx: Tx, match_sql: str, base: str, params: dict[str, Any], *, archived: bool | None, matched: int | None
) -> int:
    """How many contacts a search finds. ``matched``: how many the index matches, when the only filter is
    ``archived`` (the API's, the web app's and ``crm search``'s usual search); the total is then that count
    less the archived (or not archived) contacts among the matches, found through the index on ``archived``,
    rather than each match looked up: a word matching half the contacts costs the index walk alone. The index
    holds one row per contact (written in the transaction that changes the contact), so the two agree."""
    if matched is None:
        return int(tx.scalar(f"SELECT count(*) {base}", params))
    if archived is None:
        return matched
    args = {**params, "archived_among": True, "matched": matched}
    # fewer archived contacts than matches (the usual case): walk the archived ones and look each up among
    # the matches (``+c.id`` keeps the planner on the archived index); else each match looked up
    few = _fewer_than(tx, True, matched)
    among = tx.scalar(
        "SELECT count(*) FROM contacts c WHERE c.archived = :archived_among "
        f"AND {'+' if few else ''}c.id IN (SELECT contact_id FROM ({match_sql}) m)",
        args,
    )
    return int(among) if archived else matched - int(among)


def _fewer_than(tx: Tx, archived: bool, bound: int) -> bool:
    """Fewer contacts are (not) ``archived`` than ``bound``: read along the archived index, ``bound`` at most."""
    sql = "SELECT count(*) < :bound FROM (SELECT 1 FROM contacts WHERE archived = :archived LIMIT :bound) a"
    return bool(tx.scalar(sql, {"archived": archived, "bound": bound}))


def _ordered(
    tx: Tx, total: int, words: int, match_sql: str, base: str, cond: str, *, plain: bool
) -> tuple[str, str]:
    """How the ``total`` matches of a search of ``words`` terms come (``relevance`` or ``name``), and the query
    of their ids. ``plain``: the condition holds no filter but ``archived``."""
    if total > BROAD_MATCH or words == 1:
        # one word lists its matches by name, as an address book does (bm25 puts the contacts with the least
        # text first); so does a query matching thousands, ranking them costing more than walking the name index.
        # The matches first (CROSS JOIN; PostgreSQL, MATERIALIZED), then each one's name from a narrow index:
        # PostgreSQL, left to choose, walked the name index, all of it when the matches sort late (300 ms). A
        # page of a broad search may walk it, within bounds (:func:`_walked`)
        sqlite = tx.db.is_sqlite
        hint = " INDEXED BY ix_contacts_names_by_id" if plain and sqlite else ""
        return "name", (
            f"WITH m AS{'' if sqlite else ' MATERIALIZED'} (SELECT contact_id FROM ({match_sql}) x) "
            f"SELECT c.id FROM m CROSS JOIN contacts c{hint} "
            f"WHERE c.id = m.contact_id AND {cond} ORDER BY c.sort_name, c.id"
        )
    return "relevance", f"SELECT c.id {base} ORDER BY m.score, c.sort_name, c.id"


def _page_of(
    tx: Tx,
    order: str,
    sql: str,
    match_sql: str,
    cond: str,
    params: dict[str, Any],
    matched: int | None,
    total: int,
    limit: int | None,
    offset: int,
) -> list[int]:
    """The ids of a page of a search's ``total`` matches in ``order``; ``sql`` reads it the plain way.
    ``matched``: how many the index matches, when the only filter is ``archived`` (None otherwise)."""
    if limit is not None and matched is not None:
        if order == "relevance":
            # only the matches scored at most the (offset + limit + left out)-th best can make the page
            args = {**params, "need": offset + limit + (matched - total) - 1}
            return tx.column(_ranked(match_sql, cond) + " LIMIT :limit OFFSET :offset", args)
        walked = (
            _walked(tx, match_sql, cond, params, total=total, limit=limit, offset=offset)
            if total > BROAD_MATCH
            else None
        )
        if walked is not None:
            return walked
    return tx.column(sql, params)


def _ranked(match_sql: str, cond: str) -> str:
    """The ids of a page of matches by relevance (``score, sort_name, id``), without looking up every match.

    Scores come in a few values shared by many contacts, and looking each match up to sort it by name cost
    more than scoring it. So the matches are scored once (``MATERIALIZED``) and only those scored at most as
    well as the ``:need``-th best (``:need`` counted from 0: offset + limit + the matches the condition leaves
    out, less one) are looked up. That is the page the whole sort gives: at least offset + limit of those
    are kept, and each of them sorts before any match scored worse."""
    return (
        f"WITH m AS MATERIALIZED ({match_sql}), "
        "cut AS (SELECT score FROM m ORDER BY score LIMIT 1 OFFSET :need) "
        "SELECT c.id FROM m CROSS JOIN contacts c WHERE c.id = m.contact_id "
        f"AND (m.score <= (SELECT score FROM cut) OR NOT EXISTS (SELECT 1 FROM cut)) AND {cond} "
        "ORDER BY m.score, c.sort_name, c.id"
    )


#: words shorter than this match too many contacts for :func:`_ranked_first` to pay (``ma jo``, ``a b``)
FEW_WORD = 3
#: how many queries of several words found to match more than ``BROAD_MATCH`` a database remembers
KNOWN_BROAD = 512


def _known_broad(db: Database) -> dict[tuple[int, tuple[fts.Term, ...]], None]:
    """The queries of several words found broad on ``db``, oldest first (at most ``KNOWN_BROAD``): a hint that
    spares them :func:`_ranked_first`'s attempt, which costs a broad query the scoring of up to ``BROAD_MATCH``
    matches and a pass over every contact holding each of its words (``bm25()`` weighs a word by how many do).
    Results never depend on it."""
    memo: dict[tuple[int, tuple[fts.Term, ...]], None] = db.__dict__.setdefault("_known_broad_searches", {})
    while len(memo) > KNOWN_BROAD:
        memo.pop(next(iter(memo)), None)
    return memo


def _note_matched(db: Database, terms: Sequence[fts.Term], matched: int | None) -> None:
    if matched is not None and matched > BROAD_MATCH and len(terms) > 1:
        _known_broad(db)[(BROAD_MATCH, tuple(terms))] = None


def _likely_few(db: Database, terms: Sequence[fts.Term]) -> bool:
    """Several words (a whole name), none a word's first letter or two, not found broad before: such a query
    mostly matches few contacts, and :func:`_ranked_first` reads its page at once. (Search as you type does not
    ask: its half-typed words, ``ada l``, are broad.)"""
    if len(terms) < 2 or any(sum(len(t) for t in term.tokens) < FEW_WORD for term in terms):
        return False
    return (BROAD_MATCH, tuple(terms)) not in _known_broad(db)


def _ranked_first(
    tx: Tx,
    match_sql: str,
    cond: str,
    params: dict[str, Any],
    *,
    archived: bool | None,
    limit: int,
    offset: int,
) -> Page[ContactSummary] | None:
    """A page by relevance and its total read in one statement, or None when the query matches more than
    ``BROAD_MATCH`` contacts (its page comes by name) or the page is empty
    though something matches (a page past the end: its total is unknown here).

    The usual way counts the matches first, to choose between relevance and name, and then reads the page:
    the index works out the matches twice. For a query expected to match few contacts, this reads the page as
    :func:`_ranked` does and counts the matches it scored, scoring at most ``BROAD_MATCH + 1`` of them, so a
    query that turns out broad costs that many scores before the usual way takes over. ``cond`` holds no
    filter but ``archived``: the matches it leaves out are counted among the scored ones."""
    args: dict[str, Any] = {**params, "cap": BROAD_MATCH + 1, "limit": limit, "offset": offset}
    left_out = "0"
    if archived is not None:
        # the matches the condition leaves out: fewer contacts of that kind than can be scored (the usual
        # case) are each looked up among the scored ones, else each scored one is looked up (at most ``cap``
        # lookups either way; a join would let SQLite build a Bloom filter of every contact)
        args["archived_left_out"] = not archived
        if _fewer_than(tx, not archived, BROAD_MATCH + 1):
            left_out = (
                "SELECT count(*) FROM contacts x WHERE x.archived = :archived_left_out "
                "AND +x.id IN (SELECT contact_id FROM m)"
            )
        else:
            left_out = (
                "SELECT count(*) FROM m "
                "WHERE (SELECT x.archived FROM contacts x WHERE x.id = m.contact_id) = :archived_left_out"
            )
    rows = tx.all(
        f"WITH m AS MATERIALIZED ({match_sql} LIMIT :cap), left_out AS MATERIALIZED (SELECT ({left_out}) AS n), "
        "cut AS (SELECT score FROM m ORDER BY score LIMIT 1 OFFSET (:offset + :limit - 1 + (SELECT n FROM left_out))) "
        "SELECT c.id, (SELECT count(*) FROM m) AS matched, (SELECT n FROM left_out) AS left_out "
        "FROM m CROSS JOIN contacts c WHERE c.id = m.contact_id "
        f"AND (m.score <= (SELECT score FROM cut) OR NOT EXISTS (SELECT 1 FROM cut)) AND {cond} "
        "ORDER BY m.score, c.sort_name, c.id LIMIT :limit OFFSET :offset",
        args,
    )
    if not rows:
        # an empty page: no match at all (a query mistyped, the usual case), or a page past the end
        if tx.scalar(f"SELECT count(*) FROM ({match_sql} LIMIT 1) m", params) == 0:
            return Page([], 0, limit, offset, order="relevance")
        return None
    if rows[0]["matched"] > BROAD_MATCH:
        return None  # read the usual way, which remembers the query as broad
    total = rows[0]["matched"] - rows[0]["left_out"]
    return Page(
        load_many(tx, [r["id"] for r in rows], detail="summary"), total, limit, offset, order="relevance"
    )


#: a page of a broad search read along the name index walks at most this many contacts per match
WALK_PER_MATCH = 3


def _walked(
    tx: Tx, match_sql: str, cond: str, params: dict[str, Any], *, total: int, limit: int, offset: int
) -> list[int] | None:
    """A page of ``total`` (> BROAD_MATCH) matches by name, read by walking the name index from its start and
    keeping the contacts the match holds, or None when that would not pay, or did not fill the page. (SQLite is
    told to walk; PostgreSQL walks or gathers the matches, as it finds cheaper within the bound.)

    Reading the page the usual way looks every match up and sorts them all, about three times the cost of
    walking a contact of the name index. So the walk goes at most ``WALK_PER_MATCH * total`` contacts, up to
    the name found that far into the index, and is tried only when matches spread evenly (one every ``size /
    total`` contacts) would fill the page within half of that. A page filled within the walk is the one the
    usual query gives: every contact before the last one walked was seen."""
    budget = WALK_PER_MATCH * total
    size = int(tx.scalar("SELECT max(id) FROM contacts") or 0)  # ids are never reused: at least the count
    if 2 * (offset + limit) * size > budget * total:
        return None
    args = dict(params)
    bound = ""
    if budget < size:
        args["walk_end"] = tx.scalar(
            "SELECT sort_name FROM contacts ORDER BY sort_name LIMIT 1 OFFSET :budget", {"budget": budget}
        )
        bound = "" if args["walk_end"] is None else " AND c.sort_name <= :walk_end"
    hint, plus = (" INDEXED BY ix_contacts_sort_name", "+") if tx.db.is_sqlite else ("", "")
    ids = tx.column(
        f"SELECT c.id FROM contacts c{hint} "
        f"WHERE {plus}c.id IN (SELECT contact_id FROM ({match_sql}) m) AND {cond}{bound} "
        "ORDER BY c.sort_name, c.id LIMIT :limit OFFSET :offset",
        args,
    )
    return ids if len(ids) == limit or not bound else None


def resolve(db: Database, ref: str) -> int:
    """A contact id from a reference: an id, an exact email address, or a name (or a fragment of one).

    An exact name wins over fragments; several matches raise :class:`Ambiguous` with the candidates.
    """
    with db.read() as tx:
        return resolve_in(tx, ref)


def resolve_in(tx: Tx, ref: str) -> int:
    ref = (ref or "").strip()
    if not ref:
        raise InvalidInput("a contact reference is empty; give an id, an email address or a name")
    v.line(ref, "contact reference")
    if re.fullmatch(r"#?\d+", ref):
        cid = int(ref.lstrip("#"))
        if cid > MAX_ID or tx.scalar("SELECT id FROM contacts WHERE id = :i", {"i": cid}) is None:
            raise NotFound(f"no contact with id {cid}", hint="find one with: crm search NAME")
        return cid
    if "@" in ref:
        ids = tx.column(
            "SELECT DISTINCT contact_id FROM contact_emails WHERE value_key = :k ORDER BY contact_id",
            {"k": ref.casefold()},
        )
        what = "email"
    else:
        key = sort_key(ref)
        ids = tx.column("SELECT id FROM contacts WHERE sort_name = :k ORDER BY archived, id", {"k": key})
        what = "name"
        if not ids:
            ids = tx.column(
                "SELECT id FROM contacts WHERE sort_name LIKE :p ESCAPE '\\' ORDER BY archived, sort_name, id "
                "LIMIT 11",
                {"p": "%" + escape_like(key) + "%"},
            )
    if not ids:
        raise NotFound(
            f"no contact matches {what} {ref!r}", hint=f"find one with: crm search {ref.split('@')[0]}"
        )
    if len(ids) == 1:
        return ids[0]
    candidates = load_many(tx, ids[:10], detail="summary")
    more = " (showing 10)" if len(ids) > 10 else ""
    raise Ambiguous(
        f"{ref!r} matches {len(ids) if len(ids) <= 10 else 'more than 10'} contacts{more}; "
        "give an id or an email address",
        candidates,
    )


def refs(db: Database, ids: Sequence[int]) -> list[Ref]:
    with db.read() as tx:
        return [Ref(s.id, s.display_name) for s in load_many(tx, ids, detail="summary")]


def list_tags(db: Database) -> list[TagCount]:
    with db.read() as tx:
        rows = tx.all(
            "SELECT t.name, (SELECT count(*) FROM contact_tags ct JOIN contacts c ON c.id = ct.contact_id "
            "WHERE ct.tag_id = t.id AND NOT c.archived) AS contacts, "
            "(SELECT count(*) FROM company_tags ct WHERE ct.tag_id = t.id) AS companies "
            "FROM tags t ORDER BY t.name_key"
        )
    return [TagCount(r["name"], r["contacts"], r["companies"]) for r in rows]


def candidates_label(items: list[ContactSummary] | list[Ref]) -> list[str]:
    out = []
    for c in items:
        if isinstance(c, ContactSummary):
            extra = ", ".join(x for x in (c.email, c.company) if x)
            out.append(f"{c.id}\t{c.display_name}" + (f"\t{extra}" if extra else ""))
        else:
            out.append(f"{c.id}\t{c.name}")
    return out
