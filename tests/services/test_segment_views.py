"""A segment as a saved view of the contact list: a list's search and filters saved as a segment find the same
people, and a segment's members come a page at a time, searched within, on both stores."""

from __future__ import annotations

import pytest

from tinycrm.domain.errors import InvalidInput, NotFound
from tinycrm.domain.people import ContactInput, Labeled
from tinycrm.services.marketing import segments
from tinycrm.services.people import contacts

PEOPLE = [
    ("Ada Lovelace", "Acme Corporation", ["vip", "client"]),
    ("Alan Turing", "Acme Corporation", ["client"]),
    ("Grace Hopper", "Globex", ["vip"]),
    ("Ken Thompson", None, ["vip"]),
    ("Barbara Liskov", "Acme Corporation", []),
]


@pytest.fixture
def people(db):
    for name, company, tags in PEOPLE:
        first = name.split()[0].lower()
        contacts.create(
            db, ContactInput(name, emails=[Labeled(f"{first}@example.com")], company=company, tags=tags)
        )
    return db


def test_query_from_a_list_view():
    assert segments.query_from("") == ""
    assert segments.query_from(" ada ", tag="vip") == "ada tag:vip"
    assert segments.query_from(tag="vip", company="Acme Corporation") == 'tag:vip company:"Acme Corporation"'
    assert segments.query_from(company='Say "hi" Ltd') == 'company:"Say hi Ltd"'


def test_a_saved_view_finds_what_the_list_showed(people):
    db = people
    query = segments.query_from(tag="vip", company="Acme Corporation")
    segments.add(db, "acme-vips", query)
    page = segments.members(db, "acme-vips", limit=10)
    assert [c.display_name for c in page.items] == ["Ada Lovelace"] and page.total == 1
    assert segments.get(db, "acme-vips").members == 1


def test_members_are_paged_sorted_and_searched(people):
    db = people
    segments.add(db, "vips", "tag:vip")
    first = segments.members(db, "vips", limit=2)
    second = segments.members(db, "vips", limit=2, offset=2)
    assert first.total == second.total == 3
    names = [c.display_name for c in first.items + second.items]
    assert names == ["Ada Lovelace", "Grace Hopper", "Ken Thompson"]
    found = segments.members(db, "vips", search="grace")
    assert [c.display_name for c in found.items] == ["Grace Hopper"]
    at_acme = segments.members(db, "vips", company="Acme Corporation")
    assert [c.display_name for c in at_acme.items] == ["Ada Lovelace"]
    assert segments.members(db, "vips", search="nobodyhere").total == 0


def test_members_of_an_unknown_segment(people):
    with pytest.raises(NotFound):
        segments.members(people, "nope")
    segments.add(people, "vips", "tag:vip")
    with pytest.raises(InvalidInput):
        segments.members(people, "vips", limit=0)
