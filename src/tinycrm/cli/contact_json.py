"""``crm add-contact --json -``: contacts as JSON on standard input (one object or an array), shaped like the
output of ``crm contact show --json``, for scripts and automation tools."""

from __future__ import annotations

from typing import Any

#: what an item may hold: ContactInput's fields, ``name`` for ``display_name``, and ``company`` as a name,
#: an id or the ``{"id": ..., "name": ...}`` object of ``--json`` output
_LISTS = ("emails", "phones", "addresses", "tags")
#: what ``--json`` output holds that the database sets: passed over, so that output can be fed back
_READ_ONLY = ("id", "created_at", "updated_at", "version", "last_interaction_at")


def read_contacts() -> list[Any]:
    """The contacts on standard input as ContactInputs; :class:`InvalidInput` naming the item for bad ones."""
    from tinycrm.cli.options import read_json_items
    from tinycrm.domain.errors import InvalidInput

    items = read_json_items()
    if not items:
        raise InvalidInput("standard input holds no contact (an empty array); nothing was added")
    out = []
    for n, item in enumerate(items, 1):
        try:
            out.append(_contact(item))
        except InvalidInput as exc:
            raise InvalidInput(
                f"contact {n} of {len(items)}: {exc.message}", field=exc.field, hint=exc.hint
            ) from None
    return out


def _contact(item: Any) -> Any:
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.domain.people import ContactInput

    if not isinstance(item, dict):
        raise InvalidInput('give an object such as {"name": "Ada Lovelace", "emails": ["ada@example.com"]}')
    values = {k: v for k, v in item.items() if k not in _READ_ONLY}
    if "name" in values:
        if "display_name" in values:
            raise InvalidInput("give name or display_name, not both")
        values["display_name"] = values.pop("name")
    known = set(ContactInput.__dataclass_fields__) - {"company_id"}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}; known: name, {', '.join(sorted(known))}")
    for key in _LISTS:
        if values.get(key) is None:
            values.pop(key, None)
        elif not isinstance(values[key], list):
            raise InvalidInput(f"{key} is a list ([...])", field=key)
    if any(not isinstance(t, str) for t in values.get("tags", [])):
        raise InvalidInput('tags: give strings (["vip", "client"])', field="tags")
    if "emails" in values:
        values["emails"] = _labeled(values["emails"], "emails")
    if "phones" in values:
        values["phones"] = _labeled(values["phones"], "phones")
    if "addresses" in values:
        values["addresses"] = [_address(a) for a in values["addresses"]]
    company = values.get("company")
    if isinstance(company, dict):
        company = company.get("name")
    if company is not None:
        values["company"] = str(company)
    if values.get("fields") is not None:
        if not isinstance(values["fields"], dict):
            raise InvalidInput('fields is an object ({"plan": "gold"})', field="fields")
        values["fields"] = {str(k): str(v) for k, v in values["fields"].items()}
    return ContactInput(**values)


def _labeled(items: list[Any], key: str) -> list[Any]:
    from tinycrm.cli.options import labeled
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.domain.people import Labeled

    out = []
    for entry in items:
        if isinstance(entry, str):
            out += labeled([entry])
        elif isinstance(entry, dict) and isinstance(entry.get("value"), str):
            out.append(Labeled(entry["value"], entry.get("label")))
        else:
            raise InvalidInput(f'{key}: give strings or {{"value": ..., "label": ...}} objects', field=key)
    return out


def _address(entry: Any) -> Any:
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.domain.people import Address

    known = set(Address.__dataclass_fields__)
    if not isinstance(entry, dict) or set(entry) - known:
        raise InvalidInput(f"addresses: give objects with {', '.join(sorted(known))}", field="addresses")
    return Address(**{k: None if v is None else str(v) for k, v in entry.items()})
