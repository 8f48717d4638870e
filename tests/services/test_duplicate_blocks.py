"""Duplicate pairs found by blocks (shared email, phone, name, and names compared only inside a company) are
exactly the pairs of the rules applied to every pair of contacts, in the same order, with the same reasons and
scores; the count of a page agrees with the whole list, and a page stops early."""

from __future__ import annotations

import itertools
import random

import pytest

from tinycrm.domain.people import ContactInput, Labeled
from tinycrm.services.common import sort_key
from tinycrm.services.people import contacts, duplicates
from tinycrm.services.people.duplicates import MIN_PHONE_DIGITS, SCORES, _similar
from tinycrm.store.search import phone_digits

GIVEN = ["Ann", "Anne", "Anna", "A.", "Bob", "Rob", "J.", "John", "Jon"]
FAMILY = ["Lee", "Leigh", "Smith", "Smyth", None]
COMPANIES = ["Acme", "Globex", None]


def _people(n: int, seed: int) -> list[ContactInput]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        given, family = rnd.choice(GIVEN), rnd.choice(FAMILY)
        name = f"{given} {family}" if family else given
        emails = [Labeled(f"p{rnd.randint(0, n)}@example.com")] if rnd.random() < 0.5 else []
        if rnd.random() < 0.2:
            emails.append(Labeled(f"P{rnd.randint(0, n)}@Example.com"))
        phones = [Labeled(f"+1 555 {rnd.randint(0, n // 2):04d}")] if rnd.random() < 0.4 else []
        if rnd.random() < 0.1:
            phones.append(Labeled(f"{rnd.randint(100, 999)}"))  # too short to count
        given_name = given if rnd.random() < 0.8 else None
        out.append(
            ContactInput(
                name,
                given_name=given_name,
                family_name=family if given_name else None,
                emails=emails,
                phones=phones,
                company=rnd.choice(COMPANIES),
            )
        )
        _ = i
    return out


def _reference(people: dict[int, ContactInput]) -> list[tuple[int, int, list[str], int]]:
    """The rules on every pair of contacts, as plain Python: what the blocks must give."""
    found = []
    for a, b in itertools.combinations(sorted(people), 2):
        x, y = people[a], people[b]
        kinds: dict[str, list[str]] = {}
        for e in x.emails:
            if e.value.casefold() in {f.value.casefold() for f in y.emails}:
                reason = f"same email {e.value}"
                if reason not in kinds.setdefault("email", []):
                    kinds["email"].append(reason)
        for p in x.phones:
            digits = phone_digits(p.value)
            if len(digits) >= MIN_PHONE_DIGITS and digits in {phone_digits(q.value) for q in y.phones}:
                kinds.setdefault("phone", []).append(f"same phone {p.value}")
        same_company = x.company is not None and x.company == y.company
        if sort_key(x.display_name) == sort_key(y.display_name):
            if same_company:
                kinds["name_company"] = [f"same name at {x.company}"]
            else:
                kinds["name"] = [f"same name {x.display_name}"]
        elif same_company and (
            (x.family_name is not None and x.family_name == y.family_name)
            or (x.given_name is not None and x.given_name == y.given_name)
            or sort_key(x.display_name)[:3] == sort_key(y.display_name)[:3]
        ):
            if _similar(x.display_name, y.display_name):
                names = f"{x.display_name} / {y.display_name}"
                kinds["similar"] = [f"similar name at {x.company} ({names})"]
        if kinds:
            score = sum(SCORES[k] + 5 * (len(v) - 1) for k, v in kinds.items())
            reasons = [
                v[0] + (f" (and {len(v) - 1} more)" if len(v) > 1 else "")
                for k in SCORES
                if (v := kinds.get(k))
            ]
            found.append((a, b, reasons, score))
    return sorted(found, key=lambda f: (-f[3], f[0], f[1]))


@pytest.mark.parametrize("seed", [1, 2])
def test_blocks_give_what_every_pair_gives(db, seed):
    inputs = _people(70, seed)
    with db.write() as tx:
        people = {contacts.insert(tx, c): c for c in inputs}
    with db.read() as tx:  # the names as stored (a name alone is split into given and family names)
        for r in tx.all("SELECT id, given_name, family_name FROM contacts"):
            people[r["id"]].given_name, people[r["id"]].family_name = r["given_name"], r["family_name"]
    want = _reference(people)
    assert len(want) > 30, "the fixture must make pairs of every kind"
    got = [(p.a.id, p.b.id, p.reasons, p.score) for p in duplicates.find(db)]
    assert got == want

    page = duplicates.page(db, limit=7, offset=5)
    assert page.total == len(want)
    assert [(p.a.id, p.b.id) for p in page.items] == [(w[0], w[1]) for w in want[5:12]]

    stream = duplicates.stream(db, offset=len(want) - 3)
    assert [(p.a.id, p.b.id) for p in stream.items] == [(w[0], w[1]) for w in want[-3:]]
    assert stream.total == len(want) and stream.shown == 3


def test_every_kind_is_found(db):
    with db.write() as tx:
        ids = [
            contacts.insert(tx, c)
            for c in [
                ContactInput("Ann Lee", emails=[Labeled("ann@example.com")], company="Acme"),
                ContactInput("Ann Lee", emails=[Labeled("ANN@example.com")], company="Acme"),
                ContactInput("Bob Ray", phones=[Labeled("+1 555 0100")]),
                ContactInput("Robert Ray", phones=[Labeled("15550100")]),
                ContactInput("Cy Young", company="Globex"),
                ContactInput("Cy Young"),
                ContactInput("J. Smith", given_name="J.", family_name="Smith", company="Initech"),
                ContactInput("John Smith", given_name="John", family_name="Smith", company="Initech"),
            ]
        ]
    pairs = {(p.a.id, p.b.id): p for p in duplicates.find(db)}
    assert pairs[(ids[0], ids[1])].score == SCORES["email"] + SCORES["name_company"]
    assert pairs[(ids[2], ids[3])].reasons == ["same phone +1 555 0100"]
    assert pairs[(ids[4], ids[5])].reasons == ["same name Cy Young"]
    assert pairs[(ids[6], ids[7])].reasons == ["similar name at Initech (J. Smith / John Smith)"]
    assert len(pairs) == 4
    assert duplicates.page(db, limit=1).total == 4
