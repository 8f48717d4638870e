"""``crm mail fetch`` against a real Dovecot IMAP server, started for this module on 127.0.0.1 with a test user
and its Maildir under a temporary folder; skipped with the reason when Dovecot is not installed (a failure in
CI, which installs it)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crm_testkit import Cli, _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from tinycrm.services.mail import handlers

DOVECOT = "/usr/sbin/dovecot"
FIXTURES = Path(__file__).parent.parent / "fixtures" / "mail"
PASSWORD = "imap pass w@rd $1"  # a space and symbols: it must reach the server intact, and never a message
USER = "tester"

pytestmark = pytest.mark.slow


@dataclass
class Imap:
    port: int
    root: Path

    def client(self):  # noqa: ANN201
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def deliver(self, *names: str, raw: bytes | None = None, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            for name in names:
                client.append(folder, (FIXTURES / name).read_bytes())
            if raw is not None:
                client.append(folder, raw)
        finally:
            client.logout()

    def empty(self) -> None:
        """Every folder emptied and the extra ones removed, so each test starts from a new mailbox."""
        client = self.client()
        try:
            for _flags, _sep, name in client.list_folders():
                if name == "INBOX":
                    client.select_folder("INBOX")
                    client.delete_messages(client.search("ALL"))
                    client.expunge()
                    client.unselect_folder()
                else:
                    client.delete_folder(name)
        finally:
            client.logout()

    def flags(self, folder: str = "INBOX") -> list[tuple]:
        client = self.client()
        try:
            client.select_folder(folder, readonly=True)
            found = client.fetch(client.search("ALL"), ["FLAGS"])
            return [
                tuple(sorted(f for f in v[b"FLAGS"] if f != b"\\Recent")) for _, v in sorted(found.items())
            ]
        finally:
            client.logout()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(root: Path, port: int, as_root: bool) -> str:
    me = "" if as_root else f"default_internal_user = {_login()}\ndefault_login_user = {_login()}\n"
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = 1
{me}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def _login() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def _wait_listening(proc: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = log.read_text() if log.exists() else ""
            pytest.fail(
                f"dovecot exited ({proc.returncode}): {proc.stderr.read() if proc.stderr else ''}{text}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"dovecot is not listening on 127.0.0.1:{port} after 20 s")


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Imap]:
    if not os.access(DOVECOT, os.X_OK):
        pytest.skip(f"Dovecot ({DOVECOT}) is not installed: apt-get install dovecot-imapd")
    as_root = os.getuid() == 0
    # run as root, Dovecot gives the mailbox to an unprivileged user: the folder must be reachable for it
    root = Path(tempfile.mkdtemp(prefix="crm-imap-"))
    root.chmod(0o755)
    uid, gid = (65534, 65534) if as_root else (os.getuid(), os.getgid())
    home = root / "home"
    home.mkdir()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{home}::\n")
    if as_root:
        os.chown(home, uid, gid)
    port = _free_port()
    conf = root / "dovecot.conf"
    conf.write_text(_config(root, port, as_root))
    proc = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        _wait_listening(proc, port, root / "dovecot.log")
        yield Imap(port, root)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)


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
