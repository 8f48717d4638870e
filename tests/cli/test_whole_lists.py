"""--all writes the whole list as it reads it: the same rows and JSON as the pages put together, from --offset
on when one is given (it was ignored), across the batches the store is read in."""

from __future__ import annotations

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module

N = 1203  # more than two batches of the contact loader (500) and of the cursor


@pytest.fixture
def many(cli):
    from tinycrm.domain.people import ContactInput, Labeled
    from tinycrm.services.people import contacts
    from tinycrm.store.database import open_db

    db = open_db(cli.url)
    try:
        with db.write() as tx:
            for i in range(N):
                contacts.insert(
                    tx, ContactInput(f"Person {i:04d}", emails=[Labeled(f"p{i}@example.com")], company="Acme")
                )
    finally:
        db.close()
    return cli


@pytest.mark.parametrize("args", [("contact", "list"), ("contact", "list", "--sort", "company")])
def test_all_is_the_pages_put_together(many, args):
    cli = many
    pages = []
    for offset in range(0, N, 500):
        r = cli(*args, "--limit", "500", "--offset", str(offset), "--json")
        assert r.exit_code == 0, r.stderr
        pages += r.json
    r = cli(*args, "--all", "--json")
    assert r.exit_code == 0 and r.stderr == ""
    assert r.json == pages and len(pages) == N
    r = cli(*args, "--all")
    assert r.stdout.splitlines() == [
        "\t".join(
            [str(c["id"]), c["display_name"], c["company"] or "", c["email"] or "", c["phone"] or "", ""]
        )
        for c in pages
    ]


def test_all_from_an_offset(many):
    cli = many
    r = cli("contact", "list", "--all", "--offset", str(N - 3), "--json")
    assert r.exit_code == 0
    assert [c["display_name"] for c in r.json] == [f"Person {i:04d}" for i in range(N - 3, N)]
    assert r.stderr == f"{N - 2}-{N} of {N} contacts\n"
    r = cli("contact", "list", "--all", "--offset", str(N + 5))
    assert r.exit_code == 0 and r.stdout == ""
    assert r.stderr == f"nothing from {N + 6} on: there are {N} contacts\n"


def test_an_empty_whole_list_is_an_empty_array(cli):
    r = cli("contact", "list", "--all", "--json", "--tag", "nobody")
    assert r.exit_code == 0 and r.stdout == "[]\n" and r.stderr == ""
