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


def test_contacts_as_json_on_standard_input(cli):
    one = '{"name": "Zoë Müller", "emails": ["work:zoe@example.de"], "company": "Acme", "tags": ["vip"]}'
    r = cli("add-contact", "--json", "-", input=one)
    assert r.exit_code == 0, r.stderr
    [made] = r.json
    assert made["display_name"] == "Zoë Müller" and made["company"]["name"] == "Acme"
    assert made["emails"] == [{"value": "zoe@example.de", "label": "work"}] and made["tags"] == ["vip"]
    assert "added company Acme" in r.stderr
    # what --json prints can be fed back (into another database; here the UID is taken: exit 1)
    shown = cli("contact", "show", str(made["id"]), "--json").stdout
    r = cli("add-contact", "--json", "-", input=shown)
    assert r.exit_code == 1 and "UID" in r.stderr
    many = '[{"name": "Ann Lee", "phones": [{"value": "+1 555 0100", "label": "mobile"}]}, {"name": "Bo", "emails": ["bad"]}]'
    r = cli("add-contact", "--json", "-", input=many)
    assert r.exit_code == 2
    assert (
        r.stderr.strip()
        == "crm: error: contact 2 of 2: email: 'bad' is not an email address (expected name@example.com)"
    )
    assert [c["display_name"] for c in cli("contact", "list", "--json").json] == ["Zoë Müller"]


def test_a_dash_for_a_name_is_not_a_contact_called_dash(cli):
    for args, said in (
        (("add-contact", "-"), "needs --json"),
        (("add-contact", "--json", "-", "--tag", "x"), "leave out the options"),
    ):
        r = cli(*args, input='{"name": "Ann Lee"}')
        assert r.exit_code == 2 and said in r.stderr and r.stderr.count("\n") == 1
    for text, said in (("nope", "not JSON"), ("[]", "no contact"), ('{"nam": "x"}', "unknown field 'nam'")):
        r = cli("add-contact", "--json", "-", input=text)
        assert r.exit_code == 2 and said in r.stderr, r.stderr
    assert cli("contact", "list", "--json").json == []
