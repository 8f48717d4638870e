"""Which contact a record of an import is about, and which contacts a new one may duplicate.

A record with a UID is about the contact with that UID (or the contact that UID was merged into), and no
other. A record without a UID is about the first contact that shares one of its email addresses, else one of
its phone numbers, compared as the store compares them (an address without regard to case, a number by its
digits alone, at least :data:`MIN_PHONE_DIGITS` of them). A contact with the same name only is a *candidate*:
the import decides what to do with it (see :mod:`tinycrm.services.interchange.importing`).

A contact this import has stored or matched already is never matched again by a record without a UID, so
two records never land on the same contact and an import run twice gives the same result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tinycrm.domain import validation as v
from tinycrm.domain.errors import InvalidInput
from tinycrm.formats.records import ContactRecord
from tinycrm.services.common import sort_key
from tinycrm.services.interchange.contactdata import BATCH, MERGED_UID
from tinycrm.store.database import Tx
from tinycrm.store.search import phone_digits
from tinycrm.store.sql import placeholders

#: phone numbers with fewer digits (extensions, short codes) never match a contact
MIN_PHONE_DIGITS = 6


def email_key(value: str) -> str:
    """An email address as ``contact_emails.value_key`` holds it."""
    try:
        return v.email(value).casefold()
    except InvalidInput:
        return value.strip().casefold()


def phone_key(value: str) -> str | None:
    """A phone number as ``contact_phones.digits`` holds it, when it has enough digits to match on."""
    digits = phone_digits(value)
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


def name_key(name: str) -> str:
    """A name as ``contacts.sort_name`` holds it (case and accents do not matter)."""
    return sort_key(" ".join(name.split()))


@dataclass(frozen=True)
class Keys:
    """What a record can be matched on."""

    uid: str | None
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    name: str | None

    @classmethod
    def of(cls, record: ContactRecord) -> Keys:
        c = record.contact
        phones = (phone_key(p.value) for p in c.phones)
        return cls(
            uid=c.uid or None,
            emails=tuple(dict.fromkeys(email_key(e.value) for e in c.emails)),
            phones=tuple(dict.fromkeys(p for p in phones if p)),
            name=name_key(c.display_name) if c.display_name and c.display_name.strip() else None,
        )


@dataclass
class Match:
    """The contact a record is about (``cid``, found by ``how``: uid, email or phone), or None; and the
    contacts with the record's name that are not taken yet (``named``)."""

    cid: int | None = None
    how: str | None = None
    named: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Similar:
    """A contact a new one may duplicate, and why."""

    cid: int
    reason: str


class Seen:
    """What this import has stored or matched so far, over all its batches: later records find those
    contacts without a query, and no two records without a UID land on the same contact."""

    def __init__(self) -> None:
        self.uid: dict[str, int] = {}
        self.email: dict[str, list[int]] = {}
        self.phone: dict[str, list[int]] = {}
        self.name: dict[str, list[int]] = {}
        self.used: set[int] = set()

    def remember(self, keys: Keys, cid: int) -> None:
        self.used.add(cid)
        if keys.uid:
            self.uid[keys.uid] = cid
        for key in keys.emails:
            self.email.setdefault(key, []).append(cid)
        for key in keys.phones:
            self.phone.setdefault(key, []).append(cid)
        if keys.name:
            self.name.setdefault(keys.name, []).append(cid)


def _lookup(tx: Tx, sql: str, keys: set[str]) -> dict[str, list[int]]:
    """``sql`` (with ``{marks}`` for an IN list, selecting ``k`` and ``id``) for every key, a batch at a
    time: the ids of each key, lowest first."""
    out: dict[str, list[int]] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), BATCH):
        marks, p = placeholders("k", ordered[start : start + BATCH])
        for r in tx.all(sql.format(marks=marks), p):
            found = out.setdefault(r["k"], [])
            if r["id"] not in found:
                found.append(r["id"])
    for found in out.values():
        found.sort()
    return out


class Lookup:
    """The stored contacts the records of a batch may be about or may duplicate: by UID (or a UID merged
    away), by email address, by phone number and by name."""

    def __init__(self, tx: Tx, keys: list[Keys], seen: Seen) -> None:
        self.seen = seen
        uids = {k.uid for k in keys if k.uid} - set(seen.uid)
        merged = _lookup(
            tx,
            f"SELECT value AS k, contact_id AS id FROM contact_extras WHERE name = '{MERGED_UID}' "
            "AND value IN ({marks})",
            uids,
        )
        own = _lookup(tx, "SELECT uid AS k, id FROM contacts WHERE uid IN ({marks})", uids)
        self.by_uid: dict[str, int] = {u: ids[0] for u, ids in merged.items()}
        self.by_uid.update({u: ids[0] for u, ids in own.items()})
        self.by_email = _lookup(
            tx,
            "SELECT value_key AS k, contact_id AS id FROM contact_emails WHERE value_key IN ({marks})",
            {e for k in keys for e in k.emails},
        )
        self.by_phone = _lookup(
            tx,
            "SELECT digits AS k, contact_id AS id FROM contact_phones WHERE digits IN ({marks})",
            {p for k in keys for p in k.phones},
        )
        self.by_name = _lookup(
            tx,
            "SELECT sort_name AS k, id FROM contacts WHERE sort_name IN ({marks})",
            {k.name for k in keys if k.name},
        )
        #: the records without a UID may be about these (their states are read before the batch starts)
        self.candidates = sorted(
            {
                *self.by_uid.values(),
                *(i for k in keys if not k.uid for e in k.emails for i in self.by_email.get(e, ())),
                *(i for k in keys if not k.uid for p in k.phones for i in self.by_phone.get(p, ())),
                *(i for k in keys if not k.uid and k.name for i in self.by_name.get(k.name, ())),
            }
        )

    def _ids(self, kind: str, key: str) -> list[int]:
        stored: dict[str, list[int]] = getattr(self, f"by_{kind}")
        mine: dict[str, list[int]] = getattr(self.seen, kind)
        return sorted({*stored.get(key, ()), *mine.get(key, ())})

    def choose(self, keys: Keys) -> Match:
        """The contact a record is about, if its UID, an email address or a phone number says so."""
        if keys.uid:
            cid = self.seen.uid.get(keys.uid) or self.by_uid.get(keys.uid)
            return Match(cid, "uid" if cid else None)
        used = self.seen.used
        for kind, values in (("email", keys.emails), ("phone", keys.phones)):
            for key in values:
                for cid in self._ids(kind, key):
                    if cid not in used:
                        return Match(cid, kind)
        named = [i for i in self._ids("name", keys.name) if i not in used] if keys.name else []
        return Match(named=named)

    def similar(self, keys: Keys, exclude: int | None = None) -> list[Similar]:
        """The contacts (stored, or stored by this import) a new one shares its name, an email address or a
        phone number with: possible duplicates, ``crm duplicates`` lists them too."""
        out: dict[int, str] = {}
        if keys.name:
            for cid in self._ids("name", keys.name):
                out.setdefault(cid, "same name")
        for kind, values in (("email", keys.emails), ("phone", keys.phones)):
            for key in values:
                for cid in self._ids(kind, key):
                    out.setdefault(cid, f"same {kind} {key}")
        return [Similar(cid, why) for cid, why in sorted(out.items()) if cid != exclude]
