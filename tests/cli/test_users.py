"""Users and ownership: crm user add|list|edit, the acting user, owners, --mine and --owner. Both stores."""

from __future__ import annotations

import pytest


def test_first_user_to_act_is_registered_as_admin(cli):
    assert cli("add-contact", "Ada Lovelace").exit_code == 0
    users = cli("user", "list", "--json").json
    assert [(u["name"], u["role"], u["active"], u["owns"]) for u in users] == [("tester", "admin", True, 1)]


def test_user_add_list_edit(cli):
    r = cli(
        "user",
        "add",
        "bob",
        "--full-name",
        "Bob Builder",
        "--email",
        "bob@example.com",
        "--role",
        "viewer",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    assert (r.json["name"], r.json["full_name"], r.json["role"], r.json["active"]) == (
        "bob",
        "Bob Builder",
        "viewer",
        True,
    )
    r = cli("user", "edit", "bob", "--role", "member", "--email", "", "--inactive", "--json")
    assert r.exit_code == 0, r.stderr
    assert (r.json["role"], r.json["email"], r.json["active"]) == ("member", None, False)
    listed = {u["name"]: u for u in cli("user", "list", "--json").json}
    assert set(listed) == {"tester", "bob"}  # tester registered as the admin who added bob
    assert [u["name"] for u in cli("user", "list", "--active", "--json").json] == ["tester"]
    plain = cli("user", "list").stdout.splitlines()
    assert plain[0].split("\t")[0] == "bob" and plain[0].split("\t")[3] == "member"


@pytest.mark.parametrize(
    "args, message",
    [
        (["user", "add", "bob smith"], "not valid"),
        (["user", "add", "bob", "--role", "boss"], "role 'boss' is not one of: admin, member, viewer"),
        (["user", "add", "bob", "--email", "nope"], "email"),
        (["user", "edit", "nobody", "--role", "viewer"], "no user named 'nobody'"),
        (["user", "edit", "tester"], "nothing to change"),
    ],
)
def test_user_input_errors_exit_2(cli, args, message):
    r = cli(*args)
    assert r.exit_code == 2 and message in r.stderr, r.stderr


def test_duplicate_user_is_a_conflict(cli):
    assert cli("user", "add", "bob").exit_code == 0
    r = cli("user", "add", "bob")
    assert r.exit_code == 1 and "already a user named 'bob'" in r.stderr


def test_only_admins_change_roles_and_the_last_admin_stays(cli):
    cli("user", "add", "bob", "--role", "member")
    r = cli("user", "edit", "tester", "--role", "member")
    assert r.exit_code == 1 and "last active admin" in r.stderr
    r = cli("user", "edit", "tester", "--role", "viewer", env={"TINYCRM_USER": "bob"})
    assert r.exit_code == 1 and "only an admin can change roles" in r.stderr and "bob" in r.stderr
    r = cli("user", "add", "eve", env={"TINYCRM_USER": "bob"})
    assert r.exit_code == 1 and "only an admin" in r.stderr
    # a member may still change their own full name
    assert cli("user", "edit", "bob", "--full-name", "Bob B", env={"TINYCRM_USER": "bob"}).exit_code == 0
    assert cli("user", "edit", "bob", "--role", "admin").exit_code == 0
    assert cli("user", "edit", "tester", "--role", "member").exit_code == 0  # bob is admin now


def test_owner_filters_on_contacts_companies_and_search(cli):
    cli("user", "add", "bob")
    ada = cli("add-contact", "Ada Lovelace", "--company", "Analytical", "--tag", "pioneer").stdout.strip()
    grace = cli(
        "add-contact", "Grace Hopper", "--company", "Navy", "--tag", "pioneer", env={"TINYCRM_USER": "bob"}
    ).stdout.strip()
    alan = cli("add-contact", "Alan Turing", "--owner", "bob", "--tag", "pioneer").stdout.strip()

    def ids(*args, env=None):
        r = cli(*args, "--json", env=env)
        assert r.exit_code == 0, r.stderr
        return [str(x["id"]) for x in r.json]

    assert ids("contact", "list", "--mine") == [ada]
    assert ids("contact", "list", "--owner", "bob") == [alan, grace]
    assert ids("contact", "list", "--mine", env={"TINYCRM_USER": "bob"}) == [alan, grace]
    assert ids("search", "pioneer", "--owner", "bob") == ids("contact", "search", "pioneer", "--owner", "bob")
    assert set(ids("search", "pioneer", "--owner", "bob")) == {alan, grace}
    assert ids("search", "pioneer", "--mine") == [ada]
    assert ids("search", "ada", "--mine") == [ada]
    assert ids("search", "grace", "--mine") == []
    assert [c["name"] for c in cli("company", "list", "--mine", "--json").json] == ["Analytical"]
    assert [c["name"] for c in cli("company", "list", "--owner", "bob", "--json").json] == ["Navy"]
    r = cli("contact", "list", "--owner", "nobody")
    assert r.exit_code == 2 and "no user named 'nobody'" in r.stderr
    r = cli("contact", "list", "--owner", "bob", "--mine")
    assert r.exit_code == 2 and "not both" in r.stderr
    # someone who has not done anything yet owns nothing: not an error
    assert ids("contact", "list", "--mine", env={"TINYCRM_USER": "newcomer"}) == []


def test_owner_can_be_handed_over(cli):
    cli("user", "add", "bob")
    cid = cli("add-contact", "Ada Lovelace").stdout.strip()
    r = cli("contact", "edit", cid, "--owner", "bob", "--json")
    assert r.exit_code == 0 and r.json["owner"] == "bob"
    co = cli("company", "add", "Acme").stdout.strip()
    assert cli("company", "edit", co, "--owner", "bob", "--json").json["owner"] == "bob"
    r = cli("contact", "edit", cid, "--owner", "ghost")
    assert r.exit_code == 2 and "crm user add ghost" in r.stderr
    history = cli("history", "contact", cid, "--json").json
    assert history[0]["changes"] == {"owner": ["tester", "bob"]}


def test_current_user_from_config_file(cli, _isolated_home, monkeypatch):
    monkeypatch.delenv("TINYCRM_USER")
    from tinycrm import paths

    assert paths.config_file() == _isolated_home / "config.toml"
    (_isolated_home / "config.toml").write_text('user = "carol"\n', encoding="utf-8")
    cid = cli("add-contact", "Ada").stdout.strip()
    assert cli("contact", "show", cid, "--json").json["owner"] == "carol"
    assert cli("audit", "--json").json[0]["user"] == "carol"
    # TINYCRM_USER wins over the file
    cid = cli("add-contact", "Bea", env={"TINYCRM_USER": "dave"}).stdout.strip()
    assert cli("contact", "show", cid, "--json").json["owner"] == "dave"
    # a user name that is not one: exit 2, the file and the line, nothing added
    (_isolated_home / "config.toml").write_text('# me\nuser = "  "\n', encoding="utf-8")
    r = cli("add-contact", "Cy")
    assert r.exit_code == 2
    assert r.stderr.startswith(f"crm: error: {_isolated_home / 'config.toml'}:2: user must be a user name")
    (_isolated_home / "config.toml").unlink()
    assert [c["display_name"] for c in cli("contact", "list", "--json").json] == ["Ada", "Bea"]
