"""The web app on a day with more in it than one follow-up: birthdays and tasks due on a day (no time of day)
on the agenda, against a real ``crm serve`` over HTTP."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from test_web_app import HTML, browser, signed_in
from web_support import Served, crm, seed_team


@pytest.fixture(scope="module")
def day_server(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("webday")
    url = f"sqlite:///{folder / 'crm.sqlite3'}"
    ids = seed_team(url, folder)
    soon = date.today() + timedelta(days=2)
    crm(url, folder, "add-contact", "Grace Hopper", "--birthday", f"1906-{soon:%m-%d}")
    crm(url, folder, "task", "add", "Send the invoice", "--due", "yesterday")
    ids["linus"] = int(
        crm(url, folder, "add-contact", "Linus Pauling", "--company", "Caltech", "-t", "Chemist")
    )
    server = Served(folder, db_url=url)
    server.ids = ids
    yield server
    server.stop()


async def test_today_shows_birthdays_and_tasks_due_on_a_day(day_server):
    async with browser() as s:
        await signed_in(s, day_server)
        async with s.get(f"{day_server.url}/today", headers=HTML) as r:
            page = await r.text()
            assert r.status == 200, page[-2000:]
    assert "Grace Hopper" in page and "Send the invoice" in page
    soon = date.today() + timedelta(days=2)
    assert (
        f'<span class="muted small"><span class="when">{soon.isoformat()}</span> · turns {soon.year - 1906}'
        in page
    )
    # no internal kind ids ('birthday', 'stale', 'deal') beside titles that already say what the item is
    assert '<span class="muted small">birthday' not in page


async def test_a_contact_page_names_their_company(day_server):
    async with browser() as s:
        await signed_in(s, day_server)
        async with s.get(f"{day_server.url}/contacts/{day_server.ids['linus']}", headers=HTML) as r:
            page = await r.text()
            assert r.status == 200
    assert "Chemist · Caltech" in page
    assert "Ref(" not in page


def test_times_stay_on_one_line_on_a_phone(day_server):
    """At 390 px a time beside a long title wrapped after '2026-': each time is kept whole."""
    import os
    import re
    from pathlib import Path

    from web_support import PASSWORD

    chromium = os.environ.get("TINYCRM_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists() and os.environ.get("CI") != "true":
        pytest.skip(f"no Chromium at {chromium}")
    from playwright.sync_api import sync_playwright

    linus = str(day_server.ids["linus"])
    summaries = ["Talked" + " about it" * n for n in range(1, 9)]  # one of them ends where a time would break
    for summary in summaries:
        crm(day_server.db_url, day_server.folder, "log", linus, "-k", "call", "-s", summary)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox"])
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        page.goto(f"{day_server.url}/signin")
        page.fill("#name", "ada")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/$|/contacts|/today"))
        page.goto(f"{day_server.url}/contacts/{linus}")
        heights = page.locator(".timeline .when").evaluate_all(
            "els => els.map(e => e.getClientRects().length)"
        )
        browser.close()
    assert len(heights) == len(summaries) and set(heights) == {1}, heights
