"""Segments on both stores: ``tag:X`` is that tag exactly and ``tag:X*`` a prefix, the same in ``crm search``,
``crm segment show`` and ``crm contact list --segment``; a campaign goes to a contact's preferred (first)
address only, and that address's consent decides."""

from __future__ import annotations

import textwrap

import pytest
from mail_server import Server

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module


def ok(r):
    assert r.exit_code == 0, r.stderr
    return r


@pytest.fixture
def tagged(cli):
    for name, tags in (
        ("Ada Vip", ["vip"]),
        ("Bea Upper", ["VIP", "news"]),  # the same tag as vip: tags are case-insensitive
        ("Cy Gold", ["vip-gold"]),
        ("Dan Snake", ["viper"]),
        ("Eve Key", ["key account"]),
        ("Fay None", []),
    ):
        extra = [a for t in tags for a in ("--tag", t)]
        ok(cli("add-contact", name, "--email", f"{name.split()[0].lower()}@example.com", *extra))
    return cli


def _search(cli, query: str) -> list[str]:
    return sorted(c["display_name"] for c in ok(cli("search", "--json", "--", query)).json)


def _segment(cli, query: str) -> list[str]:
    ok(cli("segment", "add", "s", "--query", query))
    try:
        listed = ok(cli("contact", "list", "--segment", "s", "--json")).json
        shown = ok(cli("segment", "show", "s", "--json")).json
    finally:
        ok(cli("segment", "delete", "s", "--yes"))
    assert shown["members"] == len(listed) and [c["id"] for c in shown["page"]] == [c["id"] for c in listed]
    return sorted(c["display_name"] for c in listed)


QUERIES = [
    ("tag:vip", ["Ada Vip", "Bea Upper"]),
    ("tag:VIP", ["Ada Vip", "Bea Upper"]),
    ("tag:vip*", ["Ada Vip", "Bea Upper", "Cy Gold", "Dan Snake"]),
    ("tag:vip-*", ["Cy Gold"]),
    ("-tag:vip*", ["Eve Key", "Fay None"]),
    ('tag:"key account"', ["Eve Key"]),
    ("tag:key", []),
    ("tag:vip tag:news", ["Bea Upper"]),
    ("tag:vip_", []),  # _ and % are letters here, not LIKE wildcards
    ("tag:vi%*", []),
]


def test_tag_is_exact_and_a_star_makes_a_prefix_in_search_and_segments_alike(tagged):
    for query, found in QUERIES:
        assert (query, _search(tagged, query)) == (query, found)
        assert (query, _segment(tagged, query)) == (query, found)


def test_a_star_anywhere_but_the_end_is_refused(tagged):
    r = tagged("segment", "add", "s", "--query", "tag:*")
    assert r.exit_code == 2 and "a * goes once, after the start of a tag" in r.stderr
    assert ok(tagged("segment", "list", "--json")).json == []


def test_a_campaign_goes_to_the_preferred_address_only(cli, _isolated_home, tmp_path):
    (_isolated_home / "config.toml").write_text(
        textwrap.dedent(
            """\
            [smtp]
            host = "127.0.0.1"
            port = PORT
            [marketing]
            unsubscribe_address = "leave@acme.example"
            """
        )
    )
    with Server() as server:
        config = _isolated_home / "config.toml"
        config.write_text(config.read_text().replace("PORT", str(server.port)))
        ok(
            cli(
                "add-contact",
                "Ada Two",
                "--email",
                "ada@work.example",
                "--email",
                "ada@home.example",
                "--tag",
                "n",
            )
        )
        ok(
            cli(
                "add-contact",
                "Bob Out",
                "--email",
                "bob@work.example",
                "--email",
                "bob@home.example",
                "--tag",
                "n",
            )
        )
        ok(cli("consent", "Ada Two", "opt-in", "--source", "web form"))  # both of Ada's addresses
        ok(cli("consent", "Bob Out", "opt-out", "--address", "bob@work.example"))
        ok(cli("consent", "Bob Out", "opt-in", "--address", "bob@home.example", "--source", "web form"))
        ok(cli("segment", "add", "everyone", "--query", "tag:n"))
        template = tmp_path / "t.md"
        template.write_text("Hello {{ contact.email }}\n")
        ok(
            cli(
                "campaign",
                "add",
                "c",
                "--segment",
                "everyone",
                "--subject",
                "Hi",
                "--template",
                str(template),
            )
        )
        preview = ok(cli("campaign", "preview", "c", "--contact", "Ada Two"))
        assert "ada@work.example" in preview.stdout and "ada@home.example" not in preview.stdout
        r = ok(cli("campaign", "send", "c", "--yes"))
        assert "sent 1, failed 0, left 0 of 1" in r.stderr
        # Ada at her first address, once; Bob not at all: his preferred address opted out
        assert [rcpts for _, rcpts, _ in server.box.messages] == [["ada@work.example"]]
        (message,) = server.box.messages
        assert "Hello ada@work.example" in message[2].get_body(("plain",)).get_content()
