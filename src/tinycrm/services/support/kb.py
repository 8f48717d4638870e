"""The knowledge base: articles in Markdown with tags, published or draft, searched like contacts (the same
normalising and query rules, :mod:`tinycrm.store.search`), exported as Markdown files with front matter."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tinycrm.domain import validation as v
from tinycrm.domain.errors import Conflict, InvalidInput, NotFound
from tinycrm.domain.rows import Page
from tinycrm.domain.support import ArticleRead
from tinycrm.services.common import audit, now, update_versioned
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.search import KB_ALIASES, ArticleIndex, normalize, parse
from tinycrm.store.sql import check_page, page_sql

EDITABLE = frozenset({"title", "body", "tags", "published", "slug"})
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(title: str) -> str:
    words = normalize(title).split()
    slug = "-".join(w for w in words if w.isascii() and w.isalnum())[:120].strip("-")
    return slug or "article"


def check_slug(value: str) -> str:
    slug = (value or "").strip().lower()
    if not _SLUG.match(slug) or len(slug) > 200:
        raise InvalidInput(
            f"slug {value!r} is not lower-case letters, digits and single dashes (e.g. reset-password)",
            field="slug",
        )
    return slug


def _tags(tags: Sequence[str]) -> str:
    out: list[str] = []
    for t in tags:
        name = "-".join((v.line(t, "tag", max_len=60, required=True) or "").split())
        if name.casefold() not in (o.casefold() for o in out):
            out.append(name)
    return " ".join(out)


def _doc(title: str, body: str, tags: str) -> dict[str, str]:
    return {"title": normalize(title), "body": normalize(body), "tags": normalize(tags)}


def _read(tx: Tx, article_id: int) -> ArticleRead:
    from tinycrm import config
    from tinycrm.config.support import Support

    r = tx.one("SELECT * FROM kb_articles WHERE id = :i", {"i": article_id})
    if r is None:
        raise NotFound(f"no article {article_id}", hint="crm kb list shows them")
    base = config.get(Support).kb_url
    return ArticleRead(
        id=r["id"],
        slug=r["slug"],
        title=r["title"],
        body=r["body"],
        tags=r["tags"].split() if r["tags"] else [],
        published=bool(r["published"]),
        created_at=as_datetime(r["created_at"]),  # type: ignore[arg-type]
        updated_at=as_datetime(r["updated_at"]),  # type: ignore[arg-type]
        version=r["version"],
        url=(base.rstrip("/") + "/" + r["slug"]) if base else None,
    )


def resolve(tx: Tx, ref: str) -> int:
    """An article by id or slug."""
    text = (ref or "").strip()
    if text.isascii() and text.isdigit() and int(text) < 2**31:
        found = tx.scalar("SELECT id FROM kb_articles WHERE id = :i", {"i": int(text)})
    else:
        found = tx.scalar("SELECT id FROM kb_articles WHERE slug = :s", {"s": text.lower()})
    if found is None:
        raise NotFound(f"no article {ref!r}", hint="crm kb list shows them")
    return int(found)


def add(
    db: Database,
    *,
    title: str,
    body: str | None,
    tags: Sequence[str] = (),
    published: bool = True,
    slug: str | None = None,
) -> ArticleRead:
    t = v.line(title, "title", max_len=300, required=True) or ""
    text = v.text(body, "body") or ""
    tag_line = _tags(tags)
    s = check_slug(slug) if slug else slugify(t)
    with db.write() as tx:
        if slug is None:
            base, n = s, 1
            while tx.scalar("SELECT id FROM kb_articles WHERE slug = :s", {"s": s}) is not None:
                n += 1
                s = f"{base}-{n}"
        elif tx.scalar("SELECT id FROM kb_articles WHERE slug = :s", {"s": s}) is not None:
            raise Conflict(f"an article with the slug {s!r} exists; choose another --slug")
        stamp = now()
        aid = tx.insert(
            "INSERT INTO kb_articles (slug, title, body, tags, published, created_at, updated_at, version) "
            "VALUES (:s, :t, :b, :g, :p, :at, :at, 1) RETURNING id",
            {"s": s, "t": t, "b": text, "g": tag_line, "p": published, "at": stamp},
        )
        ArticleIndex(db.dialect.name).write(tx, aid, _doc(t, text, tag_line))
        audit(tx, "create", "article", aid, {"title": (None, t)})
        return _read(tx, aid)


def edit(
    db: Database, ref: str, changes: Mapping[str, Any], *, expected_version: int | None = None
) -> ArticleRead:
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of an article")
    sets: dict[str, Any] = {}
    if "title" in changes:
        sets["title"] = v.line(changes["title"], "title", max_len=300, required=True)
    if "body" in changes:
        sets["body"] = v.text(changes["body"], "body") or ""
    if "tags" in changes:
        sets["tags"] = _tags(changes["tags"])
    if "published" in changes:
        sets["published"] = bool(changes["published"])
    if "slug" in changes:
        sets["slug"] = check_slug(changes["slug"])
    with db.write() as tx:
        aid = resolve(tx, ref)
        tx.lock_rows("kb_articles", [aid])
        before = _read(tx, aid)
        if "slug" in sets and sets["slug"] != before.slug:
            if tx.scalar("SELECT id FROM kb_articles WHERE slug = :s", {"s": sets["slug"]}) is not None:
                raise Conflict(f"an article with the slug {sets['slug']!r} exists; choose another")
        update_versioned(tx, "kb_articles", "article", aid, expected_version or before.version, sets)
        after = _read(tx, aid)
        ArticleIndex(db.dialect.name).write(tx, aid, _doc(after.title, after.body, " ".join(after.tags)))
        audit(tx, "update", "article", aid, {k: (getattr(before, k, None), v_) for k, v_ in sets.items()})
        return after


def get(db: Database, ref: str) -> ArticleRead:
    with db.read() as tx:
        return _read(tx, resolve(tx, ref))


def list_page(
    db: Database, *, drafts: bool = True, tag: str | None = None, limit: int | None = 20, offset: int = 0
) -> Page[ArticleRead]:
    check_page(limit, offset)
    conds = ["1=1"] if drafts else ["published"]
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if tag:
        conds.append("(' ' || lower(tags) || ' ') LIKE :tag")
        params["tag"] = f"% {tag.strip().lower()} %"
    cond = " AND ".join(conds)
    with db.read() as tx:
        total = tx.scalar(f"SELECT count(*) FROM kb_articles WHERE {cond}", params)
        ids = tx.column(
            f"SELECT id FROM kb_articles WHERE {cond} ORDER BY updated_at DESC, id DESC{page_sql(limit)}",
            params,
        )
        return Page([_read(tx, i) for i in ids], total, limit, offset)


def search(
    db: Database, query: str, *, drafts: bool = False, limit: int | None = 20, offset: int = 0
) -> Page[ArticleRead]:
    """Articles matching ``query`` (words ANDed, prefixes, ``"phrases"``, ``title:`` ``body:`` ``tag:``), best first."""
    check_page(limit, offset)
    terms = parse(query, aliases=KB_ALIASES)
    if not terms:
        raise InvalidInput("the search query is empty; give words to search for")
    sql, params = ArticleIndex(db.dialect.name).match(terms)
    cond = "" if drafts else " WHERE a.published"
    with db.read() as tx:
        rows = tx.all(
            f"SELECT a.id FROM ({sql}) m JOIN kb_articles a ON a.id = m.article_id{cond} "
            f"ORDER BY m.score, a.id{page_sql(limit)}",
            {**params, "limit": limit, "offset": offset},
        )
        total = tx.scalar(
            f"SELECT count(*) FROM ({sql}) m JOIN kb_articles a ON a.id = m.article_id{cond}", params
        )
        return Page([_read(tx, r["id"]) for r in rows], total, limit, offset)


def for_template(db: Database, slug: str) -> dict[str, Any]:
    """What ``article("slug")`` gives a reply template: title, url, body (Markdown), slug."""
    with db.read() as tx:
        a = _read(tx, resolve(tx, str(slug)))
    return {"title": a.title, "url": a.url or "", "body": a.body, "slug": a.slug}


def front_matter(a: ArticleRead) -> str:
    import json

    lines = [
        "---",
        f"title: {json.dumps(a.title, ensure_ascii=False)}",
        f"slug: {a.slug}",
        f"tags: [{', '.join(json.dumps(t, ensure_ascii=False) for t in a.tags)}]",
        f"draft: {'false' if a.published else 'true'}",
        f"date: {a.created_at.date().isoformat()}",
        f"updated: {a.updated_at.isoformat()}",
        "---",
        "",
    ]
    return "\n".join(lines) + a.body.rstrip("\n") + "\n"


def export(db: Database, folder: Path, *, drafts: bool = False) -> list[Path]:
    """One ``SLUG.md`` per article (published ones; ``drafts`` too), with YAML front matter. Refuses to
    overwrite a file that differs."""
    planned: list[tuple[Path, str]] = []
    offset = 0
    while True:
        page = list_page(db, drafts=drafts, limit=500, offset=offset)
        planned += [(folder / f"{a.slug}.md", front_matter(a)) for a in page.items]
        if not page.more:
            break
        offset += len(page.items)
    for path, text in planned:  # checked before anything is written
        if path.exists() and path.read_text(encoding="utf-8", errors="replace") != text:
            raise Conflict(f"{path} exists and differs; export into an empty folder or remove it")
    folder.mkdir(parents=True, exist_ok=True)
    for path, text in planned:
        path.write_text(text, encoding="utf-8")
    return [p for p, _ in planned]
