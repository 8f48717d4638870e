"""What a first visit of an area reads and draws: the board a screenful of cards per stage (more when the cursor
gets to the last one), the agenda read once, the dashboard's cards each drawn when its report is in."""

from __future__ import annotations

from tui_support import press, settle

SIZE = (120, 36)


def add_deals(db, n: int, stage: str = "Lead") -> None:
    from tinycrm.domain.sales import DealInput
    from tinycrm.services.sales import deals

    for i in range(n):
        deals.create(db, DealInput(title=f"Bulk deal {i:03d}", value="100", currency="EUR", stage=stage))


def column(app, index: int):
    from tinycrm.tui.screens.pipeline import StageColumn

    return list(app.screen.query(StageColumn))[index]


async def test_the_board_shows_a_screenful_of_cards_and_more_when_the_cursor_reaches_the_last(make, db):
    from tinycrm.tui.screens import pipeline

    add_deals(db, pipeline.CARDS + 20)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        lead = column(app, 0)
        count = app.screen.board.columns[0].count
        assert count > pipeline.CARDS
        assert len(lead.deal_ids) == pipeline.CARDS  # not the service's 200
        last = lead.deal_ids[-1]
        await press(pilot, "G")  # the last card shown: the next ones are read
        await settle(pilot)
        lead = column(app, 0)
        assert len(lead.deal_ids) == count
        assert app.screen.current_deal() == last  # the cursor stayed on the deal it was on
        await press(pilot, "G")
        assert app.screen.current_deal() == lead.deal_ids[-1]


async def test_the_agenda_is_read_once_on_its_first_visit(make, monkeypatch):
    from tinycrm.services.work import agenda

    calls: list[dict] = []
    original = agenda.groups

    def counted(db, **kwargs):
        calls.append(kwargs)
        return original(db, **kwargs)

    monkeypatch.setattr(agenda, "groups", counted)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "4")
        assert len(calls) == 1
        assert app.screen.items  # and what it read is on screen
        await press(pilot, "1", "4")  # coming back reads it again (it may have changed)
        assert len(calls) == 2


async def test_each_dashboard_card_is_drawn_as_its_report_comes_in(make, monkeypatch):
    """A failing report leaves its card waiting and says why; the other cards are drawn all the same."""
    from textual.widgets import Static

    from tinycrm.domain.errors import StoreUnavailable
    from tinycrm.services.sales import reports

    def broken(db, **kwargs):
        raise StoreUnavailable("the activity report is not available")

    monkeypatch.setattr(reports, "activity", broken)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "5")
        await settle(pilot)
        screen = app.screen
        assert set(screen.reports) == {"forecast", "pipeline", "wins", "leads", "tickets"}
        for card in ("#forecast", "#pipeline-chart", "#wins", "#leads-card", "#tickets-card"):
            assert "Loading" not in str(screen.query_one(card, Static).render())
        assert any("activity report" in n.message for n in app._notifications)


async def test_a_prefetched_answer_is_handed_out_once_and_only_while_fresh(make, monkeypatch):
    from tinycrm.services.people import contacts
    from tinycrm.tui.screens.base import CrmScreen, Prefetched

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CrmScreen)
        reads: list[int] = []

        def tags(db):
            reads.append(1)
            return contacts.list_tags(db)

        screen.prefetch(tags)
        first = screen.service(tags)  # the prefetched answer
        assert len(reads) == 1
        assert screen.service(tags) == first  # a second call reads again
        assert len(reads) == 2
        monkeypatch.setattr(Prefetched, "FRESH_S", 0.0)
        screen.prefetch(tags)
        await pilot.pause(0.2)
        screen.service(tags)  # stale: read again, the old answer dropped
        assert len(reads) == 4
        assert screen.__dict__["_prefetched"] == []


async def test_a_refreshed_card_is_not_overwritten_by_its_slower_first_read(make, monkeypatch):
    import asyncio
    import dataclasses
    import threading

    from tinycrm.services.sales import reports

    original = reports.wins
    release = threading.Event()
    calls: list[int] = []

    def wins(db, **kwargs):
        calls.append(1)
        report = original(db, **kwargs)
        if len(calls) == 1:  # the first read, started as the screen is built, comes in last
            release.wait(10)
            return dataclasses.replace(report, won=111)
        return dataclasses.replace(report, won=222)

    monkeypatch.setattr(reports, "wins", wins)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "5")
        screen = app.screen
        screen.action_refresh()
        await settle(pilot)
        assert screen.reports["wins"].won == 222
        release.set()
        for _ in range(20):  # the first read's answer arrives, and is dropped
            await asyncio.sleep(0.02)
        await settle(pilot)
        assert len(calls) == 2
        assert screen.reports["wins"].won == 222


async def test_cards_are_cut_to_their_column_never_wrapped_at_80_columns(make, db):
    """At 80x24 four stages leave each card 12-13 columns beside a scrollbar: a long title is cut with an
    ellipsis on its own line; wrapped, it pushed the value onto a line of its own ('w…' under 'Onboarding')."""
    from textual.widgets import OptionList

    from tinycrm.domain.sales import DealInput
    from tinycrm.services.sales import deals

    for i in range(12):  # more cards than the column has lines: it scrolls
        deals.create(db, DealInput(title=f"Onboarding website {i}", value="2400", currency="EUR"))
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        await settle(pilot)
        cards = column(app, 0).query_one(OptionList)
        lines = [cards.render_line(y).text.strip(" ▁▂▃▄▅▆▇█") for y in range(cards.content_region.height)]
        assert any(line.startswith("Onboarding") and line.endswith("…") for line in lines), lines
        blocks: list[list[str]] = [[]]
        for line in lines:
            if line and set(line) == {"─"}:
                blocks.append([])
            else:
                blocks[-1].append(line)
        whole = blocks[1:-1]  # the first and the last may be cut by the screen's edge
        assert whole, lines
        for card in whole:  # title; value · company; idle or next step: three lines, the value second
            assert len(card) == 3 and card[1][:1] in "€$£0123456789", lines
