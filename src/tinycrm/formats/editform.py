"""The readable forms the ``edit`` commands open in ``$EDITOR`` (contact, company, deal, task, interaction),
and their parsers.

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

Repeatable keys (email, phone, address, tag, field, contact) may appear any number of times. A line left out
changes nothing; a repeatable key left out empties its list. A record another one links to is written
``#ID name`` (``company: #3 Acme``): the id is what counts, or write a name, domain or title instead.

A form that could not be saved goes back to the editor with the reason on top (:func:`with_problem`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
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


# --- the other forms: one generic parser ----------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """The keys of a form: ``single`` (one line), ``lists`` (repeatable; a list), ``blocks`` (text that goes
    on in lines indented by two spaces), ``refs`` (records written ``#ID name``; in ``single`` or
    ``lists``), ``fields`` (``field: KEY=VALUE`` lines into ``fields``). Each maps a form key to the key of
    the parsed result."""

    single: dict[str, str] = field(default_factory=dict)
    lists: dict[str, str] = field(default_factory=dict)
    blocks: dict[str, str] = field(default_factory=dict)
    refs: frozenset[str] = frozenset()
    fields: bool = False


def ref(value: str) -> str:
    """A reference as written in a form: ``#12 Ada Lovelace`` is record 12; anything else is as written."""
    m = re.fullmatch(r"#(\d+)(?:\s.*)?", value.strip())
    return m.group(1) if m else value.strip()


def _ref_line(key: str, record_id: int | None, name: str | None) -> str:
    return f"{key}: #{record_id} {name or ''}".rstrip() if record_id is not None else f"{key}: "


def _block_lines(key: str, text: str | None) -> list[str]:
    return [f"{key}:", *("  " + ln for ln in (text or "").splitlines())]


def parse_spec(text: str, spec: Spec) -> dict[str, Any]:
    """The values a form gives, by ``spec``: every list (empty when no line names it), every block, and the
    single keys the form has."""
    out: dict[str, Any] = {name: [] for name in spec.lists.values()}
    if spec.fields:
        out["fields"] = {}
    block: tuple[str, list[str]] | None = None  # the block being read: (result key, its lines)
    custom: str | None = None  # the custom field the previous line set, which indented lines continue
    for number, raw in enumerate(text.splitlines(), 1):
        if block is not None:
            if raw.startswith("  ") or not raw.strip():
                block[1].append(raw[2:])
                continue
            out[block[0]] = "\n".join(block[1]).strip("\n") or None
            block = None
        if custom is not None and raw.startswith("  "):
            out["fields"][custom] += "\n" + raw[2:]
            continue
        custom = None
        if raw.lstrip().startswith("#") or not raw.strip():
            continue
        key, sep, value = raw.partition(":")
        key, value = key.strip().lower(), value.strip()
        if not sep:
            raise InvalidInput(f"line {number}: expected 'key: value', got {raw.strip()!r}")
        if key in spec.blocks:
            block = (spec.blocks[key], [value] if value else [])
        elif key in spec.single:
            out[spec.single[key]] = (ref(value) if key in spec.refs else value) or None
        elif key in spec.lists:
            if value:
                out[spec.lists[key]].append(ref(value) if key in spec.refs else value)
        elif key == "field" and spec.fields:
            if value:
                name, eq, val = value.partition("=")
                if not eq:
                    raise InvalidInput(f"line {number}: write field: KEY=VALUE")
                custom = name.strip()
                out["fields"][custom] = val
        else:
            known = ", ".join([*spec.single, *spec.lists, *spec.blocks, *(["field"] if spec.fields else [])])
            raise InvalidInput(f"line {number}: unknown key {key!r}; the keys are: {known}")
    if block is not None:
        out[block[0]] = "\n".join(block[1]).strip("\n") or None
    for name in spec.blocks.values():
        out.setdefault(name, None)
    return out


def _fields_lines(fields: dict[str, str]) -> list[str]:
    lines = []
    for k, v in fields.items():
        first, *more = v.split("\n")
        lines += [f"field: {k}={first}", *("  " + ln for ln in more)]
    return lines


def _head(noun: str, record: Any, *notes: str) -> list[str]:
    """The comment lines on top of a form."""
    return [
        f"# Editing {noun} {record.id} (version {record.version}). Lines starting with # are ignored.",
        *(f"# {n}" for n in notes),
    ]


INTERACTION = Spec(
    single={"kind": "kind", "when": "when", "summary": "summary", "company": "company", "deal": "deal"},
    lists={"contact": "contacts"},
    blocks={"body": "body"},
    refs=frozenset({"company", "deal", "contact"}),
)


def render_interaction(i: Any) -> str:
    """The form of an ``InteractionRead``."""
    from tinycrm.domain.dates import show
    from tinycrm.domain.people import INTERACTION_KINDS

    lines = _head(
        "interaction",
        i,
        f"kind: {', '.join(INTERACTION_KINDS)}. when: when it happened (not in the future).",
        "contact: one line per person, #ID name or a name/email; company and deal: #ID name, empty for none.",
    ) + [
        f"kind: {i.kind}",
        f"when: {show(i.happened_at)}",
        f"summary: {i.summary}",
    ]
    lines += [_ref_line("contact", p.id, p.name) for p in i.contacts] or ["contact: "]
    lines.append(_ref_line("company", i.company.id if i.company else None, i.company and i.company.name))
    lines.append(_ref_line("deal", i.deal.id if i.deal else None, i.deal and i.deal.name))
    lines += _block_lines("body", i.body)
    return "\n".join(lines) + "\n"


def parse_interaction(text: str) -> dict[str, Any]:
    return parse_spec(text, INTERACTION)


COMPANY = Spec(
    single={"name": "name", "domain": "domain", "website": "website", "phone": "phone", "owner": "owner"},
    lists={"tag": "tags"},
    blocks={"address": "address", "notes": "notes"},
    fields=True,
)


def render_company(c: Any) -> str:
    """The form of a ``CompanyRead``."""
    lines = _head(
        "company",
        c,
        "Empty a value to clear it; repeat tag/field lines for more; address and notes go on in lines "
        "indented by two spaces.",
    ) + [
        f"name: {c.name}",
        f"domain: {c.domain or ''}",
        f"website: {c.website or ''}",
        f"phone: {c.phone or ''}",
        f"owner: {c.owner or ''}",
    ]
    lines += [f"tag: {t}" for t in c.tags] or ["tag: "]
    lines += _fields_lines(c.fields)
    lines += _block_lines("address", c.address)
    lines += _block_lines("notes", c.notes)
    return "\n".join(lines) + "\n"


def parse_company(text: str) -> dict[str, Any]:
    return parse_spec(text, COMPANY)


DEAL = Spec(
    single={
        "title": "title",
        "value": "value",
        "currency": "currency",
        "stage": "stage",
        "close": "expected_close",
        "next step": "next_step",
        "next step due": "next_step_due",
        "company": "company",
        "owner": "owner",
        "lost reason": "lost_reason",
    },
    lists={"contact": "contacts"},
    refs=frozenset({"company", "contact"}),
)


def render_deal(d: Any) -> str:
    """The form of a ``DealRead``."""
    lines = _head(
        "deal",
        d,
        f"stage: a stage of the {d.pipeline} pipeline. close, next step due: dates. Empty a value to clear it.",
    ) + [
        f"title: {d.title}",
        f"value: {d.value}",
        f"currency: {d.currency}",
        f"stage: {d.stage}",
        f"close: {d.expected_close or ''}",
        f"next step: {d.next_step or ''}",
        f"next step due: {d.next_step_due or ''}",
        _ref_line("company", d.company_id, d.company),
    ]
    lines += [_ref_line("contact", p.id, p.name) for p in d.contacts] or ["contact: "]
    lines.append(f"owner: {d.owner or ''}")
    if d.status == "lost":
        lines.append(f"lost reason: {d.lost_reason or ''}")
    return "\n".join(lines) + "\n"


def parse_deal(text: str) -> dict[str, Any]:
    return parse_spec(text, DEAL)


TASK = Spec(
    single={
        "title": "title",
        "due": "due",
        "repeat": "repeat",
        "priority": "priority",
        "contact": "contact",
        "company": "company",
        "deal": "deal",
        "assignee": "assignee",
    },
    blocks={"notes": "notes"},
    refs=frozenset({"contact", "company", "deal"}),
)


def render_task(t: Any) -> str:
    """The form of a ``TaskRead``."""
    from tinycrm.domain.dates import show
    from tinycrm.domain.tasks import PRIORITY_NAMES

    due = "" if t.due_at is None else show(t.due_at, with_time=not t.all_day)
    lines = _head(
        "task",
        t,
        "due: a day or a moment ('next monday 9am'); repeat: 'every week', an RRULE, or empty for never.",
        "priority: none, low, normal or high; contact, company, deal: #ID name, empty for none.",
    ) + [
        f"title: {t.title}",
        f"due: {due}",
        f"repeat: {t.rrule or ''}",
        f"priority: {PRIORITY_NAMES.get(t.priority, '') or 'none'}",
        _ref_line("contact", t.contact.id if t.contact else None, t.contact and t.contact.name),
        _ref_line("company", t.company.id if t.company else None, t.company and t.company.name),
        _ref_line("deal", t.deal.id if t.deal else None, t.deal and t.deal.name),
        f"assignee: {t.assignee or ''}",
    ]
    lines += _block_lines("notes", t.notes)
    return "\n".join(lines) + "\n"


def parse_task(text: str) -> dict[str, Any]:
    return parse_spec(text, TASK)


# --- what every form shares -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """How to write a record as a form and read the form back."""

    noun: str
    render: Callable[[Any], str]
    parse: Callable[[str], dict[str, Any]]


FORMS = {
    "contact": Form("contact", render, parse),
    "company": Form("company", render_company, parse_company),
    "deal": Form("deal", render_deal, parse_deal),
    "task": Form("task", render_task, parse_task),
    "interaction": Form("interaction", render_interaction, parse_interaction),
}

#: the first line of the note :func:`with_problem` puts on top of a form
PROBLEM_MARK = "# crm: NOT SAVED"


def with_problem(text: str, problem: str, hint: str = "") -> str:
    """The form with the reason it was not saved as comments on top (replacing an earlier reason)."""
    lines = [
        f"{PROBLEM_MARK}: {problem}",
        *(f"# {ln}" for ln in hint.splitlines()),
        "# Fix the form and save it to try again; save it unchanged or quit without saving to give up.",
    ]
    return "\n".join(lines) + "\n" + without_problem(text)


def without_problem(text: str) -> str:
    """The form without the note :func:`with_problem` put on top."""
    if not text.startswith(PROBLEM_MARK):
        return text
    lines = text.splitlines(keepends=True)
    n = 0
    while n < len(lines) and lines[n].startswith("#") and not lines[n].startswith("# Editing "):
        n += 1
    return "".join(lines[n:])
