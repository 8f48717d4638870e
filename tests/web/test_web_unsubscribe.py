"""The one-click unsubscribe link over real HTTP against ``crm serve`` (RFC 8058): a GET shows a button and opts
nobody out; the mail client's POST (from no site of ours, signed in as nobody) opts the address out; a made-up token is
404; the address is shown half hidden and escaped."""

from __future__ import annotations

import aiohttp
import pytest

from tinycrm.store.database import open_db


@pytest.fixture(scope="module")
def token(served):  # noqa: ANN001
    from tinycrm.domain.people import ContactInput, Labeled
    from tinycrm.services.marketing import campaigns, consent, mailbuild, segments, sending
    from tinycrm.services.people import contacts

    db = open_db(served.db_url)
    try:
        bob = contacts.create(db, ContactInput("Bob <b>", emails=[Labeled("bob@example.com")])).id
        consent.set_for_contact(db, bob, "opted-in", "web form")
        segments.add(db, "bobs", "email:bob@example.com")
        campaigns.add(db, "news", segment="bobs", subject="Hi", template="Hello")
        sending.freeze(db, "news")
        with db.read() as tx:
            row = tx.one(
                "SELECT r.id, c.uid FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id"
            )
        return mailbuild.token(row["uid"], row["id"])
    finally:
        db.close()


def consent_of(served, address: str) -> str | None:  # noqa: ANN001
    db = open_db(served.db_url)
    try:
        with db.read() as tx:
            return tx.scalar("SELECT status FROM consents WHERE address_key = :a", {"a": address})
    finally:
        db.close()


async def test_the_link_shows_a_button_then_the_one_click_post_opts_out(served, token):
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{served.url}/unsubscribe/{token}") as r:
            assert r.status == 200
            page = await r.text()
        assert "b***@example.com" in page and 'method="post"' in page and "bob@example.com" not in page
        assert consent_of(served, "bob@example.com") == "opted-in"  # looking is not unsubscribing
        async with s.post(
            f"{served.url}/unsubscribe/{token}",
            data="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://mail.example"},
        ) as r:
            assert r.status == 200, await r.text()
            assert "You are unsubscribed" in await r.text()
    assert consent_of(served, "bob@example.com") == "opted-out"


@pytest.mark.parametrize("bad", ["r1.0000000000000000", "nothing", "%3Cscript%3E"])
async def test_a_made_up_token_is_404_and_changes_nothing(served, token, bad):
    async with aiohttp.ClientSession() as s:
        async with s.post(f"{served.url}/unsubscribe/{bad}") as r:
            assert r.status == 404
            assert "<script>" not in await r.text()
        async with s.get(f"{served.url}/unsubscribe/{bad}") as r:
            assert r.status == 404
