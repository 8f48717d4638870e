"""`crm duplicates`: candidate pairs from SQL, with their reasons, most certain first."""

from __future__ import annotations


def add(cli, *args: str) -> int:
    r = cli("add-contact", *args, "--json")
    assert r.exit_code == 0, r.stderr
    return r.json["id"]


def test_pairs_and_reasons_most_certain_first(cli):
    a = add(cli, "Ada Lovelace", "--email", "ada@example.com", "--phone", "+44 20 7946 0000")
    b = add(cli, "A. Lovelace", "--email", "ADA@example.com", "--phone", "(+44) 20-7946-0000")
    c = add(cli, "Grace Hopper", "--phone", "+1 555 0100", "--company", "Navy")
    d = add(cli, "Grace Hoper", "--company", "Navy")
    e = add(cli, "Linus Torvalds", "--company", "Linux")
    f = add(cli, "Linus Torvalds", "--company", "Linux")
    g = add(cli, "Ken Thompson")
    h = add(cli, "ken thompson")
    add(cli, "Unrelated Person", "--phone", "+1 555 0199", "--company", "Navy")
    add(cli, "Short Phone", "--phone", "112")
    add(cli, "Other Short", "--phone", "112")
    r = cli("duplicates", "--json")
    assert r.exit_code == 0, r.stderr
    pairs = [((p["a"]["id"], p["b"]["id"]), p["reasons"]) for p in r.json]
    assert pairs == [
        ((a, b), ["same email ada@example.com", "same phone +44 20 7946 0000"]),
        ((e, f), ["same name at Linux"]),
        ((g, h), ["same name Ken Thompson"]),
        ((c, d), ["similar name at Navy (Grace Hopper / Grace Hoper)"]),
    ]
    assert [p["score"] for p in r.json] == sorted((p["score"] for p in r.json), reverse=True)
    r = cli("duplicates")
    assert r.stdout.splitlines()[0].split("\t")[:4] == [str(a), "Ada Lovelace", str(b), "A. Lovelace"]
    assert len(cli("duplicates", "--limit", "2", "--json").json) == 2


def test_initials_at_the_same_company(cli):
    a = add(cli, "John Smith", "--company", "Acme")
    b = add(cli, "J. Smith", "--company", "Acme")
    add(cli, "Jane Smith", "--company", "Other")
    r = cli("duplicates", "--json")
    assert [(p["a"]["id"], p["b"]["id"]) for p in r.json] == [(a, b)]


def test_no_duplicates(cli):
    add(cli, "Only One")
    r = cli("duplicates", "--json")
    assert r.exit_code == 0 and r.json == []
