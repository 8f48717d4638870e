"""Full-text search over contacts, the same on every store.

The text of each contact is *normalised in Python* before it reaches the index, and every query term goes
through the same function, so the stores only ever compare plain lower-case tokens:

* case-folded (NFKC + ``casefold``), accents removed from Latin and Greek letters (``Müller`` = ``muller``,
  ``Ελένη`` = ``ελενη``), a few letters with no decomposition mapped by hand (``ø``, ``ł``, ``æ``...);
* Cyrillic kept as is but for case (``й`` stays distinct from ``и``);
* Han, kana and Hangul characters each made a token of their own, so a query on part of a CJK name is a
  phrase of characters and matches anywhere in the name;
* everything that is not a letter or digit becomes a space (``bob@acme.com`` is ``bob acme com``).

Query syntax: words are ANDed; every word matches as a prefix; ``"quoted words"`` match as a phrase;
``field:value`` restricts a word to one field (``name``, ``email``, ``phone``, ``company``, ``notes``,
``tag``). The index lives in SQLite FTS5 or in PostgreSQL tsvector columns behind :class:`SearchIndex`; the
rows are written by the same transaction that changes the contact.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tinycrm.domain.errors import InvalidInput

if TYPE_CHECKING:
    from tinycrm.store.database import Tx

FIELDS = ("name", "email", "phone", "company", "notes", "tags")
ALIASES = {
    "name": "name",
    "email": "email",
    "mail": "email",
    "phone": "phone",
    "tel": "phone",
    "company": "company",
    "org": "company",
    "title": "company",
    "notes": "notes",
    "note": "notes",
    "tag": "tags",
    "tags": "tags",
}

_EXTRA = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"})
_NON_WORD = re.compile(r"[\W_]+")


def _is_cjk(cp: int) -> bool:
    return (
        0x3040 <= cp <= 0x30FF  # hiragana, katakana
        or 0x3400 <= cp <= 0x4DBF  # CJK extension A
        or 0x4E00 <= cp <= 0x9FFF  # CJK unified ideographs
        or 0xAC00 <= cp <= 0xD7AF  # Hangul syllables
        or 0xF900 <= cp <= 0xFAFF  # compatibility ideographs
        or 0x20000 <= cp <= 0x2FA1F  # extensions B-F
    )


def _strip_marks(ch: str) -> str:
    decomposed = unicodedata.normalize("NFD", ch)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize(text: str | None) -> str:
    """Text as the index sees it: lower-case word tokens separated by single spaces."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        out = []
        for ch in text.translate(_EXTRA):
            cp = ord(ch)
            if cp < 0x80:
                out.append(ch)
            elif cp <= 0x24F or 0x1E00 <= cp <= 0x1EFF or 0x370 <= cp <= 0x3FF or 0x1F00 <= cp <= 0x1FFF:
                out.append(_strip_marks(ch))  # Latin and Greek: no accents
            elif _is_cjk(cp):
                out.append(f" {ch} ")
            else:
                out.append(ch)
        text = "".join(out)
    return _NON_WORD.sub(" ", text).strip()


def tokens(text: str | None) -> list[str]:
    norm = normalize(text)
    return norm.split() if norm else []


def phone_digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def phone_tokens(value: str) -> list[str]:
    """A phone number as written, its digits, and its national forms (the last 10 and 9 digits)."""
    digits = phone_digits(value)
    out = tokens(value)
    for form in (digits, digits[-10:], digits[-9:]):
        if form and form not in out:
            out.append(form)
    return out


# --- queries --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One term of a query: words that match together (a phrase, or one word as a prefix), in one field or any."""

    tokens: tuple[str, ...]
    field: str | None = None  # None: any field
    prefix: bool = True


_TERM = re.compile(r'(?:(\w+):)?(?:"([^"]*)"?|(\S*))')


_EXAMPLE = {
    "name": "ada",
    "email": "@acme.com",
    "phone": "5551234",
    "company": "acme",
    "notes": "invoice",
    "tags": "vip",
}


class NothingToSearch(InvalidInput):
    """A query, or a ``field:`` in it, with no letter or digit to search for (``🦄``, ``***``, ``tag:``)."""


def parse(query: str, *, aliases: dict[str, str] = ALIASES) -> list[Term]:
    """Parse a search query. A blank query gives no terms; raise :class:`InvalidInput` for an unknown field,
    and :class:`NothingToSearch` for a query with no letter or digit (it would match everyone) or a field with
    nothing to search for in it (``tag:``, ``name:*``). ``aliases``: the fields a query may name (those of
    contacts, or :data:`KB_ALIASES`)."""
    terms: list[Term] = []
    for match in _TERM.finditer(query):
        field, quoted, word = match.group(1), match.group(2), match.group(3)
        if field is None and not quoted and not word:
            continue  # between words, or an empty ""
        field_key = None
        if field is not None:
            field_key = aliases.get(field.casefold())
            if field_key is None:
                if quoted is None:
                    # "10:30", "http://x" or "note:" is a word, not a field
                    word = f"{field}:{word}"
                else:
                    known = (
                        "name, email, phone, company, notes, tag"
                        if aliases is ALIASES
                        else ", ".join(sorted(set(aliases.values())))
                    )
                    raise InvalidInput(f"unknown search field {field!r}; use one of: {known}")
        text = quoted if quoted is not None else word
        toks = tuple(tokens(text))
        if field_key == "phone" and phone_digits(text):
            toks = (phone_digits(text),)
        if toks:
            terms.append(Term(tokens=toks, field=field_key, prefix=quoted is None))
        elif field_key is not None and not text:
            raise NothingToSearch(
                f"{field}: has no value; write the value right after the colon, e.g. "
                f"{field}:{_EXAMPLE.get(field_key, 'word')}"
            )
        elif field_key is not None:
            raise NothingToSearch(f"{match.group(0)!r} has no letters or digits to search for")
    if not terms and query.strip():
        raise NothingToSearch(
            f"the search query {query.strip()!r} has no letters or digits to search for; "
            "search for a name, an email, a phone number, a company or a tag"
        )
    return terms


# --- the index ------------------------------------------------------------------------------------------


class SearchIndex:
    """What a store must provide for search. Services call only these methods."""

    def write(self, tx: Tx, contact_ids: Iterable[int], docs: dict[int, dict[str, str]]) -> None:
        """Replace the index rows of these contacts with ``docs`` (contact id -> text by field, as
        :func:`normalize` and :func:`phone_tokens` make it); a contact missing from ``docs`` loses its row.
        The services build the documents from the one contact loader."""
        ids = sorted(set(contact_ids))
        if not ids:
            return
        self._delete(tx, ids)
        if docs:
            self._insert(tx, docs)

    def clear(self, tx: Tx) -> None:
        """Empty the index (a rebuild then writes every contact's document)."""
        self._clear(tx)

    def match(self, terms: Sequence[Term]) -> tuple[str, dict[str, Any]]:
        """A SELECT of ``contact_id, score`` (lower is better) for the contacts matching every term."""
        raise NotImplementedError

    def _delete(self, tx: Tx, ids: Sequence[int]) -> None:
        raise NotImplementedError

    def _insert(self, tx: Tx, docs: dict[int, dict[str, str]]) -> None:
        raise NotImplementedError

    def _clear(self, tx: Tx) -> None:
        raise NotImplementedError


class SqliteFtsIndex(SearchIndex):
    """SQLite FTS5: one virtual table ``contact_search`` whose rowid is the contact id."""

    def _delete(self, tx: Tx, ids: Sequence[int]) -> None:
        from tinycrm.store.sql import placeholders

        marks, params = placeholders("i", ids)
        tx.execute(f"DELETE FROM contact_search WHERE rowid IN ({marks})", params)

    def _insert(self, tx: Tx, docs: dict[int, dict[str, str]]) -> None:
        tx.executemany(
            "INSERT INTO contact_search (rowid, name, email, phone, company, notes, tags) "
            "VALUES (:id, :name, :email, :phone, :company, :notes, :tags)",
            [{"id": cid, **fields} for cid, fields in docs.items()],
        )

    def _clear(self, tx: Tx) -> None:
        tx.execute("DELETE FROM contact_search")

    def match(self, terms: Sequence[Term]) -> tuple[str, dict[str, Any]]:
        parts = []
        for term in terms:
            phrase = '"' + " ".join(term.tokens) + '"' + (" *" if term.prefix else "")
            parts.append(f"{{{term.field}}} : {phrase}" if term.field else phrase)
        return (
            # bm25() itself: the same figure as the ``rank`` column, a third cheaper to work out per match
            "SELECT rowid AS contact_id, bm25(contact_search) AS score FROM contact_search "
            "WHERE contact_search MATCH :fts",
            {"fts": " AND ".join(parts)},
        )


class PostgresTsIndex(SearchIndex):
    """PostgreSQL: a table ``contact_search`` with one ``tsvector`` per field (``simple`` configuration,
    fed the already normalised text) and one for all fields, each under a GIN index."""

    def _delete(self, tx: Tx, ids: Sequence[int]) -> None:
        from tinycrm.store.sql import placeholders

        marks, params = placeholders("i", ids)
        tx.execute(f"DELETE FROM contact_search WHERE contact_id IN ({marks})", params)

    #: bytes of text indexed per contact: a tsvector holds at most 1 MB, about 2.5x its text at worst, so the
    #: end of a very long note (the text is stored whole) is not searchable on PostgreSQL
    BUDGET = 300_000

    def _insert(self, tx: Tx, docs: dict[int, dict[str, str]]) -> None:
        cols = ", ".join(f"{f}_v" for f in FIELDS)
        vals = ", ".join(f"to_tsvector('simple', :{f})" for f in FIELDS)
        every = " || ' ' || ".join(f":{f}" for f in FIELDS)
        tx.executemany(
            f"INSERT INTO contact_search (contact_id, {cols}, all_v) "
            f"VALUES (:id, {vals}, to_tsvector('simple', {every}))",
            [{"id": cid, **self._within_budget(fields)} for cid, fields in docs.items()],
        )

    def _within_budget(self, fields: dict[str, str]) -> dict[str, str]:
        left = self.BUDGET
        out = dict(fields)
        for f in sorted(FIELDS, key=lambda f: f == "notes"):  # notes, the long one, last
            data = out[f].encode("utf-8")
            if len(data) > left:
                cut = data[: max(left, 0)].decode("utf-8", "ignore")
                out[f] = cut.rsplit(" ", 1)[0] if " " in cut else cut
            left -= len(out[f].encode("utf-8")) + 1
        return out

    def _clear(self, tx: Tx) -> None:
        tx.execute("DELETE FROM contact_search")

    def match(self, terms: Sequence[Term]) -> tuple[str, dict[str, Any]]:
        where = []
        params: dict[str, Any] = {}
        for i, term in enumerate(terms):
            query = " <-> ".join(f"'{t}'" for t in term.tokens) + (":*" if term.prefix else "")
            params[f"q{i}"] = query
            if term.field:
                where.append(f"{term.field}_v @@ to_tsquery('simple', :q{i})")
            elif len(term.tokens) == 1:
                where.append(f"all_v @@ to_tsquery('simple', :q{i})")
            else:
                # a phrase matches inside one field, as in FTS5 (all_v would let it run on from the end of
                # the name into the email)
                where.append("(" + " OR ".join(f"{f}_v @@ to_tsquery('simple', :q{i})" for f in FIELDS) + ")")
        if not where:
            where.append("FALSE")
        first = "all_v"
        return (
            f"SELECT contact_id, -ts_rank({first}, to_tsquery('simple', :q0)) AS score "
            f"FROM contact_search WHERE {' AND '.join(where)}",
            params,
        )


def index_for(dialect: str) -> SearchIndex:
    return SqliteFtsIndex() if dialect == "sqlite" else PostgresTsIndex()


# --- the knowledge base ---------------------------------------------------------------------------------

#: the fields of an article's index row, and the names a query may give them
KB_FIELDS = ("title", "body", "tags")
KB_ALIASES = {"title": "title", "body": "body", "text": "body", "tag": "tags", "tags": "tags"}


class ArticleIndex:
    """The knowledge base's index, built like the contacts' one: ``kb_search`` (FTS5 on SQLite, tsvector
    columns on PostgreSQL), fed text made by :func:`normalize`, queried with terms from :func:`parse`."""

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"

    def write(self, tx: Tx, article_id: int, doc: dict[str, str] | None) -> None:
        """Replace the index row of an article with ``doc`` (field -> normalised text); None removes it."""
        key = "rowid" if self.sqlite else "article_id"
        tx.execute(f"DELETE FROM kb_search WHERE {key} = :i", {"i": article_id})
        if doc is None:
            return
        fields = {f: doc.get(f, "")[: PostgresTsIndex.BUDGET] for f in KB_FIELDS}
        if self.sqlite:
            tx.execute(
                "INSERT INTO kb_search (rowid, title, body, tags) VALUES (:i, :title, :body, :tags)",
                {"i": article_id, **fields},
            )
            return
        tx.execute(
            "INSERT INTO kb_search (article_id, title_v, body_v, tags_v, all_v) VALUES (:i, "
            "to_tsvector('simple', :title), to_tsvector('simple', :body), to_tsvector('simple', :tags), "
            "to_tsvector('simple', :title || ' ' || :body || ' ' || :tags))",
            {"i": article_id, **fields},
        )

    def rebuild(self, tx: Tx) -> int:
        """Index every article again from ``kb_articles`` (after a restore or a copy, which carry the articles
        but not their index); give how many."""
        key = "rowid" if self.sqlite else "article_id"
        tx.execute(f"DELETE FROM kb_search WHERE {key} IS NOT NULL")
        rows = tx.all("SELECT id, title, body, tags FROM kb_articles ORDER BY id")
        for r in rows:
            doc = {"title": normalize(r["title"]), "body": normalize(r["body"]), "tags": normalize(r["tags"])}
            self.write(tx, r["id"], doc)
        return len(rows)

    def match(self, terms: Sequence[Term]) -> tuple[str, dict[str, Any]]:
        """A SELECT of ``article_id, score`` (lower is better) for the articles matching every term."""
        if self.sqlite:
            parts = []
            for term in terms:
                phrase = '"' + " ".join(term.tokens) + '"' + (" *" if term.prefix else "")
                parts.append(f"{{{term.field}}} : {phrase}" if term.field else phrase)
            return (
                "SELECT rowid AS article_id, rank AS score FROM kb_search WHERE kb_search MATCH :fts",
                {"fts": " AND ".join(parts)},
            )
        where = []
        params: dict[str, Any] = {}
        for i, term in enumerate(terms):
            params[f"q{i}"] = " <-> ".join(f"'{t}'" for t in term.tokens) + (":*" if term.prefix else "")
            if term.field:
                where.append(f"{term.field}_v @@ to_tsquery('simple', :q{i})")
            elif len(term.tokens) == 1:
                where.append(f"all_v @@ to_tsquery('simple', :q{i})")
            else:
                where.append(
                    "(" + " OR ".join(f"{f}_v @@ to_tsquery('simple', :q{i})" for f in KB_FIELDS) + ")"
                )
        return (
            "SELECT article_id, -ts_rank(all_v, to_tsquery('simple', :q0)) AS score "
            f"FROM kb_search WHERE {' AND '.join(where) or 'FALSE'}",
            params,
        )
