"""What a working day in the app at 80x24 turned up: a task is marked done or snoozed from a contact's or a
deal's page as on the agenda (and undone with ``u``), a deal's ``d`` no longer deletes the deal next to the
task one means, timelines end their lines in … instead of wrapping, and a snooze form keeps its buttons."""

from __future__ import annotations

from tui_support import press, settle

SIZE = (80, 24)


def footer(screen) -> set[str]:
    from tinycrm.tui.widgets.footer import FooterKeyLabel

    return {k.key_display for k in screen.query(FooterKeyLabel)}


async def highlight(pilot, selector: str, option_id: str) -> None:
    from textual.widgets import OptionList

    lst = pilot.app.screen.query_one(selector, OptionList)
    target = lst.get_option_index(option_id)
    for _ in range(lst.option_count):
        if lst.highlighted == target:
            return
        await press(pilot, "down")
    raise AssertionError(f"{option_id} never highlighted")


async def test_done_undo_and_snooze_a_task_from_the_contact_page(make, db, ids):
    from tinycrm.services.work import tasks
    from tinycrm.tui.screens.contact import ContactScreen

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(ContactScreen(ids["ada"]))
        await settle(pilot)
        screen = app.screen
        entry = next(n for n, e in enumerate(screen.entries) if e.ref == ("task", ids["task_call"]))
        await press(pilot, "end")  # away from the task: no d, no z
        assert not {"d", "z"} & footer(screen)
        await press(pilot, "d")
        assert tasks.get(db, ids["task_call"]).done_at is None
        await highlight(pilot, "#timeline", f"e{entry}")
        assert {"d", "z", "?"} <= footer(screen), footer(screen)
        await press(pilot, "d")
        await settle(pilot)
        assert tasks.get(db, ids["task_call"]).done_at is not None
        await press(pilot, "u")
        await settle(pilot)
        assert tasks.get(db, ids["task_call"]).done_at is None
        await pilot.pause(0.2)
        await settle(pilot)  # the page reloads after the undo (it did not: the task stayed struck through)
        assert next(e for e in screen.entries if e.ref == ("task", ids["task_call"])).kind == "task"
        entry = next(n for n, e in enumerate(screen.entries) if e.ref == ("task", ids["task_call"]))
        await highlight(pilot, "#timeline", f"e{entry}")
        await press(pilot, "z")
        assert type(app.screen).__name__ == "SnoozeForm"
        await press(pilot, "ctrl+s")
        await settle(pilot)
        assert app.screen is screen
    assert tasks.get(db, ids["task_call"]).snoozed_until is not None


async def test_r_reloads_a_contact_page(make, db, ids):
    from tinycrm.domain.tasks import TaskInput
    from tinycrm.services.work import tasks
    from tinycrm.tui.screens.contact import ContactScreen

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(ContactScreen(ids["ada"]))
        await settle(pilot)
        tasks.create(db, TaskInput(title="Made elsewhere", due="2026-03-04", contact_id=ids["ada"]))
        await press(pilot, "r")
        await settle(pilot)
        assert "Made elsewhere" in [e.title for e in app.screen.entries]


async def test_done_and_snooze_from_the_deal_page_and_delete_on_its_own_key(make, db, ids):
    from tinycrm.domain.tasks import TaskInput
    from tinycrm.services.sales import deals
    from tinycrm.services.work import tasks
    from tinycrm.tui.screens.deal import DealScreen

    deal_id = ids["deal_globex"]
    task = tasks.create(db, TaskInput(title="Send the pilot plan", due="2026-03-03", deal_id=deal_id))
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(DealScreen(deal_id))
        await settle(pilot)
        screen = app.screen
        await highlight(pilot, "#deal-timeline", "t0")
        assert {"d", "z"} <= footer(screen)
        await press(pilot, "d")
        await settle(pilot)
        assert tasks.get(db, task.id).done_at is not None
        assert deals.get(db, deal_id).status == "open"  # d is done, not delete
        await press(pilot, "u")
        await settle(pilot)
        assert tasks.get(db, task.id).done_at is None
        await highlight(pilot, "#deal-timeline", "t0")
        await press(pilot, "z", "ctrl+s")
        await settle(pilot)
        assert tasks.get(db, task.id).snoozed_until is not None
        await press(pilot, "delete")
        assert type(app.screen).__name__ == "ConfirmDialog"
        await press(pilot, "n")
    assert deals.get(db, deal_id).status == "open"


async def test_a_contact_timeline_does_not_wrap_its_lines_at_80_columns(make, db, ids):
    from tinycrm.services.people import interactions
    from tinycrm.tui.screens.contact import ContactScreen

    long = "Discussed the renewal of the whole support contract with the board and legal"
    interactions.log(db, contact_ids=[ids["ada"]], kind_="call", summary=long, when="2026-03-01 10:00")
    heights = {}
    for size in ((80, 24), (240, 24)):
        app = make()
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            app.push_screen(ContactScreen(ids["ada"]))
            await settle(pilot)
            heights[size[0]] = app.screen.query_one("#timeline").virtual_size.height
    assert heights[80] == heights[240], "a timeline line wraps at 80 columns"


async def test_a_company_name_taken_shows_under_the_name_with_the_focus_there(make, db, ids):
    """The clash was shown under the form, the focus left on the last field: the next thing typed to fix the
    name went into another field."""
    from tinycrm.services.people import companies

    before = companies.list_companies(db, limit=None).total
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "2", "n", "type:Globex", "tab", "type:globex-two.example", "ctrl+s")
        screen = app.screen
        assert type(screen).__name__ == "CompanyForm"
        name = screen.field("name")
        assert name.has_class("-invalid") and "exists already" in str(name.query_one(".field-error").render())
        assert screen.focused is screen.input("name")
        await press(pilot, "ctrl+a", "ctrl+k", "type:Globex Two", "ctrl+s")
        assert type(app.screen).__name__ == "CompaniesScreen"
    assert companies.list_companies(db, limit=None).total == before + 1
    assert (
        companies.get(
            db, next(c.id for c in companies.list_companies(db, limit=None).items if c.name == "Globex Two")
        ).domain
        == "globex-two.example"
    )


async def test_after_a_snooze_the_agenda_cursor_stays_where_it_was(make, db, ids):
    """It followed the snoozed task to its new place further down ("coming up"): the next overdue task, the
    one to look at next, was out of view."""
    from tinycrm.services.work import tasks

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "4")
        screen = app.screen
        index = next(i for i, it in enumerate(screen.items) if it.task_id == ids["task_contract"])
        following = screen.items[index + 1]
        while screen.current().task_id != ids["task_contract"]:
            await press(pilot, "j")
        await press(pilot, "z", "ctrl+s")
        await pilot.pause(0.1)
        await settle(pilot)
        assert screen.current().key == following.key
    assert tasks.get(db, ids["task_contract"]).snoozed_until is not None


async def test_the_footer_under_a_form_names_ctrl_s_as_its_button_does(make, sample_url, ids):
    """Under the reply form the footer said "^s Save" next to a "Send ^s" button."""
    from desk_support import build_desk

    build_desk(sample_url, ids)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "6", "enter", "m")
        assert type(app.screen).__name__ == "ReplyForm"
        labels = {k: v.description for k, v in footer_items(app.screen).items()}
        assert labels == {"^s": "Send", "esc": "Cancel"}
        await press(pilot, "escape", "escape", "1", "n")
        assert {k: v.description for k, v in footer_items(app.screen).items()}["^s"] == "Save"


def footer_items(screen) -> dict[str, object]:
    from tinycrm.tui.widgets.footer import FooterKeyLabel

    return {k.key_display: k for k in screen.query(FooterKeyLabel)}


async def test_the_timeline_title_names_what_there_is_on_one_line_at_80_columns(make, db, ids):
    """ "Timeline  3 interactions · 1 task · 0 deals" wrapped its last word onto a second line."""
    from tinycrm.domain.tasks import TaskInput
    from tinycrm.services.people import interactions
    from tinycrm.services.work import tasks
    from tinycrm.tui.screens.contact import ContactScreen

    for n in range(3):
        interactions.log(db, contact_ids=[ids["ken"]], kind_="call", summary=f"Call {n}", when="2026-03-01")
    tasks.create(db, TaskInput(title="Call Ken back", due="2026-03-04", contact_id=ids["ken"]))
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(ContactScreen(ids["ken"]))
        await settle(pilot)
        title = app.screen.query_one("#timeline-title")
        text = str(title.render())
        assert "3 interactions · 1 task" in text and "deal" not in text, text
        assert title.size.height == 1
        assert app.screen.query_one("#timeline-pane").region.contains_region(title.region)
