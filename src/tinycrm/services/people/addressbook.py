"""What a mail client's address book asks for: every email address of the contacts a search found.

``crm search --format mutt`` (and ``aerc``) prints one line per address, so it needs all of a contact's
addresses, where a search result (:class:`~tinycrm.domain.people.ContactSummary`) carries only the first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import TypeVar

from tinycrm.domain.rows import ContactSummary, Labeled
from tinycrm.store.database import Database
from tinycrm.store.sql import placeholders

#: contacts per query: a bounded IN list, whatever the size of the page
CHUNK = 500


def emails_of(db: Database, contact_ids: Sequence[int]) -> dict[int, list[Labeled]]:
    """Every email address of these contacts, first address first (as ``contact show`` lists them), by
    contact id; a contact with no address (or that no longer exists) is left out."""
    out: dict[int, list[Labeled]] = {}
    ids = list(contact_ids)
    with db.read() as tx:
        for start in range(0, len(ids), CHUNK):
            marks, params = placeholders("i", ids[start : start + CHUNK])
            for row in tx.all(
                f"SELECT contact_id, value, label FROM contact_emails WHERE contact_id IN ({marks}) "
                "ORDER BY contact_id, position, id",
                params,
            ):
                out.setdefault(row["contact_id"], []).append(Labeled(row["value"], row["label"]))
    return out


C = TypeVar("C", bound=ContactSummary)


def with_emails(db: Database, contacts: Iterable[C]) -> Iterator[tuple[C, list[Labeled]]]:
    """Each contact with every email address of it (:func:`emails_of`), read :data:`CHUNK` contacts at a time
    as they come: a stream of contacts (``crm search --all``) stays a stream, at the same memory whatever its
    length."""
    items = iter(contacts)
    while chunk := list(islice(items, CHUNK)):
        emails = emails_of(db, [c.id for c in chunk])
        for c in chunk:
            yield c, emails.get(c.id, [])
