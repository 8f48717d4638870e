"""The readable form ``crm contact edit`` opens in ``$EDITOR``, and its parser.

::

    # Lines starting with # are ignored. Empty a line's value to clear it.
    name: Ada Lovelace
    given: Ada
    family: Lovelace
    email: work ada@example.com
    phone: mobile +44 20 7946 0000
    address: home | 12 St James's Square | London | | SW1Y 4JH | UK
    company: Analytical Engines Ltd
    ...
    notes:
      Several lines,
      each indented by two spaces.

Repeatable keys (email, phone, address, tag, field) may appear any number of times.
"""

from __future__ import annotations

from typing import Any

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import Address, ContactRead, Labeled

SINGLE = {
    "name": "display_name",
    "given": "given_name",
    "family": "family_name",
    "title": "job_title",
    "company": "company",
    "role": "company_role",
    "birthday": "birthday",
    "cadence": "cadence_days",
}
REPEATED = {"email", "phone", "address", "tag", "field"}


def render(c: ContactRead) -> str:
    lines = [
        f"# Editing contact {c.id} (version {c.version}). Lines starting with # are ignored.",
        "# Empty a value to clear it; repeat email/phone/address/tag/field lines for more.",
        "# email/phone: [LABEL] VALUE   address: LABEL | street | city | region | postcode | country"
        " [| PO box | extended]",
        f"name: {c.display_name}",
        f"given: {c.given_name or ''}",
        f"family: {c.family_name or ''}",
        f"title: {c.job_title or ''}",
        f"company: {c.company.name if c.company else ''}",
        f"role: {c.company_role or ''}",
        f"birthday: {c.birthday or ''}",
        f"cadence: {c.cadence_days or ''}",
    ]
    lines += [f"email: {e.label + ' ' if e.label else ''}{e.value}" for e in c.emails] or ["email: "]
    lines += [f"phone: {p.label + ' ' if p.label else ''}{p.value}" for p in c.phones] or ["phone: "]
    lines += [
        "address: "
        + " | ".join(
            x or ""
            for x in (
                a.label,
                a.street,
                a.locality,
                a.region,
                a.postcode,
                a.country,
                *((a.po_box, a.extended) if a.po_box or a.extended else ()),
            )
        )
        for a in c.addresses
    ]
    lines += [f"tag: {t}" for t in c.tags]
    for k, v in c.fields.items():  # a value of several lines goes on in lines indented by two spaces
        first, *more = v.split("\n")
        lines += [f"field: {k}={first}", *("  " + ln for ln in more)]
    lines.append("notes:")
    lines += ["  " + ln for ln in (c.notes or "").splitlines()]
    return "\n".join(lines) + "\n"


def _labeled(value: str) -> Labeled:
    head, _, rest = value.partition(" ")
    if rest and "@" not in head and not any(ch.isdigit() for ch in head) and not head.startswith("+"):
        return Labeled(rest.strip(), head)
    return Labeled(value)


def parse(text: str) -> dict[str, Any]:
    """The changes a form describes: every field it names, whole lists for repeated keys."""
    out: dict[str, Any] = {"emails": [], "phones": [], "addresses": [], "tags": [], "fields": {}}
    notes: list[str] | None = None
    field: str | None = None  # the custom field the previous line set, which indented lines continue
    for number, raw in enumerate(text.splitlines(), 1):
        if field is not None and raw.startswith("  ") and notes is None:
            out["fields"][field] += "\n" + raw[2:]
            continue
        field = None
        if notes is not None:
            if raw.startswith("  ") or not raw.strip():
                notes.append(raw[2:])
                continue
            notes_done = notes
            out["notes"] = "\n".join(notes_done).strip("\n") or None
            notes = None
        if raw.lstrip().startswith("#") or not raw.strip():
            continue
        key, sep, value = raw.partition(":")
        key = key.strip().lower()
        value = value.strip()
        if not sep:
            raise InvalidInput(f"line {number}: expected 'key: value', got {raw.strip()!r}")
        if key == "notes":
            notes = [value] if value else []
        elif key in SINGLE:
            if key == "cadence":
                try:
                    out[SINGLE[key]] = int(value) if value else None
                except ValueError:
                    raise InvalidInput(f"line {number}: cadence is a number of days, not {value!r}") from None
            else:
                out[SINGLE[key]] = value or None
        elif key in REPEATED:
            if not value:
                continue
            if key == "email":
                out["emails"].append(_labeled(value))
            elif key == "phone":
                out["phones"].append(_labeled(value))
            elif key == "tag":
                out["tags"].append(value)
            elif key == "field":
                k, eq, val = value.partition("=")
                if not eq:
                    raise InvalidInput(f"line {number}: write field: KEY=VALUE")
                field = k.strip()
                out["fields"][field] = val
            else:
                parts = [p.strip() or None for p in value.split("|")] + [None] * 8
                out["addresses"].append(
                    Address(
                        label=parts[0],
                        street=parts[1],
                        locality=parts[2],
                        region=parts[3],
                        postcode=parts[4],
                        country=parts[5],
                        po_box=parts[6],
                        extended=parts[7],
                    )
                )
        else:
            raise InvalidInput(f"line {number}: unknown key {key!r}")
    if notes is not None:
        out["notes"] = "\n".join(notes).strip("\n") or None
    out.setdefault("notes", None)
    return out
