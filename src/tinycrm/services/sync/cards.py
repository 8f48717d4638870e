"""One vCard file against one contact, inside a transaction: read it, find whose it is, apply it, render it.

The rules are the importer's (services/interchange): a card is matched by UID, then email, then phone, never by
name alone; a card about a stored contact replaces what the card can carry (names, emails, phones, addresses,
tags, notes, photo, kept properties) and leaves the rest (deals, tasks, interactions, custom fields a card from
another program does not mention); a card about no one becomes a new contact.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from tinycrm.domain.errors import InvalidInput
from tinycrm.formats.records import ContactData, ContactRecord
from tinycrm.services.common import drop_unused_tags
from tinycrm.services.interchange import merging
from tinycrm.services.interchange.contactdata import clean_extras, load_contacts, write_extras, write_photos
from tinycrm.services.interchange.matching import Keys, Lookup, Seen
from tinycrm.services.people.contact_loader import reindex
from tinycrm.store.database import Tx

#: a card larger than this is refused (a 20 MB photo is not an address-book entry)
MAX_CARD_BYTES = 5 * 1024 * 1024
VCARD_VERSION = "3.0"
#: a changed file replaces what its card can carry; a new file about a known contact only adds to it
REPLACE, MERGE = merging.REPLACE, merging.UPDATE


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Card:
    """A file's one vCard, read."""

    record: ContactRecord
    uid: str


def read_card(data: bytes, name: str) -> Card:
    """The one vCard a file holds; :class:`InvalidInput` (one line) for anything else."""
    from tinycrm.formats.vcard import VCardReader

    if len(data) > MAX_CARD_BYTES:
        raise InvalidInput(f"{len(data) // (1024 * 1024)} MB is more than a card may hold (5 MB); skipped")
    items = list(VCardReader(io.BytesIO(data), name))
    if not items:
        raise InvalidInput("not a vCard (no BEGIN:VCARD ... END:VCARD); skipped")
    if len(items) > 1:
        raise InvalidInput(f"holds {len(items)} vCards; a synced folder has one card per file")
    item = items[0]
    if item.record is None:
        raise InvalidInput(item.error or "cannot be read")
    record = item.record
    c = record.contact
    if not (c.uid and c.uid.strip()):
        raise InvalidInput("the card has no UID; give it one (any unique text) and sync again")
    if not (c.display_name and c.display_name.strip()) and not c.emails:
        raise InvalidInput("the card has no name (FN) and no email; give it a name and sync again")
    return Card(record, c.uid.strip())


def render(contact: ContactData) -> bytes:
    from tinycrm.formats.vcard import write_card

    return write_card(contact, VCARD_VERSION).encode("utf-8")


def load_many(tx: Tx, ids: list[int]) -> list[ContactData]:
    return load_contacts(tx, ids)


def load(tx: Tx, contact_id: int) -> ContactData | None:
    found = load_contacts(tx, [contact_id])
    return found[0] if found else None


def match(tx: Tx, card: Card) -> int | None:
    """The stored contact the card is about (UID, a merged-away UID, email, phone), or None."""
    keys = Keys.of(card.record)
    lookup = Lookup(tx, [keys], Seen())
    found = lookup.choose(keys)
    if found.cid is None and keys.uid:
        # matched by UID only when it has one: try its addresses too, so a phone's new card for a known person
        # is not a second contact
        plain = Keys(uid=None, emails=keys.emails, phones=keys.phones, name=None)
        found = Lookup(tx, [plain], Seen()).choose(plain)
    return found.cid


def apply(tx: Tx, contact_id: int, card: Card, *, mode: str = REPLACE) -> bool:
    """Make the stored contact what the card says (``mode``: REPLACE or MERGE) and bring it back from the
    archive; True when anything changed."""
    state = load(tx, contact_id)
    if state is None:
        return False
    if state.archived:
        from tinycrm.services.sync.state import set_archived

        set_archived(tx, contact_id, False)
        state = load(tx, contact_id)
        assert state is not None
    tx.lock_rows("contacts", [contact_id])
    change = merging.plan(state, card.record, mode)
    if not change:
        return False
    merging.apply(tx, state, change)
    reindex(tx, [contact_id])
    if "tags" in change.changed:
        drop_unused_tags(tx)
    return True


def create(tx: Tx, card: Card) -> int:
    """A new contact from the card."""
    from tinycrm.services.people import contacts

    record = card.record
    prepared = contacts.prepare(record.contact, loose=True)
    cid = contacts.insert_many(tx, [prepared], refresh_index=False)[0]
    write_extras(tx, [(cid, clean_extras(record.extras))])
    if record.photo is not None:
        write_photos(tx, [(cid, record.photo)])
    reindex(tx, [cid])
    return cid


def version_of(tx: Tx, contact_id: int) -> int | None:
    v = tx.scalar("SELECT version FROM contacts WHERE id = :i", {"i": contact_id})
    return None if v is None else int(v)
