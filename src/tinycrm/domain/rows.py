"""What lists are made of: a page of a list, the rows and small values that a contact list or a search shows
(``crm search``, ``crm contact list``, the app's lists), and :func:`to_json`, which turns them (and every other
read model) into the JSON of ``--json``.

They live apart from :mod:`tinycrm.domain.people`, which names them too, so that the read path builds only these
few dataclasses: creating one costs about half a millisecond at import, and ``crm search`` runs whole in a few
tens of milliseconds.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")

#: the fields :func:`to_json` writes, per read model class
_public_fields: dict[type, tuple[str, ...]] = {}


def to_json(value: Any) -> Any:
    """A JSON-ready structure (dicts, lists, strings, numbers) for any read model."""
    if value is None or isinstance(value, (str, int, float)):  # bool is an int
        return value
    names = _public_fields.get(type(value))
    if names is None and is_dataclass(value) and not isinstance(value, type):
        names = _public_fields[type(value)] = tuple(
            f.name for f in fields(value) if not f.name.startswith("_")
        )
    if names is not None:
        return {name: to_json(getattr(value, name)) for name in names}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, datetime):
        from tinycrm.domain.dates import to_iso

        return to_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    decimal = sys.modules.get("decimal")  # not imported: then no value is a Decimal (saves its import)
    if decimal is not None and isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode("ascii")
    return value


@dataclass(frozen=True)
class Labeled:
    """An email address or phone number with its type label (``work``, ``home``, ``mobile``...)."""

    value: str
    label: str | None = None


@dataclass(frozen=True)
class Ref:
    """A pointer to another record, with what a person needs to recognise it."""

    id: int
    name: str


@dataclass(frozen=True)
class ContactSummary:
    """A row of a contact list or search result."""

    id: int
    display_name: str
    company: str | None
    email: str | None
    phone: str | None
    tags: list[str]
    archived: bool
    job_title: str | None = None


@dataclass(frozen=True)
class TagCount:
    """A tag and how many (active) contacts and companies carry it."""

    name: str
    contacts: int
    companies: int


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list: ``items`` from ``offset``, of ``total`` in all."""

    items: list[T]
    total: int
    limit: int | None
    offset: int
    #: ``total`` is an estimate (a search the app asked not to count exactly)
    estimate: bool = False
    #: how search results are ordered: ``relevance`` (several words); ``name`` (one word, or a query matching
    #: thousands) or ``newest`` (a query matching thousands, as you type)
    order: str = ""

    @property
    def more(self) -> bool:
        return self.offset + len(self.items) < self.total


class Stream(Generic[T]):
    """A whole list (``--all``) read as it is shown: ``items`` come from the store a batch at a time, so memory
    stays the same however long the list is. ``offset``: where it starts; ``shown`` counts the items given so
    far (the list's length once they have all been read); ``total``: how long the whole list is, when the
    reader counted it (it may set it once it has begun). A plain class: see the module's description."""

    limit = None

    def __init__(self, items: Iterable[T], offset: int = 0, total: int | None = None) -> None:
        self.items: Iterator[T] = self._count(items)
        self.offset = offset
        self.shown = 0
        self.total = total

    def _count(self, items: Iterable[T]) -> Iterator[T]:
        for item in items:
            self.shown += 1
            yield item
