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


def test_tags_named_like_googles_groups_survive_a_csv_round_trip(cli, tmp_path):
    r = cli(
        "add-contact", "Ada Lovelace", "-e", "ada@example.com", "--tag", "My Contacts", "--tag", "starred"
    )
    assert r.exit_code == 0, r.stderr
    for preset in ("generic", "google"):
        out = tmp_path / f"{preset}.csv"
        assert cli("export", "csv", str(out), "--preset", preset).exit_code == 0
        assert cli("contact", "delete", "ada", "--yes").exit_code == 0
        r = cli("import", "csv", str(out))
        assert r.exit_code == 0, r.stderr
        [ada] = cli("contact", "list", "--json").json
        # the user's own tags come back; Google's system group (* myContacts) the export adds does not
        assert cli("contact", "show", str(ada["id"]), "--json").json["tags"] == ["My Contacts", "starred"]


def test_dates_and_amounts_stay_whole_in_a_table_on_a_narrow_terminal(cli):
    terminal = {"TINYCRM_FORCE_TTY": "1", "COLUMNS": "70", "NO_COLOR": "1"}
    companies = (
        "Wayne Enterprises International",
        "Vandelay Industries Import Export",
        "Café Lumière et Fils",
    )
    for n, company in enumerate(companies, 1):
        assert cli("company", "add", company).exit_code == 0
        r = cli("deal", "add", f"Annual support contract renewal #{n}", "--value", "12000", "--currency", "EUR",
                "--company", company, "--close", f"2026-11-1{n}", "--stage", "Negotiation")  # fmt: skip
        assert r.exit_code == 0, r.stderr
    r = cli("deal", "list", env=terminal)
    assert r.exit_code == 0, r.stderr
    assert max(len(line) for line in r.stdout.splitlines()) <= 70
    for n in (1, 2, 3):
        assert f"2026-11-1{n}" in r.stdout
    assert r.stdout.count("12,000.00") == 3
    # the words give way instead
    assert "Annual support contract renewal" not in r.stdout


def test_a_deal_on_a_terminal_groups_its_weighted_value_as_its_value(cli):
    assert (
        cli("deal", "add", "Logo", "--value", "24000", "--currency", "EUR", "--stage", "Proposal").exit_code
        == 0
    )
    r = cli("deal", "show", "1", env={"TINYCRM_FORCE_TTY": "1", "COLUMNS": "100", "NO_COLOR": "1"})
    assert "24,000.00 EUR" in r.stdout and "12,000.00 EUR (50 %)" in r.stdout, r.stdout
    assert "weighted: 12000.00 EUR (50 %)" in cli("deal", "show", "1").stdout  # to a pipe: no grouping


def test_a_query_that_starts_with_a_dash_says_how_to_give_it(cli):
    assert cli("add-contact", "Ada Lovelace", "--tag", "former").exit_code == 0
    assert cli("add-contact", "Bob Babbage").exit_code == 0
    r = cli("search", "-tag:former")
    assert r.exit_code == 2
    assert r.stderr.strip().endswith("a query that starts with '-' follows '--': crm search -- -tag:former")
    r = cli("search", "--json", "--", "-tag:former")
    assert r.exit_code == 0 and [c["display_name"] for c in r.json] == ["Bob Babbage"]


def test_a_csv_row_whose_quote_is_never_closed_is_reported_and_the_rest_imported(cli, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text('Name,Email\nAda,ada@example.com\n"Bob Unclosed,bob@example.com\nCarl,carl@example.com\n')
    r = cli("import", "csv", str(path))
    assert r.exit_code == 1
    assert 'record 2 (line 3): a quote (") that opens a cell is never closed; the row was skipped' in r.stderr
    assert r.stdout.startswith("created 2, updated 0, unchanged 0, failed 1")
    names = [c["display_name"] for c in cli("contact", "list", "--json").json]
    assert names == ["Ada", "Carl"]
