"""The support desk in a real browser at a phone's size (390x844): a member answers a ticket with a canned reply,
and the customer opens the link from that mail, reads the answer and replies in the portal, then looks up the
knowledge base. Screenshots go to tests/web/artifacts/ (git-ignored)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from portal_support import (
    BASE,
    LINK,
    outbox,  # noqa: F401 - the SMTP server fixture
    seed_desk,
    ticket_json,
)
from test_browser import ARGS, CHROMIUM, shot
from web_support import PASSWORD, Served

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("CI") != "true", reason=f"no Chromium at {CHROMIUM}"
)
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, outbox):  # noqa: F811
    folder = tmp_path_factory.mktemp("desk-browser")
    url = f"sqlite:///{folder / 'crm.sqlite3'}"
    ids = seed_desk(url, folder, outbox[1])
    server = Served(folder, db_url=url)
    server.ids, server.folder_, server.db, server.inbox = ids, folder, url, outbox[0]
    yield server
    server.stop()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def fits(page) -> None:  # noqa: ANN001
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


def test_a_ticket_answered_on_the_web_and_in_the_portal(chromium, desk):
    number = desk.ids["ada_ticket"]
    errors: list[str] = []
    staff = chromium.new_context(viewport=PHONE)
    page = staff.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{desk.url}/tickets")
        page.fill("#name", "ada")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/tickets$"))
        fits(page)
        shot(page, "phone-tickets")
        page.click("text=Engine <script>x</script> jammed")
        page.wait_for_selector("h1:has-text('jammed')")
        page.select_option("select[name=template]", "thanks")
        page.click("button:has-text('Use template')")
        page.wait_for_url(re.compile(r"template=thanks"))
        assert "thank you, ticket" in page.input_value("#reply-body")
        page.select_option("select[name=after]", "pending")
        page.click("button:has-text('Send reply')")
        page.wait_for_selector("text=Reply sent.")
        assert page.locator(".msg-out").count() == 1 and page.locator(".msg-note").count() == 1
        fits(page)
        shot(page, "phone-ticket")
    finally:
        staff.close()
    mail = desk.inbox.messages[-1][2].get_content()
    link = LINK.search(mail).group(0).replace(BASE, desk.url)
    customer = chromium.new_context(viewport=PHONE)
    page = customer.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(link)
        page.wait_for_selector("h1:has-text('Hello, Ada Lovelace')")
        assert page.locator("text=Bob's roof").count() == 0
        fits(page)
        shot(page, "phone-portal")
        page.click("text=Engine <script>x</script> jammed")
        page.wait_for_selector("text=thank you, ticket")
        assert page.locator("text=grumpy").count() == 0  # never the internal note
        page.fill("#body", "It turns now. Thank you!")
        page.click("button:has-text('Send reply')")
        page.wait_for_selector("text=your reply is on the ticket")
        fits(page)
        shot(page, "phone-portal-ticket")
        page.click("nav >> text=Help articles")
        page.fill("input[name=q]", "crank")
        page.press("input[name=q]", "Enter")
        page.click("text=Unjam the engine")
        page.wait_for_selector("strong:has-text('crank')")
        fits(page)
        shot(page, "phone-portal-article")
    finally:
        customer.close()
    assert errors == []  # no CSP violation, no script error
    after = ticket_json(desk.db, desk.folder_, number)
    assert after["status"] == "open" and after["messages"][-1]["body"] == "It turns now. Thank you!"
