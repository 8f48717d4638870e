"""What an import does to a stored contact: a :class:`Plan` worked out from the contact and a record, then
applied inside the import's transaction, or only reported by a dry run.

Three ways to apply a record (docs/formats.md, "How imports store records"):

* :data:`UPDATE`, a record matched by UID, email or phone: what the record says wins, what it does not
  mention stays. Names, title, role, birthday, company and photo are replaced by the record's when it has
  them; emails, phones, addresses, tags, custom fields and kept vCard properties it brings are added (an
  email or phone the contact has takes the record's label); its notes are added after the contact's.
* :data:`ADD`, a record matched by name with ``--match name``: only adds. New emails, phones, addresses, tags,
  custom fields and notes are appended, empty fields filled; nothing is removed or overwritten.
* :data:`REPLACE` (``--replace``): the record replaces everything it could hold, also removing what it does
  not mention (tinycrm's own data, custom fields, cadence and the archive flag, only when the record was
  written by tinycrm).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tinycrm.domain import validation as v
from tinycrm.domain.people import Address, Labeled
from tinycrm.formats.records import ContactData, ContactRecord, Photo
from tinycrm.services.common import audit, sort_key
from tinycrm.services.interchange.contactdata import clean_extras, write_extras, write_photos
from tinycrm.store.database import Tx
from tinycrm.store.search import phone_digits

UPDATE, ADD, REPLACE = "update", "add", "replace"
#: kept vCard properties that shadow a column (the original ``N`` and ``ORG``): a record brings its own
SHADOWS = ("N", "ORG")
NOTES_SEPARATOR = "\n\n"

T = TypeVar("T", Labeled, Address)


@dataclass
class Plan:
    """The changes to one stored contact: ``changed`` maps each field to ``(old, new)`` (the audit log entry
    and what a dry run shows); ``after`` is the contact as it will be."""

    after: ContactData
    changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    #: columns of ``contacts`` to set
    sets: dict[str, Any] = field(default_factory=dict)
    #: lists to write whole (emails, phones, addresses, tags, fields)
    lists: dict[str, Any] = field(default_factory=dict)
    company: bool = False
    extras: bool = False
    photo: bool = False

    def __bool__(self) -> bool:
        return bool(self.changed)

    def set(self, key: str, new: Any) -> None:
        old = getattr(self.after, key)
        if old != new:
            self.changed[key] = (old, new)
            self.sets[key] = new
            setattr(self.after, key, new)

    def set_list(self, key: str, new: Any) -> None:
        old = getattr(self.after, key)
        if old != new:
            self.changed[key] = (old, new)
            self.lists[key] = new
            setattr(self.after, key, new)


def desired(record: ContactRecord) -> dict[str, Any]:
    """What the record asks for, validated and normalised exactly as the contacts service stores what an
    import brings (emails and phones as the file writes them)."""
    from tinycrm.services.people import contacts

    values = contacts.normalized(record.contact, loose=True)
    values["archived"] = bool(record.contact.archived)
    return values


def plan(state: ContactData, record: ContactRecord, mode: str) -> Plan:
    """The changes ``record`` makes to the stored contact ``state`` (:data:`UPDATE`, :data:`ADD` or
    :data:`REPLACE`); raises :class:`InvalidInput` for a record the contacts service would refuse."""
    want = desired(record)
    p = Plan(after=dataclasses.replace(state))
    _names(p, record, want, mode)
    _scalars(p, record, want, mode)
    _company(p, want.get("company"), mode)
    _lists(p, record, want, mode)
    _kept(p, record, mode)
    return p


def _names(p: Plan, record: ContactRecord, want: dict[str, Any], mode: str) -> None:
    if mode == REPLACE:
        for key in ("display_name", "given_name", "family_name"):
            p.set(key, want.get(key))
        return
    if mode == ADD:  # matched by its name: the name stays, missing parts are filled
        for key in ("given_name", "family_name"):
            if getattr(p.after, key) is None and want.get(key):
                p.set(key, want[key])
        return
    c = record.contact
    if not (c.display_name and c.display_name.strip()):
        return  # the record names nobody (the name would be made up from an email address)
    renamed = want["display_name"] != p.after.display_name
    p.set("display_name", want["display_name"])
    for key in ("given_name", "family_name"):
        # renamed: the parts go with the new name; otherwise only the parts the record gives
        if renamed or want.get(key) is not None and getattr(c, key) is not None:
            p.set(key, want.get(key))


def _scalars(p: Plan, record: ContactRecord, want: dict[str, Any], mode: str) -> None:
    def wanted(key: str) -> bool:
        new = want.get(key)
        if mode == REPLACE:
            return True
        return new is not None and (mode == UPDATE or getattr(p.after, key) is None)

    for key in ("job_title", "company_role", "birthday"):
        if wanted(key):
            p.set(key, want.get(key))
    p.set("notes", want.get("notes") if mode == REPLACE else add_notes(p.after.notes, want.get("notes")))
    if not record.from_tinycrm:
        return  # other programs know nothing of the cadence and the archive flag
    if wanted("cadence_days"):
        p.set("cadence_days", want.get("cadence_days"))
    if mode == REPLACE or (mode == UPDATE and want["archived"]):
        p.set("archived", want["archived"])


def add_notes(old: str | None, new: str | None) -> str | None:
    """The stored notes with the record's added after them (an empty line between), unless they hold them
    already."""
    if not new or not old:
        return old or new
    sep = NOTES_SEPARATOR
    if new == old or old.startswith(new + sep) or old.endswith(sep + new) or f"{sep}{new}{sep}" in old:
        return old
    return v.text(f"{old}{sep}{new}", "notes")


def _same_company(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return not a and not b
    return sort_key(a) == sort_key(b)


def _company(p: Plan, new: str | None, mode: str) -> None:
    old = p.after.company
    if mode != REPLACE and (not new or (mode == ADD and old)):
        return
    if not _same_company(new, old):
        p.changed["company"] = (old, new)
        p.company = True
        p.after.company = new


def email_item(e: Labeled) -> str:
    return e.value.casefold()


def phone_item(e: Labeled) -> str:
    return phone_digits(e.value) or e.value


def address_item(a: Address) -> tuple[str, ...]:
    parts = (a.po_box, a.extended, a.street, a.locality, a.region, a.postcode, a.country)
    return tuple(" ".join((x or "").split()).casefold() for x in parts)


def union(old: list[T], new: list[T], key: Callable[[T], Hashable], *, relabel: bool) -> list[T]:
    """``old`` and the items of ``new`` it does not have, after it; an item both have keeps its place and
    takes the new label when ``relabel`` (or when it had none)."""
    out = list(old)
    where = {key(x): i for i, x in enumerate(out)}
    for item in new:
        k = key(item)
        i = where.get(k)
        if i is None:
            where[k] = len(out)
            out.append(item)
        elif item.label and item.label != out[i].label and (relabel or not out[i].label):
            out[i] = dataclasses.replace(out[i], label=item.label)
    return out


def _lists(p: Plan, record: ContactRecord, want: dict[str, Any], mode: str) -> None:
    s = p.after
    keys: tuple[tuple[str, Callable[[Any], Hashable]], ...] = (
        ("emails", email_item),
        ("phones", phone_item),
        ("addresses", address_item),
    )
    for key, item_key in keys:
        new = (
            want[key]
            if mode == REPLACE
            else union(getattr(s, key), want[key], item_key, relabel=mode == UPDATE)
        )
        p.set_list(key, new)
    have = {t.casefold() for t in s.tags}
    if mode == REPLACE:
        if sorted(t.casefold() for t in want["tags"]) != sorted(have):
            p.set_list("tags", want["tags"])
    else:
        p.set_list("tags", s.tags + [t for t in want["tags"] if t.casefold() not in have])
    if mode == REPLACE and record.from_tinycrm:
        fields = want["fields"]
    elif mode == ADD:
        fields = {**want["fields"], **s.fields}
    else:
        fields = {**s.fields, **want["fields"]}
    p.set_list("fields", fields)


def _photo_text(photo: Photo | None) -> str | None:
    return f"{photo.media_type}, {len(photo.data)} bytes" if photo else None


def _kept(p: Plan, record: ContactRecord, mode: str) -> None:
    """Kept vCard properties and the photo."""
    card = clean_extras(record.extras)
    old = p.after.extras
    if mode == REPLACE:
        new = card
    else:
        if mode == UPDATE:  # the record's own original N / ORG replace the stored ones, first
            mine = [e for e in card if e.name in SHADOWS]
            brought = {e.name for e in mine}
            theirs = [e for e in old if e.name in brought]
            base = old if mine == theirs else mine + [e for e in old if e.name not in brought]
        else:
            held = {e.name for e in old if e.name in SHADOWS}
            base, card = old, [e for e in card if e.name not in held]
        new = base + [e for e in card if e not in base]
    if new != old:
        p.changed["vcard_extras"] = (len(old), len(new))
        p.extras = True
        p.after.extras = new
    photo = record.photo
    if mode == REPLACE or (photo is not None and (mode == UPDATE or p.after.photo is None)):
        if photo != p.after.photo:
            p.changed["photo"] = (_photo_text(p.after.photo), _photo_text(photo))
            p.photo = True
            p.after.photo = photo


def apply(tx: Tx, state: ContactData, p: Plan) -> None:
    """Write the plan: one versioned update of the contact (a :class:`Conflict` if it changed since it was
    read), its lists, kept properties and photo, and an ``update`` entry in the audit log."""
    from tinycrm.services.common import update_versioned
    from tinycrm.services.people import companies, contacts

    cid = state.id
    assert cid is not None and state.version is not None
    sets = dict(p.sets)
    if "display_name" in sets:
        sets["sort_name"] = sort_key(sets["display_name"])
    if p.company:
        company = p.after.company
        sets["company_id"] = companies.find_or_create(tx, company) if company else None
    update_versioned(tx, "contacts", "contact", cid, state.version, sets)
    contacts._write_lists(tx, cid, p.lists)
    if p.extras:
        tx.execute("DELETE FROM contact_extras WHERE contact_id = :i", {"i": cid})
        write_extras(tx, [(cid, p.after.extras)])
    if p.photo:
        tx.execute("DELETE FROM contact_photos WHERE contact_id = :i", {"i": cid})
        if p.after.photo is not None:
            write_photos(tx, [(cid, p.after.photo)])
    audit(tx, "update", "contact", cid, p.changed)


def as_data(prepared: Any, record: ContactRecord, cid: int) -> ContactData:
    """A new contact (``contacts.Prepared``) as it will be stored: what a dry run compares later records
    with."""
    values = prepared.values
    return ContactData(
        uid=prepared.uid,
        display_name=values["display_name"],
        given_name=values.get("given_name"),
        family_name=values.get("family_name"),
        job_title=values.get("job_title"),
        company=values.get("company"),
        company_role=values.get("company_role"),
        birthday=values.get("birthday"),
        notes=values.get("notes"),
        cadence_days=values.get("cadence_days"),
        archived=prepared.archived,
        emails=list(values.get("emails") or []),
        phones=list(values.get("phones") or []),
        addresses=list(values.get("addresses") or []),
        tags=list(values.get("tags") or []),
        fields=dict(values.get("fields") or {}),
        extras=clean_extras(record.extras),
        photo=record.photo,
        id=cid,
        version=1,
    )
