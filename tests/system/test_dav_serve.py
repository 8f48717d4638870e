"""``crm dav serve`` as a phone meets it: the real server (Radicale, started by tinycrm) on 127.0.0.1, spoken to
by a real DAV client library (caldav). A card edited, added and deleted on the "phone" reaches tinycrm once;
a task completed through CalDAV is done in tinycrm; an edit in tinycrm reaches the phone."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time

import pytest

from crm_testkit import Cli, wait_for

pytestmark = pytest.mark.slow
radicale = pytest.importorskip("radicale", reason="needs the dav extra: pip install -e '.[test,dav]'")
caldav = pytest.importorskip("caldav", reason="needs the test extra (caldav)")

PASSWORD = "correct horse battery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("davhome")
    url = f"sqlite:///{home / 'crm.sqlite3'}"
    env = {**os.environ, "TINYCRM_HOME": str(home), "TINYCRM_DB": url, "TZ": "UTC"}
    env.pop("TINYCRM_NOW", None)
    cli = Cli(url)
    old = {k: os.environ.get(k) for k in ("TINYCRM_HOME",)}
    os.environ["TINYCRM_HOME"] = str(home)
    assert cli("add-contact", "Ada Lovelace", "--email", "ada@example.com").exit_code == 0
    assert cli("add-contact", "Bob Byte", "--email", "bob@example.com").exit_code == 0
    assert cli("add-contact", "Cy Gone", "--email", "cy@example.com").exit_code == 0
    assert cli("task", "add", "Call Ada", "--due", "tomorrow").exit_code == 0
    r = cli("dav", "passwd", "ada", input=PASSWORD + "\n")
    assert r.exit_code == 0, r.stderr
    assert cli("user", "add", "bob").exit_code == 0  # a tinycrm user: signs in with the web app's password
    r = cli("user", "password", "bob", input="bob's own password\n")
    assert r.exit_code == 0, r.stderr
    assert cli("dav", "users", "--json").json == ["ada", "bob"]
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tinycrm", "dav", "serve", "--port", str(port), "--interval", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(proc, "CardDAV/CalDAV at", timeout=60)
        threading.Thread(target=proc.stdout.read, daemon=True).start()  # the server's log, never a full pipe
        client = caldav.DAVClient(f"http://127.0.0.1:{port}/", username="ada", password=PASSWORD)
        yield cli, client, f"http://127.0.0.1:{port}", home
    finally:
        proc.terminate()  # stops Radicale too, as Ctrl-C or systemd would
        assert proc.wait(timeout=30) == 0
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _cards(client, base: str) -> dict[str, str]:
    """href -> vCard text of every card in ada's address book (PROPFIND, then GET each)."""
    listing = client.request(f"{base}/ada/contacts/", "PROPFIND", "", {"Depth": "1"})
    assert listing.status == 207
    hrefs = re.findall(
        rb"<href>([^<]+\.vcf)</href>",
        listing._raw if isinstance(listing._raw, bytes) else listing._raw.encode(),
    )
    out = {}
    for href in hrefs:
        got = client.request(f"{base}{href.decode()}", "GET")
        assert got.status == 200
        body = got._raw
        out[href.decode()] = body.decode() if isinstance(body, bytes) else body
    return out


def _names(cli) -> list[tuple[str, bool]]:
    r = cli("contact", "list", "--all", "--include-archived", "--json")
    return sorted((c["display_name"], bool(c.get("archived"))) for c in r.json)


def _until(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_a_wrong_password_is_refused(server):
    _, _, base, _ = server
    other = caldav.DAVClient(f"{base}/", username="ada", password="wrong password")
    from caldav.lib.error import AuthorizationError

    with pytest.raises(AuthorizationError):
        other.request(f"{base}/ada/contacts/", "PROPFIND", "", {"Depth": "0"})


def test_a_tinycrm_user_signs_in_with_their_own_password(server):
    _, _, base, _ = server
    bob = caldav.DAVClient(f"{base}/", username="bob", password="bob's own password")
    listing = _until(lambda: bob.request(f"{base}/bob/contacts/", "PROPFIND", "", {"Depth": "1"}))
    assert listing.status == 207
    raw = listing._raw if isinstance(listing._raw, bytes) else listing._raw.encode()
    assert raw.count(b".vcf</href>") >= 3
    from caldav.lib.error import AuthorizationError

    with pytest.raises(AuthorizationError):  # and nobody else's collections
        bob.request(f"{base}/ada/contacts/", "PROPFIND", "", {"Depth": "0"})


def test_the_phone_lists_fetches_edits_adds_and_deletes_cards(server):
    cli, client, base, _ = server
    cards = _cards(client, base)
    assert sorted(re.search(r"FN:(.*)", text).group(1).strip() for text in cards.values()) == [
        "Ada Lovelace",
        "Bob Byte",
        "Cy Gone",
    ]
    ada_href = next(h for h, t in cards.items() if "Ada Lovelace" in t)
    edited = (
        cards[ada_href].replace("FN:Ada Lovelace", "FN:Ada King").replace("\n", "\r\n").replace("\r\r", "\r")
    )
    assert client.put(f"{base}{ada_href}", edited, {"Content-Type": "text/vcard"}).status in (201, 204)
    new_card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:phone-dee\r\nFN:Dee Phone\r\nEMAIL:dee@example.com\r\nEND:VCARD\r\n"
    assert (
        client.put(f"{base}/ada/contacts/phone-dee.vcf", new_card, {"Content-Type": "text/vcard"}).status
        == 201
    )
    cy_href = next(h for h, t in cards.items() if "Cy Gone" in t)
    assert client.delete(f"{base}{cy_href}").status in (200, 204)

    # the storage hook synced after each request: tinycrm has the edit, the new person once, Cy archived
    names = _until(lambda: _names(cli) if ("Dee Phone", False) in _names(cli) else None)
    assert names == [("Ada King", False), ("Bob Byte", False), ("Cy Gone", True), ("Dee Phone", False)]
    time.sleep(2)  # a timer sync or two later: still once
    assert _names(cli) == names


def test_an_edit_in_tinycrm_reaches_the_phone(server):
    cli, client, base, _ = server
    r = cli("contact", "edit", "bob@example.com", "--title", "Engineer")
    assert r.exit_code == 0, r.stderr
    found = _until(lambda: any("TITLE:Engineer" in t for t in _cards(client, base).values()))
    assert found


def test_a_task_completed_through_caldav_is_done_in_tinycrm(server):
    cli, client, base, _ = server
    principal = client.principal()
    (tasks,) = [c for c in principal.calendars() if c.url.path.rstrip("/").endswith("/tasks")]
    todos = tasks.todos()
    assert [t.icalendar_component["summary"] for t in todos] == ["Call Ada"]
    todos[0].complete()
    done = _until(lambda: cli("task", "list", "--done", "--json").json)
    assert [t["title"] for t in done] == ["Call Ada"]
