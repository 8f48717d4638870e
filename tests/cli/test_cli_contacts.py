"""The contact, company and interaction commands, end to end, on both stores."""

import json

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module


def ok(r):
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    return r


def test_add_contact_with_every_option(cli):
    r = ok(
        cli(
            "add-contact",
            "Ada Lovelace",
            "--email",
            "work:ada@example.com",
            "--email",
            "ada@home.example.org",
            "--phone",
            "mobile:+44 20 7946 0000",
            "--phone",
            "020 7946 0001",
            "--company",
            "Analytical Engines",
            "--role",
            "decision maker",
            "--title",
            "Analyst",
            "--tag",
            "vip",
            "--tag",
            "friend",
            "--note",
            "Met at the Royal Society.",
            "--birthday",
            "1815-12-10",
            "--field",
            "source=conference",
            "--field",
            "url=https://a.example/?x=1",
            "--address",
            "home:12 St James's Square; London; ; SW1Y 4JH; UK",
            "--cadence",
            "30",
            "--uid",
            "ada-1",
        )
    )
    cid = int(r.stdout.strip())
    assert r.stdout == f"{cid}\n"
    c = ok(cli("contact", "show", str(cid), "--json")).json
    assert c["id"] == cid and c["uid"] == "ada-1"
    assert c["emails"] == [
        {"value": "ada@example.com", "label": "work"},
        {"value": "ada@home.example.org", "label": None},
    ]
    assert c["phones"] == [
        {"value": "+44 20 7946 0000", "label": "mobile"},
        {"value": "020 7946 0001", "label": None},
    ]
    assert c["company"]["name"] == "Analytical Engines" and c["company_role"] == "decision maker"
    assert (c["job_title"], c["birthday"], c["cadence_days"]) == ("Analyst", "1815-12-10", 30)
    assert c["tags"] == ["friend", "vip"]
    assert c["fields"] == {"source": "conference", "url": "https://a.example/?x=1"}
    assert c["notes"] == "Met at the Royal Society."
    assert (
        c["addresses"][0]["street"] == "12 St James's Square" and c["addresses"][0]["postcode"] == "SW1Y 4JH"
    )
    assert c["addresses"][0]["region"] is None and c["addresses"][0]["label"] == "home"
    r = ok(cli("add-contact", "Grace Hopper", "--json"))
    assert r.json["display_name"] == "Grace Hopper" and isinstance(r.json["id"], int)
    assert ok(cli("contact", "add", "Linus", "-e", "linus@example.com")).stdout.strip().isdigit()


def test_show_by_id_email_or_name(cli):
    cid = ok(cli("add-contact", "Zoë Müller", "--email", "zoe@acme.com")).stdout.strip()
    for ref in (cid, f"#{cid}", "ZOE@acme.com", "Zoë", "muller", "zoe müller"):
        r = ok(cli("contact", "show", ref))
        assert r.stdout.splitlines()[:2] == [f"id: {cid}", "name: Zoë Müller"], ref
    r = cli("contact", "show", "nobody")
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.startswith("crm: error: no contact matches") and r.stderr.count("\n") == 1


def test_an_ambiguous_reference_lists_the_candidates(cli):
    a = ok(
        cli("add-contact", "Ada Lovelace", "--email", "ada@example.com", "--company", "Engines")
    ).stdout.strip()
    b = ok(cli("add-contact", "Ada Byron")).stdout.strip()
    for args in (
        ("contact", "show", "ada"),
        ("log", "ada", "--summary", "x"),
        ("timeline", "ada"),
        ("contact", "tag", "ada", "vip"),
        ("contact", "delete", "ada", "--yes"),
    ):
        r = cli(*args)
        assert r.exit_code == 2, args
        lines = r.stderr.splitlines()
        assert lines[0] == "crm: error: 'ada' matches 2 contacts; give an id or an email address"
        assert sorted(lines[1:]) == sorted(
            [f"  {a}\tAda Lovelace\tada@example.com, Engines", f"  {b}\tAda Byron"]
        )
    assert ok(cli("contact", "list", "--json")).json[0]["tags"] == []


def test_list_edit_archive_tag_delete(cli):
    a = ok(cli("add-contact", "Ada Lovelace", "--email", "ada@example.com", "--tag", "vip")).stdout.strip()
    b = ok(cli("add-contact", "Bob Babbage", "--company", "Acme")).stdout.strip()
    assert ok(cli("contact", "list")).stdout.splitlines() == [
        f"{a}\tAda Lovelace\t\tada@example.com\t\tvip",
        f"{b}\tBob Babbage\tAcme\t\t\t",
    ]
    assert [c["id"] for c in ok(cli("contact", "list", "--tag", "vip", "--json")).json] == [int(a)]
    assert [c["id"] for c in ok(cli("contact", "list", "--company", "acme", "--json")).json] == [int(b)]

    r = ok(
        cli(
            "contact",
            "edit",
            "ada",
            "--title",
            "Countess",
            "--add-email",
            "countess@example.com",
            "--field",
            "k=v",
            "--company",
            "Acme",
            "--json",
        )
    )
    assert (
        r.json["job_title"] == "Countess"
        and r.json["fields"] == {"k": "v"}
        and r.json["company"]["name"] == "Acme"
    )
    assert [e["value"] for e in r.json["emails"]] == ["ada@example.com", "countess@example.com"]
    r = ok(
        cli("contact", "edit", a, "--remove-email", "ada@example.com", "--unset-field", "k", "--company", "")
    )
    assert "email: countess@example.com" in r.stdout and "company" not in r.stdout
    r = cli("contact", "edit", a, "--title", "x", "--expect-version", "1")
    assert r.exit_code == 1 and "was changed by tester" in r.stderr

    assert (
        ok(cli("contact", "tag", "ada", "friend", "client")).stdout
        == f"{a}\tAda Lovelace\tclient, friend, vip\n"
    )
    assert ok(cli("contact", "untag", "ada", "client", "--json")).json["tags"] == ["friend", "vip"]
    assert {t["name"]: t["contacts"] for t in ok(cli("tags", "--json")).json} == {"friend": 1, "vip": 1}
    assert ok(cli("tags")).stdout == "friend\t1\t0\nvip\t1\t0\n"

    assert ok(cli("contact", "archive", "ada")).stdout == f"{a}\tAda Lovelace\tarchived\n"
    assert [c["id"] for c in ok(cli("contact", "list", "--json")).json] == [int(b)]
    assert [c["id"] for c in ok(cli("contact", "list", "--archived", "--json")).json] == [int(a)]
    assert len(ok(cli("contact", "list", "--include-archived", "--json")).json) == 2
    assert ok(cli("search", "lovelace", "--json")).json == []
    assert len(ok(cli("search", "lovelace", "--include-archived", "--json")).json) == 1
    assert ok(cli("contact", "unarchive", a, "--json")).json[0]["archived"] is False

    r = cli("contact", "delete", "ada")  # stdin is not a terminal: no question, no deletion
    assert r.exit_code == 2 and "--yes" in r.stderr
    r = ok(cli("contact", "delete", "ada", "--yes"))
    assert r.stdout == "" and "deleted Ada Lovelace" in r.stderr
    assert cli("contact", "show", a).exit_code == 2
    assert ok(cli("contact", "delete", b, "-y", "--json")).json["display_name"] == "Bob Babbage"


def test_companies(cli):
    r = ok(
        cli(
            "company",
            "add",
            "Acme Corporation",
            "--domain",
            "acme.com",
            "--website",
            "https://acme.com",
            "--phone",
            "+1 555 0100",
            "--address",
            "1 Road",
            "--note",
            "Anvils",
            "--tag",
            "client",
            "--field",
            "size=50",
        )
    )
    co = r.stdout.strip()
    assert co.isdigit()
    assert ok(cli("company", "add", "Globex", "--json")).json["name"] == "Globex"
    r = cli("company", "add", "ACME corporation")
    assert r.exit_code == 1 and "exists already" in r.stderr
    ok(cli("add-contact", "Ada", "--company", "acme corporation"))
    assert (
        ok(cli("company", "list")).stdout
        == f"{co}\tAcme Corporation\tacme.com\t1\tclient\n"
        + ok(cli("company", "list", "--offset", "1")).stdout
    )
    shown = ok(cli("company", "show", "acme.com", "--json")).json
    assert shown["id"] == int(co) and [p["name"] for p in shown["people"]] == ["Ada"]
    assert shown["fields"] == {"size": "50"} and shown["website"] == "https://acme.com"
    assert "people: Ada (" in ok(cli("company", "show", "acme")).stdout
    r = ok(
        cli(
            "company",
            "edit",
            "acme",
            "--name",
            "Acme Inc",
            "--tag",
            "partner",
            "--unset-field",
            "size",
            "--json",
        )
    )
    assert (r.json["name"], r.json["tags"], r.json["fields"]) == ("Acme Inc", ["partner"], {})
    assert ok(cli("search", "company:acme", "--json")).json[0]["company"] == "Acme Inc"
    assert cli("company", "edit", "acme").exit_code == 2
    r = cli("company", "delete", "acme")
    assert r.exit_code == 2
    ok(cli("company", "delete", "acme", "--yes"))
    assert ok(cli("contact", "show", "ada", "--json")).json["company"] is None
    assert [c["name"] for c in ok(cli("company", "list", "--json")).json] == ["Globex"]


def test_log_and_timeline(cli, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Paris")
    monkeypatch.setenv("TINYCRM_NOW", "2026-03-25T10:30:00+01:00")
    ok(cli("add-contact", "Ada Lovelace", "--email", "ada@example.com", "--company", "Engines"))
    ok(cli("add-contact", "Bob Babbage"))
    first = ok(
        cli("log", "ada@example.com", "--kind", "call", "--summary", "Intro", "--when", "yesterday 15:00")
    )
    assert first.stdout.strip().isdigit()
    r = ok(
        cli("log", "ada", "-k", "meeting", "-s", "Workshop", "-w", "2 days ago", "--with", "bob", "--json")
    )
    assert r.json["kind"] == "meeting" and [p["name"] for p in r.json["contacts"]] == [
        "Ada Lovelace",
        "Bob Babbage",
    ]
    assert r.json["happened_at"] == "2026-03-22T23:00:00Z"
    r = ok(
        cli("log", "ada", "--summary", "Notes from stdin", "--body", "-", "--json", input="line 1\nline 2\n")
    )
    assert r.json["body"] == "line 1\nline 2\n" and r.json["kind"] == "note"
    assert r.json["company"]["name"] == "Engines"
    tl = ok(cli("timeline", "ada")).stdout.splitlines()
    assert [line.split("\t")[1:4] for line in tl] == [
        ["2026-03-25 10:30", "note", "Notes from stdin"],
        ["2026-03-24 15:00", "call", "Intro"],
        ["2026-03-23 00:00", "meeting", "Workshop"],
    ]
    assert [i["summary"] for i in ok(cli("timeline", "ada", "--kind", "call", "--json")).json] == ["Intro"]
    assert [i["summary"] for i in ok(cli("timeline", "bob", "--json")).json] == ["Workshop"]
    assert len(ok(cli("timeline", "ada", "--limit", "1")).stdout.splitlines()) == 1
    shown = ok(cli("contact", "show", "ada")).stdout
    assert "last contact: 2026-03-25 10:30" in shown


def test_search_command(cli):
    ok(cli("add-contact", "Jürgen Müller", "--email", "j@acme.com", "--tag", "vip", "--company", "Acme"))
    ok(cli("add-contact", "José García", "--email", "jose@globex.com"))
    assert [c["display_name"] for c in ok(cli("search", "MULLER", "--json")).json] == ["Jürgen Müller"]
    assert [c["display_name"] for c in ok(cli("search", "tag:vip", "company:acme", "--json")).json] == [
        "Jürgen Müller"
    ]
    assert [c["display_name"] for c in ok(cli("search", "email:@globex.com", "--json")).json] == [
        "José García"
    ]
    assert [c["display_name"] for c in ok(cli("contact", "search", "jose", "--json")).json] == ["José García"]
    r = ok(cli("search", "nobody"))
    assert r.stdout == "" and r.stderr == ""
    assert ok(cli("search", "nobody", "--json")).json == []
    r = cli("search", 'colour:"red"')
    assert r.exit_code == 2 and "unknown search field" in r.stderr


@pytest.mark.parametrize(
    ("query", "words"),
    [
        (["🦄"], "the search query '🦄' has no letters or digits to search for"),
        (["***"], "the search query '***' has no letters or digits to search for"),
        (['""'], "has no letters or digits to search for"),
        (["   "], "the search query is blank: it has no letters or digits to search for"),
        ([""], "the search query is blank"),
        (["🦄", "✨"], "has no letters or digits to search for"),
        (["tag:"], "tag: has no value; write the value right after the colon, e.g. tag:vip"),
        (["tag:", "vip"], "tag: has no value"),
        (["ada", "email:"], "email: has no value"),
        (['tag:""'], "tag: has no value"),
        (["name:*"], "'name:*' has no letters or digits to search for"),
        (["ada", "--tag", ""], "Invalid value for '--tag': is empty"),
        (["ada", "--company", " "], "Invalid value for '--company': is empty"),
    ],
)
def test_search_refuses_a_query_with_nothing_to_search_for(cli, query, words):
    """`crm search 🦄` listed every contact: a query without a letter or digit, or a filter without a value,
    is refused instead (exit 2, one line)."""
    ok(cli("add-contact", "Ada Lovelace", "--tag", "vip"))
    ok(cli("add-contact", "Bob"))
    for extra in ((), ("--json",)):
        r = cli("search", *query, *extra)
        assert r.exit_code == 2, (query, r.stdout, r.stderr)
        assert r.stdout == ""
        assert r.stderr.startswith("crm: error: ") and r.stderr.count("\n") == 1, r.stderr
        assert words in r.stderr, r.stderr


def test_searches_with_some_words_still_work(cli):
    ok(cli("add-contact", "Ada Lovelace", "--tag", "vip", "--email", "ada@example.com"))
    ok(cli("add-contact", "Bob"))
    for query, found in (
        (["ada", "***"], ["Ada Lovelace"]),
        (["ada", "🦄"], ["Ada Lovelace"]),
        (["ada@example.com"], ["Ada Lovelace"]),
        (["tag:VIP"], ["Ada Lovelace"]),
        (["10:30"], []),
        (["bob:"], ["Bob"]),
    ):
        r = ok(cli("search", *query, "--json"))
        assert [c["display_name"] for c in r.json] == found, query


@pytest.mark.parametrize(
    "args",
    [
        ("contact", "list", "--tag", ""),
        ("contact", "list", "--company", ""),
        ("contact", "list", "--owner", ""),
        ("company", "list", "--tag", ""),
        ("task", "list", "--contact", ""),
        ("deal", "list", "--company", ""),
        ("audit", "--user", ""),
    ],
)
def test_an_empty_filter_is_refused_not_ignored(cli, args):
    """`--tag "$TAG"` with an unset variable listed everyone."""
    ok(cli("add-contact", "Ada Lovelace", "--tag", "vip"))
    r = cli(*args, "--json")
    assert r.exit_code == 2 and r.stdout == "", r.stdout
    assert "is empty; give a value or leave the option out" in r.stderr and r.stderr.count("\n") == 1


def test_status_and_db_commands(cli):
    r = ok(cli())
    assert r.stdout.startswith("tinycrm  ")
    assert "0 contacts (0 archived), 0 companies, 0 interactions, 0 tags" in r.stdout
    assert "crm add-contact NAME" in r.stdout and "\x1b" not in r.stdout
    ok(cli("add-contact", "Ada", "--company", "Acme", "--tag", "x"))
    assert "1 contacts (0 archived), 1 companies, 0 interactions, 1 tags" in ok(cli()).stdout
    status = ok(cli("db", "status", "--json")).json
    assert status["up_to_date"] is True and status["current"] == status["head"]
    assert "postgres:***@" in status["url"] or status["url"].startswith("sqlite:///")
    assert "schema" in ok(cli("db", "upgrade")).stderr
    assert "indexed 1 contacts" in ok(cli("db", "reindex")).stderr


def test_database_from_the_environment(sqlite_url, tmp_path, monkeypatch):
    from tinycrm.cli import run
    from tinycrm.cli.app import build

    monkeypatch.setenv("TINYCRM_DB", sqlite_url)
    assert run(build(), ["add-contact", "Env Person"]) == 0
    from tinycrm.store.database import open_db

    db = open_db(sqlite_url)
    from tinycrm.services.people import contacts

    assert [c.display_name for c in contacts.list_contacts(db).items] == ["Env Person"]
    db.close()


@pytest.mark.parametrize(
    "argv", [["--version"], ["--help"], ["contact", "--help"], ["add-contact", "--help"]]
)
def test_help_and_version(sqlite_cli, argv):
    r = ok(sqlite_cli(*argv))
    assert r.stdout and "\x1b" not in r.stdout


def test_a_group_without_a_command_shows_its_help(sqlite_cli):
    r = sqlite_cli("contact")
    assert r.exit_code == 2 and "Traceback" not in r.stderr
    assert "Usage:" in r.stderr and "list" in r.stderr and r.stderr.count("\n") > 3


def test_json_is_stable_utf8(cli):
    ok(cli("add-contact", "Zoë 山田", "--note", 'quote " and \\ backslash'))
    raw = ok(cli("contact", "list", "--json")).stdout
    assert "Zoë 山田" in raw, "JSON keeps non-ASCII text as is"
    assert json.loads(raw)[0]["display_name"] == "Zoë 山田"
    shown = ok(cli("contact", "show", "zoe", "--json")).json
    assert shown["notes"] == 'quote " and \\ backslash'
    assert shown["created_at"].endswith("Z")


def test_running_commands_again_does_not_grow_the_command_table(sqlite_cli):
    from tinycrm.cli import contacts as contact_commands

    sqlite_cli("contact", "list")
    before = len(contact_commands.contact_app.registered_commands)
    for _ in range(3):
        assert sqlite_cli("contact", "search", "x").exit_code == 0
        assert sqlite_cli("add-contact", "X").exit_code == 0
    assert len(contact_commands.contact_app.registered_commands) == before
