"""The fields of a contact as they are stored: validated and normalised, names filled in. No database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tinycrm.domain import validation as v
from tinycrm.domain.dates import parse_birthday
from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import Address, ContactInput, Labeled
from tinycrm.services.common import new_uid
from tinycrm.store.search import phone_digits

PARTICLES = {
    "van",
    "von",
    "de",
    "da",
    "del",
    "der",
    "di",
    "du",
    "la",
    "le",
    "den",
    "ten",
    "ter",
    "dos",
    "das",
}
#: the fields of a contact held in its own row
SCALARS = (
    "display_name",
    "given_name",
    "family_name",
    "job_title",
    "company_role",
    "birthday",
    "notes",
    "cadence_days",
)
#: the lists of a contact, each in a table of its own
LISTS = ("emails", "phones", "addresses", "tags")
#: the longest value each column takes (store/schema.py)
ADDRESS_MAX = {
    "street": 500,
    "locality": 200,
    "region": 200,
    "postcode": 50,
    "country": 200,
    "po_box": 100,
    "extended": 300,
}
NAME_MAX = {"given_name": 200, "family_name": 200, "job_title": 300, "company_role": 300}


def split_name(display: str) -> tuple[str | None, str | None]:
    """Given and family name from a display name: ``Ada Lovelace``, ``Ludwig van Beethoven``."""
    words = display.split()
    if len(words) < 2:
        return (words[0] if words else None), None
    cut = len(words) - 1
    while cut > 1 and words[cut - 1].lower() in PARTICLES:
        cut -= 1
    return " ".join(words[:cut]), " ".join(words[cut:])


def _labeled(items: Sequence[Labeled | str], check: Any, what: str) -> list[Labeled]:
    out: list[Labeled] = []
    seen = set()
    for item in items:
        if isinstance(item, str):
            item = Labeled(item)
        value = check(item.value, what)
        key = value.casefold() if what == "email" else phone_digits(value) or value
        if key in seen:
            continue
        seen.add(key)
        out.append(Labeled(value, v.label(item.label, f"{what} label")))
    return out


def _address(a: Address) -> Address:
    parts = {
        k: v.line(getattr(a, k), f"address {k.replace('_', ' ')}", max_len=n) for k, n in ADDRESS_MAX.items()
    }
    return Address(label=v.label(a.label, "address label"), **parts)


def clean(values: dict[str, Any], *, loose: bool = False) -> dict[str, Any]:
    """Validate and normalise the given fields of a contact (only those present). ``loose``: an import keeps
    emails and phones as a file writes them (``user@invalid``, ``1-800-MY-APPLE``; the import warns)."""
    out = dict(values)
    for key, longest in NAME_MAX.items():
        if key in out:
            out[key] = v.line(out[key], key.replace("_", " "), max_len=longest)
    if "display_name" in out and out["display_name"] is not None:
        out["display_name"] = v.name(out["display_name"], "name")
    if "notes" in out:
        out["notes"] = v.text(out["notes"], "notes")
    if "birthday" in out:
        out["birthday"] = parse_birthday(out["birthday"])
    if "cadence_days" in out:
        out["cadence_days"] = v.positive_int(out["cadence_days"], "cadence (days)", maximum=36_500)
    if "emails" in out:
        out["emails"] = _labeled(out["emails"], v.loose_email if loose else v.email, "email")
    if "phones" in out:
        out["phones"] = _labeled(out["phones"], v.loose_phone if loose else v.phone, "phone")
    if "addresses" in out:
        out["addresses"] = [_address(a) for a in out["addresses"]]
        out["addresses"] = [a for a in out["addresses"] if a.one_line()]
    if "tags" in out:
        out["tags"] = list(dict.fromkeys(v.tag(t) for t in out["tags"]))
    if "fields" in out:
        out["fields"] = {v.field_key(k): v.text(val, f"field {k}") or "" for k, val in out["fields"].items()}
    if "company" in out and out["company"] is not None:
        out["company"] = v.line(out["company"], "company", max_len=300)
    return out


def fill_names(values: dict[str, Any]) -> None:
    """Fill in the display name from the given and family names (or the first email), or those from the
    display name, whichever is missing."""
    display = values.get("display_name")
    if not display:
        parts = [values.get("given_name"), values.get("family_name")]
        display = " ".join(p for p in parts if p)
        if not display:
            emails = values.get("emails") or []
            display = emails[0].value if emails else None
        if not display:
            raise InvalidInput("a contact needs a name (or at least an email address)", field="name")
        values["display_name"] = v.name(display, "name")
    elif values.get("given_name") is None and values.get("family_name") is None:
        given, family = split_name(display)
        # a part too long for its column (one very long word) is left out, not cut
        values["given_name"] = given if given and len(given) <= NAME_MAX["given_name"] else None
        values["family_name"] = family if family and len(family) <= NAME_MAX["family_name"] else None


def normalized(data: ContactInput, *, loose: bool = False) -> dict[str, Any]:
    """The fields of a new contact, validated and normalised as they are stored (names filled in from the
    display name and back); raises :class:`InvalidInput`. Needs no database. ``loose``: see :func:`clean`."""
    values = clean({k: getattr(data, k) for k in (*SCALARS, *LISTS, "fields", "company")}, loose=loose)
    fill_names(values)
    return values


@dataclass(frozen=True, slots=True)
class Prepared:
    """A new contact checked by :func:`prepare`, ready for ``contacts.insert_many``."""

    uid: str
    values: dict[str, Any]
    company_id: int | None = None
    archived: bool = False
    owner: str | None = None


def prepare(data: ContactInput, *, loose: bool = False) -> Prepared:
    """Validate and normalise a new contact without touching the database, and give it its UID; raises
    :class:`InvalidInput`. What is left to check needs the database: that the UID is not taken and the
    owner exists (``contacts.insert_many`` does both before writing). ``loose``: see :func:`clean`."""
    values = normalized(data, loose=loose)
    uid = v.line(data.uid, "uid", max_len=255) or new_uid()
    return Prepared(uid, values, data.company_id, bool(data.archived), data.owner)
