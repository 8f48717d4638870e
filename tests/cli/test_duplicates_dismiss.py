"""`crm duplicates dismiss A B`: a pair that is two people leaves the list (and its pages and count);
`--dismissed` lists such pairs, `undismiss` brings one back."""

from __future__ import annotations


def add(cli, *args: str) -> int:
    r = cli("add-contact", *args, "--json")
    assert r.exit_code == 0, r.stderr
    return r.json["id"]


def pairs(cli, *args: str) -> list[tuple[int, int]]:
    r = cli("duplicates", *args, "--json")
    assert r.exit_code == 0, r.stderr
    return [(p["a"]["id"], p["b"]["id"]) for p in r.json]


def test_dismissed_pairs_leave_the_list_its_pages_and_its_count(cli):
    a = add(cli, "Ada Lovelace", "--email", "ada@example.com")
    b = add(cli, "A. Lovelace", "--email", "ada@example.com")
    c = add(cli, "Grace Hopper", "--company", "Navy")
    d = add(cli, "Grace Hoper", "--company", "Navy")
    e = add(cli, "Ken Thompson")
    f = add(cli, "ken thompson")
    g = add(cli, "Ken Thompson")
    h = add(cli, "Linus Torvalds", "--phone", "+1 555 0100 77")
    i = add(cli, "L. Torvalds", "--phone", "+1 555 0100 77")
    everything = pairs(cli)
    assert len(everything) == 6
    # one of each kind of evidence: email, phone, same name, similar name at one company
    for x, y in ((b, a), (h, i), (e, g), (d, c)):
        r = cli("duplicates", "dismiss", str(x), str(y))
        assert r.exit_code == 0, r.stderr
    left = [(e, f), (f, g)]
    assert pairs(cli) == left
    assert pairs(cli, "--all") == left
    r = cli("duplicates", "--limit", "1", "--json")
    assert [(p["a"]["id"], p["b"]["id"]) for p in r.json] == [(e, f)]
    assert "1-1 of 2 possible duplicates" in r.stderr
    assert pairs(cli, "--limit", "1", "--offset", "1") == [(f, g)]
    # the dismissed ones, newest first, lower id first
    r = cli("duplicates", "--dismissed", "--json")
    assert [(p["a"]["id"], p["b"]["id"]) for p in r.json] == [(c, d), (e, g), (h, i), (a, b)]
    assert all(p["user_name"] and p["created_at"] for p in r.json)
    r = cli("duplicates", "--dismissed")
    assert r.stdout.splitlines()[0].split("\t")[:4] == [str(c), "Grace Hopper", str(d), "Grace Hoper"]
    # dismissing again changes nothing; undismiss lists the pair again
    assert cli("duplicates", "dismiss", str(a), str(b), "--json").json["a"]["id"] == a
    r = cli("duplicates", "undismiss", "ada@example.com", str(b), "--json")
    assert r.exit_code == 2  # the address names two contacts: ambiguous
    r = cli("duplicates", "undismiss", str(b), str(a), "--json")
    assert r.exit_code == 0 and (r.json["a"]["id"], r.json["b"]["id"]) == (a, b)
    assert pairs(cli) == [(a, b), *left]
    r = cli("duplicates", "undismiss", str(a), str(b))
    assert r.exit_code == 2 and "not dismissed" in r.stderr and r.stderr.count("\n") == 1


def test_dismiss_refuses_bad_pairs(cli):
    a = add(cli, "Solo")
    r = cli("duplicates", "dismiss", str(a), str(a))
    assert r.exit_code == 2 and "two different contacts" in r.stderr
    r = cli("duplicates", "dismiss", str(a), "999999")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert cli("duplicates", "--dismissed", "--json").json == []


def test_a_dismissed_pair_goes_with_its_contact_and_comes_back_with_an_undone_merge(cli):
    a = add(cli, "Ken Thompson")
    b = add(cli, "Ken Thompson")
    c = add(cli, "Ken Thompson")
    assert cli("duplicates", "dismiss", str(b), str(c)).exit_code == 0
    assert cli("merge", str(a), str(b), "--yes").exit_code == 0
    assert cli("duplicates", "--dismissed", "--json").json == []
    assert pairs(cli) == [(a, c)]
    assert cli("merge", "undo").exit_code == 0
    assert [(p["a"]["id"], p["b"]["id"]) for p in cli("duplicates", "--dismissed", "--json").json] == [(b, c)]
    assert pairs(cli) == [(a, b), (a, c)]


def test_json_export_and_import_carry_dismissed_pairs_and_merges(cli, tmp_path):
    from crm_testkit import Cli

    a = add(cli, "Ken Thompson")
    b = add(cli, "Ken Thompson")
    c = add(cli, "Ken Thompson")
    assert cli("duplicates", "dismiss", str(a), str(b)).exit_code == 0
    assert cli("merge", str(a), str(c), "--yes").exit_code == 0
    out = tmp_path / "all.json"
    assert cli("export", "json", str(out)).exit_code == 0
    copy = Cli(f"sqlite:///{tmp_path / 'copy.db'}")
    r = copy("import", "json", str(out))
    assert r.exit_code == 0, r.stderr
    assert copy("duplicates", "--json").json == []
    assert [m["other_id"] for m in copy("merge", "--list", "--json").json] == [c]
    assert copy("merge", "undo").exit_code == 0
    assert pairs(copy) == [(a, c), (b, c)]


def test_leads_cannot_be_dismissed(cli):
    r = cli("duplicates", "--leads", "--dismissed")
    assert r.exit_code == 2 and "not both" in r.stderr
