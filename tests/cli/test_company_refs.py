"""Naming a company on the command line: every option that takes a company resolves it the same way (id,
domain, exact name, a fragment of one name); only a new name adds a company, and the command says so. On
both stores."""

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module


def ok(r):
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    return r


def refused(r, code=2):
    assert r.exit_code == code, (r.stdout, r.stderr)
    assert r.stderr.startswith("crm: error: ") and r.stderr.count("\n") == 1, r.stderr
    return r.stderr


def company_count(cli) -> int:
    return len(ok(cli("company", "list", "--all", "--json")).json)


@pytest.fixture
def crm(cli):
    assert ok(cli("company", "add", "Acme Corp", "--domain", "acme.com")).stdout == "1\n"
    return cli


@pytest.mark.parametrize("ref", ["acme", "acme.com", "1", "ACME CORP", "https://www.acme.com/"])
def test_add_contact_finds_the_company(crm, ref):
    r = ok(crm("add-contact", "Ada Lovelace", "--company", ref, "--json"))
    assert r.json["company"] == {"id": 1, "name": "Acme Corp"}
    assert r.stderr == "", "nothing was added, so nothing to say"
    assert company_count(crm) == 1


def test_add_contact_with_a_new_name_adds_the_company_and_says_so(crm):
    r = ok(crm("add-contact", "Bob", "--company", "Initech"))
    cid = r.stdout.strip()
    assert r.stderr == "added company Initech (id 2)\n"
    assert crm("contact", "show", cid, "--json").json["company"] == {"id": 2, "name": "Initech"}
    assert company_count(crm) == 2


@pytest.mark.parametrize(
    ("ref", "words"),
    [
        (
            "7",
            "no company with id 7; list them with: crm company list, or add one with: crm company add NAME --domain D",
        ),
        (
            "initech.io",
            "no company has the domain initech.io; add it with: crm company add NAME --domain initech.io",
        ),
    ],
)
def test_an_id_or_domain_that_names_no_company_adds_nothing(crm, ref, words):
    assert refused(crm("add-contact", "Bob", "--company", ref)) == f"crm: error: {words}\n"
    ada = ok(crm("add-contact", "Ada")).stdout.strip()
    assert refused(crm("contact", "edit", ada, "--company", ref)) == f"crm: error: {words}\n"
    assert company_count(crm) == 1
    assert len(ok(crm("contact", "list", "--json")).json) == 1


def test_an_ambiguous_reference_lists_the_candidates_on_one_line(crm):
    ok(crm("company", "add", "Acme Labs", "--domain", "acmelabs.io"))
    ada = ok(crm("add-contact", "Ada")).stdout.strip()
    expected = (
        "crm: error: 'acme' matches 2 companies: Acme Corp (id 1, acme.com), Acme Labs (id 2, acmelabs.io); "
        "give an id or a domain\n"
    )
    for args in (
        ("add-contact", "Bob", "--company", "acme"),
        ("contact", "edit", ada, "--company", "acme"),
        ("contact", "list", "--company", "acme"),
        ("deal", "add", "Website", "--company", "acme"),
        ("task", "add", "Call", "--company", "acme"),
        ("company", "show", "acme"),
    ):
        assert refused(crm(*args)) == expected, args
    assert company_count(crm) == 2
    assert len(ok(crm("contact", "list", "--json")).json) == 1


def test_contact_edit_moves_to_a_company_by_reference(crm):
    ada = ok(crm("add-contact", "Ada")).stdout.strip()
    r = ok(crm("contact", "edit", ada, "--company", "acme.com", "--json"))
    assert r.json["company"] == {"id": 1, "name": "Acme Corp"} and r.stderr == ""
    r = ok(crm("contact", "edit", ada, "--company", "Globex", "--json"))
    assert r.json["company"] == {"id": 2, "name": "Globex"}
    assert r.stderr == "added company Globex (id 2)\n"
    assert ok(crm("contact", "edit", ada, "--company", "", "--json")).json["company"] is None


def test_every_option_that_takes_a_company_resolves_it_alike(crm):
    ada = ok(crm("add-contact", "Ada", "--company", "acme")).stdout.strip()
    ok(crm("add-contact", "Bob"))
    for ref in ("acme", "acme.com", "1"):
        assert [c["id"] for c in ok(crm("contact", "list", "--company", ref, "--json")).json] == [int(ada)]
        assert [c["id"] for c in ok(crm("search", "ada", "--company", ref, "--json")).json] == [int(ada)]
    deal = ok(crm("deal", "add", "Website", "-c", "EUR", "--company", "acme.com", "--json")).json
    assert deal["company_id"] == 1
    ok(crm("company", "add", "Globex", "--domain", "globex.com"))
    assert ok(crm("deal", "edit", str(deal["id"]), "--company", "glob", "--json")).json["company_id"] == 2
    task = ok(crm("task", "add", "Call", "--company", "acme.com", "--json")).json
    assert task["company"] == {"id": 1, "name": "Acme Corp"}
    assert company_count(crm) == 2


def test_company_add_refuses_a_domain_another_company_has(crm):
    before = ok(crm("company", "list", "--json")).json
    words = "crm: error: acme.com is the domain of Acme Corp (id 1) already; change that one with: crm company edit 1\n"
    assert refused(crm("company", "add", "Acme Again", "--domain", "ACME.com")) == words
    ok(crm("company", "add", "Globex", "--domain", "globex.com"))
    assert refused(crm("company", "edit", "globex", "--domain", "acme.com")) == words
    assert ok(crm("company", "show", "globex", "--json")).json["domain"] == "globex.com"
    assert ok(crm("company", "list", "--json")).json[:1] == before


def test_a_role_without_a_company_is_shown_as_a_role(cli):
    cid = ok(cli("add-contact", "X", "--role", "Treasurer")).stdout.strip()
    shown = ok(cli("contact", "show", cid)).stdout
    assert "role: Treasurer\n" in shown and "company" not in shown
    c = ok(cli("contact", "show", cid, "--json")).json
    assert (c["company"], c["company_role"]) == (None, "Treasurer")
    ok(cli("contact", "edit", cid, "--company", "Acme"))
    shown = ok(cli("contact", "show", cid)).stdout
    assert "company: Acme (Treasurer)\n" in shown and "role:" not in shown
