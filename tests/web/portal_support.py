"""Helpers of the support desk's web tests: a support desk in a database (two customers with tickets, an internal
note, a canned reply, published and draft articles), its config (``[smtp]`` on a real SMTP server of the test),
and reading portal links out of mails."""

from __future__ import annotations

import re
import textwrap
import time
from pathlib import Path

import aiohttp
import pytest
from web_support import crm

from mail_testkit import Inbox, free_port

BASE = "https://crm.example.com"
LINK = re.compile(r"https?://\S+/portal/\?t=([A-Za-z0-9._-]+)")


def desk_config(folder: Path, smtp_port: int, extra: str = "") -> None:
    home = folder / "home"
    (home / "templates").mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        textwrap.dedent(
            f"""
            [smtp]
            host = "127.0.0.1"
            port = {smtp_port}
            timeout = 5

            [support]
            address = ["help@example.com"]
            name = "Example Help"

            [web]
            base_url = "{BASE}"
            """
        )
        + textwrap.dedent(extra)
    )
    (home / "templates" / "thanks.txt").write_text(
        "Hello {{ contact.first_name }},\n\nthank you, ticket #{{ ticket.number }} is in hand.\n\n{{ user.name }}\n"
    )


def mail_from(db_url: str, folder: Path, sender: str, name: str, subject: str, body: str) -> None:
    """A customer's mail to the support address, through ``crm mail ingest``."""
    message = (
        f"From: {name} <{sender}>\nTo: help@example.com\nSubject: {subject}\n"
        f"Message-ID: <{time.monotonic_ns()}@{sender.split('@')[1]}>\n\n{body}\n"
    )
    crm(db_url, folder, "mail", "ingest", "-", input=message)


def seed_desk(db_url: str, folder: Path, smtp_port: int, extra: str = "") -> dict[str, int]:
    """A support desk in ``folder``'s home, written in this process (fast): ada (an admin) and vic (a viewer),
    both with passwords; Ada Lovelace, Mallory (a script tag in her name) and Bob; Ada's ticket by mail
    (``crm mail ingest``: acknowledged, with a portal link), an internal note on it, Bob's ticket; a published
    article and a draft."""

    desk_config(folder, smtp_port, extra)
    return in_child("seed_desk_here", db_url, folder)


def in_child(function: str, db_url: str, folder: Path) -> dict[str, int]:
    """``function(db_url, folder)`` of this module in a Python process of its own, as the user ada with
    ``folder``'s home: the test process keeps no connection to a database a server uses."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "TINYCRM_HOME": str(folder / "home"), "TINYCRM_USER": "ada"}
    env.pop("TINYCRM_DB", None)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent), str(Path(__file__).parent.parent)])
    script = f"import json, portal_support as m; print(json.dumps(m.{function}({db_url!r}, {str(folder)!r})))"
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def seed_desk_here(db_url: str, folder_text: str) -> dict[str, int]:
    from web_support import PASSWORD, VIEWER_PASSWORD

    from tinycrm.domain.people import ContactInput
    from tinycrm.domain.rows import Labeled
    from tinycrm.services.people import contacts
    from tinycrm.services.support import kb, thread, tickets
    from tinycrm.services.team import accounts, users
    from tinycrm.store.database import open_db

    def person(name: str, address: str | None = None) -> int:
        emails = [Labeled(address)] if address else []
        return contacts.create(db, ContactInput(name, emails=emails)).id

    db = open_db(db_url)
    try:
        ids = {
            "ada": person("Ada Lovelace", "ada@example.com"),
            "evil": person("<script>alert(1)</script> Mallory"),
            "bob": person("Bob Builder", "bob@example.com"),
        }
        users.add(db, "vic", role="viewer")
        accounts.set_password(db, "ada", PASSWORD)
        accounts.set_password(db, "vic", VIEWER_PASSWORD)
        ids["bob_ticket"] = tickets.create(db, subject_="Bob's roof", contact_id=ids["bob"], body="Leaks").id
        body = "# Steps\n\nTurn the **crank**. <script>alert(1)</script> [bad](javascript:alert(1))"
        kb.add(db, title="Unjam the engine", body=body)
        kb.add(db, title="Secret draft plans", body="not for customers", published=False)
        subject = "Engine <script>x</script> jammed"
        mail_from(db_url, Path(folder_text), "ada@example.com", "Ada Lovelace", subject, "It jams.")
        ids["ada_ticket"] = tickets.list_page(db, contact_id=ids["ada"], limit=1).items[0].id
        thread.note(db, ids["ada_ticket"], "Internal: customer is grumpy")
    finally:
        db.close()
    return ids


def ticket_json(db_url: str, folder: Path, number: int) -> dict:
    import json

    return json.loads(crm(db_url, folder, "ticket", "show", str(number), "--json"))


def link_token(db_url: str, folder: Path, contact: int) -> str:
    out = crm(db_url, folder, "portal", "link", str(contact))
    found = LINK.search(out)
    assert found, out
    return found.group(1)


def form_token_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no form token"
    return found.group(1)


def client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def quick_desk(db_url: str, home: Path) -> dict[str, int]:
    """A small desk (for the tests on each store): ada (an admin with a password), Ada's and Bob's tickets, a
    published article, and a portal link of Ada's (``token``). ``home`` is the server's: the link is signed
    with its key."""
    return in_child("quick_desk_here", db_url, home.parent)


def quick_desk_here(db_url: str, folder: str) -> dict[str, int | str]:
    from web_support import PASSWORD

    from tinycrm.domain.people import ContactInput
    from tinycrm.domain.rows import Labeled
    from tinycrm.services.people import contacts
    from tinycrm.services.support import kb, portal, tickets
    from tinycrm.services.team import accounts
    from tinycrm.store.database import open_db

    db = open_db(db_url)
    try:
        ada = contacts.create(db, ContactInput("Ada Lovelace", emails=[Labeled("ada@example.com")])).id
        bob = contacts.create(db, ContactInput("Bob Builder", emails=[Labeled("bob@example.com")])).id
        accounts.set_password(db, "ada", PASSWORD)
        ada_ticket = tickets.create(db, subject_="Engine jammed", contact_id=ada, body="It jams.").id
        bob_ticket = tickets.create(db, subject_="Bob's roof", contact_id=bob, body="Leaks").id
        kb.add(db, title="Unjam the engine", body="Turn the **crank**.")
        token = portal.link(db, ada, base=BASE).split("?t=", 1)[1]
    finally:
        db.close()
    return {"ada": ada, "bob": bob, "ada_ticket": ada_ticket, "bob_ticket": bob_ticket, "token": token}


@pytest.fixture(scope="module")
def outbox():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()
