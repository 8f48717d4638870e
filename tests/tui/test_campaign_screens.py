"""The Campaigns screen driven by keys and clicks, checked in the database and in the mailbox of a real SMTP
server (aiosmtpd): a campaign made in the app, a test mail, a send that is asked first, runs once however often
``s`` is pressed, pauses and goes on, reaching each recipient exactly once."""

from __future__ import annotations

from campaign_support import inbox, shop  # noqa: F401 - fixtures
from tui_support import press, settle


def recipients(box) -> list[str]:
    return sorted(r for _, rcpts, _, _ in box.messages for r in rcpts)


async def wait_for(pilot, condition, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out")


async def test_list_preview_test_mail_and_send_once(make, shop, inbox):  # noqa: F811
    from tinycrm.services.marketing import campaigns

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "M")
        assert type(app.screen).__name__ == "CampaignsScreen"
        assert [c.name for c in app.screen.items] == ["news"]
        await press(pilot, "enter")
        screen = app.screen
        assert type(screen).__name__ == "CampaignScreen"
        preview = str(screen.query_one("#campaign-preview").render())
        assert "Subject: News for Ada Lovelace" in preview and "Hi!" in preview
        await press(pilot, "m", "type:me@a.io", "ctrl+s")
        await wait_for(pilot, lambda: len(inbox.messages) == 1)
        assert inbox.messages[0][2]["Subject"] == "[test] News for Ada Lovelace"
        assert campaigns.get(shop, "news").state == "draft"

        inbox.gate.clear()  # the first mail waits at the server
        await press(pilot, "s")
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("y")  # (pilot.press: the helper would wait for the send worker)
        await wait_for(pilot, lambda: app.screen is screen and screen.campaign is not None)
        await pilot.pause(0.3)
        await pilot.press("s")  # while it sends: nothing is started again, nothing is asked
        await pilot.pause(0.2)
        assert app.screen is screen
        await pilot.press("p")  # pause after the mail on its way
        await pilot.pause(0.1)
        inbox.gate.set()
        await app.workers.wait_for_complete()
        await settle(pilot)
        c = campaigns.get(shop, "news")
        assert (c.state, c.counts) == ("sending", {"queued": 1, "sent": 1})
        await press(pilot, "s", "y")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert campaigns.get(shop, "news").state == "done"
        await press(pilot, "s")
        assert app.screen is screen, "a finished campaign is not asked about again"
    assert recipients(inbox) == ["ada@acme.com", "margaret@acme.com", "me@a.io"]


async def test_new_campaign_from_a_segment(make, shop):  # noqa: F811
    from tinycrm.services.marketing import campaigns

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "M", "n")
        assert type(app.screen).__name__ == "CampaignForm"
        await press(pilot, "type:april", "tab", "enter", "down", "enter", "tab", "type:April news")
        template = app.screen.query_one("#template")
        template.text = "Hello {{ contact.shoe_size }}"
        await press(pilot, "ctrl+s")
        assert type(app.screen).__name__ == "CampaignForm", "an unknown merge field is refused"
        assert "shoe_size" in str(app.screen.query_one("#form-error").render())
        template.text = "Hello {{ contact.given_name }}"
        await press(pilot, "ctrl+s")
        assert type(app.screen).__name__ == "CampaignsScreen"
        assert [c.name for c in app.screen.items] == ["april", "news"]
    c = campaigns.get(shop, "april")
    assert (c.segment, c.subject, c.state) == ("clients", "April news", "draft")


async def test_recipients_by_state_after_a_send(make, shop, inbox):  # noqa: F811
    from tinycrm.services.marketing import sending

    sending.send(shop, "news")
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "M")
        table = app.screen.query_one("#campaigns")
        assert [str(c) for c in table.get_row_at(0)][:5] == ["news", "done", "clients", "2", "2"]
        assert await pilot.click("#campaigns", offset=(3, 1))  # the highlighted row, with the mouse
        await settle(pilot)
        assert type(app.screen).__name__ == "CampaignScreen"
        await press(pilot, "c")
        rows = app.screen.query_one("#recipient-list")
        assert rows.row_count == 2
        await press(pilot, "f")  # queued: none left
        assert rows.row_count == 0 and app.screen.state_filter == "queued"
        await press(pilot, "f")
        assert rows.row_count == 2 and app.screen.state_filter == "sent"
        await press(pilot, "escape")
        assert type(app.screen).__name__ == "CampaignsScreen"
