"""``crm mail ingest``: messages from stdin, files, a Maildir and an mbox become email interactions on the
timelines of known contacts, once each; the rest are ignored; damaged ones are reported and the rest go on."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from crm_testkit import Cli, _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mail"
ALL = sorted(str(p) for p in FIXTURES.glob("*.eml"))


def _has_handler(area: str) -> bool:
    from tinycrm.services.mail import handlers

    return any(h.__module__ == f"tinycrm.services.{area}.inbound" for h in handlers.load())


#: with the marketing area in the build, a delivery report is a bounce; without it, it is ignored
BOUNCES = _has_handler("marketing")


@pytest.fixture
def crm(store_url: str) -> Cli:  # noqa: F811
    cli = Cli(store_url)
    assert cli("add-contact", "Ada Lovelace", "--email", "ada@example.com").exit_code == 0
    r = cli(
        "add-contact", "Charles Babbage", "--email", "cb@home.test", "--email", "Charles.Babbage@example.org"
    )
    assert r.exit_code == 0, r.stderr
    return cli


def _rows(cli: Cli, sql: str) -> list:
    from tinycrm.store.database import open_db

    db = open_db(cli.url)
    try:
        with db.read() as tx:
            return [tuple(r) for r in tx.all(sql)]
    finally:
        db.close()


def _timeline(cli: Cli, who: str) -> list[dict]:
    r = cli("timeline", who, "--json")
    assert r.exit_code == 0, r.stderr
    return r.json


def test_every_fixture_is_handled_and_mail_with_contacts_goes_on_their_timelines(crm):
    r = crm("mail", "ingest", *ALL)
    assert r.exit_code == 0, r.stderr
    lines = dict(line.split("\t")[0].rsplit("/", 1)[1:] + [line] for line in r.stdout.splitlines())
    assert len(lines) == len(ALL)
    assert (
        "\tinteraction\tCAF=q2u1x9Zk@mail.example.com\temail on the timeline of Ada Lovelace"
        in lines["alternative.eml"]
    )
    assert (
        "Charles Babbage (#2)" in lines["attachment.eml"] and "Ada Lovelace (#1)" in lines["attachment.eml"]
    )
    assert "\tignored\tignored\t" in lines["auto_reply.eml"]  # an out-of-office is no interaction
    assert "\tignored\t" in lines["latin1.eml"]
    assert BOUNCES or "\tignored\t" in lines["dsn.eml"]
    assert "no sender" in lines["no_from.eml"]
    assert "broken MIME" in r.stderr and "Traceback" not in r.stderr
    if not BOUNCES:
        assert f"{len(ALL)} messages: 4 interaction, 7 ignored, 0 handled before, 0 failed" in r.stderr
    assert r.stderr.endswith(" 0 handled before, 0 failed\n")

    ada = _timeline(crm, "ada")
    assert [i["summary"] for i in ada] == [
        "Signed contract",
        "Re: Analytical engine quote",
        "broken structure",
    ]
    quote = ada[1]
    assert quote["kind"] == "email" and quote["uid"] == "mail:CAF=q2u1x9Zk@mail.example.com"
    assert quote["body"] == "Hi Grace,\n\nthe quote looks good. Can we start in January?\n\nAda"
    assert quote["happened_at"] == "2026-12-01T09:14:00Z"
    charles = _timeline(crm, "charles")
    assert charles[0]["summary"] == "Signed contract" and charles[1]["summary"] == "Meeting notes"
    assert "See the full notes (https://example.org/notes/42)." in charles[1]["body"]
    # the contacts' last-in-touch time follows (the stay-in-touch list reads it)
    last = _rows(crm, "SELECT display_name, last_interaction_at FROM contacts ORDER BY id")
    assert [str(v)[:10] for _, v in last] == ["2026-12-04", "2026-12-04"]

    again = crm("mail", "ingest", *ALL)  # the same messages again: nothing new
    assert again.exit_code == 0
    assert all("\tduplicate\t" in line for line in again.stdout.splitlines())
    assert f"0 ignored, {len(ALL)} handled before" in again.stderr
    assert len(_timeline(crm, "ada")) == 3
    assert _rows(crm, "SELECT count(*) FROM mail_messages") == [(len(ALL),)]


def test_one_message_on_stdin_as_mutt_pipes_it(crm):
    raw = (FIXTURES / "html_only.eml").read_bytes()
    r = crm("mail", "ingest", "-", input=raw)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("stdin\thandled\tinteraction\t20261202164012.5551@example.org\t")
    assert r.stderr == ""  # one message: no closing count
    again = crm("mail", "ingest", input=raw)  # from a pipe, '-' may be left out (procmail, .forward)
    assert again.exit_code == 0 and "\tduplicate\tinteraction\t" in again.stdout
    assert len(_timeline(crm, "charles")) == 1
    quiet = crm("mail", "ingest", "-q", input=raw)
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")


def test_mail_to_a_contact_is_logged_too(crm):
    raw = b"From: me@tinycrm.test\nTo: Someone <other@x.test>, cb@home.test\nSubject: Our offer\n"
    raw += b"Message-ID: <out-1@tinycrm.test>\nDate: Mon, 30 Nov 2026 10:00:00 +0000\n\nHere it is.\n"
    r = crm("mail", "ingest", "--json", input=raw)
    assert r.exit_code == 0
    (msg,) = r.json["messages"]
    assert (msg["status"], msg["kind"], msg["refs"]["contacts"]) == ("handled", "interaction", [2])
    assert r.json["summary"]["kinds"] == {"interaction": 1}
    assert _timeline(crm, "charles")[0]["summary"] == "Our offer"


def test_a_maildir_and_an_mbox(crm, tmp_path):
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for name in ("alternative.eml", "latin1.eml"):
        box.add((FIXTURES / name).read_bytes())
    mbox = mailbox.mbox(tmp_path / "archive.mbox")
    for name in ("html_only.eml", "attachment.eml", "alternative.eml"):
        mbox.add((FIXTURES / name).read_bytes())
    mbox.flush()
    r = crm(
        "mail", "ingest", "--maildir", str(tmp_path / "Maildir"), "--mbox", str(tmp_path / "archive.mbox")
    )
    assert r.exit_code == 0, r.stderr
    statuses = [line.split("\t")[1] for line in r.stdout.splitlines()]
    assert sorted(statuses) == ["duplicate", "handled", "handled", "handled", "ignored"]
    assert "archive.mbox#3\tduplicate" in r.stdout  # in the Maildir already
    assert len(list((tmp_path / "Maildir" / "new").iterdir())) == 2  # the Maildir is only read
    attachment = [i for i in _timeline(crm, "ada") if i["summary"] == "Signed contract"]
    assert attachment and attachment[0]["body"] == "Here is the signed contract."


def test_a_damaged_message_is_reported_and_the_rest_go_on(crm, tmp_path):
    junk = tmp_path / "junk.eml"
    junk.write_bytes(b"%PDF-1.4 \x00\x01 not mail")
    r = crm("mail", "ingest", str(FIXTURES / "alternative.eml"), str(junk), str(FIXTURES / "html_only.eml"))
    assert r.exit_code == 1
    assert f"crm: error: file:{junk}: not a mail message" in r.stderr and "Traceback" not in r.stderr
    assert [line.split("\t")[1] for line in r.stdout.splitlines()] == ["handled", "failed", "handled"]
    assert "1 failed" in r.stderr
    assert len(_timeline(crm, "ada")) == 1 and len(_timeline(crm, "charles")) == 1


def test_a_huge_subject_and_a_dropped_attachment(crm):
    raw = b"From: ada@example.com\nSubject: " + b"long " * 2000 + b"\nMessage-ID: <s@x>\n\nbody\n"
    r = crm("mail", "ingest", "-", input=raw)
    assert r.exit_code == 0, r.stderr
    (entry,) = _timeline(crm, "ada")
    assert len(entry["summary"]) == 500 and entry["summary"].endswith("...")
    big = (FIXTURES / "attachment.eml").read_bytes()
    r = crm("mail", "ingest", "-", input=big, env={"TINYCRM_MAIL_MAX_ATTACHMENT_MB": "0.001"})
    assert r.exit_code == 0
    assert "attachment Vertrag signé.pdf dropped (0.0 MB, over [mail] max_attachment_mb)" in r.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere.eml"], "nowhere.eml: no such file"),
        (["--maildir", "nowhere"], "--maildir nowhere: not a folder"),
        (["--mbox", "nowhere.mbox"], "nowhere.mbox: no such mbox file"),
        (["-", "-"], "'-' (standard input) can be given once"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(crm, args, message):
    r = crm("mail", "ingest", *args)
    assert r.exit_code == 2 and message in r.stderr and len(r.stderr.splitlines()) == 1


def test_a_file_that_is_no_mbox(crm, tmp_path):
    not_mbox = tmp_path / "x.mbox"
    not_mbox.write_text("Subject: hi\n\nbody\n")
    r = crm("mail", "ingest", "--mbox", str(not_mbox))
    assert r.exit_code == 2 and "is not an mbox file" in r.stderr
