"""Segments: saved, named queries of the query language (:mod:`tinycrm.domain.query`), evaluated when used."""

from __future__ import annotations

from typing import Any

from tinycrm.domain import validation as v
from tinycrm.domain.errors import Conflict, InvalidInput, NotFound
from tinycrm.domain.marketing import SegmentRead
from tinycrm.services.common import audit, now
from tinycrm.store.database import Database, Tx, as_datetime


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("a segment name is empty; give a name such as 'newsletter'")
    v.line(name, "segment name")
    if len(name) > 200:
        raise InvalidInput("a segment name is at most 200 characters")
    return name


def _query(tx: Tx, query: str) -> str:
    from tinycrm.services.people.query import compile_query

    query = (query or "").strip()
    if not query:
        raise InvalidInput("the segment query is empty; give one such as --query 'tag:customer has:email'")
    v.line(query, "segment query")
    compile_query(tx, query)  # unknown fields, bad dates and stages are refused now, not when used
    return query


def count_members(tx: Tx, query: str) -> int:
    from tinycrm.services.people.query import compile_query

    cond, params = compile_query(tx, query)
    return int(tx.scalar(f"SELECT count(*) FROM contacts c WHERE NOT c.archived AND {cond}", params))


def _read(tx: Tx, row: Any) -> SegmentRead:
    return SegmentRead(
        row["id"],
        row["name"],
        row["query"],
        count_members(tx, row["query"]),
        as_datetime(row["created_at"]),  # type: ignore[arg-type]
        as_datetime(row["updated_at"]),  # type: ignore[arg-type]
    )


def row_in(tx: Tx, name: str) -> Any:
    row = tx.one("SELECT * FROM segments WHERE name_key = :k", {"k": _name(name).casefold()})
    if row is None:
        raise NotFound(f"no segment named {name!r}", hint="see them with: crm segment list")
    return row


def add(db: Database, name: str, query: str) -> SegmentRead:
    name = _name(name)
    with db.write() as tx:
        query = _query(tx, query)
        if tx.scalar("SELECT id FROM segments WHERE name_key = :k", {"k": name.casefold()}):
            raise Conflict(
                f"a segment named {name!r} exists", hint="choose another name or crm segment edit it"
            )
        stamp = now()
        sid = tx.insert(
            "INSERT INTO segments (name, name_key, query, created_at, updated_at) "
            "VALUES (:n, :k, :q, :t, :t) RETURNING id",
            {"n": name, "k": name.casefold(), "q": query, "t": stamp},
        )
        audit(tx, "create", "segment", sid, {"name": (None, name), "query": (None, query)})
        return _read(tx, row_in(tx, name))


def get(db: Database, name: str) -> SegmentRead:
    with db.read() as tx:
        return _read(tx, row_in(tx, name))


def query_of(db: Database, name: str) -> str:
    with db.read() as tx:
        return str(row_in(tx, name)["query"])


def list_segments(db: Database) -> list[SegmentRead]:
    with db.read() as tx:
        return [_read(tx, r) for r in tx.all("SELECT * FROM segments ORDER BY name_key")]


def edit(db: Database, name: str, *, new_name: str | None = None, query: str | None = None) -> SegmentRead:
    if new_name is None and query is None:
        raise InvalidInput("nothing to change: give --name or --query")
    with db.write() as tx:
        row = row_in(tx, name)
        changes: dict[str, tuple[Any, Any]] = {}
        values = {"n": row["name"], "q": row["query"]}
        if new_name is not None:
            values["n"] = _name(new_name)
            other = tx.scalar(
                "SELECT id FROM segments WHERE name_key = :k AND id <> :i",
                {"k": values["n"].casefold(), "i": row["id"]},
            )
            if other:
                raise Conflict(f"a segment named {values['n']!r} exists; choose another name")
            changes["name"] = (row["name"], values["n"])
        if query is not None:
            values["q"] = _query(tx, query)
            changes["query"] = (row["query"], values["q"])
        tx.execute(
            "UPDATE segments SET name = :n, name_key = :k, query = :q, updated_at = :t WHERE id = :i",
            {**values, "k": values["n"].casefold(), "t": now(), "i": row["id"]},
        )
        audit(tx, "update", "segment", row["id"], changes)
        return _read(tx, row_in(tx, values["n"]))


def delete(db: Database, name: str) -> SegmentRead:
    with db.write() as tx:
        row = row_in(tx, name)
        before = _read(tx, row)
        tx.execute("DELETE FROM segments WHERE id = :i", {"i": row["id"]})
        audit(
            tx, "delete", "segment", row["id"], {"name": (row["name"], None), "query": (row["query"], None)}
        )
        return before


def query_from(text: str = "", *, tag: str | None = None, company: str | None = None) -> str:
    """The query of a search and the list's tag and company filters (the app saves its current view as a
    segment with it): ``ada tag:vip company:"Acme Corporation"``."""

    def term(key: str, value: str) -> str:
        value = value.replace('"', "").strip()
        return f'{key}:"{value}"' if any(ch.isspace() for ch in value) else f"{key}:{value}"

    parts = [(text or "").strip()]
    if tag:
        parts.append(term("tag", tag))
    if company:
        parts.append(term("company", company))
    return " ".join(p for p in parts if p)


def members(
    db: Database,
    name: str,
    *,
    search: str = "",
    limit: int | None = 20,
    offset: int = 0,
    sort: str = "name",
    tag: str | None = None,
    company: str | None = None,
    archived: bool | None = False,
) -> Any:
    """A page of a segment's members (a ``Page`` of contact summaries), paged in SQL; ``search``: only those
    that a search query also finds (in the search's order), as the app's contact list searches in a segment."""
    from tinycrm.services.people import contact_search

    query = query_of(db, name)
    if not (search or "").strip():
        return contact_search.list_contacts(
            db,
            query=query,
            limit=limit,
            offset=offset,
            sort=sort,
            tag=tag,
            company=company,
            archived=archived,
        )
    return contact_search.search(
        db,
        f"{query} {search.strip()}",
        limit=limit,
        offset=offset,
        tag=tag,
        company=company,
        archived=archived,
        exact_total=False,
    )
