"""Finding contacts that are the same person, and merging two into one.

Candidates come from SQL self-joins on indexed columns (``contact_emails.value_key``,
``contact_phones.digits``, ``contacts.sort_name``, ``contacts.company_id``), never from comparing every pair
in Python; only the few pairs at the same company are scored for name similarity here. A pair dismissed as
two people (``duplicate_dismissals``, :mod:`tinycrm.services.people.dismissals`) is left out by the same
queries, so pages and the count leave it out too.

A merge moves everything of OTHER to KEEP in one transaction: emails, phones, addresses, tags, custom fields,
vCard extras, the photo, interactions, deals, tasks and tickets, consents, campaign recipients, sequence
memberships and leads. Scalar fields KEEP lacks are taken from OTHER; where
both have different values KEEP's stays and OTHER's is written into KEEP's notes, so nothing is lost. OTHER's
UID is kept (``X-TINYCRM-MERGED-UID``) so that importing OTHER's vCard again updates KEEP instead of bringing
OTHER back. The merge records what it changed (:mod:`tinycrm.services.people.merge_undo`), in the same
transaction, so that it can be undone.
"""

from __future__ import annotations

import difflib
import heapq
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tinycrm.domain.errors import InvalidInput, NotFound
from tinycrm.domain.people import ContactRead, ContactSummary, Labeled
from tinycrm.domain.rows import Page, Stream
from tinycrm.formats.records import ContactData, Extra
from tinycrm.services.common import audit, drop_unused_tags, sort_key, update_versioned
from tinycrm.services.interchange.contactdata import MERGED_UID
from tinycrm.services.people.contact_loader import CHUNK, load_many, read_in, reindex
from tinycrm.services.people.interactions import refresh_last_interaction
from tinycrm.store.database import Database, Tx
from tinycrm.store.search import phone_digits
from tinycrm.store.sql import batches, check_page, placeholders, streamed

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
    return _similar_keys(sort_key(x), sort_key(y))


def _similar_keys(a: str, b: str) -> bool:
    """:func:`_similar` of two names already normalised by ``sort_key``."""
    matcher = difflib.SequenceMatcher(None, a, b)
    # the cheap upper bounds first: most names of a block are not close
    if matcher.real_quick_ratio() >= 0.85 and matcher.quick_ratio() >= 0.85 and matcher.ratio() >= 0.85:
        return True
    wa, wb = a.split(), b.split()
    if len(wa) >= 2 and len(wb) >= 2 and wa[-1] == wb[-1]:
        return wa[0][0] == wb[0][0] and (
            len(wa[0]) == 1 or len(wb[0]) == 1 or wa[0].startswith(wb[0]) or wb[0].startswith(wa[0])
        )
    return False


Kinds = dict[str, list[str]]
Pair = tuple[int, int]


def _score(kinds: Kinds) -> int:
    # each kind of evidence counts once, a few more points for each further email or phone in common
    return sum(SCORES[k] + 5 * (len(v) - 1) for k, v in kinds.items())


def _reasons(kinds: Kinds) -> list[str]:
    out = []
    for kind in SCORES:
        items = kinds.get(kind, [])
        if items:
            out.append(items[0] + (f" (and {len(items) - 1} more)" if len(items) > 1 else ""))
    return out


_NAME_PAIRS = (
    "SELECT a.id AS a, b.id AS b, a.display_name AS v, co.name AS company FROM contacts a "
    "JOIN contacts b ON b.sort_name = a.sort_name AND b.id > a.id "
    "LEFT JOIN companies co ON co.id = a.company_id AND b.company_id = a.company_id WHERE {cond} "
    "AND NOT EXISTS (SELECT 1 FROM duplicate_dismissals d WHERE d.low_id = a.id AND d.high_id = b.id) "
    "ORDER BY a.id, b.id"
)
#: a pair of ``a.contact_id < b.contact_id`` that a person said are two people (``crm duplicates dismiss``)
_NOT_DISMISSED = "NOT EXISTS (SELECT 1 FROM duplicate_dismissals d WHERE d.low_id = a.contact_id AND d.high_id = b.contact_id)"
#: the name blocks: same name at the same company (70 points), and same name elsewhere (50). The unary ``+``
#: keeps SQLite off the company index: ``a`` is walked in id order and each one's namesakes found through the
#: name index, so the pairs come out in order without sorting them all first
_SAME_COMPANY = "+a.company_id IS NOT NULL AND +b.company_id = +a.company_id"
_ELSEWHERE = "(+a.company_id IS NULL OR +b.company_id IS NULL OR +b.company_id <> +a.company_id)"


def _strong(tx: Tx) -> dict[Pair, Kinds]:
    """The pairs sharing an email address or a phone number (blocks on the indexed keys), with every kind of
    evidence each has, names included."""
    found: dict[Pair, Kinds] = {}

    def add(pair: Pair, kind: str, reason: str) -> None:
        reasons = found.setdefault(pair, {}).setdefault(kind, [])
        if reason not in reasons:
            reasons.append(reason)

    for r in tx.all(
        "SELECT a.contact_id AS a, b.contact_id AS b, a.value AS v FROM contact_emails a "
        "JOIN contact_emails b ON b.value_key = a.value_key AND b.contact_id > a.contact_id "
        f"WHERE {_NOT_DISMISSED} ORDER BY a.contact_id, b.contact_id, a.position, a.id, b.position, b.id"
    ):
        add((r["a"], r["b"]), "email", f"same email {r['v']}")
    for r in tx.all(
        "SELECT a.contact_id AS a, b.contact_id AS b, a.value AS v FROM contact_phones a "
        "JOIN contact_phones b ON b.digits = a.digits AND b.contact_id > a.contact_id "
        f"WHERE length(a.digits) >= {MIN_PHONE_DIGITS} AND {_NOT_DISMISSED} "
        "ORDER BY a.contact_id, b.contact_id, a.position, a.id, b.position, b.id"
    ):
        add((r["a"], r["b"]), "phone", f"same phone {r['v']}")
    people: dict[int, Any] = {}
    ids = sorted({i for pair in found for i in pair})
    for start in range(0, len(ids), CHUNK):
        marks, params = placeholders("i", ids[start : start + CHUNK])
        for r in tx.all(
            "SELECT c.id, c.display_name, c.sort_name, c.given_name, c.family_name, c.company_id, "
            f"co.name AS company FROM contacts c LEFT JOIN companies co ON co.id = c.company_id "
            f"WHERE c.id IN ({marks})",
            params,
        ):
            people[r["id"]] = r
    for (a, b), kinds in found.items():
        x, y = people.get(a), people.get(b)
        if x is None or y is None:
            continue
        same_company = x["company_id"] is not None and x["company_id"] == y["company_id"]
        if x["sort_name"] == y["sort_name"]:
            if same_company:
                kinds["name_company"] = [f"same name at {x['company']}"]
            else:
                kinds["name"] = [f"same name {x['display_name']}"]
        elif same_company and _block_mates(x, y) and _similar_keys(x["sort_name"], y["sort_name"]):
            names = f"{x['display_name']} / {y['display_name']}"
            kinds["similar"] = [f"similar name at {x['company']} ({names})"]
    return found


def _block_mates(x: Any, y: Any) -> bool:
    """Two people of one company whose names are worth comparing: the same family or given name, or the same
    first three letters."""
    return (
        (x["family_name"] is not None and x["family_name"] == y["family_name"])
        or (x["given_name"] is not None and x["given_name"] == y["given_name"])
        or x["sort_name"][:3] == y["sort_name"][:3]
    )


def _ordered(
    tx: Tx, strong: dict[Pair, Kinds], similar: list[tuple[Pair, str]]
) -> Iterator[tuple[Pair, Kinds]]:
    """Every pair, most certain first (then by ids). The pairs with a shared email or phone are few and sorted
    whole; the others have one kind of evidence each, so one score per kind: each such stream comes in id
    order (the name blocks straight from the index) and is merged in where its score falls."""
    ranked = sorted(strong.items(), key=lambda kv: (-_score(kv[1]), kv[0]))

    def names(cond: str, kind: str) -> Iterator[tuple[Pair, Kinds]]:
        for rows in batches(tx, _NAME_PAIRS.format(cond=cond)):
            for r in rows:
                pair = (r["a"], r["b"])
                if pair not in strong:
                    why = f"same name at {r['company']}" if r["company"] else f"same name {r['v']}"
                    yield pair, {kind: [why]}

    def alike() -> Iterator[tuple[Pair, Kinds]]:
        return ((pair, {"similar": [why]}) for pair, why in similar if pair not in strong)

    tiers = [
        ("name_company", lambda: names(_SAME_COMPANY, "name_company")),
        ("name", lambda: names(_ELSEWHERE, "name")),
        ("similar", alike),
    ]
    i = 0
    for kind, weak in tiers:
        score = SCORES[kind]
        while i < len(ranked) and _score(ranked[i][1]) > score:
            yield ranked[i]
            i += 1
        tied = []
        while i < len(ranked) and _score(ranked[i][1]) == score:
            tied.append(ranked[i])
            i += 1
        yield from heapq.merge(tied, weak(), key=lambda kv: kv[0])
    yield from ranked[i:]


def _count(tx: Tx, strong: dict[Pair, Kinds], similar: list[tuple[Pair, str]]) -> int:
    """How many pairs there are, without listing them: the same-name pairs counted by name in SQL."""
    named = tx.scalar(
        "SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM "
        "(SELECT count(*) AS n FROM contacts GROUP BY sort_name HAVING count(*) > 1) g"
    )
    named -= tx.scalar(
        "SELECT count(*) FROM duplicate_dismissals d JOIN contacts a ON a.id = d.low_id "
        "JOIN contacts b ON b.id = d.high_id WHERE b.sort_name = a.sort_name"
    )
    also = sum(1 for kinds in strong.values() if {"name", "name_company", "similar"} & kinds.keys())
    return len(strong) + int(named) + len(similar) - also


def _pairs(tx: Tx, ordered: Iterable[tuple[Pair, Kinds]]) -> Iterator[DuplicatePair]:
    """The pairs with both people as summaries, loaded a batch of pairs at a time."""
    batch: list[tuple[Pair, Kinds]] = []
    for item in itertools.chain(ordered, [None]):
        if item is not None:
            batch.append(item)
            if len(batch) < CHUNK // 2:
                continue
        ids = sorted({i for pair, _ in batch for i in pair})
        people = {s.id: s for s in load_many(tx, ids, detail="summary")}
        for (a, b), kinds in batch:
            if a in people and b in people:
                yield DuplicatePair(people[a], people[b], _reasons(kinds), _score(kinds))
        batch = []


def find(db: Database, *, limit: int | None = None, offset: int = 0) -> list[DuplicatePair]:
    """Candidate pairs, most certain first: ``limit`` of them from ``offset`` on (None: all)."""
    with db.read() as tx:
        strong = _strong(tx)
        ordered = _ordered(tx, strong, _similar_pairs(tx))
        end = None if limit is None else offset + limit
        return list(_pairs(tx, itertools.islice(ordered, offset, end)))


def page(db: Database, *, limit: int, offset: int = 0) -> Page[DuplicatePair]:
    """A page of :func:`find`, with the number of pairs in all (counted, not listed)."""
    check_page(limit, offset)
    with db.read() as tx:
        strong = _strong(tx)
        similar = _similar_pairs(tx)
        total = _count(tx, strong, similar)
        ordered = itertools.islice(_ordered(tx, strong, similar), offset, offset + limit)
        return Page(list(_pairs(tx, ordered)), total, limit, offset)


def stream(db: Database, *, offset: int = 0) -> Stream[DuplicatePair]:
    """Every pair from ``offset`` on (``--all``), read as it is shown."""
    check_page(None, offset)

    def prepare(tx: Tx) -> tuple[int, Iterator[DuplicatePair]]:
        strong = _strong(tx)
        similar = _similar_pairs(tx)
        total = _count(tx, strong, similar)
        return total, _pairs(tx, itertools.islice(_ordered(tx, strong, similar), offset, None))

    return streamed(db, offset, prepare)


def _similar_pairs(tx: Tx) -> list[tuple[Pair, str]]:
    """Every pair of people at one company with different but very similar names, by ids, with its reason.

    Blocks: the contacts of each company (read in company order through its index), and inside one company
    the names sharing a family name, a given name or their first three letters. Two names (``sort_name``, the
    normalised name) are compared once, and the verdict kept for the other companies."""
    verdicts: dict[tuple[str, str], bool] = {}
    out: list[tuple[Pair, str]] = []
    dismissed = {
        (r["low_id"], r["high_id"]) for r in tx.all("SELECT low_id, high_id FROM duplicate_dismissals")
    }
    for members in _companies(tx):
        names: dict[str, list[Any]] = {}
        blocks: dict[tuple[int, str], set[str]] = {}
        for r in members:
            key = r["sort_name"]
            names.setdefault(key, []).append(r)
            for which, value in ((0, r["family_name"]), (1, r["given_name"]), (2, key[:3])):
                if value is not None:
                    blocks.setdefault((which, value), set()).add(key)
        compared: set[tuple[str, str]] = set()
        for keys in blocks.values():
            ordered = sorted(keys)
            for i, p in enumerate(ordered):
                for q in ordered[i + 1 :]:
                    if (p, q) in compared:
                        continue
                    compared.add((p, q))
                    same = verdicts.get((p, q))
                    if same is None:
                        same = verdicts[(p, q)] = _similar_keys(p, q)
                    if same:
                        out.extend(x for x in _similar_people(names[p], names[q]) if x[0] not in dismissed)
    out.sort()
    return out


def _similar_people(xs: list[Any], ys: list[Any]) -> Iterator[tuple[Pair, str]]:
    """The pairs of two groups of people of one company with two similar names."""
    for x in xs:
        for y in ys:
            a, b = (x, y) if x["id"] < y["id"] else (y, x)  # the first of a pair is the older contact
            if _block_mates(a, b):
                names = f"{a['display_name']} / {b['display_name']}"
                yield (a["id"], b["id"]), f"similar name at {a['company']} ({names})"


def _companies(tx: Tx) -> Iterator[list[Any]]:
    """The people of each company (that has two or more), a company at a time."""
    company: Any = None
    members: list[Any] = []
    for rows in batches(
        tx,
        "SELECT c.id, c.display_name, c.sort_name, c.given_name, c.family_name, c.company_id, "
        "co.name AS company FROM contacts c JOIN companies co ON co.id = c.company_id "
        "ORDER BY c.company_id",
    ):
        for r in rows:
            if r["company_id"] != company:
                if len(members) > 1:
                    yield members
                company, members = r["company_id"], []
            members.append(r)
    if len(members) > 1:
        yield members


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
            raise NotFound(f"no contact with id {cid}", hint="find one with: crm search NAME")
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
    return merge_recorded(db, keep_id, other_id)[0]


def merge_recorded(db: Database, keep_id: int, other_id: int) -> tuple[ContactRead, int]:
    """:func:`merge`, giving also the id of the merge's record, which undoes it
    (:func:`tinycrm.services.people.merge_undo.undo`)."""
    from tinycrm.services.people import merge_undo

    with db.write() as tx:
        tx.lock_rows("contacts", [keep_id, other_id])
        plan = _plan(tx, keep_id, other_id)
        was = merge_undo.before(tx, keep_id, other_id)
        merged = _merge_in(tx, plan)
        names = (plan.keep.display_name, plan.other.display_name)
        return merged, merge_undo.record(tx, keep_id, other_id, names, was)


def _move_marketing_and_leads(tx: Tx, p: dict[str, int]) -> None:
    """OTHER's consents (and their log), campaign recipients, leads and sequence memberships go to KEEP, rather
    than losing their contact when OTHER is deleted; a sequence KEEP already follows keeps KEEP's place in it."""
    for table, column in (
        ("consents", "contact_id"),
        ("consent_log", "contact_id"),
        ("campaign_recipients", "contact_id"),
        ("leads", "contact_id"),
        ("leads", "converted_contact_id"),
    ):
        tx.execute(f"UPDATE {table} SET {column} = :k WHERE {column} = :o", p)
    tx.execute(
        "UPDATE sequence_members SET contact_id = :k WHERE contact_id = :o AND sequence_id NOT IN "
        "(SELECT sequence_id FROM sequence_members WHERE contact_id = :k)",
        p,
    )


def _merge_in(tx: Tx, plan: MergePlan) -> ContactRead:
    """Carry out ``plan`` inside ``tx``."""
    from tinycrm.services.people import companies, contacts

    keep, other = plan.keep, plan.other
    assert keep.id is not None and other.id is not None
    keep_id, other_id = keep.id, other.id
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
    _move_marketing_and_leads(tx, p)
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
