"""A page in the back half of a list is read from its end (OFFSET walks every row it skips): every page must
still be exactly the slice of the whole list, ties, NULLs and every sort order included."""

from __future__ import annotations

import random

import pytest

from tinycrm.domain.people import ContactInput
from tinycrm.services.people import contact_search, contacts
from tinycrm.store.sql import reverse_order


def test_reverse_order_turns_every_term():
    assert reverse_order("c.sort_name, c.id") == "c.sort_name DESC, c.id DESC"
    assert reverse_order("c.created_at DESC, c.id DESC") == "c.created_at, c.id"
    assert reverse_order("coalesce(a, b) ASC, x desc") == "coalesce(a, b) DESC, x"


@pytest.fixture
def crowd(db):  # noqa: ANN001
    rng = random.Random(7)
    names = ["Ada Byron", "Grace Hopper", "Alan Turing", "Ada Byron", "Zoë Ångström", "émile Zola", "Bob"]
    companies = [None, "Acme", "Initech", None, "Zeta"]
    with db.write() as tx:
        for i in range(53):
            company = rng.choice(companies)
            contacts.insert(tx, ContactInput(rng.choice(names) + ("" if i % 3 else f" {i}"), company=company))
    return db


@pytest.mark.parametrize("sort", sorted(contact_search.SORTS))
def test_every_page_is_the_slice_of_the_whole_list(crowd, sort):  # noqa: ANN001
    whole = [c.id for c in contact_search.list_contacts(crowd, limit=None, sort=sort).items]
    assert len(whole) == 53
    for size in (1, 7, 20, 53, 60):
        for offset in range(0, 56, max(1, size // 2)):
            page = contact_search.list_contacts(crowd, limit=size, offset=offset, sort=sort)
            assert [c.id for c in page.items] == whole[offset : offset + size], (size, offset)
            assert page.total == 53
