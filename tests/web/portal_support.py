"""Helpers of the support desk's web tests: a support desk in a database (two customers with tickets, an internal
note, a canned reply, published and draft articles), its config (``[smtp]`` on a real SMTP server of the test),
and reading portal links out of mails."""

from __future__ import annotations

import re
import textwrap
import time
from pathlib import Path

import aiohttp
from web_support import crm, seed_team

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
    """seed_team's people, plus Bob; a ticket each for Ada (by mail: acknowledged, with a portal link) and Bob;
    an internal note on Ada's; a published article and a draft."""
    desk_config(folder, smtp_port, extra)
    ids = seed_team(db_url, folder)
    ids["bob"] = int(crm(db_url, folder, "add-contact", "Bob Builder", "--email", "bob@example.com"))
    mail_from(
        db_url, folder, "ada@example.com", "Ada Lovelace", "Engine <script>x</script> jammed", "It jams."
    )
    ids["ada_ticket"] = int(_last_ticket(db_url, folder, ids["ada"]))
    crm(db_url, folder, "ticket", "note", str(ids["ada_ticket"]), "Internal: customer is grumpy")
    ids["bob_ticket"] = _add_ticket(db_url, folder, ids["bob"])
    crm(
        db_url,
        folder,
        "kb",
        "add",
        "Unjam the engine",
        "--body",
        "# Steps\n\nTurn the **crank**. <script>alert(1)</script> [bad](javascript:alert(1))",
    )
    crm(db_url, folder, "kb", "add", "Secret draft plans", "--body", "not for customers", "--draft")
    return ids


def _add_ticket(db_url: str, folder: Path, contact: int) -> int:
    import json

    out = crm(
        db_url, folder, "ticket", "add", "Bob's roof", "--contact", str(contact), "--body", "Leaks", "--json"
    )
    return int(json.loads(out)["id"])


def _last_ticket(db_url: str, folder: Path, contact: int) -> int:
    import json

    out = json.loads(crm(db_url, folder, "ticket", "list", "--contact", str(contact), "--json"))
    items = out["items"] if isinstance(out, dict) else out
    return int(items[0]["id"])


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


def quick_desk(db_url: str, home: Path, monkeypatch) -> dict[str, int | str]:  # noqa: ANN001
    """A small desk written in this process (fast, for the tests on each store): ada (an admin with a password),
    Ada's and Bob's tickets, a published article, and a portal link of Ada's (``token``). ``home`` is the
    server's: the link is signed with its key."""
    from web_support import PASSWORD

    from tinycrm import config
    from tinycrm.domain.people import ContactInput
    from tinycrm.domain.rows import Labeled
    from tinycrm.services.people import contacts
    from tinycrm.services.support import kb, portal, tickets
    from tinycrm.services.team import accounts
    from tinycrm.store.database import open_db

    monkeypatch.setenv("TINYCRM_HOME", str(home))
    monkeypatch.setenv("TINYCRM_USER", "ada")
    monkeypatch.delenv("TINYCRM_DB", raising=False)
    config.reset()
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
