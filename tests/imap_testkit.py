"""A real Dovecot IMAP server for the tests of ``crm mail fetch``, started by the test on 127.0.0.1 with a test
user and its Maildir under a temporary folder (optionally with TLS required); skipped with the reason when
Dovecot is not installed (a failure in CI, which installs it)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tls_testkit import Certs

DOVECOT = "/usr/sbin/dovecot"
FIXTURES = Path(__file__).parent / "fixtures" / "mail"
PASSWORD = "imap pass w@rd $1"  # a space and symbols: it must reach the server intact, and never a message
USER = "tester"


@dataclass
class Imap:
    port: int
    root: Path
    #: with TLS: the IMAPS port, and the context that trusts the test CA (the test client logs in over IMAPS)
    tls_port: int | None = None
    context: Any = None

    def client(self):  # noqa: ANN201
        from imapclient import IMAPClient

        if self.context is not None:
            client = IMAPClient(
                "localhost", port=self.tls_port, ssl=True, ssl_context=self.context, timeout=10
            )
        else:
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(root: Path, port: int, as_root: bool, tls: Certs | None = None, tls_port: int = 0) -> str:
    me = "" if as_root else f"default_internal_user = {_login()}\ndefault_login_user = {_login()}\n"
    if tls is None:
        ssl = "ssl = no\ndisable_plaintext_auth = no"
        imaps = "port = 0"
    else:  # no login without TLS: IMAPS, or STARTTLS on the IMAP port
        ssl = f"ssl = required\nssl_cert = <{tls.cert}\nssl_key = <{tls.key}\ndisable_plaintext_auth = yes"
        imaps = f"address = 127.0.0.1\n    port = {tls_port}\n    ssl = yes"
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
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
    {imaps}
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


@contextmanager
def run_dovecot(tls: Certs | None = None) -> Iterator[Imap]:
    """A Dovecot IMAP server on 127.0.0.1 with the test user, its mailbox in a temporary folder. With ``tls``:
    ``ssl = required`` with that certificate, IMAPS on a port of its own and STARTTLS on the IMAP port."""
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
    port = free_port()
    tls_port = free_port() if tls else 0
    conf = root / "dovecot.conf"
    conf.write_text(_config(root, port, as_root, tls, tls_port))
    proc = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        _wait_listening(proc, port, root / "dovecot.log")
        if tls:
            from tls_testkit import client_context

            _wait_listening(proc, tls_port, root / "dovecot.log")
            yield Imap(port, root, tls_port, client_context(tls))
        else:
            yield Imap(port, root)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)
