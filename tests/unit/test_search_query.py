"""The search query parser: a query with nothing to search for is refused, never taken as "everyone"."""

from __future__ import annotations

import pytest

from tinycrm.domain.errors import InvalidInput
from tinycrm.store.search import NothingToSearch, Term, parse


@pytest.mark.parametrize(
    "query",
    [
        "🦄",
        "***",
        "🦄 ✨",
        '"',
        '""',
        "_",
        "%",
        "():*&|!",
        "\\",
        "—",
        "tag:",
        "ada tag:",
        "tag: vip",
        'tag:""',
        "name:*",
        "phone:+",
        "email:",
        "ada mail:",
    ],
)
def test_nothing_to_search_for(query):
    with pytest.raises(NothingToSearch) as caught:
        parse(query)
    assert isinstance(caught.value, InvalidInput), "exit 2"
    assert "\n" not in caught.value.message


def test_the_messages_say_what_is_missing():
    with pytest.raises(
        NothingToSearch, match=r"^the search query '🦄' has no letters or digits to search for"
    ):
        parse("🦄")
    with pytest.raises(NothingToSearch, match=r"^tag: has no value; .* e\.g\. tag:vip$"):
        parse("tag:")
    with pytest.raises(NothingToSearch, match=r"^'name:\*' has no letters or digits to search for$"):
        parse("ada name:*")


def test_blank_is_no_terms():
    """A blank query is no query (the service lists everyone; the command line refuses it itself)."""
    assert parse("") == [] and parse("   ") == []


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("ada ***", [Term(("ada",))]),
        ("ada 🦄", [Term(("ada",))]),
        ("10:30", [Term(("10", "30"))]),
        ("bob:", [Term(("bob",))]),
        ("http://x.com", [Term(("http", "x", "com"))]),
        ("tag:vip", [Term(("vip",), "tags")]),
        ("email:@acme.com", [Term(("acme", "com"), "email")]),
        ('"ada lov', [Term(("ada", "lov"), prefix=False)]),
        ("山田", [Term(("山", "田"))]),
        ("Иван", [Term(("иван",))]),
    ],
)
def test_words_still_parse(query, terms):
    assert parse(query) == terms


def test_an_unknown_field_is_not_nothing():
    with pytest.raises(InvalidInput, match="unknown search field 'colour'") as caught:
        parse('colour:"red"')
    assert not isinstance(caught.value, NothingToSearch)
