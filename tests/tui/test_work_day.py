"""A working day in the app: the agenda in groups (show more, filter, done/snooze and undo), deals created,
changed and deleted, companies and standalone tasks; each flow checked in the database afterwards."""

from __future__ import annotations

from tui_support import click_option, press, settle

SIZE = (120, 36)


def screen_name(app) -> str:
    return type(app.screen).__name__


def overdue_tasks(db, n: int) -> list[int]:
    from tinycrm.domain.tasks import TaskInput
    from tinycrm.services.work import tasks

    return [tasks.create(db, TaskInput(title=f"Old chore {i:02d}", due="2026-02-10")).id for i in range(n)]


async def goto_item(pilot, **match) -> None:
    """Move the agenda's cursor to the first item with these attributes."""
    screen = pilot.app.screen
    for _ in range(80):
        item = screen.current()
        if item is not None and all(getattr(item, k) == v for k, v in match.items()):
            return
        await press(pilot, "j")
    raise AssertionError(f"no agenda item with {match}")


async def test_agenda_groups_are_capped_with_totals_and_show_more(make, db):
    from textual.widgets import OptionList

    overdue_tasks(db, 20)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "4")
        screen = app.screen
        tasks_shown = [i for i in screen.items if i.kind == "task" and i.section == "overdue"]
        assert len(tasks_shown) == 12  # of 21 (the sample has one overdue task)
        lst = screen.query_one("#agenda", OptionList)
        head = str(lst.get_option("h-overdue_tasks").prompt)
        assert "12 of 21" in head
        lst.highlighted = lst.get_option_index("more-overdue_tasks")
        await press(pilot, "enter")
        assert len([i for i in screen.items if i.kind == "task" and i.section == "overdue"]) == 21
        assert "21" in str(lst.get_option("h-overdue_tasks").prompt)


async def test_agenda_filter_by_kind(make):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "4")
        assert {i.kind for i in app.screen.items} >= {"task", "deal", "stale"}
        await press(pilot, "f")  # tasks only
        assert {i.kind for i in app.screen.items} == {"task"}
        await press(pilot, "f")  # deals only
        assert {i.kind for i in app.screen.items} == {"deal"}


async def test_done_then_undo_from_the_agenda(make, db, ids):
    from tinycrm.services.work import tasks

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "4")
        await goto_item(pilot, task_id=ids["task_contract"])
        await press(pilot, "d")
        assert tasks.get(db, ids["task_contract"]).done_at is not None
        await press(pilot, "u")
        await settle(pilot)
        assert tasks.get(db, ids["task_contract"]).done_at is None
        assert any(i.task_id == ids["task_contract"] for i in app.screen.items)


async def test_snooze_then_undo(make, db, ids):
    from tinycrm.services.work import tasks

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "4")
        await goto_item(pilot, task_id=ids["task_contract"])
        await press(pilot, "z", "ctrl+s")
        assert tasks.get(db, ids["task_contract"]).snoozed_until is not None
        await press(pilot, "u")
        await settle(pilot)
        assert tasks.get(db, ids["task_contract"]).snoozed_until is None


async def test_j_k_g_G_move_through_the_agenda(make):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "4")
        screen = app.screen
        first = screen.current()
        await press(pilot, "j")
        assert screen.current() != first
        await press(pilot, "k")
        assert screen.current() == first
        await press(pilot, "G")
        assert screen.current() == screen.items[-1]
        await press(pilot, "g")
        assert screen.current() == first


async def test_a_standalone_task_with_t(make, db):
    from tinycrm.services.work import tasks

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "4", "t")
        assert screen_name(app) == "TaskForm"
        await press(pilot, "type:Order new business cards", "tab", "type:2026-03-04", "ctrl+s")
        assert screen_name(app) == "AgendaScreen"
    found = [t for t in tasks.list_tasks(db, limit=None).items if t.title == "Order new business cards"]
    assert len(found) == 1
    assert found[0].contact is None and found[0].deal is None
    assert found[0].due_date is not None and found[0].due_date.isoformat() == "2026-03-04"


async def test_new_deal_on_the_board_then_its_page(make, db):
    from tinycrm.services.sales import deals

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3", "right", "n")
        assert screen_name(app) == "DealForm"
        await press(pilot, "type:Website redesign", "tab", "type:9900", "ctrl+s")
        assert screen_name(app) == "PipelineScreen"
        created = [d for d in deals.list_deals(db, limit=None).items if d.title == "Website redesign"]
        assert len(created) == 1 and created[0].stage == "Qualified"  # the column the cursor was in
        assert app.screen.current_deal() == created[0].id
        await press(pilot, "enter")
        assert screen_name(app) == "DealScreen" and app.screen.deal_id == created[0].id
    assert str(deals.get(db, created[0].id).value) in ("9900", "9900.00", "9900.0000")


async def test_deal_page_edit_move_undo_lose_reopen_delete(make, db, ids):
    from tinycrm.domain.errors import NotFound
    from tinycrm.services.sales import deals
    from tinycrm.tui.screens.deal import DealScreen

    deal_id = ids["deal_globex"]
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(DealScreen(deal_id))
        await settle(pilot)
        await press(pilot, "e", "type:Globex pilot, phase 1", "ctrl+s")
        assert deals.get(db, deal_id).title == "Globex pilot, phase 1"
        await press(pilot, "greater_than_sign")
        assert deals.get(db, deal_id).stage == "Qualified"
        await press(pilot, "u")
        await settle(pilot)
        assert deals.get(db, deal_id).stage == "Lead"
        await press(pilot, "x", "type:no budget", "ctrl+s")
        assert deals.get(db, deal_id).status == "lost"
        await press(pilot, "o")
        assert deals.get(db, deal_id).status == "open"
        await press(pilot, "delete")
        assert screen_name(app) == "ConfirmDialog"
        await press(pilot, "n")
        assert deals.get(db, deal_id).status == "open"
        await press(pilot, "delete", "y")
        assert screen_name(app) != "DealScreen"
    try:
        deals.get(db, deal_id)
    except NotFound:
        pass
    else:
        raise AssertionError("the deal is still there")


async def test_lose_on_the_board_then_undo(make, db, ids):
    from tinycrm.services.sales import deals

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        deal_id = app.screen.current_deal()
        await press(pilot, "x", "type:timing", "enter")
        assert deals.get(db, deal_id).status == "lost"
        await press(pilot, "u")
        await settle(pilot)
        assert deals.get(db, deal_id).status == "open"


async def test_new_deal_from_a_contact(make, db, ids):
    from tinycrm.services.sales import deals
    from tinycrm.tui.screens.contact import ContactScreen

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(ContactScreen(ids["grace"]))
        await settle(pilot)
        await press(pilot, "n", "type:Globex renewal", "ctrl+s")
    found = [d for d in deals.list_deals(db, limit=None).items if d.title == "Globex renewal"]
    assert len(found) == 1
    deal = deals.get(db, found[0].id)
    assert [c.id for c in deal.contacts] == [ids["grace"]] and deal.company == "Globex"


async def test_companies_new_search_edit_delete(make, db):
    from tinycrm.services.people import companies
    from tinycrm.tui.widgets.paged_table import PagedTable

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "2", "n", "type:Wayne Enterprises", "tab", "type:wayne.example", "ctrl+s")
        assert screen_name(app) == "CompaniesScreen"
        wayne = companies.resolve(db, "Wayne Enterprises")
        assert companies.get(db, wayne).domain == "wayne.example"
        await press(pilot, "slash", "type:wayne")
        table = app.screen.query_one(PagedTable)
        assert table.row_count == 1 and table.current_key == wayne
        await press(pilot, "enter")  # back to the list
        await press(pilot, "e")
        await settle(pilot)
        assert screen_name(app) == "CompanyForm"
        await press(pilot, "tab", "tab", "type:https://wayne.example", "ctrl+s")
        assert companies.get(db, wayne).website == "https://wayne.example"
        await press(pilot, "d", "y")
        await settle(pilot)
    assert all(c.name != "Wayne Enterprises" for c in companies.list_companies(db, limit=None).items)


async def test_any_tag_and_any_company_bring_the_whole_list_back(make):
    from textual.widgets import Select

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        everyone = screen.shown.total
        tag = screen.query_one("#tag-filter", Select)
        tag.value = "vip"
        await settle(pilot)
        assert screen.shown.total < everyone
        tag.clear()  # "Any tag"
        await settle(pilot)
        assert screen.shown.total == everyone
        company = screen.query_one("#company-filter", Select)
        company.value = "Globex"
        await settle(pilot)
        assert screen.shown.total == 2
        company.clear()
        await settle(pilot)
        assert screen.shown.total == everyone


async def test_a_form_shows_saving_while_it_saves(make):
    from textual.widgets import Button

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        form = app.screen
        form.busy(True)
        assert (
            form.query_one("#save", Button).disabled
            and str(form.query_one("#save", Button).label) == "Saving…"
        )
        await press(pilot, "escape")
        assert screen_name(app) == "ContactForm"  # not while saving
        form.busy(False)
        await press(pilot, "escape")
        assert screen_name(app) == "ContactsScreen"


async def test_the_timeline_loads_older_interactions_on_demand(make, db, ids):
    from textual.widgets import OptionList

    from tinycrm.services.people import interactions
    from tinycrm.tui.screens.contact import TIMELINE_PAGE, ContactScreen

    for n in range(TIMELINE_PAGE + 5):
        day = 1 + n % 28
        interactions.log(
            db,
            contact_ids=[ids["ken"]],
            kind_="note",
            summary=f"Note {n}",
            when=f"2025-{1 + n // 28:02d}-{day:02d}",
        )
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(ContactScreen(ids["ken"]))
        await settle(pilot)
        screen = app.screen
        assert len([e for e in screen.entries if e.kind == "note"]) == TIMELINE_PAGE
        timeline = screen.query_one("#timeline", OptionList)
        more = timeline.get_option_index("more")
        timeline.highlighted = more  # scrolls it into view
        await settle(pilot)
        await click_option(pilot, "#timeline", more)
        assert len([e for e in screen.entries if e.kind == "note"]) == TIMELINE_PAGE + 5
        try:
            timeline.get_option_index("more")
        except Exception:  # noqa: BLE001 - no more to load: the option is gone
            pass
        else:
            raise AssertionError("load older is still offered")


async def test_questions_show_a_bracketed_title_as_text(make, db, ids):
    """A deal called ``[/b] phase [b]`` is asked about as written: its name is not read as markup (which
    crashed the app when the question was drawn)."""
    from tinycrm.services.sales import deals
    from tinycrm.tui.screens.deal import DealScreen

    deal_id = ids["deal_globex"]
    deals.update(db, deal_id, {"title": "[/b] phase [b]"})
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(DealScreen(deal_id))
        await settle(pilot)
        for key in ("w", "delete"):
            await press(pilot, key)
            assert screen_name(app) == "ConfirmDialog"
            title = str(app.screen.query_one(".dialog-title").render())
            assert "[/b] phase [b]" in title, title
            await press(pilot, "n")
            assert screen_name(app) == "DealScreen"
    assert deals.get(db, deal_id).status == "open"
