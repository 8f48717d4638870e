"""Web forms over real HTTP against ``crm serve``: a website's form posts from another site and becomes a lead;
the form's own page; unknown addresses, bad posts and floods get the right status; nothing is escaped wrong."""

from __future__ import annotations

import json

import aiohttp
import pytest
from web_support import crm


@pytest.fixture(scope="module")
def form(served):  # noqa: ANN001
    out = crm(
        served.db_url,
        served.folder,
        "form",
        "add",
        "Contact <us>",
        "--fields",
        "name,email,message",
        "--tag",
        "website",
        "--redirect",
        "https://shop.example/thanks",
        "--json",
    )
    return json.loads(out)


def leads(served) -> list[dict]:  # noqa: ANN001
    return json.loads(crm(served.db_url, served.folder, "lead", "list", "--all", "--json"))


async def test_a_post_from_the_website_becomes_a_lead_and_goes_to_the_thank_you_address(served, form):
    data = {
        "name": "Grace <b>Hopper</b>",
        "email": "grace@example.com",
        "message": "A quote, please",
        "x": "1",
    }
    headers = {"Origin": "https://shop.example", "Sec-Fetch-Site": "cross-site"}
    async with (
        aiohttp.ClientSession() as s,
        s.post(f"{served.url}{form['path']}", data=data, headers=headers, allow_redirects=False) as r,
    ):
        assert r.status == 303, await r.text()
        assert r.headers["Location"] == "https://shop.example/thanks"
        assert "tinycrm_session" not in r.cookies
    (lead,) = [x for x in leads(served) if x["email"] == "grace@example.com"]
    assert lead["name"] == "Grace <b>Hopper</b>" and lead["source"] == "web" and "website" in lead["tags"]


async def test_the_forms_own_page_shows_its_fields_escaped(served, form):
    async with aiohttp.ClientSession() as s, s.get(f"{served.url}{form['path']}") as r:
        assert r.status == 200
        page = await r.text()
        assert "Set-Cookie" not in r.headers  # an anonymous visitor of a public form gets no session cookie
    assert "Contact &lt;us&gt;" in page and "<us>" not in page
    assert 'name="email"' in page and 'name="website_url"' in page and 'name="company"' not in page
    assert (
        "script-src" in r.headers["Content-Security-Policy"]
        or "default-src" in r.headers["Content-Security-Policy"]
    )


async def test_unknown_forms_bad_posts_and_bots(served, form):
    async with aiohttp.ClientSession() as s:
        async with s.post(f"{served.url}/f/not-a-form", data={"email": "a@example.com"}) as r:
            assert r.status == 404
        async with s.post(
            f"{served.url}{form['path']}", data={"message": "nobody"}, headers={"Accept": "application/json"}
        ) as r:
            assert r.status == 400 and (await r.json())["ok"] is False
        before = len(leads(served))
        async with s.post(
            f"{served.url}{form['path']}",
            data={"email": "bot@example.com", "website_url": "http://spam.example"},
            allow_redirects=False,
        ) as r:
            assert r.status == 303  # a bot is told nothing
        assert len(leads(served)) == before


async def test_a_flood_from_one_address_is_refused_with_429(serve, tmp_path):
    from web_support import seed

    url = f"sqlite:///{tmp_path / 'flood.sqlite3'}"
    seed(url, tmp_path)
    server = serve(db_url=url)
    made = json.loads(crm(url, server.folder, "form", "add", "Flood", "--fields", "email", "--json"))
    codes = []
    async with aiohttp.ClientSession() as s:
        for n in range(7):
            async with s.post(
                f"{server.url}{made['path']}",
                data={"email": f"f{n}@example.com"},
                headers={"Accept": "application/json"},
            ) as r:
                codes.append(r.status)
                if r.status == 429:
                    assert int(r.headers["Retry-After"]) > 0
    assert codes == [200] * 5 + [429, 429]
