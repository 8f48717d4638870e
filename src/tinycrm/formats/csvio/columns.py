"""What a CSV column maps to: a :class:`Target` (a contact field, a part of an address, a custom field...),
the names ``--map`` accepts, and the conventions of cells shared by reading and writing."""

from __future__ import annotations

from dataclasses import dataclass

from tinycrm.domain.errors import InvalidInput

MULTI = " ::: "  # Google's separator of several values in one cell


@dataclass(frozen=True, slots=True)
class Target:
    """Where a column goes. ``group`` ties columns together (a label column and its value column, the parts
    of one address); ``label`` is a fixed label (Outlook's ``Home Phone``); ``key`` a custom field's name."""

    field: str
    label: str | None = None
    group: str | None = None
    key: str | None = None

    def describe(self) -> str:
        text = self.field
        if self.field == "field":
            text = f"custom field {self.key!r}"
        elif self.field in ADDRESS_PARTS:
            text = f"address {self.field}"
        if self.label:
            text += f" ({self.label})"
        if self.group and self.field in ("label", "field_label"):
            text += f" of {self.group}"
        return text


ADDRESS_PARTS = (
    "street",
    "street2",
    "locality",
    "region",
    "postcode",
    "country",
    "po_box",
    "extended",
    "formatted",
)
SIMPLE = (
    "name",
    "given",
    "middle",
    "family",
    "prefix",
    "suffix",
    "nickname",
    "company",
    "department",
    "title",
    "role",
    "birthday",
    "birth_year",
    "birth_month",
    "birth_day",
    "notes",
    "tags",
    "uid",
    "cadence",
    "archived",
    "ignore",
)
MAP_ALIASES = {
    "display_name": "name",
    "full_name": "name",
    "given_name": "given",
    "first": "given",
    "first_name": "given",
    "family_name": "family",
    "last": "family",
    "last_name": "family",
    "surname": "family",
    "org": "company",
    "organization": "company",
    "job_title": "title",
    "company_role": "role",
    "note": "notes",
    "tag": "tags",
    "categories": "tags",
    "city": "locality",
    "zip": "postcode",
    "postal_code": "postcode",
    "state": "region",
    "pobox": "po_box",
    "cadence_days": "cadence",
    "skip": "ignore",
    "mail": "email",
    "tel": "phone",
}


def norm(header: str) -> str:
    """A header as the presets match it: lower case, single spaces, no BOM."""
    return " ".join(header.replace("\ufeff", "").strip().lower().split())


def parse_target(spec: str) -> Target:
    """A ``--map`` field: ``name``, ``given``, ``email[:LABEL]``, ``street[:LABEL]``, ``field:KEY``,
    ``ignore``..."""
    spec = spec.strip()
    kind, _, arg = spec.partition(":")
    kind = kind.strip().lower().replace("-", "_").replace(" ", "_")
    kind = MAP_ALIASES.get(kind, kind)
    arg = arg.strip() or None
    if kind == "field":
        if not arg:
            raise InvalidInput("--map: write field:KEY for a custom field")
        return Target("field", key=arg)
    if kind in ("email", "phone"):
        return Target(kind, label=arg.lower() if arg else None)
    if kind in ADDRESS_PARTS:
        label = arg.lower() if arg else None
        return Target(kind, group=f"address {label or ''}".strip(), label=label)
    if kind in SIMPLE:
        return Target(kind)
    raise InvalidInput(
        f"--map: unknown field {spec!r}; use name, given, family, middle, prefix, suffix, nickname, company, "
        "title, role, birthday, notes, tags, uid, email[:LABEL], phone[:LABEL], "
        "street|locality|region|postcode|"
        "country|po_box[:LABEL], field:KEY or ignore"
    )
