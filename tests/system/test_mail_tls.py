"""Mail over TLS with real certificates: a throwaway CA and a server certificate for ``localhost`` (made with
openssl), aiosmtpd in processes of its own (STARTTLS required, and TLS from the start) and Dovecot with
``ssl = required`` (IMAPS, and STARTTLS on the IMAP port). tinycrm trusts the test CA through ``ca_file``;
an authority it does not trust, or a host name the certificate is not for, is refused with one line and exit
75 before anything is sent or read, and nothing is marked sent or handled.

TLS does not depend on the store: these run on SQLite only."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_testkit import Cli, wait_for
from imap_testkit import PASSWORD, USER, Imap, free_port, run_dovecot
from tls_testkit import Certs, make_certs

pytestmark = pytest.mark.slow

SERVER = Path(__file__).parent.parent / "smtp_tls_server.py"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def smtp_servers(certs: Certs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple]]:
    """``{"starttls": (port, folder), "tls": (port, folder)}``: each folder gets one file per message."""
    pytest.importorskip("aiosmtpd")
    procs, out = [], {}
    try:
        for mode in ("starttls", "tls"):
            port, folder = free_port(), tmp_path_factory.mktemp(f"smtp-{mode}")
            proc = subprocess.Popen(
                [sys.executable, str(SERVER), str(port), mode, str(certs.cert), str(certs.key), str(folder)],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            procs.append(proc)
            wait_for(proc, "ready", timeout=30)
            out[mode] = (port, folder)
        yield out
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture
def crm(tmp_path: Path, _isolated_home: Path) -> Cli:
    return Cli(f"sqlite:///{tmp_path / 'crm.sqlite3'}")


def _write_config(home: Path, text: str) -> None:
    from tinycrm import config

    (home / "config.toml").write_text(textwrap.dedent(text))
    config.reset()


# --- sending: [smtp] with STARTTLS and with TLS from the start -------------------------------------------


def _smtp_config(home: Path, mode: str, port: int, *, host: str, ca: Path, extra: str = "") -> None:
    security = "starttls = true" if mode == "starttls" else "ssl = true"
    _write_config(
        home,
        f"""
        [smtp]
        host = "{host}"
        port = {port}
        {security}
        ca_file = "{ca}"
        timeout = 10
        {extra}
        [support]
        address = ["help@example.com"]
        """,
    )


def _ticket(crm: Cli) -> None:
    assert crm("add-contact", "Ada Lovelace", "--email", "ada@example.com").exit_code == 0
    assert crm("ticket", "add", "Printer", "--contact", "ada", "--body", "It is on fire").exit_code == 0


def _sent(crm: Cli) -> list[str]:
    r = crm("ticket", "show", "1", "--json")
    assert r.exit_code == 0, r.stderr
    return [m["body"] for m in r.json["messages"] if m["kind"] == "out"]


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_smtp_sends_to_a_server_whose_certificate_the_ca_file_vouches_for(
    crm, smtp_servers, certs, _isolated_home, mode
):
    port, folder = smtp_servers[mode]
    before = len(list(folder.glob("*.eml")))
    _smtp_config(_isolated_home, mode, port, host="localhost", ca=certs.ca)
    _ticket(crm)
    r = crm("ticket", "reply", "1", "--body", "Unplug it.")
    assert (r.exit_code, r.stderr) == (0, "sent the reply on ticket #1; it is open\n"), r.stderr
    files = sorted(folder.glob("*.eml"))
    assert len(files) == before + 1 and b"Unplug it." in files[-1].read_bytes()
    assert _sent(crm) == ["Unplug it."]


@pytest.mark.parametrize("mode", ["starttls", "tls"])
@pytest.mark.parametrize(
    ("host", "trusted", "said"),
    [
        ("localhost", False, "cannot be verified (unable to get local issuer certificate); nothing was sent"),
        (
            "127.0.0.1",
            True,
            "is for another name (IP address mismatch, certificate is not valid for '127.0.0.1')",
        ),
    ],
    ids=["untrusted-ca", "wrong-name"],
)
def test_smtp_refuses_a_certificate_it_cannot_verify_and_sends_nothing(
    crm, smtp_servers, certs, _isolated_home, mode, host, trusted, said
):
    port, folder = smtp_servers[mode]
    before = len(list(folder.glob("*.eml")))
    _smtp_config(_isolated_home, mode, port, host=host, ca=certs.ca if trusted else certs.other_ca)
    _ticket(crm)
    r = crm("ticket", "reply", "1", "--body", "Unplug it.")
    assert r.exit_code == 75
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"crm: error: the certificate of {host}:{port} ") and said in r.stderr
    assert len(list(folder.glob("*.eml"))) == before  # the server never got the message
    assert _sent(crm) == []  # and the ticket does not claim it was sent


def test_smtp_trusts_the_system_authorities_without_ca_file(crm, smtp_servers, _isolated_home):
    port, folder = smtp_servers["tls"]
    before = len(list(folder.glob("*.eml")))
    _write_config(
        _isolated_home,
        f'[smtp]\nhost = "localhost"\nport = {port}\nssl = true\ntimeout = 10\n'
        '[support]\naddress = ["help@example.com"]\n',
    )
    _ticket(crm)
    r = crm("ticket", "reply", "1", "--body", "Unplug it.")
    assert r.exit_code == 75 and "cannot be verified" in r.stderr
    assert len(list(folder.glob("*.eml"))) == before


def test_tls_verify_false_sends_but_warns(crm, smtp_servers, certs, _isolated_home, caplog):
    port, folder = smtp_servers["starttls"]
    before = len(list(folder.glob("*.eml")))
    _smtp_config(
        _isolated_home, "starttls", port, host="127.0.0.1", ca=certs.other_ca, extra="tls_verify = false"
    )
    _ticket(crm)
    r = crm("ticket", "reply", "1", "--body", "Unplug it.")
    assert r.exit_code == 0, r.stderr
    # logged as a warning (on stderr when nothing else handles the log, as in a shell)
    assert [(w.levelname, w.name) for w in caplog.records] == [("WARNING", "tinycrm.mail")]
    assert "[smtp] tls_verify = false: the certificate of 127.0.0.1 is not checked" in caplog.text
    assert len(list(folder.glob("*.eml"))) == before + 1


def test_a_ca_file_that_is_missing_is_bad_input_before_anything_is_sent(crm, smtp_servers, _isolated_home):
    port, folder = smtp_servers["tls"]
    _smtp_config(_isolated_home, "tls", port, host="localhost", ca=_isolated_home / "nope.pem")
    _ticket(crm)
    r = crm("ticket", "reply", "1", "--body", "Unplug it.")
    assert r.exit_code == 2
    assert (
        r.stderr == f"crm: error: [smtp] ca_file: {_isolated_home / 'nope.pem'}: no such file; give the PEM "
        "file of the authority that signed the server's certificate\n"
    )
    assert _sent(crm) == []


# --- reading: IMAPS and STARTTLS on IMAP ---------------------------------------------------------------


@pytest.fixture(scope="module")
def imaps(certs: Certs) -> Iterator[Imap]:
    with run_dovecot(tls=certs) as server:
        yield server


@pytest.fixture
def mailbox(imaps: Imap, crm: Cli, monkeypatch: pytest.MonkeyPatch) -> Imap:
    imaps.empty()
    imaps.deliver("alternative.eml")
    monkeypatch.setenv("TEST_IMAP_PASSWORD", PASSWORD)
    assert crm("add-contact", "Ada Lovelace", "--email", "ada@example.com").exit_code == 0
    return imaps


def _imap_config(home: Path, imap: Imap, security: str, *, host: str, ca: Path) -> None:
    port = imap.tls_port if security == "tls" else imap.port
    _write_config(
        home,
        f"""
        [mail]
        host = "{host}"
        port = {port}
        security = "{security}"
        ca_file = "{ca}"
        user = "{USER}"
        password_env = "TEST_IMAP_PASSWORD"
        timeout = 10
        """,
    )


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_fetch_reads_over_tls_with_the_ca_file(crm, mailbox, certs, _isolated_home, security):
    _imap_config(_isolated_home, mailbox, security, host="localhost", ca=certs.ca)
    r = crm("mail", "fetch", "--json")
    assert r.exit_code == 0, r.stderr
    assert [m["status"] for m in r.json["messages"]] == ["handled"]
    assert mailbox.flags() == [(b"\\Seen",)]
    assert crm("mail", "fetch").stdout == ""  # nothing new


@pytest.mark.parametrize("security", ["tls", "starttls"])
@pytest.mark.parametrize(
    ("host", "trusted", "said"),
    [
        ("localhost", False, "cannot be verified (unable to get local issuer certificate)"),
        ("127.0.0.1", True, "is for another name (IP address mismatch"),
    ],
    ids=["untrusted-ca", "wrong-name"],
)
def test_fetch_refuses_a_certificate_it_cannot_verify_and_reads_nothing(
    crm, mailbox, certs, _isolated_home, security, host, trusted, said
):
    _imap_config(_isolated_home, mailbox, security, host=host, ca=certs.ca if trusted else certs.other_ca)
    r = crm("mail", "fetch")
    assert r.exit_code == 75
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr and PASSWORD not in r.stderr
    assert r.stderr.startswith("crm: error: the certificate of IMAP server ") and said in r.stderr
    assert ("Set [mail] ca_file" if not trusted else "set [mail] host") in r.stderr
    assert mailbox.flags() == [()]  # not marked read: the password was never sent, nothing was read
    timeline = crm("timeline", "ada", "--json")
    assert timeline.exit_code == 0 and not [e for e in timeline.json if e.get("kind") == "email"]
    _imap_config(_isolated_home, mailbox, security, host="localhost", ca=certs.ca)
    assert [m["status"] for m in crm("mail", "fetch", "--json").json["messages"]] == ["handled"]


def test_a_campaign_to_a_server_it_cannot_verify_sends_nothing_and_keeps_everyone_queued(
    crm, smtp_servers, certs, _isolated_home, tmp_path
):
    port, folder = smtp_servers["starttls"]
    before = len(list(folder.glob("*.eml")))
    _smtp_config(
        _isolated_home,
        "starttls",
        port,
        host="localhost",
        ca=certs.other_ca,
        extra='from = "news@example.com"\n[marketing]\nunsubscribe_address = "leave@example.com"',
    )
    for name in ("ada", "bob"):
        assert crm("add-contact", name, "--email", f"{name}@example.com", "--tag", "news").exit_code == 0
        assert crm("consent", name, "opt-in", "--source", "web form").exit_code == 0
    assert crm("segment", "add", "readers", "--query", "tag:news").exit_code == 0
    template = tmp_path / "t.md"
    template.write_text("Hello\n")
    r = crm("campaign", "add", "c", "--segment", "readers", "--subject", "Hi", "--template", str(template))
    assert r.exit_code == 0, r.stderr
    r = crm("campaign", "send", "c", "--yes")
    assert r.exit_code == 75 and "cannot be verified" in r.stderr and "Traceback" not in r.stderr
    assert len(list(folder.glob("*.eml"))) == before
    assert crm("campaign", "show", "c", "--json").json["counts"] == {"queued": 2}
    # the authority is trusted now: the same command goes on and reaches both, once
    _smtp_config(
        _isolated_home,
        "starttls",
        port,
        host="localhost",
        ca=certs.ca,
        extra='from = "news@example.com"\n[marketing]\nunsubscribe_address = "leave@example.com"',
    )
    assert crm("campaign", "send", "c", "--yes").exit_code == 0
    assert len(list(folder.glob("*.eml"))) == before + 2
    assert crm("campaign", "show", "c", "--json").json["counts"] == {"sent": 2}
