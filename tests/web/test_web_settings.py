"""What ``crm serve`` accepts before it listens: addresses, the public URL, the host names it answers to, the
token file; and the one-line refusals of the command."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tinycrm.domain.errors import InvalidInput
from tinycrm.web.auth import local_path, read_token_file
from tinycrm.web.settings import Origin, ServeOptions, clamp, split_host

TOKEN = "t" * 43


@pytest.mark.parametrize(
    "header, expected",
    [
        ("127.0.0.1:8000", ("127.0.0.1", 8000)),
        ("LOCALHOST", ("localhost", None)),
        ("[::1]:8000", ("::1", 8000)),
        ("crm.example.com", ("crm.example.com", None)),
    ],
)
def test_a_host_header_is_split_into_name_and_port(header, expected):
    assert split_host(header) == expected


@pytest.mark.parametrize(
    "header", ["", ":80", "a:b", "a:99999", "[evil.example]:80", "[::1", "a b", "u@h", "h/x"]
)
def test_a_malformed_host_header_is_refused(header):
    with pytest.raises(ValueError):
        split_host(header)


def test_loopback_answers_to_the_loopback_names_only():
    options = ServeOptions.make(host="127.0.0.1", port=8000, token=TOKEN)
    assert options.loopback and not options.wildcard
    for name in ("127.0.0.1", "localhost", "::1"):
        assert options.host_allowed(name), name
    for name in ("evil.example", "127.0.0.2", "10.0.0.1", socket.gethostname().lower() + ".evil.example"):
        assert not options.host_allowed(name), name
    assert options.shown_url() == "http://127.0.0.1:8000"


def test_a_wildcard_answers_to_addresses_and_this_machines_names_but_not_to_other_names():
    options = ServeOptions.make(host="0.0.0.0", port=8000, token=TOKEN, exposed=True)
    assert options.wildcard and not options.loopback
    for name in ("192.0.2.10", "::1", "localhost", socket.gethostname().lower()):
        assert options.host_allowed(name), name
    assert not options.host_allowed("evil.example")
    assert options.shown_url() == f"http://{socket.gethostname().lower()}:8000"


def test_a_public_url_names_the_host_and_the_origin():
    options = ServeOptions.make(
        host="127.0.0.1", port=8000, token=TOKEN, public_url="https://CRM.example.com/"
    )
    assert options.host_allowed("crm.example.com")
    assert options.public == Origin("https", "crm.example.com", 443)
    assert options.shown_url() == "https://crm.example.com"


@pytest.mark.parametrize(
    "url",
    [
        "crm.example.com",
        "ftp://crm.example.com",
        "https://crm.example.com/crm",
        "https://u:p@crm.example.com",
    ],
)
def test_a_public_url_beyond_scheme_host_and_port_is_refused(url):
    with pytest.raises(InvalidInput, match="--public-url"):
        ServeOptions.make(host="127.0.0.1", port=8000, token=TOKEN, public_url=url)


def test_beyond_this_machine_a_token_and_public_are_required():
    with pytest.raises(InvalidInput, match="token"):
        ServeOptions.make(host="0.0.0.0", port=8000, token="", exposed=True)
    with pytest.raises(InvalidInput, match="add --public"):
        ServeOptions.make(host="192.0.2.7", port=8000, token=TOKEN)
    assert ServeOptions.make(host="localhost", port=8000, token="").loopback


def test_origins_compare_by_scheme_host_and_port():
    assert Origin.parse("http://LocalHost:80") == Origin.parse("http://localhost")
    assert Origin.parse("https://a.example") != Origin.parse("http://a.example")
    assert Origin.parse("null") is None and Origin.parse("file:///x") is None
    assert Origin.parse("http://[::1]:8000").url == "http://[::1]:8000"


def test_terminal_sizes_are_clamped():
    assert clamp("20000", (20, 500), 80) == 500
    assert clamp("-3", (20, 500), 80) == 20
    assert clamp("x", (20, 500), 80) == 80
    assert clamp(None, (10, 200), 24) == 24


def test_a_missing_token_file_is_made_private(tmp_path):
    path = tmp_path / "token"
    token, made = read_token_file(path)
    assert made and len(token) >= 40
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_token_file(path) == (token, False)


def test_a_token_file_others_can_read_or_a_weak_token_is_refused(tmp_path):
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    os.chmod(path, 0o644)
    with pytest.raises(InvalidInput, match="chmod 600"):
        read_token_file(path)
    os.chmod(path, 0o600)
    assert read_token_file(path) == (TOKEN, False)
    for weak in ("short", "a token with spaces in it", "ä" * 20):
        path.write_text(weak)
        with pytest.raises(InvalidInput, match="at least 16"):
            read_token_file(path)


def test_after_sign_in_a_browser_goes_only_to_a_page_of_this_server():
    assert local_path("/?fontsize=20", "/") == "/?fontsize=20"
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "", None, "/\nx"):
        assert local_path(target, "/") == "/"


def test_the_command_refuses_bad_options_in_one_line(sqlite_cli, tmp_path):
    r = sqlite_cli("serve", "--public-url", "https://crm.example.com/crm")
    assert r.exit_code == 2 and "--public-url" in r.stderr and "Traceback" not in r.stderr
    token = tmp_path / "token"
    token.write_text(TOKEN)
    token.chmod(0o644)
    r = sqlite_cli("serve", "--token-file", str(token))
    assert r.exit_code == 2 and "chmod 600" in r.stderr
    r = sqlite_cli("serve", "--max-sessions", "0")
    assert r.exit_code == 2


def test_a_port_in_use_is_one_line_and_exit_1(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "TINYCRM_HOME": str(tmp_path / "home")}
        out = subprocess.run(
            [sys.executable, "-m", "tinycrm", "serve", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode == 1, out.stderr
    assert (
        out.stderr.strip()
        == f"crm: error: cannot listen on 127.0.0.1 port {port}: the port is in use; choose another --port or --host"
    )
    assert "token" not in out.stdout


def test_the_url_shown_has_no_password_in_any_spelling():
    from tinycrm.store.database import redact

    assert redact("postgresql+psycopg://ada:s3cr%40t@db/crm") == "postgresql+psycopg://ada:***@db/crm"
    shown = redact("postgresql+psycopg://ada@db/crm?sslmode=require&PASSWORD=s3cret&x=1")
    assert shown == "postgresql+psycopg://ada@db/crm?sslmode=require&PASSWORD=***&x=1"
