"""Campaigns end to end on both stores, through a real SMTP server process that records every message:
consent and suppression decide who gets mail, headers and both MIME parts, merge fields, exactly once, resumable
after a temporary failure, bad input refused before anything is sent."""

from __future__ import annotations

import textwrap

import pytest
from mail_server import Server

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module

TEMPLATE = textwrap.dedent(
    """\
    Hello {{ contact.given_name|default("there") }},

    Your plan is **{{ contact.fields.plan|default("basic") }}** at {{ contact.company|default("home") }}.

    ![a pixel](https://tracker.example/p.gif)
    """
)


def ok(r):
    assert r.exit_code == 0, r.stderr
    return r


@pytest.fixture
def server():
    with Server() as s:
        yield s


def configure(home, port: int, extra: str = "") -> None:
    (home / "config.toml").write_text(
        textwrap.dedent(
            f"""\
            [smtp]
            host = "127.0.0.1"
            port = {port}
            from = "Acme News <news@acme.example>"
            [marketing]
            unsubscribe_address = "leave@acme.example"
            """
        )
        + extra
    )


@pytest.fixture
def shop(cli, server, _isolated_home, tmp_path):
    configure(_isolated_home, server.port)
    people = [
        ("Ada Lovelace", "ada@example.com", "opt-in", ["--field", "plan=gold", "--company", "Analytical"]),
        ("Bob Stone", "bob@example.com", "opt-in", []),
        ("Eve Out", "eve@example.com", "opt-out", []),
        ("Una Known", "una@example.com", None, []),
        ("Sam Suppressed", "sam@example.com", "opt-in", []),
    ]
    for name, address, choice, extra in people:
        ok(cli("add-contact", name, "--email", address, "--tag", "news", *extra))
        if choice:
            ok(cli("consent", address, choice, "--source", "web form"))
    ok(cli("consent", "suppress", "sam@example.com"))
    ok(cli("segment", "add", "readers", "--query", "tag:news"))
    template = tmp_path / "news.md"
    template.write_text(TEMPLATE)
    ok(
        cli(
            "campaign",
            "add",
            "march",
            "--segment",
            "readers",
            "--subject",
            "News for {{ contact.display_name }}",
            "--template",
            str(template),
            "--reply-to",
            "team@acme.example",
        )
    )
    return cli


def test_send_once_to_consenting_addresses(shop, server):
    r = ok(shop("campaign", "send", "march", "--yes"))
    assert "sent 2, failed 0, left 0 of 2" in r.stderr
    assert sorted(r for _, rcpts, _ in server.box.messages for r in rcpts) == [
        "ada@example.com",
        "bob@example.com",
    ]
    (message,) = server.box.to("ada@example.com")
    assert message["Subject"] == "News for Ada Lovelace"
    assert message["To"] == "Ada Lovelace <ada@example.com>"
    assert message["From"] == "Acme News <news@acme.example>" and message["Reply-To"] == "team@acme.example"
    assert message["Precedence"] == "bulk"
    assert (
        message["List-Unsubscribe"].startswith("<mailto:leave+r")
        and "@acme.example?subject=unsubscribe" in message["List-Unsubscribe"]
    )
    assert message["List-Unsubscribe-Post"] is None  # no HTTPS address configured
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hello Ada," in text and "**gold** at Analytical" in text and "To stop: write to leave+r" in text
    assert "<strong>gold</strong>" in html and "Unsubscribe</a>" in html and 'style="' in html
    assert "<img" not in html and "tracker.example" not in html and "a pixel" in html
    (bob,) = server.box.to("bob@example.com")
    assert (
        "Hello Bob," in bob.get_body(("plain",)).get_content()
        and "**basic** at home" in bob.get_body(("plain",)).get_content()
    )
    assert bob["Message-ID"] != message["Message-ID"]
    show = ok(shop("campaign", "show", "march", "--json")).json
    assert show["state"] == "done" and show["counts"] == {"sent": 2} and show["recipients"] == 2
    # sent again: nothing happens
    r = ok(shop("campaign", "send", "march", "--yes"))
    assert "sent already" in r.stderr and len(server.box.messages) == 2
    # on the timeline, but stay-in-touch does not count it (counts_as_contact = false)
    timeline = ok(shop("timeline", "ada", "--json")).json
    assert [t["kind"] for t in timeline] == ["email"] and "march" in timeline[0]["summary"]
    assert last_contact(shop.url, "ada@example.com") is None


def last_contact(url: str, address: str):  # noqa: ANN201 - the stay-in-touch column of that contact
    from tinycrm.store.database import open_db

    db = open_db(url)
    try:
        with db.read() as tx:
            return tx.scalar(
                "SELECT c.last_interaction_at FROM contacts c JOIN contact_emails e ON e.contact_id = c.id "
                "WHERE e.value_key = :a",
                {"a": address},
            )
    finally:
        db.close()


def test_one_click_url_when_configured(shop, server, _isolated_home):
    configure(_isolated_home, server.port, 'base_url = "https://crm.acme.example"\n')
    ok(shop("campaign", "send", "march", "--yes", "--limit", "1"))
    ((_, _, message),) = server.box.messages
    assert message["List-Unsubscribe"].startswith("<https://crm.acme.example/unsubscribe/r")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    left = ok(shop("campaign", "show", "march", "--json")).json
    assert left["counts"] == {"queued": 1, "sent": 1} and left["state"] == "sending"


def test_permanent_refusal_goes_on_temporary_failure_stops(shop, server):
    server.box.refuse["ada@example.com"] = "550 no such user"
    server.box.refuse["bob@example.com"] = "451 try later"
    r = shop("campaign", "send", "march", "--yes")
    assert r.exit_code == 75 and "451" in r.stderr and r.stderr.count("\n") == 2, r.stderr
    counts = ok(shop("campaign", "show", "march", "--json")).json["counts"]
    assert counts == {"queued": 1, "failed": 1}
    del server.box.refuse["bob@example.com"]
    ok(shop("campaign", "send", "march"))
    assert [rcpts for _, rcpts, _ in server.box.messages] == [["bob@example.com"]]
    assert ok(shop("campaign", "show", "march", "--json")).json["counts"] == {"sent": 1, "failed": 1}


def test_a_name_with_a_line_break_never_becomes_a_header(shop, server):
    ok(shop("contact", "edit", "bob", "--name", "Bob\r\nBcc: victim@example.com"))
    ok(shop("campaign", "send", "march", "--yes"))
    (bob,) = server.box.to("bob@example.com")
    assert bob["Bcc"] is None and "\n" not in bob["Subject"] and "\n" not in bob["To"]
    assert all("victim" not in r for _, rcpts, _ in server.box.messages for r in rcpts)


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ("Hi {{ contact.favourite_colour }}", "no attribute 'favourite_colour'"),
        ("{{ ''.__class__ }}", "not allowed"),
        ("Hi {{ contact.given_name ", "fix the template"),
        ("x" * 1_100_000, "larger than"),
    ],
)
def test_bad_templates_are_refused_at_add(shop, tmp_path, template, words):
    path = tmp_path / "bad.md"
    path.write_text(template)
    r = shop("campaign", "add", "bad", "--segment", "readers", "--subject", "Hi", "--template", str(path))
    assert r.exit_code == 2 and words in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert "no campaign named 'bad'" in shop("campaign", "show", "bad").stderr


def test_bad_subject_and_no_recipients(shop, server, tmp_path):
    path = tmp_path / "ok.md"
    path.write_text("Hi")
    r = shop(
        "campaign",
        "add",
        "bad",
        "--segment",
        "readers",
        "--subject",
        "Hi {{ contact.nickname }}",
        "--template",
        str(path),
    )
    assert r.exit_code == 2 and "the subject: 'dict object' has no attribute 'nickname'" in r.stderr
    ok(shop("segment", "add", "nobody", "--query", "tag:nobody"))
    ok(shop("campaign", "add", "empty", "--segment", "nobody", "--subject", "Hi", "--template", str(path)))
    r = ok(shop("campaign", "send", "empty", "--yes"))
    assert "no recipients" in r.stderr and server.box.messages == []


def test_sending_needs_an_unsubscribe_address(shop, server, _isolated_home):
    (_isolated_home / "config.toml").write_text(f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\n')
    r = shop("campaign", "send", "march", "--yes")
    assert r.exit_code == 2 and "unsubscribe_address" in r.stderr and server.box.messages == []
    assert ok(shop("campaign", "show", "march", "--json")).json["state"] == "draft"


def test_preview_and_test(shop, server):
    r = ok(shop("campaign", "preview", "march", "--contact", "bob"))
    assert "Subject: News for Bob Stone" in r.stdout and "Hello Bob," in r.stdout
    assert "<strong>" in ok(shop("campaign", "preview", "march", "--html")).stdout
    ok(shop("campaign", "test", "march", "--to", "me@acme.example"))
    ((_, rcpts, message),) = server.box.messages
    assert rcpts == ["me@acme.example"] and message["Subject"].startswith("[test] News for")
    assert ok(shop("campaign", "show", "march", "--json")).json["state"] == "draft"
