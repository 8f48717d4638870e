"""``crm ticket``, ``crm template``, ``crm report support`` and the tickets in ``crm remind``, on both stores,
with replies through a real SMTP server: threading headers, stored only when accepted, exit 75 and nothing
changed when not, --dry-run, $EDITOR, and bad input (header injection, a missing ticket, an unknown template
variable, a 10,000-character subject)."""

import os
import stat

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from mail_testkit import smtp, support_config  # noqa: F401 - the SMTP server fixture
from tinycrm.domain.mail import InboundMessage

MON = {"TINYCRM_NOW": "2026-12-07T10:00:00+01:00", "TZ": "Europe/Berlin"}


@pytest.fixture
def desk(cli, smtp, _isolated_home):  # noqa: F811
    inbox, port = smtp
    support_config(_isolated_home, port)
    assert cli("add-contact", "Ada Lovelace", "--email", "ada@example.com", env=MON).exit_code == 0
    return cli, inbox


def mail_in(cli, **fields) -> None:
    """A customer's mail, handled as the mail pipeline does."""
    from tinycrm import config
    from tinycrm.services.support import inbound
    from tinycrm.store.database import open_db

    base = {
        "message_id": "c1@example.com",
        "subject": "Printer",
        "from_address": "ada@example.com",
        "from_name": "Ada",
        "to": ("help@example.com",),
        "text": "It is on fire.\nReally.",
    }
    db = open_db(cli.url)
    try:
        old = {k: os.environ.get(k) for k in MON}
        os.environ.update(MON)
        config.reset()
        with db.write() as tx:
            inbound.handle(tx, InboundMessage(**{**base, **fields}), config.load())
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        db.close()


def test_add_list_show(desk):
    cli, _ = desk
    r = cli(
        "ticket",
        "add",
        "Printer broken",
        "--contact",
        "ada",
        "--priority",
        "urgent",
        "--body",
        "-",
        "--tag",
        "hardware",
        input="It is on fire",
        env=MON,
    )
    assert (r.exit_code, r.stdout, r.stderr) == (0, "#1\n", "")
    assert cli("ticket", "add", "Invoice", "--contact", "ada", env=MON).exit_code == 0
    r = cli("ticket", "list", env=MON)
    assert r.stdout.splitlines() == [
        "1\tnew\turgent\t2026-12-07T10:00:00Z\tPrinter broken\tAda Lovelace\t",
        "2\tnew\tnormal\t2026-12-08T09:00:00Z\tInvoice\tAda Lovelace\t",
    ]
    r = cli("ticket", "list", "--limit", "1", "--json", env=MON)
    assert [t["id"] for t in r.json] == [1] and "--offset 1 for the next page" in r.stderr
    shown = cli("ticket", "show", "#1", "--json", env=MON).json
    assert (shown["subject"], shown["tags"], shown["messages"][0]["body"]) == (
        "Printer broken",
        ["hardware"],
        "It is on fire",
    )
    r = cli("ticket", "show", "1", env=MON)
    assert "first response due: 2026-12-07 11:00" in r.stdout and "It is on fire" in r.stdout
    assert cli("ticket", "list", "--status", "closed", "--json", env=MON).json == []
    r = cli("ticket", "list", "--status", "done", env=MON)
    assert r.exit_code == 2 and "status 'done' is not one of" in r.stderr


def test_reply_threads_back_and_is_stored_once_accepted(desk):
    cli, inbox = desk
    mail_in(cli)
    inbox.messages.clear()  # the acknowledgement
    r = cli("ticket", "reply", "1", "--body", "We are on it.", "--status", "pending", "--json", env=MON)
    assert r.exit_code == 0, r.stderr
    assert r.json["status"] == "pending" and r.json["first_responded_at"] == "2026-12-07T09:00:00Z"
    [(sender, rcpts, sent, _)] = inbox.messages
    assert (sender, rcpts) == ("help@example.com", ["ada@example.com"])
    assert sent["From"] == "Example Help <help@example.com>"
    assert sent["Subject"] == "Re: Printer [#1]"
    assert sent["In-Reply-To"] == "<c1@example.com>"
    assert "<c1@example.com>" in sent["References"]
    assert sent.get_content().strip() == "We are on it."
    stored = r.json["messages"][-1]
    assert (stored["kind"], f"<{stored['message_id']}>") == ("out", sent["Message-ID"])
    # the customer answers our reply: it threads onto the ticket and opens it again
    mail_in(cli, message_id="c2@example.com", subject="Re: Printer [#1]", in_reply_to=stored["message_id"])
    assert cli("ticket", "show", "1", "--json", env=MON).json["status"] == "open"


def test_a_failed_send_changes_nothing_and_exits_75(desk, _isolated_home):
    cli, inbox = desk
    assert cli("ticket", "add", "Printer", "--contact", "ada", env=MON).exit_code == 0
    before = cli("ticket", "show", "1", "--json", env=MON).json
    inbox.refuse = True
    r = cli("ticket", "reply", "1", "--body", "Hello", env=MON)
    assert r.exit_code == 75 and "451" in r.stderr and "Traceback" not in r.stderr
    support_config(_isolated_home, None)
    r = cli("ticket", "reply", "1", "--body", "Hello", "--status", "resolved", env=MON)
    assert r.exit_code == 75 and "try again later" in r.stderr
    assert cli("ticket", "show", "1", "--json", env=MON).json == before


def test_dry_run_prints_and_stores_nothing(desk):
    cli, inbox = desk
    assert cli("ticket", "add", "Printer", "--contact", "ada", env=MON).exit_code == 0
    r = cli("ticket", "reply", "1", "--body", "Hello", "--dry-run", env=MON)
    assert r.exit_code == 0
    assert "Subject: Re: Printer [#1]\n" in r.stdout and "To: Ada Lovelace <ada@example.com>" in r.stdout
    assert inbox.messages == []
    assert [m["kind"] for m in cli("ticket", "show", "1", "--json", env=MON).json["messages"]] == []


def test_cr_lf_in_a_name_or_subject_never_adds_a_header(desk):
    cli, inbox = desk
    evil = "Eve\r\nBcc: spy@evil.example"
    assert cli("add-contact", evil, "--email", "eve@example.com", env=MON).exit_code in (0, 2)
    cid = "eve@example.com"
    r = cli("ticket", "add", "Hi\r\nBcc: spy@evil.example\r\n\r\nbody", "--contact", cid, env=MON)
    if r.exit_code != 0:  # the contact name was refused: give the ticket to Ada instead
        r = cli("ticket", "add", "Hi\r\nBcc: spy@evil.example", "--contact", "ada", env=MON)
    assert r.exit_code == 0
    number = r.stdout.strip().lstrip("#")
    r = cli("ticket", "reply", number, "--body", "ok", env=MON)
    assert r.exit_code == 0, r.stderr
    [(_, rcpts, sent, raw)] = inbox.messages
    assert rcpts in (["eve@example.com"], ["ada@example.com"])
    assert sent["Bcc"] is None and b"\nBcc:" not in raw
    assert "\n" not in sent["Subject"] and sent["Subject"].startswith("Re: Hi Bcc: spy@evil.example")


def test_bad_input_is_one_line_and_exit_2(desk):
    cli, inbox = desk
    for args, word in [
        (("ticket", "reply", "99", "--body", "x"), "no ticket #99"),
        (("ticket", "reply", "abc", "--body", "x"), "is not a ticket number"),
        (("ticket", "add", "x" * 10_000, "--contact", "ada"), "shorten it to at most 500"),
        (("ticket", "add", "Hi", "--contact", "nobody@nowhere.example"), "nobody@nowhere.example"),
        (("ticket", "status", "1", "waiting"), "not one of"),
        (("ticket", "merge", "1", "1"), "into itself"),
        (("template", "show", "../etc/passwd"), "is not a template name"),
    ]:
        r = cli(*args, env=MON)
        assert r.exit_code == 2, (args, r.stderr)
        assert word in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert inbox.messages == []


def test_templates_render_strictly_and_include_articles(desk, _isolated_home):
    cli, inbox = desk
    folder = _isolated_home / "templates"
    folder.mkdir()
    (folder / "thanks.txt").write_text(
        "Hello {{ contact.first_name }},\n{% set a = article('reset-password') %}"
        "see {{ a.title }}: {{ a.url }}\n-- {{ user.name }}, ticket {{ ticket.number }}\n"
    )
    (folder / "broken.j2").write_text("Hello {{ customer.name }}\n")
    assert (
        cli(
            "kb",
            "add",
            "Reset your password",
            "--slug",
            "reset-password",
            "--body",
            "Click *reset*.",
            env=MON,
        ).exit_code
        == 0
    )
    assert cli("ticket", "add", "Login", "--contact", "ada", env=MON).exit_code == 0
    assert cli("template", "list", env=MON).stdout == "broken\nthanks\n"
    assert "customer.name" in cli("template", "show", "broken", env=MON).stdout
    r = cli("ticket", "reply", "1", "--template", "broken", env=MON)
    assert r.exit_code == 2 and "'customer' is undefined" in r.stderr and inbox.messages == []
    r = cli("ticket", "reply", "1", "--template", "thanks", env=MON)
    assert r.exit_code == 0, r.stderr
    body = inbox.messages[0][2].get_content().replace("\r\n", "\n")
    assert body == (
        "Hello Ada,\nsee Reset your password: https://help.example.com/kb/reset-password\n-- tester, ticket 1\n"
    )


def test_no_body_opens_the_editor_on_the_quoted_last_message(desk, tmp_path):
    cli, inbox = desk
    mail_in(cli)
    inbox.messages.clear()
    seen = tmp_path / "seen.txt"
    editor = tmp_path / "editor.sh"
    editor.write_text(f'#!/bin/sh\ncp "$1" {seen}\nprintf "Fixed it.\\n" > "$1"\n')
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    r = cli("ticket", "reply", "1", env={**MON, "EDITOR": str(editor)})
    assert r.exit_code == 0, r.stderr
    assert "> It is on fire.\n> Really." in seen.read_text()
    assert inbox.messages[0][2].get_content().strip() == "Fixed it."
    r = cli("ticket", "reply", "1", env=MON)  # no editor, no terminal
    assert r.exit_code == 2 and "--body TEXT" in r.stderr


def test_attachment_saved_out(desk, tmp_path):
    from tinycrm.domain.mail import Attachment

    cli, _ = desk
    mail_in(
        cli,
        attachments=(
            Attachment("photo.jpg", "image/jpeg", 3, b"\xff\xd8\xff"),
            Attachment("big.bin", "application/octet-stream", 99, None),
        ),
    )
    out = tmp_path / "saved.jpg"
    r = cli("ticket", "attachment", "1", "photo.jpg", "-o", str(out), env=MON)
    assert r.exit_code == 0 and out.read_bytes() == b"\xff\xd8\xff"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert cli("ticket", "attachment", "1", "photo.jpg", "-o", str(out), env=MON).exit_code == 2
    r = cli("ticket", "attachment", "1", "big.bin", "-o", str(tmp_path / "b"), env=MON)
    assert r.exit_code == 2 and "was not kept" in r.stderr
    r = cli("ticket", "attachment", "1", "nope", "-o", str(tmp_path / "c"), env=MON)
    assert r.exit_code == 2 and "it has: big.bin, photo.jpg" in r.stderr
    assert (
        "[attachment: big.bin, application/octet-stream, dropped: too large]"
        in cli("ticket", "show", "1", env=MON).stdout
    )


def test_note_assign_status_merge_close(desk):
    cli, _ = desk
    for subject in ("One", "Two"):
        assert cli("ticket", "add", subject, "--contact", "ada", env=MON).exit_code == 0
    assert cli("ticket", "note", "1", "internal", env=MON).exit_code == 0
    assert cli("ticket", "assign", "1", "tester", env=MON).exit_code == 0
    assert [t["id"] for t in cli("ticket", "list", "--mine", "--json", env=MON).json] == [1]
    assert [t["id"] for t in cli("ticket", "list", "--unassigned", "--json", env=MON).json] == [2]
    both = cli("ticket", "list", "--unassigned", "--mine", env=MON)
    assert both.exit_code == 2 and both.stderr.count("\n") == 1 and "not both" in both.stderr
    r = cli("ticket", "status", "2", "pending", "--until", "2026-12-09 12:00", "--json", env=MON)
    assert r.json["pending_until"] == "2026-12-09T11:00:00Z"
    r = cli("ticket", "merge", "2", "1", "--json", env=MON)
    assert r.exit_code == 0 and r.json["id"] == 1
    assert cli("ticket", "close", "1", "--json", env=MON).json["status"] == "closed"
    assert cli("ticket", "list", "--json", env=MON).json == []


def test_remind_reports_my_tickets_near_or_past_their_sla(desk):
    cli, _ = desk
    assert (
        cli(
            "ticket",
            "add",
            "Urgent one",
            "--contact",
            "ada",
            "--priority",
            "urgent",
            "--assign",
            "tester",
            env=MON,
        ).exit_code
        == 0
    )
    assert cli("ticket", "add", "Later", "--contact", "ada", "--assign", "tester", env=MON).exit_code == 0
    r = cli("remind", env=MON)
    assert "Ticket #1: Urgent one  [ticket 1]  first response due within the hour" in r.stdout
    assert "Later" not in r.stdout
    later = {**MON, "TINYCRM_NOW": "2026-12-07T12:00:00+01:00"}
    r = cli("remind", env=later)
    assert "Overdue" in r.stdout and "first response breached" in r.stdout
    assert cli("remind", env=later).stdout == ""  # said once, then quiet until it changes


def test_report_support(desk):
    cli, _ = desk
    assert cli("ticket", "add", "One", "--contact", "ada", env=MON).exit_code == 0
    later = {**MON, "TINYCRM_NOW": "2026-12-07T12:30:00+01:00"}
    assert cli("ticket", "reply", "1", "--body", "hi", "--status", "resolved", env=later).exit_code == 0
    r = cli("report", "support", "--since", "2026-12-01", "--json", env=later)
    assert r.exit_code == 0, r.stderr
    report = r.json
    assert report["weeks"][-1] == {"week": "2026-12-07", "opened": 1, "resolved": 1}
    assert report["first_response"] == {"count": 1, "median_minutes": 150, "p90_minutes": 150}
    assert report["backlog_by_status"] == {"new": 0, "open": 0, "pending": 0}
    r = cli("report", "support", "--since", "2026-12-01", "--csv", env=later)
    assert r.stdout.splitlines()[0] == "week,opened,resolved" and "2026-12-07,1,1" in r.stdout


def test_report_resolution_time_leaves_out_the_time_waiting_on_the_customer(desk):
    """Business hours mon-fri 09:00-17:00 in Berlin. Ticket 1: opened Mon 10:00, waiting on the customer from
    Mon 11:00 (a reply with --status pending) until their answer reopens it Tue 10:00, resolved Tue 11:00: 9
    hours from open to resolved, 7 of them pending, so 2 hours. Ticket 2: resolved Mon 12:00, reopened Tue
    09:30, resolved again Tue 10:00: the day it stood resolved does not count either (2 h + 30 min)."""
    cli, _ = desk

    def at(when: str) -> dict:
        return {**MON, "TINYCRM_NOW": when}

    mon10, mon11, mon12 = (f"2026-12-07T{h}:00:00+01:00" for h in ("10", "11", "12"))
    assert cli("ticket", "add", "Printer", "--contact", "ada", env=at(mon10)).exit_code == 0
    assert cli("ticket", "add", "Scanner", "--contact", "ada", env=at(mon10)).exit_code == 0
    r = cli("ticket", "reply", "1", "--body", "Is it plugged in?", "--status", "pending", env=at(mon11))
    assert r.exit_code == 0, r.stderr
    assert cli("ticket", "status", "2", "resolved", env=at(mon12)).exit_code == 0
    assert cli("ticket", "status", "2", "open", env=at("2026-12-08T09:30:00+01:00")).exit_code == 0
    assert cli("ticket", "status", "1", "open", env=at("2026-12-08T10:00:00+01:00")).exit_code == 0
    assert cli("ticket", "status", "2", "resolved", env=at("2026-12-08T10:00:00+01:00")).exit_code == 0
    done = at("2026-12-08T11:00:00+01:00")
    assert cli("ticket", "status", "1", "resolved", env=done).exit_code == 0
    r = cli("report", "support", "--since", "2026-12-01", "--json", env=done)
    assert r.exit_code == 0, r.stderr
    assert r.json["resolution"] == {"count": 2, "median_minutes": 120, "p90_minutes": 150}
    assert r.json["weeks"][-1] == {"week": "2026-12-07", "opened": 2, "resolved": 2}


def test_show_never_passes_terminal_escapes_from_a_mail(desk):
    cli, _ = desk
    mail_in(cli, text="hello \x1b]0;owned\x07\x1b[2Jworld")
    r = cli("ticket", "show", "1", env=MON)
    assert "\x1b" not in r.stdout and "hello ]0;owned[2Jworld" in r.stdout
