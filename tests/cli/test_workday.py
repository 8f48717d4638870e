"""A freelancer's working day in the shell: the slips a person makes on the way, each said in one line with
how to fix it, exit 2, and nothing changed; on both stores."""

from __future__ import annotations


def test_a_value_without_a_currency_says_how_to_give_one(cli):
    for args in (("deal", "add", "Logo", "--value", "500"), ("lead", "add", "Kim", "--value", "500")):
        r = cli(*args)
        assert r.exit_code == 2, r.stderr
        line = r.stderr.strip()
        assert "\n" not in line and "''" not in line
        assert "--currency" in line and "[sales] currency" in line
    assert cli("deal", "list", "--json").json == []
    assert cli("lead", "list", "--json").json == []
    r = cli("deal", "add", "Logo", "--value", "500", "--currency", "eur", "--json")
    assert r.exit_code == 0 and r.json["currency"] == "EUR"
