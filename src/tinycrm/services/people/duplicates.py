"""Finding contacts that are the same person, and merging two into one.

Candidates come from SQL self-joins on indexed columns (``contact_emails.value_key``,
``contact_phones.digits``, ``contacts.sort_name``, ``contacts.company_id``), never from comparing every pair
in Python; only the few pairs at the same company are scored for name similarity here.

A merge moves everything of OTHER to KEEP in one transaction: emails, phones, addresses, tags, custom fields,
vCard extras, the photo, interactions, deals and tasks. Scalar fields KEEP lacks are taken from OTHER; where
both have different values KEEP's stays and OTHER's is written into KEEP's notes, so nothing is lost. OTHER's
UID is kept (``X-TINYCRM-MERGED-UID``) so that importing OTHER's vCard again updates KEEP instead of bringing
OTHER back.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from tinycrm.domain.errors import InvalidInput, NotFound
from tinycrm.domain.people import ContactRead, ContactSummary, Labeled
from tinycrm.formats.records import ContactData, Extra
from tinycrm.services.common import audit, drop_unused_tags, sort_key, update_versioned
from tinycrm.services.interchange.contactdata import MERGED_UID
from tinycrm.services.people.contact_loader import load_many, read_in, reindex
from tinycrm.services.people.interactions import refresh_last_interaction
from tinycrm.store.database import Database, Tx
from tinycrm.store.search import phone_digits

SCORES = {"email": 100, "phone": 80, "name_company": 70, "name": 50, "similar": 40}
MIN_PHONE_DIGITS = 6


@dataclass
class DuplicatePair:
    a: ContactSummary
    b: ContactSummary
    reasons: list[str]
    score: int


def _similar(x: str, y: str) -> bool:
    """Very similar names: most characters in common, or one a shortened form of the other (``J. Smith``)."""
    a, b = sort_key(x), sort_key(y)
    if difflib.SequenceMatcher(None, a, b).ratio() >= 0.85:
        return True
    wa, wb = a.split(), b.split()
    if len(wa) >= 2 and len(wb) >= 2 and wa[-1] == wb[-1]:
        return wa[0][0] == wb[0][0] and (
            len(wa[0]) == 1 or len(wb[0]) == 1 or wa[0].startswith(wb[0]) or wb[0].startswith(wa[0])
        )
    return False


def find(db: Database, *, limit: int | None = None) -> list[DuplicatePair]:
    """Candidate pairs, most certain first."""
    found: dict[tuple[int, int], dict[str, list[str]]] = {}

    def add(a: int, b: int, kind: str, reason: str) -> None:
        reasons = found.setdefault((min(a, b), max(a, b)), {}).setdefault(kind, [])
        if reason not in reasons:
            reasons.append(reason)

    def score(kinds: dict[str, list[str]]) -> int:
        # each kind of evidence counts once, a few more points for each further email or phone in common
        return sum(SCORES[k] + 5 * (len(v) - 1) for k, v in kinds.items())

    def reasons(kinds: dict[str, list[str]]) -> list[str]:
        out = []
        for kind in SCORES:
            items = kinds.get(kind, [])
            if items:
                out.append(items[0] + (f" (and {len(items) - 1} more)" if len(items) > 1 else ""))
        return out

    with db.read() as tx:
        for r in tx.all(
            "SELECT a.contact_id AS a, b.contact_id AS b, a.value AS v FROM contact_emails a "
            "JOIN contact_emails b ON b.value_key = a.value_key AND b.contact_id > a.contact_id"
        ):
            add(r["a"], r["b"], "email", f"same email {r['v']}")
        for r in tx.all(
            "SELECT a.contact_id AS a, b.contact_id AS b, a.value AS v FROM contact_phones a "
            "JOIN contact_phones b ON b.digits = a.digits AND b.contact_id > a.contact_id "
            f"WHERE length(a.digits) >= {MIN_PHONE_DIGITS}"
        ):
            add(r["a"], r["b"], "phone", f"same phone {r['v']}")
        for r in tx.all(
            "SELECT a.id AS a, b.id AS b, a.display_name AS v, co.name AS company FROM contacts a "
            "JOIN contacts b ON b.sort_name = a.sort_name AND b.id > a.id "
            "LEFT JOIN companies co ON co.id = a.company_id AND b.company_id = a.company_id"
        ):
            if r["company"]:
                add(r["a"], r["b"], "name_company", f"same name at {r['company']}")
            else:
                add(r["a"], r["b"], "name", f"same name {r['v']}")
        for r in tx.all(
            "SELECT a.id AS a, b.id AS b, a.display_name AS x, b.display_name AS y, co.name AS company "
            "FROM contacts a JOIN contacts b ON b.company_id = a.company_id AND b.id > a.id "
            "JOIN companies co ON co.id = a.company_id "
            "WHERE a.sort_name <> b.sort_name AND (a.family_name = b.family_name "
            "OR a.given_name = b.given_name "
            "OR substr(a.sort_name, 1, 3) = substr(b.sort_name, 1, 3))"
        ):
            if _similar(r["x"], r["y"]):
                add(r["a"], r["b"], "similar", f"similar name at {r['company']} ({r['x']} / {r['y']})")
        ordered = sorted(found.items(), key=lambda kv: (-score(kv[1]), kv[0]))
        if limit is not None:
            ordered = ordered[:limit]
        ids = sorted({i for pair, _ in ordered for i in pair})
        people = {s.id: s for s in load_many(tx, ids, detail="summary")}
    return [
        DuplicatePair(people[a], people[b], reasons(kinds), score(kinds))
        for (a, b), kinds in ordered
        if a in people and b in people
    ]


# --- merging --------------------------------------------------------------------------------------------

SCALAR_LABELS = {
    "display_name": "name",
    "given_name": "given name",
    "family_name": "family name",
    "job_title": "job title",
    "company": "company",
    "company_role": "role",
    "birthday": "birthday",
    "cadence_days": "cadence (days)",
}


@dataclass
class MergePlan:
    keep: ContactData
    other: ContactData
    #: scalar fields KEEP lacks, taken from OTHER
    fill: dict[str, Any] = field(default_factory=dict)
    #: scalar fields both have, differently: KEEP's stays, OTHER's goes into the notes
    conflicts: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    emails: list[Labeled] = field(default_factory=list)
    phones: list[Labeled] = field(default_factory=list)
    addresses: list[Any] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    field_conflicts: dict[str, tuple[str, str]] = field(default_factory=dict)
    extras: list[Extra] = field(default_factory=list)
    photo: bool = False
    notes: bool = False
    interactions: int = 0
    deals: int = 0
    tasks: int = 0


def _plan(tx: Tx, keep_id: int, other_id: int) -> MergePlan:
    if keep_id == other_id:
        raise InvalidInput("a contact cannot be merged with itself; give two different contacts")
    found = {c.id: c for c in load_many(tx, [keep_id, other_id], detail="export")}
    for cid in (keep_id, other_id):
        if cid not in found:
            raise NotFound(f"no contact with id {cid}; find one with: crm search NAME")
    keep, other = found[keep_id], found[other_id]
    plan = MergePlan(keep, other)
    for key in SCALAR_LABELS:
        mine, theirs = getattr(keep, key), getattr(other, key)
        if theirs in (None, ""):
            continue
        if mine in (None, ""):
            plan.fill[key] = theirs
        elif (sort_key(str(mine)) != sort_key(str(theirs))) if key == "company" else mine != theirs:
            plan.conflicts[key] = (mine, theirs)
    emails = {e.value.casefold() for e in keep.emails}
    plan.emails = [e for e in other.emails if e.value.casefold() not in emails]
    digits = {phone_digits(p.value) or p.value for p in keep.phones}
    plan.phones = [p for p in other.phones if (phone_digits(p.value) or p.value) not in digits]
    places = {a.one_line().casefold() for a in keep.addresses}
    plan.addresses = [a for a in other.addresses if a.one_line().casefold() not in places]
    tags = {t.casefold() for t in keep.tags}
    plan.tags = [t for t in other.tags if t.casefold() not in tags]
    for key, value in other.fields.items():
        if key not in keep.fields:
            plan.fields[key] = value
        elif keep.fields[key] != value:
            plan.field_conflicts[key] = (keep.fields[key], value)
    first = {name: next((e for e in other.extras if e.name == name), None) for name in ("N", "ORG")}
    plan.extras = [e for e in other.extras if e not in keep.extras and e not in first.values()]
    plan.extras.append(Extra(MERGED_UID, None, other.uid))
    plan.photo = other.photo is not None and keep.photo is None
    plan.notes = bool(other.notes) and other.notes != keep.notes
    p = {"o": other_id, "k": keep_id}
    plan.interactions = tx.scalar(
        "SELECT count(*) FROM interaction_contacts WHERE contact_id = :o AND interaction_id NOT IN "
        "(SELECT interaction_id FROM interaction_contacts WHERE contact_id = :k)",
        p,
    )
    plan.deals = tx.scalar(
        "SELECT count(*) FROM deal_contacts WHERE contact_id = :o AND deal_id NOT IN "
        "(SELECT deal_id FROM deal_contacts WHERE contact_id = :k)",
        p,
    )
    plan.tasks = tx.scalar("SELECT count(*) FROM tasks WHERE contact_id = :o", p)
    return plan


def plan_merge(db: Database, keep_id: int, other_id: int) -> MergePlan:
    """What :func:`merge` would do, without doing it."""
    with db.read() as tx:
        return _plan(tx, keep_id, other_id)


def _merge_note(plan: MergePlan) -> str | None:
    from tinycrm.domain.clock import local_now

    lines = [f"{SCALAR_LABELS[k]}: {theirs}" for k, (_, theirs) in plan.conflicts.items()]
    lines += [f"field {k}: {theirs}" for k, (_, theirs) in plan.field_conflicts.items()]
    if plan.notes:
        lines.append(plan.other.notes or "")
    if not lines:
        return None
    head = f"Merged from {plan.other.display_name} ({plan.other.uid}) on {local_now().date().isoformat()}:"
    return head + "\n" + "\n".join(lines)


def merge(db: Database, keep_id: int, other_id: int) -> ContactRead:
    """Merge OTHER into KEEP (see the module's description); one transaction, audited as ``merge``."""
    from tinycrm.services.people import companies, contacts

    with db.write() as tx:
        tx.lock_rows("contacts", [keep_id, other_id])
        plan = _plan(tx, keep_id, other_id)
        keep, other = plan.keep, plan.other
        assert keep.version is not None
        sets: dict[str, Any] = {}
        for key, value in plan.fill.items():
            if key == "company":
                sets["company_id"] = companies.find_or_create(tx, value)
            else:
                sets[key] = value
        if "display_name" in sets:
            sets["sort_name"] = sort_key(sets["display_name"])
        note = _merge_note(plan)
        if note:
            sets["notes"] = f"{keep.notes}\n\n{note}" if keep.notes else note
        p = {"o": other_id, "k": keep_id}
        tx.execute(
            "INSERT INTO interaction_contacts (interaction_id, contact_id) SELECT interaction_id, :k "
            "FROM interaction_contacts WHERE contact_id = :o AND interaction_id NOT IN "
            "(SELECT interaction_id FROM interaction_contacts WHERE contact_id = :k)",
            p,
        )
        tx.execute(
            "INSERT INTO deal_contacts (deal_id, contact_id) SELECT deal_id, :k FROM deal_contacts "
            "WHERE contact_id = :o AND deal_id NOT IN "
            "(SELECT deal_id FROM deal_contacts WHERE contact_id = :k)",
            p,
        )
        tx.execute("UPDATE tasks SET contact_id = :k WHERE contact_id = :o", p)
        tx.execute("UPDATE tickets SET contact_id = :k WHERE contact_id = :o", p)
        if plan.photo:
            tx.execute("UPDATE contact_photos SET contact_id = :k WHERE contact_id = :o", p)
        if plan.extras:
            start = len(keep.extras)
            tx.executemany(
                "INSERT INTO contact_extras (contact_id, position, name, params, value) "
                "VALUES (:c, :p, :n, :a, :v)",
                [
                    {"c": keep_id, "p": start + i, "n": e.name, "a": e.params, "v": e.value}
                    for i, e in enumerate(plan.extras)
                ],
            )
        tx.execute("DELETE FROM contacts WHERE id = :o", p)
        refresh_last_interaction(tx, [keep_id])  # the other's interactions now count for the one kept
        lists: dict[str, Any] = {}
        if plan.emails:
            lists["emails"] = keep.emails + plan.emails
        if plan.phones:
            lists["phones"] = keep.phones + plan.phones
        if plan.addresses:
            lists["addresses"] = keep.addresses + plan.addresses
        if plan.tags:
            lists["tags"] = keep.tags + plan.tags
        if plan.fields:
            lists["fields"] = {**keep.fields, **plan.fields}
        contacts._write_lists(tx, keep_id, lists)
        update_versioned(tx, "contacts", "contact", keep_id, keep.version, sets)
        reindex(tx, [keep_id, other_id])
        drop_unused_tags(tx)
        changes: dict[str, tuple[Any, Any]] = {
            "merged": (f"{other.display_name} (id {other_id}, {other.uid})", keep_id)
        }
        changes.update({k: (None, val) for k, val in plan.fill.items()})
        changes.update({k: (getattr(keep, k), val) for k, val in lists.items()})
        changes.update(
            {
                "interactions": (None, plan.interactions),
                "deals": (None, plan.deals),
                "tasks": (None, plan.tasks),
            }
        )
        audit(tx, "merge", "contact", keep_id, changes)
        audit(tx, "merge", "contact", other_id, {"merged_into": (other_id, keep_id)})
        return read_in(tx, keep_id)
