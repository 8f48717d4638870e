"""``crm tui`` / ``crm serve`` from the command line: the web face answers on loopback, textual stays lazy."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_answers_on_loopback_with_the_app_page(sample_url, tmp_path):
    port = free_port()
    env = {**os.environ, "TINYCRM_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tinycrm", "--db", sample_url, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        html = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                    assert resp.status == 200
                    html = resp.read().decode("utf-8")
                    break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"crm serve exited: {proc.stdout.read().decode(errors='replace')}")
                time.sleep(0.2)
        assert "<div>tinycrm</div>" in html  # the application's name on the start page
        assert "js/textual.js" in html
        assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in html
        # bound to loopback only: the port is not open on the other addresses of this machine
        with socket.socket() as s:
            s.settimeout(1)
            host_ip = socket.gethostbyname(socket.gethostname())
            if not host_ip.startswith("127."):
                assert s.connect_ex((host_ip, port)) != 0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_the_command_line_does_not_import_textual():
    code = (
        "import sys; from tinycrm.cli.app import build, load_command; build(); load_command('tui'); "
        "load_command('serve'); print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_crm_alone_prints_the_status_when_not_on_a_terminal(sqlite_cli):
    r = sqlite_cli()
    assert r.exit_code == 0
    assert "contacts" in r.stdout


def test_tui_refuses_an_unknown_area(sqlite_cli):
    r = sqlite_cli("tui", "--start", "nowhere")
    assert r.exit_code == 2
    assert "nowhere" in r.stderr
