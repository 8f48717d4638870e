"""crm search with the filters of the query language, on both stores, through the Typer command and the fast
path alike."""

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module


def ok(r):
    assert r.exit_code == 0, r.stderr
    return r


def names(r) -> list[str]:
    return sorted(c["display_name"] for c in ok(r).json)


@pytest.fixture
def people(cli, monkeypatch):
    monkeypatch.setenv("TINYCRM_NOW", "2026-03-25T10:30:00+00:00")
    ok(
        cli(
            "add-contact",
            "Ada Lovelace",
            "--tag",
            "vip",
            "--email",
            "ada@example.com",
            "--field",
            "plan=gold",
        )
    )
    ok(cli("add-contact", "Bob Stone", "--tag", "former", "--phone", "+44 20 7946 0000"))
    ok(cli("add-contact", "Cy Young", "--email", "cy@example.com"))
    ok(cli("deal", "add", "Big order", "--contact", "Ada Lovelace", "--value", "100", "--currency", "EUR"))
    ok(cli("log", "Cy Young", "--kind", "call", "--summary", "hello", "--when", "2026-03-20"))
    return cli


@pytest.mark.parametrize(
    ("query", "found"),
    [
        (["-tag:former"], ["Ada Lovelace", "Cy Young"]),
        (["has:email"], ["Ada Lovelace", "Cy Young"]),
        (["has:email", "-tag:vip"], ["Cy Young"]),
        (["field:plan=gold"], ["Ada Lovelace"]),
        (["field:plan=silver"], []),
        (["deal:open"], ["Ada Lovelace"]),
        (["deal:won"], []),
        (["stage:lead"], ["Ada Lovelace"]),
        (["created:>2026-01-01"], ["Ada Lovelace", "Bob Stone", "Cy Young"]),
        (["created:<2026-01-01"], []),
        (["last-contact:<30d"], ["Ada Lovelace", "Bob Stone"]),
        (["last-contact:>30d"], ["Cy Young"]),
        (["consent:unknown"], ["Ada Lovelace", "Cy Young"]),
        (["consent:opted-in"], []),
        (["ada", "has:email"], ["Ada Lovelace"]),
        (["tag:vip", "deal:open"], ["Ada Lovelace"]),
    ],
)
def test_filters(people, query, found):
    assert names(people("search", "--json", "--", *query)) == found


def test_unknown_field_and_bad_values(people):
    for query, words in (
        (["colour:red"], "unknown search field 'colour'"),
        (["created:>2026-02-30"], "is not a day"),
        (["stage:Nowhere"], "no stage has that name"),
        (["lead:qualified"], "have no lead: filter"),
    ):
        r = people("search", *query)
        assert r.exit_code == 2 and r.stdout == "", r
        assert r.stderr.startswith("crm: error: ") and r.stderr.count("\n") == 1 and words in r.stderr
