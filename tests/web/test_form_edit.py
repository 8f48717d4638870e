"""``crm form edit``: changing a web form keeps its address, on SQLite and PostgreSQL; bad changes change
nothing and say why in one line."""

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from tinycrm.domain.errors import Conflict, InvalidInput, NotFound
from tinycrm.services import forms
from tinycrm.services.leads import records


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setenv("TINYCRM_NOW", "2026-06-01T09:00:00+00:00")


@pytest.fixture
def form(db):
    return forms.add_form(db, "Contact us", ["name", "email"], tags=["website"])


def test_an_edit_changes_what_it_names_and_keeps_the_address(db, form):
    edited = forms.edit_form(
        db, "Contact us", fields=["name", "email", "phone"], redirect="https://example.com/thanks"
    )
    assert (edited.key, edited.name, edited.tags) == (form.key, "Contact us", ["website"])
    assert edited.fields == ["name", "email", "phone"] and edited.redirect == "https://example.com/thanks"
    renamed = forms.edit_form(db, form.key, name="Sales", tags=["sales", "inbound"], double_opt_in=True)
    assert (renamed.name, renamed.tags, renamed.double_opt_in) == ("Sales", ["sales", "inbound"], True)
    cleared = forms.edit_form(db, "Sales", redirect="", tags=[], double_opt_in=False)
    assert (cleared.redirect, cleared.tags, cleared.double_opt_in) == (None, [], False)
    assert forms.list_forms(db) == [cleared]


def test_posts_after_an_edit_follow_the_new_settings(db, form):
    forms.edit_form(db, "Contact us", fields=["email", "phone"], tags=["fair"])
    posted = forms.submit(
        db, form.key, {"email": "ada@example.com", "phone": "+44 20", "name": "x"}, "192.0.2.1"
    )
    lead = records.get(db, posted.lead_id)
    assert lead.phone == "+44 20" and lead.name != "x" and lead.tags == ["fair"]


@pytest.mark.parametrize(
    "changes, error",
    [
        ({}, InvalidInput),
        ({"fields": ["phone"]}, InvalidInput),
        ({"fields": ["name", "colour"]}, InvalidInput),
        ({"redirect": "javascript:alert(1)"}, InvalidInput),
        ({"name": " "}, InvalidInput),
        ({"name": "Other"}, Conflict),
        ({"fields": ["name"], "double_opt_in": True}, InvalidInput),
    ],
)
def test_bad_edits_change_nothing(db, form, changes, error):
    forms.add_form(db, "Other", ["email"])
    before = forms.list_forms(db)
    with pytest.raises(error):
        forms.edit_form(db, "Contact us", **changes)
    with pytest.raises(NotFound):
        forms.edit_form(db, "No such form", tags=["x"])
    assert forms.list_forms(db) == before


def test_a_double_opt_in_form_keeps_its_email_field(db):
    forms.add_form(db, "News", ["name", "email"], double_opt_in=True)
    with pytest.raises(InvalidInput, match="add email"):
        forms.edit_form(db, "News", fields=["name"])
    assert forms.edit_form(db, "News", fields=["name"], double_opt_in=False).fields == ["name"]


def test_the_command_prints_the_address_and_json(cli):
    made = cli("form", "add", "Contact us", "--fields", "name,email", "--json").json
    result = cli(
        "form", "edit", "Contact us", "--fields", "name,email,company", "--tag", "a", "--tag", "b", "--json"
    )
    assert result.exit_code == 0, result.stderr
    doc = result.json
    assert (doc["key"], doc["fields"], doc["tags"]) == (made["key"], ["name", "email", "company"], ["a", "b"])
    assert 'name="company"' in doc["html"]
    plain = cli("form", "edit", "Contact us", "--no-tags", "--double-opt-in")
    assert plain.exit_code == 0 and plain.stdout.strip() == made["url"]
    shown = cli("form", "show", "Contact us", "--json").json
    assert (shown["tags"], shown["double_opt_in"]) == ([], True)


@pytest.mark.parametrize(
    "args, code, says",
    [
        ((), 2, "nothing to change"),
        (("--fields", "phone"), 2, "needs name or email"),
        (("--tag", "x", "--no-tags"), 2, "contradict"),
        (("--redirect", "ftp://x"), 2, "--redirect must be"),
        (("--name", "Other"), 1, "exists"),
    ],
)
def test_bad_edits_fail_in_one_line(cli, args, code, says):
    cli("form", "add", "Contact us", "--fields", "name,email")
    cli("form", "add", "Other")
    before = cli("form", "list", "--json").json
    result = cli("form", "edit", "Contact us", *args)
    assert result.exit_code == code
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert cli("form", "list", "--json").json == before


def test_an_unknown_form_is_named(cli):
    result = cli("form", "edit", "Nope", "--tag", "x")
    assert result.exit_code != 0 and "no form 'Nope'" in result.stderr
