"""``crm search --format mutt|aerc --all`` writes the address book as it reads it, like ``crm search --all``:
the matches through one cursor, their addresses a batch of contacts at a time, each batch written before the
next is read. Batches are made small here so that 25 matches take several."""

from __future__ import annotations

import pytest
from address_book_data import seeded_url

from crm_testkit import Cli


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def book(request, tmp_path_factory):
    yield from seeded_url(request.param, tmp_path_factory.mktemp("book"))


@pytest.fixture
def events(monkeypatch):
    """What happened, in order: ("read", n) for each batch of n contacts whose addresses were read, ("line",)
    for each line written."""
    from tinycrm.cli import render
    from tinycrm.services.people import addressbook, contact_search

    monkeypatch.setattr(addressbook, "CHUNK", 4)
    monkeypatch.setattr(contact_search, "CHUNK", 4)
    seen: list[tuple] = []
    emails_of, out = addressbook.emails_of, render.out

    def reading(db, ids):
        seen.append(("read", len(ids)))
        return emails_of(db, ids)

    def writing(*args, **kwargs):
        seen.append(("line",))
        return out(*args, **kwargs)

    monkeypatch.setattr(addressbook, "emails_of", reading)
    monkeypatch.setattr(render, "out", writing)
    return seen


@pytest.mark.parametrize("fmt", ["mutt", "aerc"])
def test_all_is_written_as_it_is_read(book, events, fmt):
    r = Cli(book)("search", "--format", fmt, "person", "--all")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    addresses = lines[1:] if fmt == "mutt" else lines
    assert len(addresses) == 25 and all(a.startswith("person") for a in addresses)
    if fmt == "mutt":  # counted before the first line: the message says how many
        assert lines[0] == "crm: 25 contacts match 'person'"
    reads = [i for i, e in enumerate(events) if e[0] == "read"]
    assert [events[i][1] for i in reads] == [4, 4, 4, 4, 4, 4, 1]
    # each batch's lines are written before the next batch is read: never the whole list held at once
    for before, after in zip(reads, reads[1:], strict=False):
        assert ("line",) in events[before:after]


def test_a_page_is_as_before(book, events):
    r = Cli(book)("search", "--format", "mutt", "person", "--limit", "10", "--offset", "20")
    assert r.stdout.splitlines()[0] == "crm: 21-25 of 25 contacts matching 'person'"
    assert len(r.stdout.splitlines()) == 6


def test_all_from_an_offset(book, events):
    r = Cli(book)("search", "--format", "mutt", "person", "--all", "--offset", "23")
    assert r.stdout.splitlines() == [
        "crm: 24-25 of 25 contacts matching 'person'",
        "person23@example.com\tPerson 23\t",
        "person24@example.com\tPerson 24\t",
    ]
    r = Cli(book)("search", "--format", "aerc", "person", "--all", "--offset", "30")
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", "nothing from 31 on: there are 25 matches\n")
