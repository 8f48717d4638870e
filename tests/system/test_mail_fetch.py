"""``crm mail fetch`` against a real Dovecot IMAP server, started for this module on 127.0.0.1 with a test user
and its Maildir under a temporary folder; skipped with the reason when Dovecot is not installed (a failure in
CI, which installs it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_testkit import Cli, _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from imap_testkit import PASSWORD, USER, Imap, run_dovecot
from imap_testkit import free_port as _free_port
from tinycrm.services.mail import handlers

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Imap]:
    with run_dovecot() as server:
        yield server


@pytest.fixture
def imap(dovecot: Imap) -> Imap:
    dovecot.empty()
    return dovecot


@pytest.fixture
def crm(store_url: str, imap: Imap, _isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:  # noqa: F811
    (_isolated_home / "config.toml").write_text(
        f'[mail]\nhost = "127.0.0.1"\nport = {imap.port}\nsecurity = "plain"\nuser = "{USER}"\n'
        'password_env = "TEST_IMAP_PASSWORD"\n'
    )
    monkeypatch.setenv("TEST_IMAP_PASSWORD", PASSWORD)
    cli = Cli(store_url)
    assert cli("add-contact", "Ada Lovelace", "--email", "ada@example.com").exit_code == 0
    assert cli("add-contact", "Charles Babbage", "--email", "charles.babbage@example.org").exit_code == 0
    return cli


def _timeline(cli: Cli, who: str) -> list[str]:
    r = cli("timeline", who, "--json")
    assert r.exit_code == 0, r.stderr
    return [i["summary"] for i in r.json]


def test_fetch_logs_mail_once_and_is_silent_when_nothing_is_new(crm, imap):
    imap.deliver("alternative.eml", "html_only.eml", "latin1.eml", "dsn.eml", "auto_reply.eml")
    r = crm("mail", "fetch")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    outcomes = [line.split("\t")[1:3] for line in lines]
    bounces = any(h.__module__ == "tinycrm.services.marketing.inbound" for h in handlers.load())
    if not bounces:  # without the marketing area a delivery report is counted as ignored
        assert outcomes[3] == ["ignored", "ignored"]
        assert "5 messages: 2 interaction, 3 ignored, 0 handled before, 0 failed" in r.stderr
    assert [o for i, o in enumerate(outcomes) if i != 3] == [
        ["handled", "interaction"],
        ["handled", "interaction"],
        ["ignored", "ignored"],  # no contact
        ["ignored", "ignored"],  # an out-of-office
    ]
    uids = [int(line.split("\t")[0].rpartition("/")[2]) for line in lines]
    assert lines[0].startswith("imap:default/INBOX/") and uids == sorted(uids)
    assert _timeline(crm, "ada") == ["Re: Analytical engine quote"]
    assert _timeline(crm, "charles") == ["Meeting notes"]
    assert imap.flags() == [(b"\\Seen",)] * 5  # marked read once handled
    assert PASSWORD not in r.stdout + r.stderr

    again = crm("mail", "fetch")  # cron a few minutes later: nothing new, nothing printed
    assert (again.exit_code, again.stdout, again.stderr) == (0, "", "")

    imap.deliver("attachment.eml")
    third = crm("mail", "fetch", "--json")
    assert third.exit_code == 0
    assert [(m["status"], m["source"]) for m in third.json["messages"]] == [
        ("handled", f"imap:default/INBOX/{uids[-1] + 1}")
    ]
    assert _timeline(crm, "ada") == ["Signed contract", "Re: Analytical engine quote"]


def test_a_rebuilt_folder_is_read_again_without_logging_anything_twice(crm, imap):
    imap.deliver("alternative.eml")
    assert crm("mail", "fetch").exit_code == 0
    from tinycrm.store.database import open_db

    db = open_db(crm.url)
    with db.write() as tx:  # as if the server's folder had been rebuilt: a new UIDVALIDITY
        tx.execute("UPDATE mail_fetch_state SET uidvalidity = uidvalidity + 1, last_uid = 99")
    db.close()
    r = crm("mail", "fetch", "--json")
    assert r.exit_code == 0
    assert [m["status"] for m in r.json["messages"]] == ["duplicate"]
    assert _timeline(crm, "ada") == ["Re: Analytical engine quote"]


def test_after_move_and_a_second_account(crm, imap, _isolated_home):
    imap.deliver("html_only.eml")
    imap.deliver("alternative.eml", folder="INBOX")
    config = _isolated_home / "config.toml"
    config.write_text(
        config.read_text().replace('user = "tester"', 'user = "tester"\nafter = "move:Logged"')
        + '\n[mail.accounts.archive]\nfolder = "Logged"\nafter = "seen"\n'
    )
    r = crm("mail", "fetch", "--account", "default")
    assert r.exit_code == 0, r.stderr
    assert imap.flags("INBOX") == [] and len(imap.flags("Logged")) == 2
    other = crm("mail", "fetch", "--account", "archive", "--json")
    assert other.exit_code == 0, other.stderr
    assert [m["status"] for m in other.json["messages"]] == ["duplicate", "duplicate"]
    assert sorted(_timeline(crm, "charles") + _timeline(crm, "ada")) == [
        "Meeting notes",
        "Re: Analytical engine quote",
    ]


def test_a_damaged_message_is_reported_once_and_the_rest_are_handled(crm, imap):
    imap.deliver("alternative.eml", raw=b"garbage without any header\r\n")
    r = crm("mail", "fetch")
    assert r.exit_code == 1
    assert (
        "crm: error: imap:default/INBOX/" in r.stderr
        and ": not a mail message" in r.stderr
        and "Traceback" not in r.stderr
    )
    assert _timeline(crm, "ada") == ["Re: Analytical engine quote"]
    assert imap.flags() == [(b"\\Seen",), ()]  # the damaged one stays unread for a person to look at
    again = crm("mail", "fetch")
    assert (again.exit_code, again.stdout) == (0, "")


def test_server_down_is_exit_75_and_a_wrong_password_exit_1(crm, imap, monkeypatch):
    down = crm("mail", "fetch", env={"TINYCRM_MAIL_PORT": str(_free_port())})
    assert down.exit_code == 75
    assert down.stderr.startswith("crm: error: IMAP server 127.0.0.1:") and "try again later" in down.stderr
    assert len(down.stderr.splitlines()) == 1
    wrong = crm("mail", "fetch", env={"TEST_IMAP_PASSWORD": "not it"})
    assert wrong.exit_code == 1 and "refused the login of tester" in wrong.stderr
    assert "not it" not in wrong.stderr
    monkeypatch.delenv("TEST_IMAP_PASSWORD")
    unset = crm("mail", "fetch")
    assert unset.exit_code == 2 and "TEST_IMAP_PASSWORD is not set" in unset.stderr
    monkeypatch.setenv("TEST_IMAP_PASSWORD", PASSWORD)
    no_tls = crm("mail", "fetch", env={"TINYCRM_MAIL_SECURITY": "starttls"})  # the port stays as configured
    assert no_tls.exit_code == 1 and "does not offer STARTTLS" in no_tls.stderr
    nobody = crm("mail", "fetch", "--account", "nope")
    assert nobody.exit_code == 2 and "--account nope: no such account" in nobody.stderr
